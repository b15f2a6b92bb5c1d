"""ASGI entry point for uvicorn workers: ``uvicorn zhanye.web.asgi:app``."""

import gc

from zhanye.web.app import create_app, on_lifecycle


def _freeze_startup_objects() -> None:
    """Everything the server built before its first request (modules, routes, mappers, compiled
    statements: some hundred thousand objects) moves out of the garbage collector's way. A full
    collection otherwise walks them all, a pause of tens of milliseconds that every request in
    flight waits through: the slowest percent of requests under load."""
    gc.collect()
    gc.freeze()


app = create_app()
on_lifecycle(app, startup=_freeze_startup_objects, shutdown=lambda: None)
