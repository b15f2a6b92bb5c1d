"""Domain events inside the transaction, and an outbox for side effects after commit.

``publish(session, event)`` calls every subscribed handler synchronously in the same
transaction (so a feature reacts atomically to another's change without importing its tables);
``enqueue(session, topic, payload)`` stores a message that a deliverer sends after commit.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from zhanye.core import context
from zhanye.core.models import OutboxMessage

Handler = Callable[[Session, dict[str, Any]], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(name: str, handler: Handler) -> None:
    if handler not in _handlers[name]:
        _handlers[name].append(handler)


def publish(session: Session, name: str, payload: dict[str, Any]) -> None:
    for handler in list(_handlers.get(name, ())):
        handler(session, payload)


def enqueue(session: Session, topic: str, payload: dict[str, Any]) -> OutboxMessage:
    msg = OutboxMessage(topic=topic, payload=json.dumps(payload, ensure_ascii=False, default=str),
                        request_id=context.request_id())
    session.add(msg)
    session.flush()
    return msg
