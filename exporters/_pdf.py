"""A .docx to PDF with LibreOffice (``soffice --headless --convert-to pdf``), in a private profile, time-limited."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from plugin.errors import StancedeskError

SOFFICE_NAMES = ("soffice", "libreoffice")
INSTALL_HINT = "install it (Debian/Ubuntu: apt-get install libreoffice-writer) or write a .docx with --format docx"
TIMEOUT_S = 180


class PdfError(StancedeskError):
    """LibreOffice is missing or could not convert the document."""


def soffice() -> str:
    """The LibreOffice program; PdfError saying how to install it when there is none."""
    for name in SOFFICE_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise PdfError(f"a PDF briefing needs LibreOffice, and neither {' nor '.join(SOFFICE_NAMES)} is on PATH; {INSTALL_HINT}")


def convert(docx: Path, pdf: Path, *, timeout_s: float = TIMEOUT_S) -> str:
    """Write ``pdf`` from ``docx`` (a temporary file the caller then moves into place); returns what LibreOffice
    wrote to its error stream (warnings; empty for a clean conversion)."""
    program = soffice()
    with tempfile.TemporaryDirectory(prefix="stancedesk-lo-") as tmp:
        profile, out = Path(tmp) / "profile", Path(tmp) / "out"
        out.mkdir()
        command = [program, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                   "--convert-to", "pdf", "--outdir", str(out), str(docx)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise PdfError(f"LibreOffice did not convert {docx.name} to PDF within {timeout_s:.0f} s; try again, or "
                           "write a .docx with --format docx") from None
        made = out / (docx.stem + ".pdf")
        if done.returncode != 0 or not made.is_file() or made.stat().st_size == 0:
            why = (done.stderr or done.stdout).strip().splitlines()
            raise PdfError(f"LibreOffice could not convert {docx.name} to PDF (exit {done.returncode}: "
                           f"{why[-1] if why else 'no message'}); write a .docx with --format docx")
        shutil.move(str(made), pdf)
        return done.stderr
