"""The briefing's timeline: each main speaker's stance by date, drawn by matplotlib as a PNG."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date
from typing import Mapping, Sequence

from plugin.records import STANCES

COLOURS = {"support": "#4e79a7", "oppose": "#e15759", "neutral": "#9d9d9d"}
OFFSET = {"support": 0.18, "neutral": 0.0, "oppose": -0.18}  # a day's stances side by side on the speaker's row


def timeline_png(timeline: Mapping[str, Mapping[str, Counter]], speakers: Sequence[str], *, width_in: float = 6.5) -> bytes | None:
    """A dot per (speaker, day, stance): the row is the speaker, the colour the stance, the size the number of
    claims. None when no speaker has a dated claim."""
    rows = [s for s in speakers if timeline.get(s)]
    if not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    rows = rows[::-1]  # the most quoted on top
    days = sorted({d for s in rows for d in timeline[s]})
    fig, ax = plt.subplots(figsize=(width_in, 0.42 * len(rows) + 1.5), dpi=150)
    for stance in STANCES:
        xs, ys, sizes = [], [], []
        for y, speaker in enumerate(rows):
            for day, counts in timeline[speaker].items():
                if counts[stance]:
                    xs.append(date.fromisoformat(day))
                    ys.append(y + OFFSET[stance])
                    sizes.append(28 + 22 * min(counts[stance], 8))
        ax.scatter(xs, ys, s=sizes, c=COLOURS[stance], label=stance, alpha=0.85, edgecolors="white", linewidths=0.5)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    pad = max((last - first) / 20, (date(2000, 1, 2) - date(2000, 1, 1)))
    ax.set_xlim(first - pad, last + pad)
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", color="#e6e6e6", linewidth=0.6)
    ax.set_axisbelow(True)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 if len(rows) > 3 else -0.22), ncol=3, frameon=False,
              fontsize=8, markerscale=0.8)
    ax.set_title("Stance by date (dot size: number of claims)", fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()
