"""App hook: make sure the workflow outcome handler and event subscriptions are registered."""

from __future__ import annotations

from typing import Any


def on_app(app: Any) -> None:
    from zhanye.lending.origination import service

    service.register()
