"""Customer and village e2e tests keep their images in one temporary folder for the session."""

from __future__ import annotations

import pytest

from zhanye.integrations.base import registry
from zhanye.integrations.storage import LocalDiskStorage


@pytest.fixture(scope="session", autouse=True)
def _image_storage(tmp_path_factory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.getbasetemp() / "zhanye-storage"  # shared by tests/e2e/customers and villages
    root.mkdir(exist_ok=True)
    registry.set("storage", LocalDiskStorage(root))
    yield
