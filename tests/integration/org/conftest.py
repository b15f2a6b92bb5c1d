import uuid

import pytest

from zhanye.org import service


@pytest.fixture()
def system(demo_db):  # type: ignore[no-untyped-def]
    with demo_db.unit_of_work(write=False) as s:
        return service.system_principal(s)


@pytest.fixture()
def uniq() -> str:
    return uuid.uuid4().hex[:6]
