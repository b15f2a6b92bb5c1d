"""The one shared ``ZenEngine`` and its content cache.

zen-engine calls the loader on every evaluation, so the loader only looks up an in-memory map of
already compiled ``ZenDecisionContent``. Keys are ``v<version id>`` for a version (immutable once
submitted, so never stale) and a decision key such as ``loan.rating`` for a sub-decision node,
which serves that decision's active head-office version. ``invalidate()`` drops the mapping of
active versions and sub-decision aliases; it runs on every activation, rollback and retirement,
and the service also re-checks the activation sequence in the database every few seconds so that
other worker processes notice a change.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import zen

from zhanye.decisions.errors import EvaluationFailed

_lock = threading.RLock()
_contents: dict[str, zen.ZenDecisionContent] = {}
_graphs: dict[str, dict[str, Any]] = {}


def _loader(key: str) -> zen.ZenDecisionContent:
    content = _contents.get(key)
    if content is None:
        raise KeyError(f"decision content {key!r} is not loaded")
    return content


ENGINE = zen.ZenEngine({"loader": _loader})


def version_key(version_id: int) -> str:
    return f"v{version_id}"


def is_loaded(key: str) -> bool:
    return key in _contents


def put(key: str, text: str, graph: dict[str, Any] | None = None) -> None:
    content = zen.ZenDecisionContent(text)
    with _lock:
        _contents[key] = content
        _graphs[key] = graph if graph is not None else json.loads(text)


def graph(key: str) -> dict[str, Any]:
    return _graphs[key]


def invalidate() -> None:
    """Forget sub-decision aliases (decision keys); version contents stay (they are immutable)."""
    with _lock:
        for key in [k for k in _contents if not k.startswith("v") or "." in k]:
            _contents.pop(key, None)
            _graphs.pop(key, None)
    from zhanye.decisions import resolve

    resolve.clear()


def _error_text(exc: Exception) -> tuple[str, str | None]:
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    try:
        data = json.loads(first)
        return str(data.get("source") or data.get("type")), data.get("nodeId")
    except ValueError:
        return first[:300], None


def evaluate(key: str, context: dict[str, Any], *, trace: bool = False) -> dict[str, Any]:
    """Evaluate through the shared engine; returns zen's response (result, trace, performance)."""
    try:
        return ENGINE.evaluate(key, context, {"trace": True} if trace else None)
    except RuntimeError as exc:
        text, node = _error_text(exc)
        raise EvaluationFailed(f"决策执行失败: {text}", f"The decision failed: {text}",
                               node_id=node) from None


def evaluate_many(key: str, contexts: list[dict[str, Any]]) -> list[dict[str, Any] | str]:
    """Evaluate many inputs on one version: each item is the result or an error text."""
    out: list[dict[str, Any] | str] = []
    ev = ENGINE.evaluate
    for ctx in contexts:
        try:
            out.append(ev(key, ctx)["result"])
        except RuntimeError as exc:
            out.append("error: " + _error_text(exc)[0])
    return out


def now() -> float:
    return time.monotonic()


def forget(key: str) -> None:
    """Drop one compiled content (a draft whose graph was edited)."""
    with _lock:
        _contents.pop(key, None)
        _graphs.pop(key, None)


def forget_all() -> None:
    with _lock:
        _contents.clear()
        _graphs.clear()
