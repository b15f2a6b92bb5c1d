"""How servicing posts to the ledger: per institution, one sub-ledger account per purpose under
the loan control GLs (principal by classification 1301-1305; interest, penalty and compound
receivable under 1321). Incomes: 6011 interest, 6012 penalty and compound, 6021 fees.
``reconcile`` proves that each pool's balance equals the sum over that institution's loans.

Non-accrual (非应计): a non-performing loan (次级 and worse) keeps its receivables (the borrower
still owes them) but no longer earns income on them: its accruals credit interest in suspense
(GL 1441 待处理挂账, ``SUSPENSE_GL``) instead of income, the move into non-performing takes the
receivables already in income back into suspense, and what it pays of them is recognised as
income when collected (cash basis). So the suspense balance always equals the interest, penalty
and compound receivable of the non-performing loans."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhanye.core.committed_cache import CommittedCache
from zhanye.core.context import Principal
from zhanye.ledger import service as ledger
from zhanye.lending.servicing.models import CLASS_GL, GLPool, Loan

INTEREST_INCOME_GL = "6011"
PENALTY_INCOME_GL = "6012"
FEE_INCOME_GL = "6021"
CASH_GL = "1001"
CLEARING_GL = "1131"
RECEIVABLE_GL = "1321"
SUSPENSE_GL = "1441"
NONPERFORMING = 2  # 次级: this class and worse accrue into suspense, not income

PURPOSES = [f"principal:{i}" for i in range(5)] + ["interest", "penalty", "compound"]


def _gl_for(purpose: str) -> str:
    if purpose.startswith("principal:"):
        return CLASS_GL[int(purpose.split(":")[1])]
    return RECEIVABLE_GL


def ensure_pools(session: Session, *, actor: Principal, institution_id: int) -> dict[str, int]:
    """The institution's pool accounts (opened on first use, in the caller's transaction). Pool
    rows are never changed or deleted: a committed set is not read again (``CommittedCache``)."""
    known = _POOLS.get(session, institution_id)
    if known is not None:
        return known
    have = dict(session.execute(select(GLPool.purpose, GLPool.account_id)
                                .where(GLPool.institution_id == institution_id)).all())
    for purpose in PURPOSES:
        if purpose not in have:
            acc = ledger.open_account(session, actor=actor, institution_id=institution_id, kind="loan_pool",
                                      gl_code=_gl_for(purpose), name=f"贷款汇总-{purpose}")
            session.add(GLPool(institution_id=institution_id, purpose=purpose, account_id=acc.id))
            session.flush()
            have[purpose] = acc.id
    _POOLS.note(session, institution_id, have)
    return have


_POOLS = CommittedCache("servicing.pools")


def pools(session: Session, institution_id: int) -> dict[str, int]:
    return dict(session.execute(select(GLPool.purpose, GLPool.account_id)
                                .where(GLPool.institution_id == institution_id)).all())


def pools_for(session: Session, institution_ids: set[int]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for inst, purpose, acc in session.execute(select(GLPool.institution_id, GLPool.purpose, GLPool.account_id)
                                              .where(GLPool.institution_id.in_(sorted(institution_ids)))).all():
        out[inst][purpose] = acc
    return out


def signed_pair(amount: int, *, debit_account: int | None = None, debit_gl: str | None = None,
                credit_account: int | None = None, credit_gl: str | None = None, memo: str = "") -> list[ledger.Leg]:
    """Two legs for a signed amount: positive debits the first side, negative swaps the sides."""
    if amount == 0:
        return []
    if amount > 0:
        return [ledger.debit(amount, account_id=debit_account, gl=debit_gl, memo=memo),
                ledger.credit(amount, account_id=credit_account, gl=credit_gl, memo=memo)]
    return [ledger.debit(-amount, account_id=credit_account, gl=credit_gl, memo=memo),
            ledger.credit(-amount, account_id=debit_account, gl=debit_gl, memo=memo)]


def suspense_legs(comps: dict[str, int], sign: int = 1, memo: str = "") -> list[ledger.Leg]:
    """Receivables of a non-performing loan recognised as income (sign 1: debit suspense, credit
    6011 for interest and 6012 for penalty and compound) or taken back into suspense (sign -1)."""
    pc = comps.get("penalty", 0) + comps.get("compound", 0)
    legs = signed_pair(sign * comps.get("interest", 0), debit_gl=SUSPENSE_GL, credit_gl=INTEREST_INCOME_GL, memo=memo)
    legs += signed_pair(sign * pc, debit_gl=SUSPENSE_GL, credit_gl=PENALTY_INCOME_GL, memo=memo)
    return merge_legs(legs)


def nonperforming(cls: int) -> bool:
    return cls >= NONPERFORMING


def merge_legs(legs: list[ledger.Leg]) -> list[ledger.Leg]:
    """Net the legs of the same account/GL into one leg each (smaller entries, same effect)."""
    net: dict[tuple[int | None, str | None], int] = defaultdict(int)
    memo: dict[tuple[int | None, str | None], str] = {}
    for g in legs:
        k = (g.account_id, g.gl)
        net[k] += g.debit_fen - g.credit_fen
        memo.setdefault(k, g.memo)
    out = []
    for (acc, gl), v in net.items():
        if v > 0:
            out.append(ledger.debit(v, account_id=acc, gl=gl, memo=memo[(acc, gl)]))
        elif v < 0:
            out.append(ledger.credit(-v, account_id=acc, gl=gl, memo=memo[(acc, gl)]))
    return out


def reconcile(session: Session) -> list[str]:
    """Breaches where a pool balance differs from the sum over the institution's loans."""
    from zhanye.core.context import SYSTEM

    sums: dict[tuple[int, str], int] = defaultdict(int)
    for inst, cls, p, i, pen, comp in session.execute(
            select(Loan.institution_id, Loan.cls, func.sum(Loan.outstanding_principal_fen),
                   func.sum(Loan.interest_receivable_fen), func.sum(Loan.penalty_receivable_fen),
                   func.sum(Loan.compound_receivable_fen)).group_by(Loan.institution_id, Loan.cls)).all():
        sums[(inst, f"principal:{cls}")] += int(p or 0)
        sums[(inst, "interest")] += int(i or 0)
        sums[(inst, "penalty")] += int(pen or 0)
        sums[(inst, "compound")] += int(comp or 0)
    breaches = []
    for inst, purpose, acc_id in session.execute(select(GLPool.institution_id, GLPool.purpose, GLPool.account_id)
                                                 .order_by(GLPool.id)).all():
        bal = ledger.get_account(session, SYSTEM, acc_id).balance_fen
        want = sums.get((inst, purpose), 0)
        if int(bal) != want:
            breaches.append(f"institution {inst} {purpose}: pool {bal} != loans {want}")
    return breaches
