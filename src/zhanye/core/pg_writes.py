"""New ORM instances written through the driver on PostgreSQL, and attached to the session as if
the unit of work had flushed them.

For hot paths only. A flush works out what changed, orders the tables, compiles and processes
each value, and costs a drawdown about half a millisecond of CPU per row; ``insert_instance``
sends one prepared ``INSERT ... RETURNING`` (``core.db.pg_execute``) built once per model, and
then makes the instance persistent with every column loaded, so reading its attributes later
never goes back to the database and the flush at commit finds nothing to do for it.

What the flush would have done and this does too: column defaults (scalars and callables),
``TypeDecorator`` bind processing, server-generated columns (the primary key, server defaults)
read back. What it does not do: mapper events (``before_insert``...), relationships and
cascades, versioning, JSON values: models that use those are not for this path (``_plan`` refuses them).
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import JSON, inspect
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.types import TypeDecorator

from zhanye.core.db import pg_cast_type, pg_execute


@functools.cache
def _plan(cls: type) -> tuple[str, tuple[tuple[str, Any], ...], tuple[str, ...]]:
    """The statement for ``cls``: the INSERT of every column the instance gives (all but the
    autoincrement key), ``RETURNING`` the key and the columns with a server default; the
    attribute and column of each parameter; the attributes of the returned columns."""
    mapper = inspect(cls)
    if mapper.relationships or mapper.version_id_col is not None or len(mapper.tables) != 1:
        raise TypeError(f"{cls.__name__}: relationships, versioning or several tables need the unit of work")
    for ev in ("before_insert", "after_insert"):
        if getattr(mapper.dispatch, ev):
            raise TypeError(f"{cls.__name__}: mapper events ({ev}) need the unit of work")
    table = mapper.local_table
    given, returned = [], []
    for prop in mapper.column_attrs:
        col = prop.columns[0]
        if col.type._type_affinity is JSON:  # noqa: SLF001 - the driver would need the value serialized
            raise TypeError(f"{cls.__name__}.{prop.key}: JSON columns need the unit of work")
        if col.primary_key and col.autoincrement in (True, "auto") and col.default is None:
            returned.append(prop.key)
            continue
        given.append((prop.key, col))
        if col.server_default is not None:
            returned.append(prop.key)
    names = ", ".join(f'"{c.name}"' for _k, c in given)
    values = ", ".join(f"CAST(%({k})s AS {pg_cast_type(c.type)})" for k, c in given)
    ret = ", ".join(f'"{mapper.get_property(k).columns[0].name}"' for k in returned)
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({values}) RETURNING {ret}'  # noqa: S608 - names only
    return sql, tuple(given), tuple(returned)


def _value(obj: Any, key: str, col: Any, dialect: Any) -> Any:
    value = obj.__dict__.get(key)
    if value is None and col.default is not None:
        default = col.default
        if default.is_scalar:
            value = default.arg
        elif default.is_callable:
            value = default.arg(None)  # (SQLAlchemy wraps a callable of no argument to take the context)
        setattr(obj, key, value)
    if value is not None and isinstance(col.type, TypeDecorator):
        value = col.type.process_bind_param(value, dialect)
    return value


def insert_instance(session: Session, obj: Any, *, with_sql: str = "", with_params: dict[str, Any] | None = None
                    ) -> None:
    """INSERT the new (transient) instance ``obj`` in the session's transaction and make it
    persistent in ``session``. ``with_sql`` is an optional ``WITH ...`` clause (data-modifying
    CTEs on the caller's own tables) sent in the same statement, with its ``with_params``; their
    names must not be attribute names of ``obj``'s model."""
    sql, given, returned = _plan(type(obj))
    dialect = session.get_bind().dialect
    params = {key: _value(obj, key, col, dialect) for key, col in given}
    if with_params:
        params |= with_params
    row = pg_execute(session, f"{with_sql}\n{sql}" if with_sql else sql, params)[0]
    mapper = inspect(type(obj))
    for key, value in zip(returned, row, strict=True):
        col = mapper.get_property(key).columns[0]
        if isinstance(col.type, TypeDecorator):
            value = col.type.process_result_value(value, dialect)
        setattr(obj, key, value)
    for key, _col in given:  # every column loaded (a missing one would be read back on access)
        if key not in obj.__dict__:
            setattr(obj, key, None)
    make_transient_to_detached(obj)
    session.add(obj)
