"""Service levels in working hours: deadlines, yellow and red cards, the set-based scan and the
metrics behind the SLA board.

When a step or an instance starts, its yellow instant (default 80% of the SLA) and its due
instant (100%) are computed once with the bank's working calendar, and ``sla_next_at`` holds the
one still to come. ``scan(session, now)`` then issues cards for everything whose ``sla_next_at``
passed with a few INSERT ... SELECT statements over that indexed range (no per-row Python), each
card at most once per object and colour (unique key, ON CONFLICT DO NOTHING), recorded with the
responsible person (the task holder, if claimed) and institution.
Cards stay on the record after the work completes; work finished late before a scan saw it gets
its cards at completion.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, literal, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from zhanye.core.calendar import WorkCalendar, load_calendar
from zhanye.core.context import Principal
from zhanye.workflow import notify
from zhanye.workflow.models import Notification, ProcessInstance, ProcessStep, SlaCard, Task

OPEN_INSTANCE = ("running", "returned")


def calendar(session: Session) -> WorkCalendar:
    """The working calendar, loaded once per session."""
    cal = session.info.get("workflow_calendar")
    if cal is None:
        cal = session.info["workflow_calendar"] = load_calendar(session)
    return cal  # type: ignore[no-any-return]


def deadlines(cal: WorkCalendar, start: dt.datetime, seconds: int | None,
              yellow_share: Decimal) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(yellow_at, due_at) for an SLA of ``seconds`` working seconds starting at ``start``."""
    if not seconds:
        return None, None
    yellow = int((Decimal(seconds) * yellow_share).to_integral_value())
    return cal.add_working_seconds(start, yellow), cal.add_working_seconds(start, seconds)


def next_at(yellow_at: dt.datetime | None, due_at: dt.datetime | None) -> dt.datetime | None:
    """``sla_next_at`` of a step or instance that starts now: its yellow instant."""
    return yellow_at if yellow_at is not None else due_at


def _insert(session: Session) -> Any:
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(SlaCard.__table__)


def _add_card(session: Session, *, color: str, instance_id: int, step_id: int, process_key: str,
              step_key: str | None, staff_id: int | None, institution_id: int, now: dt.datetime) -> None:
    session.execute(_insert(session).values(
        color=color, instance_id=instance_id, step_id=step_id, process_key=process_key, step_key=step_key,
        staff_id=staff_id, institution_id=institution_id, issued_at=now).on_conflict_do_nothing())


def cards_on_completion(session: Session, *, now: dt.datetime, staff_id: int | None,
                        step: ProcessStep | None = None, instance: ProcessInstance | None = None) -> None:
    """Issue the cards that work finished late deserves if no scan issued them yet; the scan no
    longer looks at it (``sla_next_at`` cleared)."""
    obj: Any = step if step is not None else instance
    if obj is None:
        return
    obj.sla_next_at = None
    if obj.yellow_at is None:
        return
    if step is not None:
        inst = session.get(ProcessInstance, step.instance_id)
        assert inst is not None
        key, inst_id, step_id, step_key = inst.process_key, inst.id, step.id, step.step_key
        institution_id = step.institution_id
    else:
        assert instance is not None
        key, inst_id, step_id, step_key = instance.process_key, instance.id, 0, None
        current = session.get(ProcessStep, instance.current_step_id) if instance.current_step_id else None
        institution_id = current.institution_id if current is not None else instance.institution_id
    colors = [c for c, at in (("yellow", obj.yellow_at), ("red", obj.due_at)) if at is not None and now >= at]
    for color in colors:
        _add_card(session, color=color, instance_id=inst_id, step_id=step_id, process_key=key,
                  step_key=step_key, staff_id=staff_id, institution_id=institution_id, now=now)
    if colors:
        obj.card = colors[-1]


# --- the scan -------------------------------------------------------------------------------------

SCAN_LOCK_KEY = 6_220_611  # PostgreSQL advisory lock id: one SLA scan at a time


@dataclass
class ScanResult:
    yellow_steps: int = 0
    red_steps: int = 0
    yellow_instances: int = 0
    red_instances: int = 0
    notifications: int = 0

    @property
    def cards(self) -> int:
        return self.yellow_steps + self.red_steps + self.yellow_instances + self.red_instances


def _open_assignee() -> Any:
    """The holder of an open task. The status test sits inside the aggregate on purpose: the
    correlated subquery then filters on ``step_id`` alone and uses ix_workflow_task_step (SQLite
    otherwise picks the status index and scans every open task per step)."""
    return case((Task.status == "open", Task.assignee_id), else_=None)


_CARD_COLS = ["color", "instance_id", "step_id", "process_key", "step_key", "staff_id", "institution_id",
              "issued_at"]


def _is_open(model: Any) -> Any:
    return model.status.in_(OPEN_INSTANCE) if model is ProcessInstance else model.status == "open"


def _row_test(column: Any) -> Any:
    """``column`` as a value no index can serve (``column || ''``): the scan's status and card
    tests are checks on rows the ``sla_next_at`` range found, never a reason for the planner to
    walk the (status, card) index of every open row instead."""
    return column.concat("")


def _due(model: Any, now: dt.datetime, color: str) -> Any:
    """Open objects whose ``color`` card fell due by ``now``: the range search on ``sla_next_at``
    (the yellow instant while uncarded, the due instant once yellow), then row tests."""
    status = _row_test(model.status)
    is_open = status.in_(OPEN_INSTANCE) if model is ProcessInstance else status == "open"
    crossed = _row_test(model.card) == "none" if color == "yellow" else model.due_at <= now
    return and_(model.sla_next_at <= now, is_open, crossed)


def _step_cards(session: Session, now: dt.datetime, color: str) -> int:
    holder = (select(func.max(_open_assignee())).where(Task.step_id == ProcessStep.id).scalar_subquery())
    src = (select(literal(color), ProcessStep.instance_id,
                  ProcessStep.id, ProcessInstance.process_key, ProcessStep.step_key, holder,
                  ProcessStep.institution_id, literal(now, type_=ProcessStep.started_at.type))
           .join(ProcessInstance, ProcessInstance.id == ProcessStep.instance_id)
           .where(_due(ProcessStep, now, color)))
    return _rowcount(session.execute(_counted(_insert(session).from_select(_CARD_COLS, src).on_conflict_do_nothing())))


def _instance_cards(session: Session, now: dt.datetime, color: str) -> int:
    holder = (select(func.max(_open_assignee()))
              .where(Task.step_id == ProcessInstance.current_step_id).scalar_subquery())
    where = (select(ProcessStep.institution_id).where(ProcessStep.id == ProcessInstance.current_step_id)
             .scalar_subquery())
    src = select(literal(color), ProcessInstance.id, literal(0, type_=ProcessStep.id.type), ProcessInstance.process_key,
                 literal(None, type_=ProcessStep.step_key.type), holder,
                 func.coalesce(where, ProcessInstance.institution_id),
                 literal(now, type_=ProcessStep.started_at.type)).where(_due(ProcessInstance, now, color))
    return _rowcount(session.execute(_counted(_insert(session).from_select(_CARD_COLS, src).on_conflict_do_nothing())))


def _step_notes(session: Session, now: dt.datetime) -> int:
    """One notice per open task of every step that crossed an instant: ``overdue`` past its due
    instant, else ``due_soon``."""
    late = ProcessStep.due_at <= now
    text = case((late, literal("已超时：")), else_=literal("即将超时：")) + ProcessInstance.summary
    notes = (select(Task.assignee_id, case((Task.assignee_id.is_(None), Task.role), else_=None), Task.institution_id,
                    case((late, literal("overdue")), else_=literal("due_soon")), Task.id, Task.instance_id, text,
                    literal(now, type_=ProcessStep.started_at.type))
             .select_from(ProcessStep)
             .join(Task, and_(Task.step_id == ProcessStep.id, _row_test(Task.status) == "open"))
             .join(ProcessInstance, ProcessInstance.id == ProcessStep.instance_id)
             .where(ProcessStep.sla_next_at <= now, _row_test(ProcessStep.status) == "open"))
    return _rowcount(session.execute(_counted(Notification.__table__.insert().from_select(
        ["staff_id", "role", "institution_id", "kind", "task_id", "instance_id", "text", "created_at"], notes))))


def _settle(session: Session, model: Any, now: dt.datetime) -> None:
    """One UPDATE per table over the same range: the card column takes the most severe colour
    crossed and ``sla_next_at`` moves on to the due instant (or to NULL: red, or no longer open)."""
    late, is_open = and_(model.due_at.is_not(None), model.due_at <= now), _is_open(model)
    session.execute(update(model).where(model.sla_next_at <= now).values(
        card=case((~is_open, model.card), (late, "red"), else_="yellow"),
        sla_next_at=case((and_(is_open, ~late), model.due_at), else_=None))
        .execution_options(synchronize_session=False))


def _rowcount(result: Any) -> int:
    return max(0, int(result.rowcount or 0))


def _counted(stmt: Any) -> Any:
    """An INSERT whose rowcount is kept (SQLAlchemy only keeps it for UPDATE and DELETE by default)."""
    return stmt.execution_options(preserve_rowcount=True)


def _one_at_a_time(session: Session) -> None:
    """Scans run one at a time: a transaction-scoped advisory lock on PostgreSQL (SQLite write
    transactions begin IMMEDIATE and are serial already). A second scan waits, then finds nothing
    left to do, so no notice is sent twice."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SCAN_LOCK_KEY})


def _roomy_cache(session: Session) -> int | None:
    """SQLite: a first scan over many rows touches more pages than the default 2 MB cache holds;
    give this connection 256 MB while the scan runs (returns the old setting)."""
    if session.get_bind().dialect.name != "sqlite":
        return None
    old = int(session.execute(text("PRAGMA cache_size")).scalar_one())
    session.execute(text("PRAGMA cache_size=-262144"))
    return old


def scan(session: Session, now: dt.datetime) -> ScanResult:
    """Issue yellow and red cards (steps and instances) and due-soon/overdue notifications for
    everything that crossed its thresholds by ``now``. Set-based (a handful of INSERT ... SELECT
    and one UPDATE per table, each over the range ``sla_next_at <= now``); idempotent: a card is
    issued once per object and colour (unique key), a notice once per crossing."""
    _one_at_a_time(session)
    old_cache = _roomy_cache(session)
    extra = notify.extra_notifiers()
    before_note = (session.execute(select(func.max(Notification.id))).scalar_one() or 0) if extra else 0
    result = ScanResult()
    try:
        for color in ("yellow", "red"):
            setattr(result, f"{color}_steps", _step_cards(session, now, color))
            setattr(result, f"{color}_instances", _instance_cards(session, now, color))
        result.notifications = _step_notes(session, now)
        _settle(session, ProcessStep, now)
        _settle(session, ProcessInstance, now)
    finally:
        if old_cache is not None:
            session.execute(text(f"PRAGMA cache_size={old_cache}"))
    if extra and result.notifications:
        for row in session.execute(select(Notification).where(Notification.id > before_note)).scalars():
            message = notify.Message(kind=row.kind, text=row.text, staff_id=row.staff_id, role=row.role,
                                     institution_id=row.institution_id, task_id=row.task_id,
                                     instance_id=row.instance_id)
            for notifier in extra:
                notifier.send(session, message)
    return result


# --- metrics --------------------------------------------------------------------------------------

def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def _summary(values: list[int], slas: list[int | None]) -> dict[str, Any]:
    ordered = sorted(values)
    p90 = ordered[max(0, min(len(ordered) - 1, round(0.9 * (len(ordered) - 1))))] if ordered else None
    judged = [(v, s) for v, s in zip(values, slas, strict=True) if s]
    return {
        "completed": len(values),
        "median_hours": _hours(statistics.median(ordered)) if ordered else None,
        "p90_hours": _hours(p90),
        "on_time_rate": round(sum(1 for v, s in judged if v <= s) / len(judged), 4) if judged else None,
    }


def metrics(session: Session, actor: Principal, *, process_key: str | None = None,
            since: dt.datetime | None = None) -> dict[str, Any]:
    """Per process and per step: count, median and p90 cycle in working hours, on-time rate,
    cards; cards by institution and person; the slowest steps. Scoped to the actor."""
    from zhanye.org.models import Institution, Staff

    scope = ProcessInstance.institution_id.in_(sorted(actor.scope_ids))
    filters = [scope]
    if process_key:
        filters.append(ProcessInstance.process_key == process_key)
    if since is not None:
        filters.append(ProcessInstance.started_at >= since)
    processes: dict[str, dict[str, Any]] = defaultdict(lambda: {"count": 0, "open": 0, "cycles": [], "slas": [],
                                                                "yellow": 0, "red": 0})
    for key, status, cycle, sla_s, card in session.execute(select(
            ProcessInstance.process_key, ProcessInstance.status, ProcessInstance.cycle_seconds,
            ProcessInstance.sla_seconds, ProcessInstance.card).where(*filters)):
        p = processes[key]
        p["count"] += 1
        if status in OPEN_INSTANCE:
            p["open"] += 1
        elif status in ("approved", "rejected") and cycle is not None:
            p["cycles"].append(cycle)
            p["slas"].append(sla_s)
        if card in ("yellow", "red"):
            p["yellow"] += 1
        if card == "red":
            p["red"] += 1
    steps: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: {"count": 0, "secs": [], "slas": [],
                                                                        "name": ""})
    for key, step_key, name, status, secs, sla_s in session.execute(select(
            ProcessInstance.process_key, ProcessStep.step_key, ProcessStep.name, ProcessStep.status,
            ProcessStep.working_seconds, ProcessStep.sla_seconds)
            .join(ProcessInstance, ProcessInstance.id == ProcessStep.instance_id).where(*filters)):
        s = steps[(key, step_key)]
        s["count"] += 1
        s["name"] = name
        if status in ("approved", "rejected", "returned") and secs is not None:
            s["secs"].append(secs)
            s["slas"].append(sla_s)
    process_rows = [{"process_key": k, "count": v["count"], "open": v["open"], "yellow_cards": v["yellow"],
                     "red_cards": v["red"], **_summary(v["cycles"], v["slas"])} for k, v in sorted(processes.items())]
    step_rows = [{"process_key": k[0], "step_key": k[1], "name": v["name"], "count": v["count"],
                  **_summary(v["secs"], v["slas"])} for k, v in sorted(steps.items())]
    slowest = sorted((r for r in step_rows if r["median_hours"] is not None), key=lambda r: -r["median_hours"])[:10]
    card_scope = SlaCard.instance_id.in_(select(ProcessInstance.id).where(*filters))
    by_inst: dict[int, dict[str, Any]] = {}
    for inst_id, name, color, n in session.execute(
            select(SlaCard.institution_id, Institution.name, SlaCard.color, func.count())
            .join(Institution, Institution.id == SlaCard.institution_id).where(card_scope)
            .group_by(SlaCard.institution_id, Institution.name, SlaCard.color)):
        by_inst.setdefault(inst_id, {"institution_id": inst_id, "name": name, "yellow": 0, "red": 0})[color] = n
    by_person: dict[int, dict[str, Any]] = {}
    for staff_id, name, color, n in session.execute(
            select(SlaCard.staff_id, Staff.display_name, SlaCard.color, func.count())
            .join(Staff, Staff.id == SlaCard.staff_id).where(card_scope)
            .group_by(SlaCard.staff_id, Staff.display_name, SlaCard.color)):
        by_person.setdefault(staff_id, {"staff_id": staff_id, "name": name, "yellow": 0, "red": 0})[color] = n
    return {
        "processes": process_rows, "steps": step_rows, "slowest_steps": slowest,
        "cards_by_institution": sorted(by_inst.values(), key=lambda r: (-r["red"], -r["yellow"])),
        "cards_by_person": sorted(by_person.values(), key=lambda r: (-r["red"], -r["yellow"]))[:50],
    }


def board(session: Session, actor: Principal, *, limit: int = 100) -> list[dict[str, Any]]:
    """Open steps carrying a yellow or red card, reddest and most overdue first (for supervisors)."""
    from zhanye.org.models import Institution, Staff

    holder = (select(func.max(_open_assignee())).where(Task.step_id == ProcessStep.id).scalar_subquery())
    rows = session.execute(
        select(ProcessStep, ProcessInstance, Institution.name, holder)
        .join(ProcessInstance, ProcessInstance.id == ProcessStep.instance_id)
        .join(Institution, Institution.id == ProcessStep.institution_id)
        .where(ProcessStep.status == "open", ProcessStep.card.in_(("yellow", "red")),
               ProcessInstance.institution_id.in_(sorted(actor.scope_ids)))
        .order_by(case((ProcessStep.card == "red", 0), else_=1), ProcessStep.due_at).limit(limit)).all()
    names = {s.id: s.display_name for s in session.execute(
        select(Staff).where(Staff.id.in_([r[3] for r in rows if r[3]]))).scalars()} if rows else {}
    return [{"step_id": step.id, "instance_id": inst.id, "process_key": inst.process_key, "summary": inst.summary,
             "step": step.name, "card": step.card, "due_at": step.due_at, "institution": inst_name,
             "holder": names.get(holder_id) if holder_id else None} for step, inst, inst_name, holder_id in rows]


def cards_of_instance(session: Session, instance_id: int) -> list[SlaCard]:
    return list(session.execute(select(SlaCard).where(SlaCard.instance_id == instance_id)
                                .order_by(SlaCard.id)).scalars())
