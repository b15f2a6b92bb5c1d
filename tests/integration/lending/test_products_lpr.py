"""Loan products (versioned configuration) and LPR maintenance on a real database."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import count_rows
from zhanye.core.errors import Conflict, NotFound, ValidationFailed
from zhanye.core.models import AuditRecord
from zhanye.lending import lpr, products
from zhanye.lending.demo import PRODUCTS
from zhanye.lending.models import LoanProduct
from zhanye.lending.schemas import ProductConfig
from zhanye.org import service as org


def _config(**over: object) -> ProductConfig:
    base = {k: v for k, v in dict(PRODUCTS)["NJD"].items()}
    base.update({"grace_days": 3, "penalty_uplift": Decimal("0.5"), "compound_interest": True})
    base.update(over)
    return ProductConfig.model_validate(base)


def _code() -> str:
    return "T" + uuid.uuid4().hex[:10].upper()


def test_demo_products_are_there(demo_db) -> None:
    with demo_db.unit_of_work(write=False) as s:
        names = {p.code: p.name for p in products.list_products(s)}
        assert {"NHXYD", "NJD", "GHD", "JYKD", "XFD", "FDJS1", "FDJS2"} <= set(names)
        farm = products.current_product(s, code="NHXYD")
        assert farm.revolving and farm.max_amount_fen == 30_000_000 and farm.guarantee_types == "credit"
        first, second = products.current_product(s, code="FDJS1"), products.current_product(s, code="FDJS2")
        assert first.purpose_category == second.purpose_category == "house_mortgage_express"
        assert "mortgage" in first.guarantee_types and first.approval_mode == "always"
        for code in names:
            products.validate_config(products.config_of(products.current_product(s, code=code)))


def test_edit_makes_a_new_version_and_keeps_the_old(demo_db) -> None:
    code = _code()
    with demo_db.unit_of_work() as s:
        actor = org.system_principal(s)
        v1 = products.create_product(s, actor=actor, code=code, config=_config())
        v1_id = v1.id
        v2 = products.edit_product(s, actor=actor, code=code, config=_config(max_amount_fen=80_000_000,
                                                                             spread_max_bp=250),
                                   change_note="提高额度", base_version=1)
        assert v2.version == 2 and v2.id != v1_id
    with demo_db.unit_of_work(write=False) as s:
        old = s.get(LoanProduct, v1_id)
        assert old.version == 1 and old.max_amount_fen == 50_000_000 and old.spread_max_bp == 200
        cur = products.current_product(s, code=code)
        assert cur.version == 2 and cur.max_amount_fen == 80_000_000
        assert [v.version for v in products.product_versions(s, code=code)] == [2, 1]
        actions = s.execute(select(AuditRecord.action).where(AuditRecord.object_type == "loan_product",
                                                             AuditRecord.object_id.in_([str(v1_id), str(cur.id)]))
                            ).scalars().all()
        assert sorted(actions) == ["loan_product.create", "loan_product.new_version"]


def test_stale_edit_and_no_change_are_refused_and_write_nothing(demo_db) -> None:
    code = _code()
    with demo_db.unit_of_work() as s:
        actor = org.system_principal(s)
        products.create_product(s, actor=actor, code=code, config=_config())
        products.edit_product(s, actor=actor, code=code, config=_config(grace_days=5))
    before = count_rows(demo_db, "lending_product")
    with pytest.raises(Conflict), demo_db.unit_of_work() as s:
        products.edit_product(s, actor=org.system_principal(s), code=code, config=_config(grace_days=7),
                              base_version=1)
    with pytest.raises(ValidationFailed), demo_db.unit_of_work() as s:
        products.edit_product(s, actor=org.system_principal(s), code=code, config=_config(grace_days=5))
    with pytest.raises(Conflict), demo_db.unit_of_work() as s:
        products.create_product(s, actor=org.system_principal(s), code=code, config=_config())
    with pytest.raises(NotFound), demo_db.unit_of_work() as s:
        products.edit_product(s, actor=org.system_principal(s), code=_code(), config=_config())
    assert count_rows(demo_db, "lending_product") == before


@pytest.mark.parametrize(("over", "fields"), [
    ({"min_amount_fen": 90_000_000}, {"min_amount_fen"}),
    ({"min_term_months": 48}, {"min_term_months"}),
    ({"lpr_tenor": None}, {"lpr_tenor"}),
    ({"spread_min_bp": 300}, {"spread_min_bp"}),
    ({"rate_type": "fixed"}, {"fixed_rate_min", "lpr_tenor"}),
    ({"penalty_uplift": Decimal("0.8")}, {"penalty_uplift"}),
    ({"allocation_order": ["principal", "principal", "interest", "penalty"]}, {"allocation_order"}),
    ({"repayment_methods": ["bullet"]}, {"repayment_methods"}),  # bullet only up to 12 months
    ({"repayment_day_rule": "fixed_day:31"}, {"repayment_day_rule"}),
    ({"purpose_category": "house_mortgage_express", "guarantee_types": ["credit"]}, {"guarantee_types"}),
    ({"entrusted_threshold_fen": 90_000_000}, {"entrusted_threshold_fen"}),
    ({"prepayment_fee_rule": "percent:0.2"}, {"prepayment_fee_rule"}),
    ({"min_amount_fen": 90_000_000, "penalty_uplift": Decimal("0.1")}, {"min_amount_fen", "penalty_uplift"}),
])
def test_invalid_configurations_name_every_bad_field(demo_db, over: dict, fields: set[str]) -> None:
    before = count_rows(demo_db, "lending_product")
    with pytest.raises(ValidationFailed) as err, demo_db.unit_of_work() as s:
        products.create_product(s, actor=org.system_principal(s), code=_code(), config=_config(**over))
    assert {".".join(map(str, e.loc)) for e in err.value.errors} == fields
    assert all(e.message_zh and e.message_en for e in err.value.errors)
    assert count_rows(demo_db, "lending_product") == before


def test_loan_terms_and_pricing(demo_db) -> None:
    with demo_db.unit_of_work(write=False) as s:
        njd = products.current_product(s, code="NJD")
        products.check_loan_terms(njd, amount_fen=10_000_000, months=12, method="equal_installment",
                                  guarantee="guarantor")
        with pytest.raises(products.ProductTermsRefused) as err:
            products.check_loan_terms(njd, amount_fen=60_000_000, months=48, method="bullet", guarantee="credit")
        assert {e.loc[0] for e in err.value.errors} == {"amount_fen", "months", "method", "guarantee"}
        # 1-year LPR 3.00% from 2025-05-20 plus 80 bp
        assert products.price(s, njd, on_date=dt.date(2026, 1, 5), spread_bp=80) == Decimal("0.0380")
        assert products.price(s, njd, on_date=dt.date(2024, 8, 1), spread_bp=100) == Decimal("0.0435")
        with pytest.raises(products.ProductTermsRefused):
            products.price(s, njd, on_date=dt.date(2026, 1, 5), spread_bp=500)
        xfd = products.current_product(s, code="XFD")
        assert products.price(s, xfd, on_date=dt.date(2026, 1, 5), fixed_rate=Decimal("0.0588")) == Decimal("0.0588")
        with pytest.raises(products.ProductTermsRefused):
            products.price(s, xfd, on_date=dt.date(2026, 1, 5), fixed_rate=Decimal("0.2"))
        fd1 = products.current_product(s, code="FDJS1")  # over-5-year LPR 3.50% + 30 bp
        assert products.price(s, fd1, on_date=dt.date(2026, 1, 5)) == Decimal("0.0380")


def test_lpr_history_in_force(demo_db) -> None:
    with demo_db.unit_of_work(write=False) as s:
        assert lpr.lpr_in_force(s, "1y", dt.date(2024, 7, 21)).rate == Decimal("0.0345")
        assert lpr.lpr_in_force(s, "1y", dt.date(2024, 7, 22)).rate == Decimal("0.0335")
        assert lpr.lpr_in_force(s, "1y", dt.date(2024, 12, 31)).rate == Decimal("0.0310")
        assert lpr.lpr_in_force(s, "5y", dt.date(2024, 3, 1)).rate == Decimal("0.0395")
        assert lpr.lpr_in_force(s, "5y", dt.date(2025, 6, 1)).rate == Decimal("0.0350")
        with pytest.raises(lpr.LprMissing):
            lpr.lpr_in_force(s, "1y", dt.date(2020, 1, 1))


def test_lpr_add_duplicate_and_withdraw(demo_db) -> None:
    day = dt.date(2090 + random.randint(0, 9), random.randint(1, 12), random.randint(1, 28))
    tenor = random.choice(["1y", "5y"])
    with demo_db.unit_of_work() as s:
        row = lpr.add_lpr(s, actor=org.system_principal(s), tenor=tenor, rate=Decimal("0.0299"), effective_date=day)
        row_id = row.id
    with demo_db.unit_of_work(write=False) as s:
        assert lpr.lpr_in_force(s, tenor, day).rate == Decimal("0.0299")
        audits = s.execute(select(func.count()).select_from(AuditRecord).where(
            AuditRecord.action == "lpr.add", AuditRecord.object_id == str(row_id))).scalar_one()
        assert audits == 1
    before = count_rows(demo_db, "lending_lpr")
    with pytest.raises(Conflict), demo_db.unit_of_work() as s:
        lpr.add_lpr(s, actor=org.system_principal(s), tenor=tenor, rate=Decimal("0.03"), effective_date=day)
    with pytest.raises(ValidationFailed), demo_db.unit_of_work() as s:
        lpr.add_lpr(s, actor=org.system_principal(s), tenor=tenor, rate=Decimal("0.5"), effective_date=day)
    with pytest.raises(Conflict), demo_db.unit_of_work() as s:  # in force already: not withdrawable
        lpr.withdraw_lpr(s, actor=org.system_principal(s), lpr_id=row_id, today=day)
    assert count_rows(demo_db, "lending_lpr") == before
    with demo_db.unit_of_work() as s:
        lpr.withdraw_lpr(s, actor=org.system_principal(s), lpr_id=row_id, today=day - dt.timedelta(days=1))
    assert count_rows(demo_db, "lending_lpr") == before - 1


def test_a_concurrent_duplicate_insert_is_a_conflict_and_the_transaction_survives(demo_db) -> None:
    """What a race on (code, version) ends in: the unique index refuses the row inside a savepoint,
    the service answers 409, and the caller's transaction is still usable."""
    code = _code()
    with demo_db.unit_of_work() as s:
        actor = org.system_principal(s)
        v1 = products.create_product(s, actor=actor, code=code, config=_config())
        twin = LoanProduct(**{c.key: getattr(v1, c.key) for c in LoanProduct.__table__.columns if c.key != "id"})
        with pytest.raises(Conflict):
            products._insert(s, twin)
        assert products.current_product(s, code=code).id == v1.id  # the session still works
    with demo_db.unit_of_work(write=False) as s:
        assert len(products.product_versions(s, code=code)) == 1
