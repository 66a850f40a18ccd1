"""Which model is promoted: ``$STANCEDESK_HOME/models/promoted.json`` names it; switching back is one command."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from plugin.errors import ConfigError
from plugin.fileio import write_bytes_atomic

PROMOTED_FILE = "promoted.json"


def promoted_path(home: Path) -> Path | None:
    """The promoted model's directory, or None when the base model is in use."""
    f = Path(home) / "models" / PROMOTED_FILE
    if not f.is_file():
        return None
    try:
        path = Path(json.loads(f.read_text(encoding="utf-8"))["path"])
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise ConfigError(f"{f} is damaged ({e}); delete it to go back to the base model") from e
    return path


def model_in_use(home: Path) -> str:
    """The model preannotate, push and serve use under this home when STANCEDESK_MODEL is not set."""
    from plugin.settings import DEFAULT_MODEL

    path = promoted_path(home)
    return str(path) if path is not None else DEFAULT_MODEL


def promote(home: Path, model_dir: Path) -> None:
    model_dir = Path(model_dir).resolve()
    if not (model_dir / "meta.json").is_file():
        raise ConfigError(f"{model_dir} is not a spaCy pipeline directory (no meta.json); give a directory written by 'stancedesk retrain'")
    record = {"path": str(model_dir), "promoted_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    write_bytes_atomic(Path(home) / "models" / PROMOTED_FILE, json.dumps(record, indent=2).encode())


def use_base(home: Path) -> None:
    (Path(home) / "models" / PROMOTED_FILE).unlink(missing_ok=True)


def _stance_summary(stance: dict) -> str | None:
    """e.g. "stance embeddings 0.72 -> 0.75 (replaced)" from metrics.json's ``stance`` part."""
    if not stance:
        return None
    if "after" not in stance:
        return f"stance {stance.get('current_model')} kept ({stance.get('reason')})"
    return (f"stance {stance['current_model']} {stance['before']['macro_f1']} -> {stance['new_model']} "
            f"{stance['after']['macro_f1']} ({stance['verdict']})")


def _actor_f1(metrics: dict, side: str) -> float | None:
    """Actor F1 as users get it (the whole pipeline on held-out corrected documents), else the bare NER's."""
    pipeline = (metrics.get("pipeline") or {}).get(side) or {}
    return pipeline.get("actors_f1", metrics.get(side, {}).get("micro", {}).get("f1"))


def list_models(home: Path, extra: list[Path] = ()) -> list[dict]:
    """Model directories under ``$STANCEDESK_HOME/models`` (and ``extra``) with their metrics summary."""
    root = Path(home) / "models"
    dirs = sorted({*(p for p in root.iterdir() if (p / "meta.json").is_file()), *map(Path, extra)}) if root.is_dir() else list(extra)
    current = promoted_path(home)
    out = []
    for d in dirs:
        metrics = json.loads((d / "metrics.json").read_text()) if (d / "metrics.json").is_file() else {}
        meta = json.loads((d / "meta.json").read_text()) if (d / "meta.json").is_file() else {}
        out.append({"name": d.name, "path": str(d.resolve()), "version": meta.get("version"),
                    "promoted": current is not None and d.resolve() == current.resolve(),
                    "actor_f1": _actor_f1(metrics, "after"),
                    "base_actor_f1": _actor_f1(metrics, "before"),
                    "verdict": metrics.get("verdict"),
                    "stance": _stance_summary(metrics.get("stance") or {})})
    return out
