"""Contracts: the customers feature's resident-ID rule, the owning institution, and no orphan
PDF when the signing transaction fails."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from stdnum.cn import ric

from tests.conftest import count_rows
from tests.integration.lending.helpers import last_sms_code, make_loan_contract, signature_png, unique_phone
from tests.integration.org.helpers import principal_of
from zhanye.core.errors import ValidationFailed
from zhanye.lending import contracts, products
from zhanye.lending.models import Contract


def _old_region_id() -> str:
    """农安县 (220122, created 1983) on a number of someone born in 1975: the customers feature
    accepts it (IDs carry the code in force at issue), stdnum's birth-place rule does not."""
    body = f"2201221975031{uuid.uuid4().int % 10000:04d}"
    return body + ric.calc_check_digit(body + "0")


def _inst(s, code: str) -> int:  # type: ignore[no-untyped-def]
    return int(s.execute(text("SELECT id FROM org_institution WHERE code = :c"), {"c": code}).scalar_one())


def _line_contract(s, actor, **kw):  # type: ignore[no-untyped-def]
    return contracts.create_line_contract(
        s, actor=actor, party=contracts.PartyData("李秀英", kw.pop("id_number", _old_region_id()), unique_phone()),
        product=products.current_product(s, code="NHXYD"), limit_fen=20_000_000, annual_rate=Decimal("0.0380"),
        months=36, start=dt.date(2026, 3, 1), revolving=True, **kw)


def _pdfs(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def test_an_id_the_customers_feature_accepts_gets_a_contract(demo_db) -> None:  # type: ignore[no-untyped-def]
    from zhanye.customers.validators import validate_resident_id

    number = _old_region_id()
    assert not ric.is_valid(number) and validate_resident_id(number).region_code == "220122"
    actor = principal_of(demo_db, "manager1")
    with demo_db.unit_of_work() as s:
        assert _line_contract(s, actor, id_number=number).status == "pending_signature"
    bad = number[:-1] + ("0" if number[-1] != "0" else "1")
    before = count_rows(demo_db, "lending_contract")
    with pytest.raises(ValidationFailed) as exc, demo_db.unit_of_work() as s:
        _line_contract(s, actor, id_number=bad)
    assert "check digit" in (exc.value.detail_en or "")
    assert count_rows(demo_db, "lending_contract") == before


def test_line_contract_belongs_to_the_given_institution(demo_db) -> None:  # type: ignore[no-untyped-def]
    branch = principal_of(demo_db, "branch1")  # 东城分行 (100) over 柳河支行 (101)
    with demo_db.unit_of_work() as s:
        c = _line_contract(s, branch, institution_id=_inst(s, "101"))
        assert c.institution_id == _inst(s, "101")
        assert _line_contract(s, branch).institution_id == branch.institution_id  # default: the actor's
        cid = c.id
    with demo_db.unit_of_work(write=False) as s:
        assert contracts.get_contract(s, actor=principal_of(demo_db, "manager1"), contract_id=cid).id == cid
    before = count_rows(demo_db, "lending_contract")
    manager = principal_of(demo_db, "manager1")
    with pytest.raises(ValidationFailed), demo_db.unit_of_work() as s:  # 石桥支行 is outside 柳河支行's scope
        _line_contract(s, manager, institution_id=_inst(s, "102") if _inst(s, "102") not in manager.scope_ids
                       else _inst(s, "000"))
    assert count_rows(demo_db, "lending_contract") == before


def test_granted_line_contract_is_the_line_institution(demo_db) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.origination.test_lines_drawdowns import granted_line
    from zhanye.lending.origination.models import CreditLine

    cust = granted_line(demo_db, sign=False)
    with demo_db.unit_of_work(write=False) as s:
        line = s.get(CreditLine, cust["line_id"])
        assert s.get(Contract, line.contract_id).institution_id == line.institution_id


def _ready(db):  # type: ignore[no-untyped-def]
    actor = principal_of(db, "manager1")
    phone = unique_phone()
    with db.unit_of_work() as s:
        cid = make_loan_contract(s, actor, phone=phone).id
        contracts.request_signing_code(s, actor=actor, contract_id=cid)
    return actor, cid, phone


class Boom(Exception):
    pass


def test_a_failed_signing_transaction_leaves_no_pdf(demo_db, contract_storage: Path) -> None:  # type: ignore[no-untyped-def]
    actor, cid, phone = _ready(demo_db)
    files = _pdfs(contract_storage)
    with pytest.raises(Boom), demo_db.unit_of_work() as s:
        res = contracts.sign_contract(s, actor=actor, contract_id=cid, signature_png=signature_png(),
                                      sms_code=last_sms_code(phone))
        assert res.ok and contracts.pdf_file(res.contract).is_file()  # written inside the transaction
        raise Boom  # e.g. the line activation after it fails
    assert _pdfs(contract_storage) == files
    with demo_db.unit_of_work(write=False) as s:
        c = s.get(Contract, cid)
        assert c.status == "pending_signature" and c.pdf_path is None


def test_a_rolled_back_savepoint_removes_its_pdf_and_a_commit_keeps_it(demo_db, contract_storage: Path) -> None:  # type: ignore[no-untyped-def]
    actor, cid, phone = _ready(demo_db)
    files = _pdfs(contract_storage)
    code = last_sms_code(phone)
    with demo_db.unit_of_work() as s:
        with pytest.raises(Boom), s.begin_nested():
            assert contracts.sign_contract(s, actor=actor, contract_id=cid, signature_png=signature_png(),
                                           sms_code=code).ok
            raise Boom
        assert _pdfs(contract_storage) == files
    with demo_db.unit_of_work() as s:
        res = contracts.sign_contract(s, actor=actor, contract_id=cid, signature_png=signature_png(), sms_code=code)
        assert res.ok
    assert len(_pdfs(contract_storage) - files) == 1
    with demo_db.unit_of_work(write=False) as s:
        assert contracts.verify_contract(s, contract_id=cid).ok


def test_a_flush_failure_inside_the_savepoint_removes_its_pdf(demo_db, contract_storage: Path) -> None:  # type: ignore[no-untyped-def]
    """The failed flush reports only its own sub-transaction; the savepoint is gone all the same,
    and the PDF written in it with it."""
    from sqlalchemy.exc import IntegrityError

    from zhanye.core.models import AuditChainHead

    actor, cid, phone = _ready(demo_db)
    files = _pdfs(contract_storage)
    code = last_sms_code(phone)
    with demo_db.unit_of_work() as s:
        with pytest.raises(IntegrityError), s.begin_nested():
            assert contracts.sign_contract(s, actor=actor, contract_id=cid, signature_png=signature_png(),
                                           sms_code=code).ok
            s.add(AuditChainHead(name="main", last_id=0, last_hash="x"))  # duplicate key: the flush fails
            s.flush()
        assert _pdfs(contract_storage) == files
    with demo_db.unit_of_work(write=False) as s:
        assert s.get(Contract, cid).status == "pending_signature"


def test_a_released_savepoint_then_a_rolled_back_transaction_removes_its_pdf(demo_db, contract_storage: Path) -> None:  # type: ignore[no-untyped-def]
    """Releasing the savepoint does not make the PDF committed: the transaction's rollback deletes it."""
    actor, cid, phone = _ready(demo_db)
    files = _pdfs(contract_storage)
    code = last_sms_code(phone)
    with pytest.raises(Boom), demo_db.unit_of_work() as s:
        with s.begin_nested():
            assert contracts.sign_contract(s, actor=actor, contract_id=cid, signature_png=signature_png(),
                                           sms_code=code).ok
        assert len(_pdfs(contract_storage) - files) == 1
        raise Boom
    assert _pdfs(contract_storage) == files
