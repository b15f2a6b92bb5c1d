"""End-of-day steps, set-based over all loans (registered in ``batch_steps.py``).

Every step is resumable and runs exactly once per business date: each chunk of loan ids is one
transaction that carries its own done-mark (``accrued_day``, ``penalty_day``, a status, or the
step cursor) together with its effect and its ledger posting (one aggregated entry per
institution per chunk, external id ``servicing:<step>:<date>:<institution>:<chunk>``), so a
killed run resumes where it stopped and nothing is done twice.

Interest arithmetic in SQL is integer and matches ``service.day_interest`` exactly:
``round_half_up(base × rate_e8 × days / (360 × 10^8)) = (2·base·rate_e8·days + D) // (2·D)``
with D = 360 × 10^8 (principal ≤ 10^10 fen keeps every product inside BIGINT).

* auto-debit (310): loans with something due take it from the e-account (partial if short), in
  allocation order; the allocation itself is the same Python function as the counter repayment,
  applied to a whole chunk at once with one ledger entry per institution.
* accrual (320): the day's interest on principal not yet due (actual/360); on the last day of a
  period the accrual is the rest of the scheduled interest, so a period accrues exactly what the
  schedule says, and the period rolls over (its interest falls due the next day). Non-performing
  loans (次级 and worse) accrue into interest in suspense instead of income (``accounting``).
* overdue (330): DPD per loan from the oldest unpaid due date and the grace days.
* penalty (340): penalty interest on overdue principal at the penalty rate, compound interest on
  overdue interest if the product says so, per installment.
* classification (350): five-level classification by DPD, history, GL reclassification; a move
  into non-performing also takes the receivables already in income back into suspense. Manual
  changes: ``classification.change_classification``.
* overdue inspection tasks (360), collection cases (370), late post-loan inspections (380).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import defaultdict
from typing import Any

from sqlalchemy import and_, bindparam, case, func, insert, literal, select, text, update
from sqlalchemy.orm import Session

from zhanye.batch.service import Progress, StepContext
from zhanye.core import audit
from zhanye.core.context import SYSTEM, Principal
from zhanye.core.db import lock_for_update
from zhanye.core.models import KernelSetting
from zhanye.ledger import service as ledger
from zhanye.lending.servicing import accounting
from zhanye.lending.servicing.allocation import Due, allocate, parse_order
from zhanye.lending.servicing.models import (
    Allocation,
    ClassificationChange,
    Installment,
    Loan,
    LoanTxn,
    OverdueInspection,
    Repayment,
)

RATE_DEN = 360 * 10**8
CHUNK = int(os.environ.get("ZHANYE_SERVICING_EOD_CHUNK", "20000"))  # loan ids per transaction
DEBIT_CHUNK = 2_000
PENALTY_CHUNK = 5_000
TASK_CHUNK = 200
THRESHOLDS_KEY = "servicing.classification_thresholds"
DEFAULT_THRESHOLDS = (0, 90, 270, 360)  # 正常 0, 关注 1-90, 次级 91-270, 可疑 271-360, 损失 >360

L = Loan.__table__
I = Installment.__table__  # noqa: E741
T = LoanTxn.__table__


def interest_sql(base: Any, rate: Any, days: Any) -> Any:
    """round_half_up(base × rate × days / 360 / 10^8) in integer SQL."""
    return (base * rate * days * 2 + RATE_DEN) // (2 * RATE_DEN)


def _id_bounds(ctx: StepContext, where: list[Any]) -> tuple[int, int]:
    with ctx.unit() as s:
        total, max_id = s.execute(select(func.count(), func.max(L.c.id)).where(*where)).one()
    ctx.total(int(total or 0))
    return int(total or 0), int(max_id or 0)


def _post_per_institution(s: Session, ctx: StepContext, amounts: dict[int, dict[str, int]], *, step: str,
                          chunk: int, description: str) -> dict[int, int]:
    """``amounts[inst][pool purpose or 'gl:<code>']`` signed debits, balanced per institution."""
    pools = accounting.pools_for(s, set(amounts))
    posted: dict[int, int] = {}
    for inst, parts in sorted(amounts.items()):
        legs: list[ledger.Leg] = []
        for key, amt in parts.items():
            if amt == 0:
                continue
            if key.startswith("gl:"):
                target = {"gl": key[3:]}
            elif key.startswith("acc:"):
                target = {"account_id": int(key[4:])}
            else:
                target = {"account_id": pools[inst][key]}
            legs.append(ledger.debit(amt, **target) if amt > 0 else ledger.credit(-amt, **target))  # type: ignore[arg-type]
        if len(legs) < 2:
            continue
        entry = ledger.post_entry(s, actor=ctx.actor, institution_id=inst, lines=legs,
                                  source_type=f"loan.eod.{step}", source_id=f"{ctx.business_date}:{chunk}",
                                  description=f"{description} {ctx.business_date}", business_date=ctx.business_date,
                                  external_id=f"servicing:{step}:{ctx.business_date}:{inst}:{chunk}")
        posted[inst] = entry.id
    return posted


def _income_or_suspense(cls: int, income_gl: str) -> str:
    """Where a day's interest of a loan of this class is credited: income, or interest in
    suspense for a non-performing loan (non-accrual, see ``accounting``)."""
    return accounting.SUSPENSE_GL if accounting.nonperforming(int(cls)) else income_gl


# --- accrual ---------------------------------------------------------------------------------------

def accrual(ctx: StepContext) -> int:
    d = ctx.business_date.toordinal()
    base = [L.c.status == "active", L.c.accrued_day < d, L.c.period_due_day.is_not(None)]
    total, max_id = _id_bounds(ctx, base)
    if not total:
        return 0
    days = literal(d) - L.c.accrued_day
    is_end = L.c.period_due_day <= d + 1
    amount = case((is_end, L.c.period_interest_fen - L.c.accrued_interest_fen),
                  else_=interest_sql(L.c.accrual_base_fen, L.c.rate_e8, days))
    while True:
        with ctx.unit() as s:
            start = int(ctx.get_cursor(s) or 0)
            if start >= max_id:
                break
            end = start + CHUNK
            where = [*base, L.c.id > start, L.c.id <= end]
            s.execute(insert(T).from_select(
                ["loan_id", "institution_id", "business_date", "kind", "principal_fen", "interest_fen", "penalty_fen",
                 "compound_fen", "principal_after_fen", "interest_after_fen", "penalty_after_fen",
                 "compound_after_fen", "memo"],
                select(L.c.id, L.c.institution_id, literal(ctx.business_date, T.c.business_date.type),
                       literal("accrual"), literal(0), amount, literal(0), literal(0), L.c.outstanding_principal_fen,
                       L.c.interest_receivable_fen + amount, L.c.penalty_receivable_fen, L.c.compound_receivable_fen,
                       literal("计提利息")).where(*where)))
            sums = s.execute(select(T.c.institution_id, L.c.cls, func.sum(T.c.interest_fen))
                             .join(L, L.c.id == T.c.loan_id).where(
                T.c.business_date == ctx.business_date, T.c.kind == "accrual", T.c.loan_id > start,
                T.c.loan_id <= end).group_by(T.c.institution_id, L.c.cls)).all()
            cur = select(I.c.principal_fen).where(I.c.loan_id == L.c.id, I.c.number == L.c.period_no,
                                                  I.c.superseded.is_(False)).scalar_subquery()
            nxt_day = select(I.c.due_day).where(I.c.loan_id == L.c.id, I.c.number == L.c.period_no + 1,
                                                I.c.superseded.is_(False)).scalar_subquery()
            nxt_int = select(I.c.interest_fen).where(I.c.loan_id == L.c.id, I.c.number == L.c.period_no + 1,
                                                     I.c.superseded.is_(False)).scalar_subquery()
            # Period ends: the scheduled interest is now fully accrued and falls due; roll over.
            ended = s.execute(update(L).where(*where, is_end).values(
                interest_receivable_fen=L.c.interest_receivable_fen + amount, accrued_interest_fen=0,
                accrued_day=d, accrual_base_fen=L.c.accrual_base_fen - func.coalesce(cur, 0),
                period_no=L.c.period_no + 1, period_due_day=nxt_day,
                period_interest_fen=func.coalesce(nxt_int, 0)))
            res = s.execute(update(L).where(*where).values(
                interest_receivable_fen=L.c.interest_receivable_fen + amount,
                accrued_interest_fen=L.c.accrued_interest_fen + amount, accrued_day=d))
            amounts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            for inst, cls, v in sums:  # non-performing loans accrue into suspense, not income
                amounts[inst]["interest"] += int(v)
                amounts[inst][f"gl:{_income_or_suspense(cls, accounting.INTEREST_INCOME_GL)}"] -= int(v)
            _post_per_institution(s, ctx, {i: dict(a) for i, a in amounts.items()}, step="accrual", chunk=end,
                                  description="贷款利息计提")
            ctx.set_cursor(s, str(end))
            n = int(ended.rowcount or 0) + int(res.rowcount or 0)
        ctx.advance(n)
    return ctx.rows


# --- overdue and DPD -------------------------------------------------------------------------------

def overdue(session: Session, business_date: dt.date, progress: Progress) -> int:
    """DPD = days since the oldest unpaid due date once past the grace days, else 0."""
    d = business_date.toordinal()
    late = and_(L.c.oldest_unpaid_day.is_not(None), L.c.oldest_unpaid_day + L.c.grace_days < d)
    new_dpd = case((late, literal(d) - L.c.oldest_unpaid_day), else_=0)
    became = session.execute(update(L).where(L.c.status == "active", L.c.dpd == 0, late).values(
        dpd=new_dpd, overdue_start_day=d)).rowcount
    moved = session.execute(update(L).where(L.c.status == "active", L.c.dpd != new_dpd).values(
        dpd=new_dpd, overdue_start_day=case((late, L.c.overdue_start_day), else_=None))).rowcount
    audit.record(session, action="eod.loan.overdue", object_type="business_date", object_id=str(business_date),
                 changes={"newly_overdue": int(became or 0), "changed": int(moved or 0)})
    progress(int(became or 0) + int(moved or 0), None)
    return int(became or 0) + int(moved or 0)


# --- penalty and compound interest -----------------------------------------------------------------

def penalty(ctx: StepContext) -> int:
    """Chunks are the next PENALTY_CHUNK overdue loan ids after the cursor (overdue loans are
    sparse: this keeps every statement on the loan-id index)."""
    d = ctx.business_date.toordinal()
    base = [L.c.status == "active", L.c.dpd > 0, L.c.penalty_day < d]
    total, _ = _id_bounds(ctx, base)
    if not total:
        return 0
    days = literal(d) - I.c.penalty_day
    pen = interest_sql(I.c.principal_fen - I.c.principal_paid_fen, I.c.penalty_rate_e8, days)
    comp = case((I.c.compound.is_(True), interest_sql(I.c.interest_fen - I.c.interest_paid_fen, I.c.penalty_rate_e8,
                                                      days)), else_=0)
    while True:
        with ctx.unit() as s:
            start = int(ctx.get_cursor(s) or 0)
            ids = list(s.execute(select(L.c.id).where(*base, L.c.id > start).order_by(L.c.id)
                                 .limit(PENALTY_CHUNK)).scalars())
            if not ids:
                break
            end = ids[-1]
            s.execute(update(I).where(I.c.loan_id.in_(ids), I.c.settled.is_(False), I.c.superseded.is_(False),
                                      I.c.penalty_day < d).values(
                today_penalty_fen=pen, today_compound_fen=comp, penalty_fen=I.c.penalty_fen + pen,
                compound_fen=I.c.compound_fen + comp, penalty_day=d))
            today = (select(I.c.loan_id, func.sum(I.c.today_penalty_fen).label("p"),
                            func.sum(I.c.today_compound_fen).label("c"))
                     .where(I.c.loan_id.in_(ids), I.c.penalty_day == d).group_by(I.c.loan_id)
                     .subquery())
            s.execute(insert(T).from_select(
                ["loan_id", "institution_id", "business_date", "kind", "principal_fen", "interest_fen", "penalty_fen",
                 "compound_fen", "principal_after_fen", "interest_after_fen", "penalty_after_fen",
                 "compound_after_fen", "memo"],
                select(L.c.id, L.c.institution_id, literal(ctx.business_date, T.c.business_date.type),
                       literal("penalty"), literal(0), literal(0), today.c.p, today.c.c,
                       L.c.outstanding_principal_fen, L.c.interest_receivable_fen,
                       L.c.penalty_receivable_fen + today.c.p, L.c.compound_receivable_fen + today.c.c,
                       literal("罚息复利")).join(today, today.c.loan_id == L.c.id)
                .where(*base, L.c.id.in_(ids))))
            p_sum = select(func.coalesce(func.sum(I.c.today_penalty_fen), 0)).where(
                I.c.loan_id == L.c.id, I.c.penalty_day == d).scalar_subquery()
            c_sum = select(func.coalesce(func.sum(I.c.today_compound_fen), 0)).where(
                I.c.loan_id == L.c.id, I.c.penalty_day == d).scalar_subquery()
            res = s.execute(update(L).where(*base, L.c.id.in_(ids)).values(
                penalty_receivable_fen=L.c.penalty_receivable_fen + p_sum,
                compound_receivable_fen=L.c.compound_receivable_fen + c_sum, penalty_day=d))
            sums = s.execute(select(T.c.institution_id, L.c.cls, func.sum(T.c.penalty_fen), func.sum(T.c.compound_fen))
                             .join(L, L.c.id == T.c.loan_id).where(
                T.c.business_date == ctx.business_date, T.c.kind == "penalty", T.c.loan_id > start,
                T.c.loan_id <= end).group_by(T.c.institution_id, L.c.cls)).all()
            amounts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            for inst, cls, p, c in sums:
                a = amounts[inst]
                a["penalty"] += int(p)
                a["compound"] += int(c)
                a[f"gl:{_income_or_suspense(cls, accounting.PENALTY_INCOME_GL)}"] -= int(p) + int(c)
            _post_per_institution(s, ctx, {i: dict(a) for i, a in amounts.items()}, step="penalty", chunk=end,
                                  description="罚息复利计提")
            ctx.set_cursor(s, str(end))
        ctx.advance(int(res.rowcount or 0))
    return ctx.rows


# --- classification --------------------------------------------------------------------------------

def thresholds(session: Session) -> tuple[int, int, int, int]:
    rec = session.get(KernelSetting, THRESHOLDS_KEY)
    if rec is None:
        return DEFAULT_THRESHOLDS
    vals = tuple(int(x) for x in rec.value.split(","))
    if len(vals) != 4 or list(vals) != sorted(vals):
        return DEFAULT_THRESHOLDS
    return vals  # type: ignore[return-value]


def class_by_dpd(dpd: int, t: tuple[int, int, int, int] = DEFAULT_THRESHOLDS) -> int:
    for rank, limit in enumerate(t):
        if dpd <= limit:
            return rank
    return 4


def target_class(cls: int, floor: int, dpd: int, t: tuple[int, int, int, int] = DEFAULT_THRESHOLDS) -> int:
    """The rules: the DPD class, never better than the manual floor; a non-performing loan
    (次级 and worse) is never upgraded automatically."""
    want = max(class_by_dpd(dpd, t), floor)
    if cls >= 2 and want < cls:
        return cls
    return want


def classification(session: Session, business_date: dt.date, progress: Progress) -> int:
    t = thresholds(session)
    by_dpd = case((L.c.dpd <= t[0], 0), (L.c.dpd <= t[1], 1), (L.c.dpd <= t[2], 2), (L.c.dpd <= t[3], 3), else_=4)
    want = case((L.c.cls_floor > by_dpd, L.c.cls_floor), else_=by_dpd)
    new = case((and_(L.c.cls >= 2, want < L.c.cls), L.c.cls), else_=want)
    where = [L.c.status == "active", new != L.c.cls]
    H = ClassificationChange.__table__
    session.execute(insert(H).from_select(
        ["loan_id", "institution_id", "business_date", "from_cls", "to_cls", "dpd", "principal_fen", "source", "note"],
        select(L.c.id, L.c.institution_id, literal(business_date, H.c.business_date.type), L.c.cls, new, L.c.dpd,
               L.c.outstanding_principal_fen, literal("eod"), literal("")).where(*where)))
    moves = session.execute(select(H.c.institution_id, H.c.from_cls, H.c.to_cls, func.sum(H.c.principal_fen),
                                   func.sum(L.c.interest_receivable_fen), func.sum(L.c.penalty_receivable_fen),
                                   func.sum(L.c.compound_receivable_fen)).join(L, L.c.id == H.c.loan_id)
                            .where(H.c.business_date == business_date, H.c.source == "eod")
                            .group_by(H.c.institution_id, H.c.from_cls, H.c.to_cls)).all()
    session.execute(update(L).where(*where).values(cls=new, cls_day=business_date.toordinal()))
    n = int(session.execute(select(func.count()).select_from(H).where(
        H.c.business_date == business_date, H.c.source == "eod")).scalar_one())
    pools = accounting.pools_for(session, {m[0] for m in moves})
    for inst, frm, to, amt, ri, rp, rc in moves:
        legs = accounting.signed_pair(int(amt or 0), debit_account=pools[inst][f"principal:{to}"],
                                      credit_account=pools[inst][f"principal:{frm}"])
        if accounting.nonperforming(frm) != accounting.nonperforming(to):  # receivables: income <-> suspense
            legs += accounting.suspense_legs({"interest": int(ri or 0), "penalty": int(rp or 0),
                                              "compound": int(rc or 0)}, 1 if accounting.nonperforming(frm) else -1)
        if not legs:
            continue
        ledger.post_entry(session, actor=SYSTEM, institution_id=inst, lines=legs,
                          source_type="loan.reclassification", source_id=f"{business_date}:{frm}>{to}",
                          description=f"五级分类调整 {business_date}", business_date=business_date,
                          external_id=f"servicing:cls:{business_date}:{inst}:{frm}:{to}")
    audit.record(session, action="eod.loan.classification", object_type="business_date",
                 object_id=str(business_date), changes={"changed": int(n or 0), "thresholds": list(t)})
    progress(int(n or 0), None)
    return int(n or 0)


# --- auto-debit ------------------------------------------------------------------------------------

def _refresh_sqlite_statistics(ctx: StepContext) -> None:
    """SQLite plans without statistics: given a chunk's 2,000 loan ids and ``settled = false``, it
    reads every unsettled installment through the (settled, due_day) index instead of the loan's
    dozen through (loan_id, number) — the cost then grows with the whole book, not the chunk.
    ``ANALYZE`` of the two tables (seconds at a million loans) lets it choose the loan index.
    PostgreSQL keeps its own statistics."""
    with ctx.unit() as s:
        if s.get_bind().dialect.name == "sqlite":
            for table in (L.name, I.name):
                s.execute(text(f"ANALYZE {table}"))  # noqa: S608 - table names from the models


def auto_debit(ctx: StepContext) -> int:
    _refresh_sqlite_statistics(ctx)  # the first servicing step of the day
    d = ctx.business_date.toordinal()
    base = [L.c.status == "active", L.c.repay_account_id.is_not(None), L.c.oldest_unpaid_day <= d]
    total, max_id = _id_bounds(ctx, base)
    if not total:
        return 0
    from zhanye.lending.servicing import repayments as rp

    while True:
        with ctx.unit() as s:
            start = int(ctx.get_cursor(s) or 0)
            if start >= max_id:
                break
            ids = list(s.execute(select(L.c.id).where(*base, L.c.id > start).order_by(L.c.id)
                                 .limit(DEBIT_CHUNK)).scalars())
            if not ids:
                ctx.set_cursor(s, str(max_id))
                break
            end = ids[-1]
            n = _debit_chunk(s, ctx, ids, rp)
            ctx.set_cursor(s, str(end))
        ctx.advance(n)
    return ctx.rows


def _debit_chunk(s: Session, ctx: StepContext, ids: list[int], rp: Any) -> int:
    """Allocate and post the auto-debits of a chunk of loans with bulk statements: the allocation
    is the same function as the counter repayment's; the writes are executemany UPDATEs and bulk
    INSERTs; one ledger entry per institution. A cured customer's collection case is closed by
    the collections step later in the same end of day."""
    from zhanye.core import events

    d = ctx.business_date.toordinal()
    bdate = ctx.business_date
    R, A = Repayment.__table__, Allocation.__table__
    lrows = s.execute(lock_for_update(select(
        L.c.id, L.c.institution_id, L.c.repay_account_id, L.c.allocation_order, L.c.cls, L.c.line_id,
        L.c.customer_id, L.c.outstanding_principal_fen, L.c.interest_receivable_fen, L.c.penalty_receivable_fen,
        L.c.compound_receivable_fen).where(L.c.id.in_(ids)).order_by(L.c.id), s)).all()
    open_insts: dict[int, list[Any]] = defaultdict(list)
    for row in s.execute(select(I.c.id, I.c.loan_id, I.c.number, I.c.due_day, I.c.principal_fen, I.c.interest_fen,
                                I.c.penalty_fen, I.c.compound_fen, I.c.principal_paid_fen, I.c.interest_paid_fen,
                                I.c.penalty_paid_fen, I.c.compound_paid_fen)
                         .where(I.c.loan_id.in_(ids), I.c.superseded.is_(False), I.c.settled.is_(False))
                         .order_by(I.c.loan_id, I.c.number)).all():
        open_insts[row.loan_id].append(row)
    accounts = ledger.lock_accounts(s, {r.repay_account_id for r in lrows if r.repay_account_id})
    available = {a.id: (a.available_fen if a.status != "closed" and a.freeze not in ("debit", "full") else 0)
                 for a in accounts.values()}
    amounts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    reps, inst_updates, loan_updates, plans = [], [], [], []
    for loan in lrows:
        acc = loan.repay_account_id
        avail = available.get(acc, 0)
        if avail <= 0:
            continue
        insts = open_insts[loan.id]
        dues = [Due(key=i.id, number=i.number, penalty=i.penalty_fen - i.penalty_paid_fen,
                    compound=i.compound_fen - i.compound_paid_fen, interest=i.interest_fen - i.interest_paid_fen,
                    principal=i.principal_fen - i.principal_paid_fen) for i in insts if i.due_day <= d]
        result = allocate(avail, dues, parse_order(loan.allocation_order))
        if result.applied == 0:
            continue
        available[acc] = avail - result.applied
        c = result.by_component()
        paid: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for key, comp, amt in result.parts:
            paid[key][comp] += amt  # type: ignore[index]
        still_open = []
        for i in insts:
            add = paid.get(i.id)
            if add is None:
                still_open.append(i.due_day)
                continue
            pp, ip = i.principal_paid_fen + add["principal"], i.interest_paid_fen + add["interest"]
            penp, compp = i.penalty_paid_fen + add["penalty"], i.compound_paid_fen + add["compound"]
            settled = pp >= i.principal_fen and ip >= i.interest_fen and penp >= i.penalty_fen and compp >= i.compound_fen
            if not settled:
                still_open.append(i.due_day)
            inst_updates.append({"b_id": i.id, "b_pp": pp, "b_ip": ip, "b_penp": penp, "b_compp": compp,
                                 "b_settled": settled, "b_on": bdate if settled else None})
        after = (loan.outstanding_principal_fen - c["principal"], loan.interest_receivable_fen - c["interest"],
                 loan.penalty_receivable_fen - c["penalty"], loan.compound_receivable_fen - c["compound"])
        closed = not still_open and not any(after)
        loan_updates.append({"b_id": loan.id, "b_p": after[0], "b_i": after[1], "b_pen": after[2], "b_comp": after[3],
                             "b_oldest": min(still_open) if still_open else None,
                             "b_status": "closed" if closed else "active", "b_closed": bdate if closed else None})
        reps.append({"loan_id": loan.id, "institution_id": loan.institution_id, "external_id": None,
                     "business_date": bdate, "kind": "auto_debit", "channel": "eaccount", "account_id": acc,
                     "tendered_fen": result.applied, "amount_fen": result.applied, "principal_fen": c["principal"],
                     "interest_fen": c["interest"], "penalty_fen": c["penalty"], "compound_fen": c["compound"],
                     "fee_fen": 0, "cls_at_posting": loan.cls, "entry_shared": True, "status": "posted",
                     "snapshot": "{}", "reversal_reason": "", "created_by": "eod"})
        plans.append((loan, result, c, after, closed))
        a = amounts[loan.institution_id]
        a[f"acc:{acc}"] += result.applied
        a[f"principal:{loan.cls}"] -= c["principal"]
        for comp in ("interest", "penalty", "compound"):
            a[comp] -= c[comp]
        if accounting.nonperforming(loan.cls):  # collected from a non-accrual loan: income now
            for leg in accounting.suspense_legs(c):
                key = f"gl:{leg.gl}"
                a[key] += leg.debit_fen - leg.credit_fen
    if not reps:
        return 0
    rep_ids = s.execute(insert(R).returning(R.c.id, sort_by_parameter_order=True), reps).scalars().all()
    s.execute(insert(A), [{"repayment_id": rid, "installment_id": key, "component": comp, "amount_fen": amt}
                          for rid, (_, result, _, _, _) in zip(rep_ids, plans, strict=True)
                          for key, comp, amt in result.parts])
    s.execute(update(I).where(I.c.id == bindparam("b_id")).values(
        principal_paid_fen=bindparam("b_pp"), interest_paid_fen=bindparam("b_ip"), penalty_paid_fen=bindparam("b_penp"),
        compound_paid_fen=bindparam("b_compp"), settled=bindparam("b_settled"), settled_on=bindparam("b_on")),
        inst_updates)
    s.execute(update(L).where(L.c.id == bindparam("b_id")).values(
        outstanding_principal_fen=bindparam("b_p"), interest_receivable_fen=bindparam("b_i"),
        penalty_receivable_fen=bindparam("b_pen"), compound_receivable_fen=bindparam("b_comp"),
        oldest_unpaid_day=bindparam("b_oldest"), status=bindparam("b_status"), closed_on=bindparam("b_closed")),
        loan_updates)
    closed_ids = [u["b_id"] for u in loan_updates if u["b_status"] == "closed"]
    if closed_ids:
        s.execute(update(L).where(L.c.id.in_(closed_ids)).values(dpd=0, period_due_day=None))
    s.execute(insert(T), [{
        "loan_id": loan.id, "institution_id": loan.institution_id, "business_date": bdate, "kind": "auto_debit",
        "principal_fen": -c["principal"], "interest_fen": -c["interest"], "penalty_fen": -c["penalty"],
        "compound_fen": -c["compound"], "principal_after_fen": after[0], "interest_after_fen": after[1],
        "penalty_after_fen": after[2], "compound_after_fen": after[3], "repayment_id": rid, "memo": "自动扣款"}
        for rid, (loan, _, c, after, _) in zip(rep_ids, plans, strict=True)])
    entries = _post_per_institution(s, ctx, {i: dict(v) for i, v in amounts.items()}, step="autodebit",
                                    chunk=ids[-1], description="贷款自动扣款")
    for inst, entry_id in entries.items():
        s.execute(update(R).where(R.c.id.in_(list(rep_ids)), R.c.institution_id == inst).values(entry_id=entry_id))
    for loan, _, c, _, closed in plans:
        if c["principal"]:
            events.publish(s, "loan.principal_repaid", {"line_id": loan.line_id, "loan_id": loan.id,
                                                        "amount_fen": c["principal"]})
        if closed:
            events.publish(s, "loan.closed", {"loan_id": loan.id, "line_id": loan.line_id,
                                              "customer_id": loan.customer_id})
    return len(reps)


# --- overdue inspection tasks, collections, inspections ------------------------------------------

def overdue_tasks(ctx: StepContext) -> int:
    """On the first overdue day: an overdue inspection (逾期检视督办) through the workflow."""
    d = ctx.business_date.toordinal()
    while True:
        with ctx.unit() as s:
            loans = list(s.execute(select(Loan).where(Loan.status == "active", Loan.overdue_start_day == d,
                                                      Loan.overdue_task_day < d).order_by(Loan.id)
                                   .limit(TASK_CHUNK)).scalars())
            for loan in loans:
                start_overdue_inspection(s, ctx.actor, loan, ctx.business_date)
                loan.overdue_task_day = d
            s.flush()
        ctx.advance(len(loans))
        if len(loans) < TASK_CHUNK:
            return ctx.rows


def start_overdue_inspection(s: Session, actor: Principal, loan: Loan, bdate: dt.date) -> OverdueInspection:
    from zhanye.lending.servicing.service import exposure, overdue_amounts

    due = overdue_amounts(s, loan, bdate)
    expo = exposure(s, customer_id=loan.customer_id)
    lines = sorted({x["line_id"] for x in expo["loans"] if x["line_id"] is not None})
    details = {"loan_no": loan.loan_no, "dpd": loan.dpd, "overdue": due, "outstanding_fen": loan.outstanding_principal_fen,
               "lines": lines, "other_loans": [x for x in expo["loans"] if x["loan_id"] != loan.id],
               "total_outstanding_fen": expo["outstanding_fen"]}
    rec = OverdueInspection(loan_id=loan.id, customer_id=loan.customer_id, institution_id=loan.institution_id,
                            business_date=bdate, details=json.dumps(details, ensure_ascii=False), status="open")
    s.add(rec)
    s.flush()
    facts = {"loan_no": loan.loan_no, "customer_id": loan.customer_id, "dpd": loan.dpd,
             "overdue_principal_fen": due["principal"], "overdue_interest_fen": due["interest"],
             "outstanding_fen": loan.outstanding_principal_fen, "other_outstanding_fen":
                 expo["outstanding_fen"] - loan.outstanding_principal_fen, "lines": ",".join(map(str, lines))}
    try:
        from zhanye.workflow import service as workflow

        if not actor.scope_ids:  # the batch runner's bare system principal: act as the bank's system user
            from zhanye.org import service as org_service

            actor = org_service.system_principal(s)
        with s.begin_nested():
            if workflow.current_definition(s, "loan.overdue_inspection", missing_ok=True) is None:
                raise LookupError("process loan.overdue_inspection is not published")
            inst = workflow.start(s, actor, process_key="loan.overdue_inspection", subject_type="loan",
                                  subject_id=loan.id, facts=facts, institution_id=loan.institution_id,
                                  submitter=None if actor.staff_id == 0 else actor.staff_id,
                                  summary=f"逾期检视 {loan.loan_no} 逾期{loan.dpd}天")
            rec.instance_id = inst.id
    except Exception as exc:  # noqa: BLE001 - the task is kept for the back office even without a process
        rec.error = f"{type(exc).__name__}: {exc}"[:200]
    audit.record(s, action="overdue_inspection.open", object_type="loan", object_id=loan.id, actor=actor,
                 changes={"inspection_id": rec.id, "instance_id": rec.instance_id, "error": rec.error})
    return rec


def collections_step(session: Session, business_date: dt.date, progress: Progress) -> int:
    from zhanye.lending.servicing import collections

    res = collections.open_and_refresh(session, business_date)
    audit.record(session, action="eod.collections", object_type="business_date", object_id=str(business_date),
                 changes=res)
    progress(sum(res.values()), None)
    return sum(res.values())


def inspections_step(session: Session, business_date: dt.date, progress: Progress) -> int:
    from zhanye.lending.servicing import inspections

    n = inspections.mark_late(session, business_date)
    progress(n, None)
    return n
