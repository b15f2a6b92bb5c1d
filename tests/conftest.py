"""Shared fixtures. Integration and e2e tests run on SQLite always and on PostgreSQL too when
ZHANYE_TEST_PG_URL is set (each run in a fresh database that is dropped afterwards)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("ZHANYE_ARGON2_PROFILE", "fast")
os.environ.setdefault("ZHANYE_LOG_LEVEL", "WARNING")
os.environ.setdefault("ZHANYE_DEMO_PASSWORD", "Zhanye#2026")

PG_URL = os.environ.get("ZHANYE_TEST_PG_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
DEMO_PASSWORD = os.environ["ZHANYE_DEMO_PASSWORD"]


def _pg_admin_url() -> str:
    assert PG_URL
    return PG_URL


def create_pg_database() -> str:
    """Create a fresh PostgreSQL database next to ZHANYE_TEST_PG_URL and return its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(_pg_admin_url())
    name = f"zhanye_t_{uuid.uuid4().hex[:12]}"
    conninfo = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return base.set(database=name, drivername="postgresql+psycopg").render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = make_url(_pg_admin_url()).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')


def fresh_database_url(backend: str, tmp_dir: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_dir / f'zhanye-{uuid.uuid4().hex[:8]}.db'}"
    return create_pg_database()


def migrated_database(url: str):  # type: ignore[no-untyped-def]
    from zhanye.cli import upgrade_database
    from zhanye.core.db import Database

    upgrade_database(url)
    return Database(url)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def demo_db(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A migrated database holding the demo bank, shared by the tests of one backend."""
    from zhanye.demo import ensure_demo

    url = fresh_database_url(backend, tmp_path_factory.mktemp(f"db-{backend}"))
    db = migrated_database(url)
    ensure_demo(db, password=DEMO_PASSWORD)
    yield db
    db.dispose()
    if backend == "postgresql":
        drop_pg_database(url)


@pytest.fixture()
def empty_db(backend: str, tmp_path: Path) -> Iterator[object]:
    """A freshly migrated database with nothing in it (for tests that need a clean slate)."""
    url = fresh_database_url(backend, tmp_path)
    db = migrated_database(url)
    yield db
    db.dispose()
    if backend == "postgresql":
        drop_pg_database(url)


@pytest.fixture(scope="session")
def app(demo_db):  # type: ignore[no-untyped-def]
    from zhanye.core.config import load_settings
    from zhanye.web.app import create_app

    return create_app(load_settings(), database=demo_db)


@pytest.fixture(scope="session")
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


_token_cache: dict[tuple[int, str], str] = {}


def login_headers(client, username: str, password: str = DEMO_PASSWORD, *, fresh: bool = False) -> dict[str, str]:  # type: ignore[no-untyped-def]
    key = (id(client.app), username)
    if fresh or key not in _token_cache:
        resp = client.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert resp.status_code == 200, resp.text
        _token_cache[key] = resp.json()["access_token"]
    return {"Authorization": f"Bearer {_token_cache[key]}"}


@pytest.fixture()
def auth(client):  # type: ignore[no-untyped-def]
    """``auth("manager1")`` gives the bearer headers of a demo user."""
    return lambda username, **kw: login_headers(client, username, **kw)


def count_rows(db, table: str) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with db.unit_of_work(write=False) as session:
        return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608
