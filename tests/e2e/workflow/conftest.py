"""E2E fixtures of the workflow: an app and client on a database holding the demo bank's tree,
staff and workflow demo only (independent of other features' demo data)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import login_headers
from tests.integration.workflow.fixtures import wf_db  # noqa: F401


@pytest.fixture(scope="session")
def wf_app(wf_db):  # type: ignore[no-untyped-def]  # noqa: F811
    from zhanye.core.config import load_settings
    from zhanye.web.app import create_app

    return create_app(load_settings(), database=wf_db)


@pytest.fixture(scope="session")
def wf_client(wf_app) -> Iterator[object]:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(wf_app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture()
def wf_auth(wf_client):  # type: ignore[no-untyped-def]
    return lambda username, **kw: login_headers(wf_client, username, **kw)


@pytest.fixture(scope="session")
def wf_live_server(wf_app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    import threading
    import time

    import uvicorn

    from tests.e2e.conftest import _free_port

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(wf_app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
