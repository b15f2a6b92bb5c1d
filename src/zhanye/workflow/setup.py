"""App hook: run the SLA scan periodically while the server runs (a daemon thread).

``ZHANYE_WORKFLOW_SLA_SCAN_SECONDS`` sets the interval (default 300; ``0`` disables it). Under
pytest the default is 0, so tests scan only when they say so. The scan is idempotent, so several
server processes scanning at once issue each card once.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

from fastapi import FastAPI

from zhanye.core.db import utcnow

log = logging.getLogger("zhanye.workflow.sla")


def scan_interval() -> float:
    default = "0" if "pytest" in sys.modules else "300"
    try:
        return max(0.0, float(os.environ.get("ZHANYE_WORKFLOW_SLA_SCAN_SECONDS", default)))
    except ValueError:
        return 0.0


class PeriodicScan:
    def __init__(self, app: FastAPI, interval: float) -> None:
        self.app = app
        self.interval = interval
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="workflow-sla-scan", daemon=True)
        self.runs = 0

    def _run(self) -> None:
        from zhanye.workflow import sla

        while not self.stop.wait(self.interval):
            try:
                with self.app.state.db.unit_of_work() as session:
                    result = sla.scan(session, utcnow())
                self.runs += 1
                if result.cards:
                    log.info("SLA scan issued %d cards and %d notifications", result.cards, result.notifications)
            except Exception:  # keep the thread alive; the next round retries
                log.exception("SLA scan failed")

    def start(self) -> None:
        self.thread.start()

    def shutdown(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)


def on_app(app: FastAPI) -> None:
    from zhanye.web.app import on_lifecycle

    interval = scan_interval()
    if interval <= 0:
        return
    scanner = PeriodicScan(app, interval)
    app.state.workflow_sla_scan = scanner
    on_lifecycle(app, startup=scanner.start, shutdown=scanner.shutdown)
