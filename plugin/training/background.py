"""Label Studio's train button: START_TRAINING starts a retrain in a background thread.

The webhook answers at once; one retrain runs at a time; the outcome is
journaled as a TRAINING_FINISHED event. A promoted model is picked up by the
server's predictor on its next /setup or /predict.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from datetime import datetime, timezone
from pathlib import Path

log = logging.getLogger(__name__)


class Trainer:
    def __init__(self, state):
        self.state = state
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, story) -> bool:
        """Start a retrain of ``story`` unless one is running; returns whether one was started."""
        with self._lock:
            if self.running:
                return False
            self._thread = threading.Thread(target=self._run, args=(story,), name="stancedesk-retrain", daemon=True)
            self._thread.start()
            return True

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self, story) -> None:
        from plugin.exports import export_training
        from plugin.training import registry
        from plugin.training.retrain import install_stance, retrain

        settings, store = self.state.settings, self.state.store
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        output = Path(settings.home) / "models" / f"auto-{stamp}"
        outcome: dict = {"model_dir": str(output), "story": story.name}
        try:
            with tempfile.TemporaryDirectory() as tmp:
                export_training(store, Path(tmp) / "data", base_model=settings.model, story=story)
                result = retrain(Path(tmp) / "data", output, base_model=settings.model, story=story)
            outcome.update(promoted=result.promote, reason=result.reason, model_version=result.metrics["model_version"],
                           stance=result.metrics["stance"]["verdict"])
            install_stance(settings.home, story, result)
            if result.promote:
                registry.promote(settings.home, result.model_dir)
        except Exception as e:  # noqa: BLE001  (a background job: the outcome is journaled, the server keeps serving)
            log.exception("background retrain failed")
            outcome.update(promoted=False, reason=f"{type(e).__name__}: {e}")
        store.record_event(action="TRAINING_FINISHED", payload={"action": "TRAINING_FINISHED", **outcome},
                           source="trainer", status="processed")
