"""``core.pg_writes`` takes only models whose insert it can write as the unit of work would."""

from __future__ import annotations

import pytest

from zhanye.core.pg_writes import _plan


def test_models_it_cannot_write_are_refused() -> None:
    from zhanye.decisions.models import DecisionRecord
    from zhanye.org.models import Staff

    with pytest.raises(TypeError, match="JSON"):
        _plan(DecisionRecord)
    with pytest.raises(TypeError, match="relationships"):
        _plan(Staff)


def test_the_statement_gives_every_column_and_returns_the_generated_ones() -> None:
    from zhanye.lending.origination.models import Drawdown

    sql, given, returned = _plan(Drawdown)
    names = {key for key, _col in given}
    assert returned == ("id",) and "id" not in names
    assert names == {p.key for p in Drawdown.__mapper__.column_attrs} - {"id"}
    assert sql.startswith('INSERT INTO "origination_drawdown"') and sql.endswith('RETURNING "id"')
    assert "CAST(%(created_at)s AS TIMESTAMP WITH TIME ZONE)" in sql and "CAST(%(number)s AS TEXT)" in sql


def test_an_id_taken_beforehand_is_written_and_nothing_is_returned() -> None:
    from zhanye.lending.origination.models import Drawdown

    sql, given, returned = _plan(Drawdown, key_given=True)
    assert "id" in {key for key, _col in given} and returned == () and "RETURNING" not in sql
