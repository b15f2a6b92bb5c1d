"""Notifications through a notifier interface. The in-app notifier (a table read by the inbox) is
always on; SMS or WeCom notifiers register with ``register_notifier`` and receive the same calls
in the caller's transaction (a notifier that leaves the process should enqueue to the outbox)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from zhanye.core.context import Principal
from zhanye.core.db import utcnow
from zhanye.workflow.models import Notification


@dataclass(frozen=True)
class Message:
    kind: str  # new | due_soon | overdue | outcome
    text: str
    staff_id: int | None = None  # a person, or
    role: str | None = None  # a role at an institution (a pool)
    institution_id: int | None = None
    task_id: int | None = None
    instance_id: int | None = None


class Notifier(Protocol):
    def send(self, session: Session, message: Message) -> None: ...


class InAppNotifier:
    def send(self, session: Session, message: Message) -> None:
        session.add(Notification(staff_id=message.staff_id, role=message.role,
                                 institution_id=message.institution_id, kind=message.kind,
                                 task_id=message.task_id, instance_id=message.instance_id,
                                 text=message.text[:300]))


_notifiers: list[Notifier] = [InAppNotifier()]


def register_notifier(notifier: Notifier) -> None:
    if notifier not in _notifiers:
        _notifiers.append(notifier)


def extra_notifiers() -> list[Notifier]:
    """Notifiers other than the in-app one (the SLA scan writes in-app rows set-based)."""
    return [n for n in _notifiers if not isinstance(n, InAppNotifier)]


def send(session: Session, message: Message) -> None:
    for notifier in _notifiers:
        notifier.send(session, message)


def _mine(actor: Principal):  # type: ignore[no-untyped-def]
    pool = [(Notification.role == role) & (Notification.institution_id == actor.institution_id)
            for role in sorted(actor.roles)]
    return or_(Notification.staff_id == actor.staff_id, *pool)


def list_notifications(session: Session, actor: Principal, *, unread_only: bool = False,
                       limit: int = 50) -> list[Notification]:
    stmt = select(Notification).where(_mine(actor))
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return list(session.execute(stmt.order_by(Notification.id.desc()).limit(limit)).scalars())


def unread_count(session: Session, actor: Principal) -> int:
    return int(session.execute(select(func.count()).select_from(Notification).where(
        _mine(actor), Notification.read_at.is_(None))).scalar_one())


def mark_read(session: Session, actor: Principal, *, notification_ids: list[int] | None = None) -> int:
    """Mark the actor's notifications read (all of them, or the given ids); returns how many."""
    stmt = update(Notification).where(_mine(actor), Notification.read_at.is_(None))
    if notification_ids is not None:
        stmt = stmt.where(Notification.id.in_(notification_ids))
    return int(session.execute(stmt.values(read_at=utcnow())).rowcount or 0)  # type: ignore[attr-defined]
