"""Post-loan inspections (贷后检查) and risk warnings (预警).

The first inspection is due within N days of disbursement (setting ``servicing.inspection``:
``{"first_days": 15, "periodic_days": [90, 30, 30, 30, 30]}`` — the periodic interval per
classification rank), later ones are scheduled when one is performed, by product and risk. The
manager performs it on the tablet: questionnaire answers, photos, GPS. Photos come as data URLs
from the tablet's camera (stored, watermarked with the GPS position, among the customer's images
with the purpose ``inspection``) or as ids of the customer's stored images; the inspection keeps
the image ids. A result can raise a risk warning with a level and a disposal:
``monitor``, ``freeze_line`` (the origination line freeze) or ``demand_repayment`` (the remaining
principal and the interest to date fall due today)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.calendar import get_business_date
from zhanye.core.context import Principal
from zhanye.core.errors import InvalidTransition, NotFound, ValidationFailed
from zhanye.core.models import KernelSetting
from zhanye.core.scope import in_scope
from zhanye.lending.servicing.models import Inspection, Loan, RiskWarning

SETTING_KEY = "servicing.inspection"
DEFAULTS: dict[str, Any] = {"first_days": 15, "periodic_days": [90, 30, 30, 30, 30]}
QUESTIONS = [
    ("funds_use", "Loan funds used for the stated purpose"),
    ("operation", "Business or farming operating normally"),
    ("income", "Income sufficient to repay"),
    ("collateral", "Collateral or guarantor unchanged"),
    ("adverse", "No adverse events (illness, disaster, litigation)"),
]
LEVELS = ("low", "medium", "high")
DISPOSALS = ("monitor", "freeze_line", "demand_repayment")
MAX_IMAGES = 9


def settings(session: Session) -> dict[str, Any]:
    rec = session.get(KernelSetting, SETTING_KEY)
    out = dict(DEFAULTS)
    if rec is not None:
        out.update(json.loads(rec.value))
    return out


def first_days_sql() -> str:
    """``settings(session)["first_days"]`` as a PostgreSQL expression, for a statement that writes a
    first inspection without reading the setting in a round trip of its own."""
    return (f"COALESCE((SELECT CAST(CAST(value AS JSON) ->> 'first_days' AS INTEGER) FROM kernel_setting "  # noqa: S608
            f"WHERE key = '{SETTING_KEY}'), {int(DEFAULTS['first_days'])})")


def first_values(session: Session, loan: Loan, *, due_date: bool = True) -> dict[str, Any]:
    """The columns of a new loan's first inspection (for a bulk insert). ``due_date=False`` leaves
    the due date to the statement (``start_date`` + ``first_days_sql()``) and reads nothing."""
    due = loan.start_date + dt.timedelta(days=int(settings(session)["first_days"])) if due_date else None
    return {"loan_id": loan.id, "customer_id": loan.customer_id, "institution_id": loan.institution_id,
            "manager_id": loan.manager_id, "kind": "first", "due_date": due, "status": "scheduled",
            "performed_on": None, "performed_by": None, "answers": "{}", "images": "[]", "latitude": None,
            "longitude": None, "conclusion": "", "note": ""}


def schedule_first(session: Session, loan: Loan) -> Inspection:
    insp = Inspection(**first_values(session, loan))
    session.add(insp)
    return insp


def _sees(actor: Principal, inst: int) -> bool:
    return "system" in actor.roles or actor.sees_institution(inst)


def get_inspection(session: Session, *, actor: Principal, inspection_id: int) -> Inspection:
    insp = session.get(Inspection, inspection_id)
    if insp is None or not _sees(actor, insp.institution_id):
        raise NotFound("贷后检查不存在", "The inspection does not exist")
    return insp


def list_inspections(session: Session, *, actor: Principal, status: str | None = None, manager_id: int | None = None,
                     loan_id: int | None = None, due_before: dt.date | None = None, limit: int = 100) -> list[Inspection]:
    stmt = select(Inspection)
    if "system" not in actor.roles:
        stmt = stmt.where(in_scope(Inspection.institution_id, actor))
    if status == "open":
        stmt = stmt.where(Inspection.status.in_(("scheduled", "late")))
    elif status:
        stmt = stmt.where(Inspection.status == status)
    if manager_id is not None:
        stmt = stmt.where(Inspection.manager_id == manager_id)
    if loan_id is not None:
        stmt = stmt.where(Inspection.loan_id == loan_id)
    if due_before is not None:
        stmt = stmt.where(Inspection.due_date <= due_before)
    return list(session.execute(stmt.order_by(Inspection.due_date, Inspection.id).limit(limit)).scalars())


def mark_late(session: Session, business_date: dt.date) -> int:
    """EOD, set-based: scheduled inspections past their due date become late."""
    res = session.execute(update(Inspection).where(Inspection.status == "scheduled",
                                                   Inspection.due_date < business_date).values(status="late"))
    return int(res.rowcount or 0)


def _store_images(session: Session, actor: Principal, insp: Inspection, images: list[str],
                  gps: str | None) -> list[int]:
    """The photos as ids of the customer's images: data URLs are stored (checked, watermarked),
    ids must name a (non-ID-card) image of this customer. Everything is checked before anything
    is stored, so a refused photo leaves no file behind."""
    from zhanye.customers import images as customer_images
    from zhanye.customers.errors import ImageTooLarge, UnsupportedImage

    if len(images) > MAX_IMAGES:
        raise ValidationFailed.field(["images"], f"最多 {MAX_IMAGES} 张照片", f"At most {MAX_IMAGES} images")
    owned: dict[int, str] | None = None
    checked: list[int | bytes] = []
    for i, img in enumerate(images):
        if isinstance(img, str) and _IMAGE_ID.fullmatch(img):
            if owned is None:
                owned = {x.id: x.purpose for x in customer_images.list_images(session, actor=actor,
                                                                               customer_id=insp.customer_id)}
            if owned.get(int(img)) in (None, *customer_images.PII_PURPOSES):
                raise ValidationFailed.field(["images", i], "该影像不属于本客户或不能作为检查照片",
                                             "Not an image of this customer that can serve as an inspection photo")
            checked.append(int(img))
            continue
        head, _, body = img.partition(",") if isinstance(img, str) else ("", "", "")
        if not head.startswith("data:image/") or not head.endswith(";base64") or len(img) > 3_000_000:
            raise ValidationFailed.field(["images", i], "照片格式无效", "Not an image")
        try:
            data = base64.b64decode(body, validate=True)
            customer_images.readable_image(data)
        except (binascii.Error, ImageTooLarge, UnsupportedImage, ValidationFailed) as exc:
            raise ValidationFailed.field(["images", i], "照片格式无效", "Not an image") from exc
        checked.append(data)
    ids = [c if isinstance(c, int) else customer_images.add_image(
        session, actor=actor, customer_id=insp.customer_id, purpose="inspection", data=c, gps=gps).id
        for c in checked]
    return list(dict.fromkeys(ids))


_IMAGE_ID = re.compile(r"[0-9]{1,18}")


def photos(session: Session, *, actor: Principal, inspection: Inspection) -> list[dict[str, Any]]:
    """The inspection's photos as the customer's image views (links to the content)."""
    from zhanye.customers import images as customer_images

    ids = [i for i in json.loads(inspection.images or "[]") if isinstance(i, int)]
    if not ids:
        return []
    mine = {img.id: img for img in customer_images.list_images(session, actor=actor,
                                                               customer_id=inspection.customer_id)}
    return [customer_images.image_view(mine[i]) for i in ids if i in mine]


def perform(session: Session, *, actor: Principal, inspection_id: int, answers: dict[str, bool], note: str,
            latitude: Decimal | None, longitude: Decimal | None, images: list[str],
            conclusion: str, warning: dict[str, str] | None = None) -> Inspection:
    insp = get_inspection(session, actor=actor, inspection_id=inspection_id)
    if insp.status == "done":
        raise InvalidTransition("该次检查已完成", "The inspection is already done")
    keys = {k for k, _ in QUESTIONS}
    unknown = set(answers) - keys
    missing = keys - set(answers)
    if unknown or missing:
        raise ValidationFailed.field(["answers"], f"问卷须回答全部问题：缺少 {sorted(missing)}，多余 {sorted(unknown)}",
                                     f"Answer every question: missing {sorted(missing)}, unknown {sorted(unknown)}")
    if conclusion not in ("normal", "attention", "risk"):
        raise ValidationFailed.field(["conclusion"], "检查结论无效", "Unknown conclusion")
    if (latitude is None) != (longitude is None) or (latitude is not None and not (
            Decimal(-90) <= latitude <= Decimal(90) and Decimal(-180) <= longitude <= Decimal(180))):  # type: ignore[operator]
        raise ValidationFailed.field(["latitude"], "定位无效", "The GPS position is not valid")
    if conclusion == "risk" and not warning:
        raise ValidationFailed.field(["warning"], "结论为有风险时须发起预警", "A risk conclusion needs a warning")
    bdate = get_business_date(session)
    insp.answers = json.dumps(answers, sort_keys=True)
    if warning:  # checked before any photo is stored
        _check_warning(warning.get("level", ""), warning.get("disposal", ""), warning.get("reason", ""))
    gps = None if latitude is None else f"{latitude:.6f},{longitude:.6f}"
    insp.images = json.dumps(_store_images(session, actor, insp, images, gps))
    insp.latitude, insp.longitude = latitude, longitude
    insp.conclusion, insp.note = conclusion, note[:1000]
    insp.status, insp.performed_on, insp.performed_by = "done", bdate, actor.staff_id or None
    loan = session.get(Loan, insp.loan_id)
    assert loan is not None
    session.flush()
    audit.record(session, action="inspection.perform", object_type="inspection", object_id=insp.id, actor=actor,
                 changes={"conclusion": conclusion, "gps": [str(latitude), str(longitude)], "images": len(images)})
    if warning:
        raise_warning(session, actor=actor, loan_id=loan.id, level=warning.get("level", ""),
                      disposal=warning.get("disposal", ""), reason=warning.get("reason", ""), inspection_id=insp.id)
    if loan.status == "active":
        cfg = settings(session)
        days = int(cfg["periodic_days"][min(loan.cls, len(cfg["periodic_days"]) - 1)])
        if conclusion != "normal":
            days = min(days, 30)
        session.add(Inspection(loan_id=loan.id, customer_id=loan.customer_id, institution_id=loan.institution_id,
                               manager_id=loan.manager_id, kind="periodic", due_date=bdate + dt.timedelta(days=days),
                               status="scheduled"))
        session.flush()
    return insp


def _check_warning(level: str, disposal: str, reason: str) -> None:
    if level not in LEVELS:
        raise ValidationFailed.field(["warning", "level"], "预警等级无效", "Unknown warning level")
    if disposal not in DISPOSALS:
        raise ValidationFailed.field(["warning", "disposal"], "处置方式无效", "Unknown disposal")
    if not reason.strip():
        raise ValidationFailed.field(["warning", "reason"], "请填写预警原因", "A reason is required")


def raise_warning(session: Session, *, actor: Principal, loan_id: int, level: str, disposal: str, reason: str,
                  inspection_id: int | None = None) -> RiskWarning:
    from zhanye.lending.servicing.service import get_loan

    loan = get_loan(session, actor=actor, loan_id=loan_id, lock=True)
    _check_warning(level, disposal, reason)
    bdate = get_business_date(session)
    effect = ""
    if disposal == "freeze_line":
        if loan.line_id is None:
            raise ValidationFailed.field(["warning", "disposal"], "该贷款没有授信额度可冻结", "The loan has no credit line")
        freeze = _line_freeze()
        if freeze is None:
            raise ValidationFailed.field(["warning", "disposal"], "额度冻结功能不可用", "Line freezing is not available")
        freeze(session, actor=actor, line_id=loan.line_id, reason=f"贷后预警：{reason}"[:200])
        effect = f"line {loan.line_id} frozen"
    elif disposal == "demand_repayment":
        from zhanye.lending.servicing.repayments import accelerate

        accelerate(session, actor=actor, loan=loan, reason=reason)
        effect = "remaining principal and interest to date due today"
    w = RiskWarning(loan_id=loan.id, customer_id=loan.customer_id, institution_id=loan.institution_id,
                    inspection_id=inspection_id, level=level, disposal=disposal, reason=reason[:500], status="open",
                    effect=effect, business_date=bdate, created_by=actor.username)
    session.add(w)
    session.flush()
    audit.record(session, action="risk_warning.raise", object_type="risk_warning", object_id=w.id, actor=actor,
                 changes={"loan_id": loan.id, "level": level, "disposal": disposal, "effect": effect})
    return w


def _line_freeze() -> Any:
    try:
        from zhanye.lending.origination import service as origination
    except ImportError:
        origination = None  # type: ignore[assignment]
    fn = getattr(origination, "freeze_line", None) if origination is not None else None
    if fn is None:
        try:
            from zhanye.lending.origination import lines
        except ImportError:
            return None
        fn = getattr(lines, "freeze_line", None)
    return fn


def list_warnings(session: Session, *, actor: Principal, status: str | None = "open", limit: int = 200) -> list[RiskWarning]:
    stmt = select(RiskWarning)
    if "system" not in actor.roles:
        stmt = stmt.where(in_scope(RiskWarning.institution_id, actor))
    if status:
        stmt = stmt.where(RiskWarning.status == status)
    return list(session.execute(stmt.order_by(RiskWarning.id.desc()).limit(limit)).scalars())
