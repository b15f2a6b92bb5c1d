"""Manual five-level classification (人工调整五级分类) by risk staff, with a reason, audited and
kept in the classification history (source ``manual``).

The DPD rule is the floor: a manual class may be worse than what the days past due give, never
better — unless the kernel setting ``servicing.manual_class_below_dpd`` is ``true`` (a bank whose
policy lets the risk committee override the DPD mapping). The chosen class becomes the loan's
floor (``cls_floor``), so the end of day never moves it back to a better class; a worse DPD still
moves it down. The principal moves between the classification GLs, and crossing the
non-performing boundary moves the receivables between income and interest in suspense
(``accounting.suspense_legs``), in the caller's transaction.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.calendar import get_business_date
from zhanye.core.context import Principal
from zhanye.core.errors import InvalidTransition, ValidationFailed
from zhanye.core.models import KernelSetting
from zhanye.ledger import service as ledger
from zhanye.lending.servicing import accounting
from zhanye.lending.servicing.eod import class_by_dpd, thresholds
from zhanye.lending.servicing.models import CLASS_CODES, CLASS_NAMES_ZH, ClassificationChange, Loan
from zhanye.lending.servicing.service import get_loan

BELOW_DPD_KEY = "servicing.manual_class_below_dpd"


class ClassificationRefused(InvalidTransition):
    code = "classification_refused"


def below_dpd_allowed(session: Session) -> bool:
    rec = session.get(KernelSetting, BELOW_DPD_KEY)
    return rec is not None and rec.value.strip().lower() in ("1", "true", "yes")


def change_classification(session: Session, *, actor: Principal, loan_id: int, to_cls: int | str,
                          reason: str) -> ClassificationChange:
    if not reason or not reason.strip():
        raise ValidationFailed.field(["reason"], "调整分类须填写原因", "A classification change needs a reason")
    target = CLASS_CODES.index(to_cls) if isinstance(to_cls, str) and to_cls in CLASS_CODES else to_cls
    if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target <= 4:
        raise ValidationFailed.field(["classification"], "分类须为 normal、special_mention、substandard、doubtful 或 loss",
                                     "The class is one of normal, special_mention, substandard, doubtful, loss")
    loan = get_loan(session, actor=actor, loan_id=loan_id, lock=True)
    if loan.status != "active":
        raise ClassificationRefused("只能调整未结清贷款的分类", "Only an active loan can be reclassified", status=loan.status)
    if target == loan.cls:
        raise ClassificationRefused("贷款已是该分类", "The loan already has this class")
    floor = class_by_dpd(loan.dpd, thresholds(session))
    if target < floor and not below_dpd_allowed(session):
        raise ClassificationRefused(
            f"逾期 {loan.dpd} 天的贷款不能优于「{CLASS_NAMES_ZH[floor]}」",
            f"A loan {loan.dpd} days past due cannot be better than {CLASS_CODES[floor]}", floor=CLASS_CODES[floor])
    bdate = get_business_date(session)
    frm = loan.cls
    _post(session, actor, loan, frm, target, reason)
    loan.cls, loan.cls_floor, loan.cls_day = target, target, bdate.toordinal()
    change = ClassificationChange(loan_id=loan.id, institution_id=loan.institution_id, business_date=bdate,
                                  from_cls=frm, to_cls=target, dpd=loan.dpd,
                                  principal_fen=loan.outstanding_principal_fen, source="manual",
                                  note=f"{actor.username}: {reason.strip()}"[:200])
    session.add(change)
    session.flush()
    audit.record(session, action="loan.classification.manual", object_type="loan", object_id=loan.id, actor=actor,
                 changes={"from": CLASS_CODES[frm], "to": CLASS_CODES[target], "dpd": loan.dpd,
                          "dpd_floor": CLASS_CODES[floor], "reason": reason.strip()[:200], "change_id": change.id})
    return change


def _post(session: Session, actor: Principal, loan: Loan, frm: int, to: int, reason: str) -> None:
    pools = accounting.pools(session, loan.institution_id)
    legs = accounting.signed_pair(loan.outstanding_principal_fen, debit_account=pools[f"principal:{to}"],
                                  credit_account=pools[f"principal:{frm}"], memo=loan.loan_no)
    if accounting.nonperforming(frm) != accounting.nonperforming(to):
        receivable = {"interest": loan.interest_receivable_fen, "penalty": loan.penalty_receivable_fen,
                      "compound": loan.compound_receivable_fen}
        legs += accounting.suspense_legs(receivable, 1 if accounting.nonperforming(frm) else -1, memo=loan.loan_no)
    if legs:
        ledger.post_entry(session, actor=actor, institution_id=loan.institution_id, lines=legs,
                          source_type="loan.reclassification", source_id=str(loan.id),
                          description=f"人工调整五级分类 {loan.loan_no} {CLASS_NAMES_ZH[frm]}→{CLASS_NAMES_ZH[to]}："
                                      f"{reason.strip()}"[:200])
