"""The application factory: one FastAPI app serving the JSON API under ``/api/v1`` and the pages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import IntegrityError

from zhanye import __version__
from zhanye.core.config import Settings, get_settings
from zhanye.core.db import Database, set_database
from zhanye.core.logging import configure_logging
from zhanye.features import modules
from zhanye.web import problems, routes
from zhanye.web.middleware import RequestContextMiddleware

STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, json_lines=settings.log_json)
    db = database or Database(settings.database_url, echo=settings.sql_echo)
    set_database(db)
    app = FastAPI(
        title="Zhanye 展业 API",
        version=__version__,
        description="Field-banking and digital-lending platform for rural and small banks.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.startup_hooks = []
    app.state.shutdown_hooks = []
    app.state.db = db
    app.state.settings = settings

    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes,
                       upload_max_bytes=settings.upload_max_bytes, default_locale=settings.default_locale)
    problems.install(app)
    app.add_exception_handler(IntegrityError, _integrity_error)

    app.include_router(routes.router)
    for _feature, mod in modules("api"):
        app.include_router(mod.router)
    for _feature, mod in modules("views"):
        app.include_router(mod.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for _feature, mod in modules("setup"):
        hook = getattr(mod, "on_app", None)
        if hook is not None:
            hook(app)
    return app


def on_lifecycle(app: FastAPI, *, startup: Callable[[], None], shutdown: Callable[[], None]) -> None:
    """Run ``startup`` when the server starts and ``shutdown`` when it stops (feature setup hooks)."""
    app.state.startup_hooks.append(startup)
    app.state.shutdown_hooks.append(shutdown)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    for hook in app.state.startup_hooks:
        hook()
    try:
        yield
    finally:
        for hook in reversed(app.state.shutdown_hooks):
            hook()


async def _integrity_error(request: Request, exc: Exception) -> Any:
    return problems.problem(request, status=409, code="conflict", title_zh="与已有数据冲突（可能是重复提交）",
                            title_en="Conflicts with existing data (possibly a duplicate submission)")
