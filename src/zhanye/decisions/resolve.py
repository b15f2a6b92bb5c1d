"""Hot-path lookups cached in process: a decision's compiled schemas, the active version (and the
challenger route) for a (decision, institution), the ancestor chain of an institution.

The cache is cleared by ``engine.invalidate()`` on activation, rollback, retirement and route
changes; every few seconds ``refresh_if_stale`` compares a generation number kept in the
database so other worker processes see a change too.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhanye.core.db import lock_for_update
from zhanye.core.models import KernelSetting
from zhanye.decisions import engine
from zhanye.decisions.errors import DecisionNotFound, NoActiveVersion
from zhanye.decisions.models import Decision, DecisionActivation, DecisionRoute, DecisionVersion

GENERATION_KEY = "decisions_generation"
REFRESH_SECONDS = 5.0

_lock = threading.RLock()
_meta: dict[str, DecisionMeta] = {}
_active: dict[tuple[int, int], ActiveChoice] = {}
_chains: dict[int, tuple[int, ...]] = {}
_missing: set[str] = set()  # keys found to name no decision (until the next invalidation)
_state: dict[str, Any] = {"checked": 0.0, "generation": None, "head_office": None, "db": None}


@dataclass(frozen=True)
class DecisionMeta:
    id: int
    key: str
    input_validator: Any
    output_validator: Any
    branch_override: bool
    input_ok: Any = None  # compiled fast check (fastschema), or None
    output_ok: Any = None


@dataclass(frozen=True)
class ActiveChoice:
    scope_id: int  # the institution whose activation applies
    version_id: int
    version_number: int
    route: RouteInfo | None


@dataclass(frozen=True)
class RouteInfo:
    version_id: int
    version_number: int
    mode: str
    percent: int
    sticky_field: str


def clear() -> None:
    with _lock:
        _meta.clear()
        _active.clear()
        _missing.clear()


def same_database(session: Session) -> None:
    """Caches hold ids of one database; a process that talks to another (tests, benchmarks) starts
    afresh when the connection pool changes."""
    token = id(session.get_bind().pool)
    if token != _state["db"]:
        with _lock:
            engine.forget_all()
            _meta.clear()
            _active.clear()
            _chains.clear()
            _missing.clear()
            _state.update(db=token, head_office=None, generation=None, checked=0.0)


def bump_generation(session: Session) -> None:
    """Tell every process that decisions changed (the row is locked: two changes at once both count)."""
    row = session.execute(lock_for_update(select(KernelSetting).where(KernelSetting.key == GENERATION_KEY), session)
                          .execution_options(populate_existing=True)).scalar_one_or_none()
    if row is None:
        session.add(KernelSetting(key=GENERATION_KEY, value="1"))
    else:
        row.value = str(int(row.value or "0") + 1)


def refresh_if_stale(session: Session) -> None:
    same_database(session)
    now = time.monotonic()
    if now - _state["checked"] < REFRESH_SECONDS:
        return
    row = session.get(KernelSetting, GENERATION_KEY)
    generation = row.value if row is not None else "0"
    if _state["generation"] is not None and generation != _state["generation"]:
        engine.invalidate()
    _state["generation"] = generation
    _state["checked"] = now


def exists(session: Session, key: str) -> bool:
    """Whether a decision has this key, from the cache. A decision is never deleted; a key found
    missing is remembered until the next invalidation, which ``create_decision`` triggers here at
    once and, through the generation, in other processes within ``REFRESH_SECONDS``."""
    refresh_if_stale(session)
    if key in _meta:
        return True
    if key in _missing:
        return False
    try:
        meta(session, key)
    except DecisionNotFound:
        with _lock:
            _missing.add(key)
        return False
    return True


def forget_missing(key: str) -> None:
    with _lock:
        _missing.discard(key)


def meta(session: Session, key: str) -> DecisionMeta:
    same_database(session)
    found = _meta.get(key)
    if found is not None:
        return found
    dec = session.execute(select(Decision).where(Decision.key == key)).scalar_one_or_none()
    if dec is None:
        raise DecisionNotFound(f"决策 {key} 不存在", f"The decision {key} does not exist")
    from zhanye.decisions.fastschema import compile_schema

    found = DecisionMeta(dec.id, dec.key, Draft202012Validator(dec.input_schema),
                         Draft202012Validator(dec.output_schema), dec.branch_override,
                         compile_schema(dec.input_schema), compile_schema(dec.output_schema))
    with _lock:
        _meta[key] = found
    return found


def head_office_id(session: Session) -> int:
    if _state["head_office"] is None:
        from zhanye.org import service as org_service

        head = org_service.head_office(session)
        if head is None:
            raise NoActiveVersion("没有总行机构", "There is no head office")
        _state["head_office"] = head.id
    return int(_state["head_office"])


def chain(session: Session, institution_id: int) -> tuple[int, ...]:
    """The institution and its ancestors, nearest first."""
    found = _chains.get(institution_id)
    if found is None:
        from zhanye.org.models import Institution

        path = session.execute(select(Institution.path).where(Institution.id == institution_id)).scalar_one_or_none()
        if path is None:
            raise DecisionNotFound("机构不存在", "The institution does not exist")
        found = tuple(int(p) for p in reversed(path.strip("/").split("/")) if p)
        if institution_id not in found:
            found = (institution_id, *found)
        _chains[institution_id] = found
    return found


def _open_activation(session: Session, decision_id: int, scope_id: int) -> DecisionActivation | None:
    return session.execute(select(DecisionActivation).where(
        DecisionActivation.decision_id == decision_id, DecisionActivation.institution_id == scope_id,
        DecisionActivation.ended_at.is_(None))).scalars().first()


def active(session: Session, m: DecisionMeta, institution_id: int | None) -> ActiveChoice:
    inst = institution_id or head_office_id(session)
    cached = _active.get((m.id, inst))
    if cached is not None:
        return cached
    scopes = chain(session, inst) if m.branch_override else (head_office_id(session),)
    for scope_id in scopes:
        act = _open_activation(session, m.id, scope_id)
        if act is None:
            continue
        number = session.execute(select(DecisionVersion.number).where(
            DecisionVersion.id == act.version_id)).scalar_one()
        ensure_loaded(session, act.version_id)
        route = None
        r = session.execute(select(DecisionRoute).where(
            DecisionRoute.decision_id == m.id, DecisionRoute.institution_id == scope_id,
            DecisionRoute.enabled.is_(True))).scalar_one_or_none()
        if r is not None:
            rnum = session.execute(select(DecisionVersion.number).where(
                DecisionVersion.id == r.challenger_version_id)).scalar_one()
            ensure_loaded(session, r.challenger_version_id)
            route = RouteInfo(r.challenger_version_id, rnum, r.mode, r.percent, r.sticky_field)
        choice = ActiveChoice(scope_id, act.version_id, number, route)
        with _lock:
            _active[(m.id, inst)] = choice
        return choice
    raise NoActiveVersion(f"决策 {m.key} 没有生效版本", f"The decision {m.key} has no active version")


def ensure_loaded(session: Session, version_id: int, _depth: int = 0) -> str:
    """Compile a version (and the active versions of its sub-decisions) into the engine cache."""
    same_database(session)
    key = engine.version_key(version_id)
    if not engine.is_loaded(key):
        text = session.execute(select(DecisionVersion.content).where(
            DecisionVersion.id == version_id)).scalar_one_or_none()
        if text is None:
            raise DecisionNotFound("决策版本不存在", "The decision version does not exist")
        engine.put(key, text)
    if _depth < 5:
        from zhanye.decisions.jdm import sub_decision_keys

        for sub in sub_decision_keys(engine.graph(key)):
            if not engine.is_loaded(sub):
                sub_meta = meta(session, sub)
                choice = active(session, sub_meta, None)
                sub_key = ensure_loaded(session, choice.version_id, _depth + 1)
                engine.put(sub, _version_text(session, choice.version_id), engine.graph(sub_key))
    return key


def _version_text(session: Session, version_id: int) -> str:
    return session.execute(select(DecisionVersion.content).where(DecisionVersion.id == version_id)).scalar_one()
