"""Serve the decision canvas bundle (built once with npm, committed) at /decisions-static/."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static"


def on_app(app: FastAPI) -> None:
    app.mount("/decisions-static", StaticFiles(directory=str(STATIC)), name="decisions-static")
