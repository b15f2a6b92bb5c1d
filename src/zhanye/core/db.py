"""Database kernel: declarative base, engines for SQLite and PostgreSQL, the unit of work.

One use case is one transaction, owned by the caller::

    with db.unit_of_work() as session:
        service.do_something(session, ...)

Services receive the session and never commit. On SQLite, write transactions start with
``BEGIN IMMEDIATE`` so writers are serialized up front instead of failing on lock upgrade.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session, SessionTransaction, sessionmaker
from sqlalchemy.types import TypeDecorator

from zhanye.core.async_reads import AsyncReads
from zhanye.core.config import ensure_sqlite_dir
from zhanye.core.sqlite_reads import SqliteReads

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL; INTEGER on SQLite so that the primary key is the rowid (autoincrement).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware (SQLite keeps naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's begin event emit BEGIN itself
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get("zhanye_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif not options.get("zhanye_autocommit"):
            conn.exec_driver_sql("BEGIN")


class Database:
    """Engine plus session factories for one database URL."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if url.startswith("sqlite"):
            ensure_sqlite_dir(url)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            # No pre-ping: it costs a round trip (and a BEGIN) on every checkout. A connection the
            # server dropped fails its statement, SQLAlchemy sees the disconnect and empties the
            # pool; connections are renewed after half an hour anyway.
            kwargs.update(pool_size=pool_size, max_overflow=20, pool_recycle=1800)
            _driver()
        self.engine: Engine = create_engine(url, **kwargs)
        if self.engine.dialect.name == "sqlite":
            _configure_sqlite(self.engine)
        self._write_engine = self.engine.execution_options(zhanye_write=True)
        # Single-statement reads (``read_connection``) run in autocommit: no BEGIN and ROLLBACK
        # around them. On SQLite an option makes the begin listener send no BEGIN. On PostgreSQL
        # an engine and pool of their own, opened in autocommit (an execution option would switch
        # each connection on checkout and back on checkin: a tenth of the CPU of a token look-up),
        # kept small: the token look-up is awaited (``async_reads``), so handlers' single reads and
        # look-ups beyond the async connections come here. A process opens at most
        # pool_size + 20 (main) + 10 (reads) + 8 (async reads) connections.
        self._autocommit_engine = (self.engine.execution_options(zhanye_autocommit=True)
                                   if self.engine.dialect.name == "sqlite"
                                   else create_engine(url, **{**kwargs, "pool_size": 5, "max_overflow": 5},
                                                      isolation_level="AUTOCOMMIT"))
        self.async_reads = None if self.engine.dialect.name == "sqlite" else AsyncReads(url)
        self.sqlite_reads = SqliteReads(url) if self.engine.dialect.name == "sqlite" else None
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self._write_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[Session]:
        """A session inside one transaction: commits on success, rolls back on any exception."""
        factory = self._write if write else self._read
        with factory() as session, session.begin():
            yield session

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A plain connection for one read statement at a time (each sees the latest committed
        data; on PostgreSQL it runs in autocommit, without BEGIN and ROLLBACK). Never write with
        it: use ``unit_of_work``."""
        with self._autocommit_engine.connect() as conn:
            yield conn

    def session(self, *, write: bool = False) -> Session:
        return (self._write if write else self._read)()

    def ping(self) -> bool:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True

    def dispose(self) -> None:
        self.engine.dispose()
        if self._autocommit_engine.pool is not self.engine.pool:
            self._autocommit_engine.dispose()
        if self.async_reads is not None:
            self.async_reads.close()
        if self.sqlite_reads is not None:
            self.sqlite_reads.close()

    @property
    def read_pool(self) -> Any:
        """The pool of ``read_connection`` (caches of what is read per database key on it)."""
        return self._autocommit_engine.pool


_default: Database | None = None


def get_database() -> Database:
    """The process-wide database built from settings (created on first use)."""
    global _default
    if _default is None:
        from zhanye.core.config import get_settings

        settings = get_settings()
        _default = Database(settings.database_url, echo=settings.sql_echo)
    return _default


def set_database(db: Database | None) -> None:
    global _default
    _default = db


def is_postgresql(bind: Session | Connection) -> bool:
    """Whether a session (or connection) works on PostgreSQL (else SQLite)."""
    dialect = bind.get_bind().dialect if isinstance(bind, Session) else bind.dialect
    return dialect.name == "postgresql"


def sync_loaded(session: Session, cls: type, key: Any, values: dict[str, Any]) -> None:
    """Give an instance already in the session's identity map the values a statement outside the
    ORM just wrote (or read under a lock), as committed values."""
    if not session.identity_map:  # (usual: computing the key costs more than the look-up)
        return
    from sqlalchemy.orm.attributes import set_committed_value
    from sqlalchemy.orm.util import identity_key

    inst = session.identity_map.get(identity_key(cls, key))
    if inst is not None:
        for name, value in values.items():
            set_committed_value(inst, name, value)


def lock_for_update(stmt: Any, session: Session) -> Any:
    """Add ``FOR UPDATE`` where the database supports it (SQLite serializes writers instead)."""
    if is_postgresql(session):
        return stmt.with_for_update()
    return stmt


def rolled_back(previous_transaction: SessionTransaction) -> SessionTransaction:
    """What an ``after_soft_rollback`` really rolled back. A failed flush inside a savepoint
    reports only the flush's own sub-transaction, yet the savepoint is gone in the database (the
    ``with begin_nested()`` then closes it without a second event): the nearest savepoint or
    the outermost transaction around the reported one."""
    tx = previous_transaction
    while not tx.nested and tx.parent is not None:
        tx = tx.parent
    return tx


def transaction_within(tx: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    """Whether ``tx`` is ``ancestor`` or nested in it (a savepoint or sub-transaction of it): what
    a rollback of ``ancestor`` takes with it."""
    while tx is not None:
        if tx is ancestor:
            return True
        tx = tx.parent
    return False


def pg_execute(session: Session | Connection, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    """Run one statement through the session's (or connection's) own psycopg connection (same
    transaction), prepared on the server, and return its rows (``[]`` for statements without any).

    For hot paths only (a ledger posting runs three statements, and SQLAlchemy's statement
    handling costs more CPU than the database's work): ``sql`` is a constant with psycopg's
    ``%(name)s`` placeholders, no ORM events run, values are passed as psycopg adapts them.
    Driver errors are raised as SQLAlchemy's (``IntegrityError``...), as ``session.execute`` would."""
    psycopg = _driver()
    from sqlalchemy.exc import DBAPIError

    sa_conn = session.connection() if isinstance(session, Session) else session
    conn = sa_conn.connection.driver_connection
    try:
        cur = conn.execute(sql, _int8(params), prepare=True)
        return cur.fetchall() if cur.rownumber is not None else []  # (description would build Column objects)
    except psycopg.Error as exc:
        # as SQLAlchemy does for its own statements: a dropped connection is invalidated, and with
        # it the pool's other connections of the same age, instead of failing one request each
        lost = isinstance(exc, psycopg.OperationalError) and sa_conn.dialect.is_disconnect(exc, conn, None)
        if lost and not sa_conn.invalidated:
            sa_conn.engine.pool._invalidate(sa_conn.connection, exc)  # noqa: SLF001 - as Connection does
            sa_conn.invalidate(exc)
        raise DBAPIError.instance(sql, params, exc, psycopg.Error, connection_invalidated=lost,
                                  dialect=sa_conn.dialect) from exc


@functools.cache
def _driver() -> Any:
    """psycopg, with its cache of parsed statements open to ours: it parses the placeholders of a
    statement longer than 4 KiB or with more than 50 parameters again on every call, and a
    posting's statement of CTEs is both (a third of the posting's CPU went there), as is a loan's
    insert of its installments. Set up with the first PostgreSQL ``Database``."""
    import psycopg
    from psycopg import _queries

    if hasattr(_queries, "MAX_CACHED_STATEMENT_LENGTH") and hasattr(_queries, "MAX_CACHED_STATEMENT_PARAMS"):
        _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, 64 * 1024)
        _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, 2_000)
    return psycopg


def _int8(params: Any) -> Any:
    """Integers sent as int8 (psycopg picks int2/int4/int8/numeric by size, and prepares a
    statement again for each combination of parameter types it sees); the statements cast."""
    if not isinstance(params, dict):
        return params
    from psycopg.types.numeric import Int8

    out = {}
    for k, v in params.items():
        if type(v) is int:
            v = Int8(v)
        elif type(v) is list and v and type(v[0]) is int:
            v = [Int8(x) for x in v]
        out[k] = v
    return out


def pg_cast_type(type_: Any) -> str:
    """A column type for ``CAST(%(x)s AS ...)`` in a statement's VALUES: strings without their
    length (PostgreSQL cuts a value short on an explicit cast to VARCHAR(n), silently; the
    INSERT's own assignment then checks the length and refuses)."""
    from sqlalchemy import String
    from sqlalchemy.dialects import postgresql

    if isinstance(getattr(type_, "impl_instance", type_), String):
        return "TEXT"
    return str(type_.compile(dialect=postgresql.dialect()))


def pg_sql(statement: Any) -> tuple[str, dict[str, Any]]:
    """A SQLAlchemy Core statement as psycopg SQL text (``%(name)s`` placeholders) for
    ``pg_execute``, with the values of its constant parameters (merge the call's own into them):
    build it once (module level or cached), not per call. No SQLAlchemy value processing runs
    on the parameters or the results (types that need it are not for this path)."""
    from sqlalchemy.dialects.postgresql import psycopg

    compiled = statement.compile(dialect=psycopg.dialect())
    sql = str(compiled)
    if "POSTCOMPILE" in sql or compiled.literal_execute_params:
        raise ValueError("pg_sql: IN lists are expanded per call; use = ANY(...) with an array")
    # constants bound in the statement; parameters without a value are the call's to give
    return sql, {k: v for k, v in compiled.params.items() if v is not None}
