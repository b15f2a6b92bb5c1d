"""A verified customer of the demo bank logged in to the online channel."""

from __future__ import annotations

import uuid
from typing import Any

from tests.integration.origination.helpers import last_sms_code, principal, verified_customer


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def new_customer(db: Any, **kwargs: Any) -> dict[str, Any]:
    with db.unit_of_work() as s:
        return verified_customer(s, principal(s, "manager1"), **kwargs)


def customer_login(client: Any, cust: dict[str, Any]) -> dict[str, str]:
    """Bearer headers of a fresh online session of ``cust`` (code by SMS, then login)."""
    r = client.post("/api/v1/online/login/code", json={"id_number": cust["id_number"], "mobile": cust["mobile"]})
    assert r.status_code == 202, r.text
    code = last_sms_code(cust["mobile"])
    r = client.post("/api/v1/online/login", json={"id_number": cust["id_number"], "mobile": cust["mobile"],
                                                  "code": code})
    assert r.status_code == 200, r.text
    client.cookies.delete("zhanye_customer")  # API callers use the bearer token; keep the shared client clean
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
