"""App hook: the reversal outcome handler must be registered in the web process."""

from __future__ import annotations

from typing import Any


def on_app(app: Any) -> None:
    from zhanye.lending.servicing import repayments  # noqa: F401  (registers the workflow outcome handler)
