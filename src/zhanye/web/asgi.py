"""ASGI entry point for uvicorn workers: ``uvicorn zhanye.web.asgi:app``."""

from zhanye.web.app import create_app

app = create_app()
