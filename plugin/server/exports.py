"""GET /exports/briefing.docx, /exports/briefing.pdf and /exports/training.zip (authenticated)."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from flask import Blueprint, current_app, request, send_file
from werkzeug.exceptions import NotFound

from plugin.errors import StancedeskError
from plugin.server.webhook import check_secret, request_story

bp = Blueprint("exports", __name__, url_prefix="/exports")


@bp.before_request
def authenticate():
    check_secret()


def _state():
    return current_app.extensions["stancedesk"]


_BRIEFING_TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                   "pdf": "application/pdf"}


@bp.get("/briefing.docx")
def briefing():
    return _briefing("docx")


@bp.get("/briefing.pdf")
def briefing_pdf():
    """The same briefing rendered by LibreOffice (404 with how to install it where it is missing)."""
    return _briefing("pdf")


def _briefing(fmt: str):
    from plugin.exports import BRIEFINGS_DIR, export_briefing

    state = _state()
    include_unreviewed = request.args.get("include_unreviewed") in ("1", "true", "yes")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"briefing.{fmt}"
        try:
            export_briefing(state.store, path, model=state.settings.model, story=request_story(),
                            since=request.args.get("since"), until=request.args.get("until"),
                            include_unreviewed=include_unreviewed,
                            nlp=state.predictor.nlp if include_unreviewed else None, fmt=fmt,
                            paraphrase=request.args.get("paraphrase") or "auto",
                            log_dir=state.settings.home / BRIEFINGS_DIR)
        except StancedeskError as e:
            raise NotFound(str(e)) from e
        data = path.read_bytes()
    return send_file(io.BytesIO(data), download_name=f"briefing.{fmt}", as_attachment=True, mimetype=_BRIEFING_TYPES[fmt])


@bp.get("/training.zip")
def training():
    from plugin.exports import export_training

    state = _state()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            export_training(state.store, Path(tmp), base_model=state.settings.model, story=request_story())
        except StancedeskError as e:
            raise NotFound(str(e)) from e
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for f in sorted(Path(tmp).iterdir()):
                z.write(f, f.name)
    buf.seek(0)
    return send_file(buf, download_name="training.zip", as_attachment=True, mimetype="application/zip")
