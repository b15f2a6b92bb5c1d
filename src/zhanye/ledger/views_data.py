"""Read models shared by the ledger API and pages: account and line shapes, trial balance,
journal listing, statement CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhanye.core.context import Principal
from zhanye.core.money import fen_to_yuan, format_yuan
from zhanye.ledger import chart
from zhanye.ledger.models import Account, GLAccount, Hold, JournalEntry, JournalLine
from zhanye.ledger.service import sees


def money(fen: int | None) -> dict[str, Any] | None:
    return None if fen is None else {"fen": int(fen), "yuan": format_yuan(int(fen))}


def account_out(acc: Account) -> dict[str, Any]:
    return {"id": acc.id, "number": acc.number, "institution_id": acc.institution_id, "customer_id": acc.customer_id,
            "kind": acc.kind, "name": acc.name, "status": acc.status, "freeze": acc.freeze,
            "freeze_reason": acc.freeze_reason, "balance": money(acc.balance_fen), "held": money(acc.held_fen),
            "available": money(acc.available_fen), "overdraft_limit": money(acc.overdraft_limit_fen),
            "max_balance": money(acc.max_balance_fen), "opened_on": acc.opened_on, "closed_on": acc.closed_on,
            "last_activity_on": acc.last_activity_on}


def hold_out(h: Hold) -> dict[str, Any]:
    return {"id": h.id, "account_id": h.account_id, "amount": money(h.amount_fen), "reason": h.reason,
            "expires_on": h.expires_on, "status": h.status, "created_at": h.created_at}


def line_out(line: JournalLine, entry: JournalEntry) -> dict[str, Any]:
    return {"line_id": line.id, "entry_id": entry.id, "serial_no": entry.serial_no,
            "business_date": line.business_date, "description": entry.description, "source_type": entry.source_type,
            "debit": money(line.debit_fen), "credit": money(line.credit_fen),
            "balance_after": money(line.balance_after_fen), "memo": line.memo}


def trial_balance(session: Session, actor: Principal, *, on: dt.date | None = None) -> list[dict[str, Any]]:
    """Per GL account of the actor's book: debits, credits and the normal-side balance."""
    book = chart.book_of(session, actor.institution_id) if actor.institution_id else None
    stmt = (select(GLAccount.id, GLAccount.code, GLAccount.name, GLAccount.type,
                   func.coalesce(func.sum(JournalLine.debit_fen), 0), func.coalesce(func.sum(JournalLine.credit_fen), 0))
            .outerjoin(JournalLine, (JournalLine.gl_account_id == GLAccount.id)
                       & ((JournalLine.business_date <= on) if on else True))
            .group_by(GLAccount.id, GLAccount.code, GLAccount.name, GLAccount.type).order_by(GLAccount.code))
    if book is not None:
        stmt = stmt.where(GLAccount.institution_id == book)
    out = []
    for _gid, code, name, typ, d, c in session.execute(stmt).all():
        bal = int(d) - int(c) if typ in ("asset", "expense") else int(c) - int(d)
        out.append({"code": code, "name": name, "type": typ, "debit": money(int(d)), "credit": money(int(c)),
                    "balance": money(bal)})
    return out


def list_entries(session: Session, actor: Principal, *, business_date: dt.date | None = None,
                 source_type: str | None = None, page: int = 1, page_size: int = 50) -> tuple[list[JournalEntry], int]:
    stmt = select(JournalEntry)
    if "system" not in actor.roles:
        stmt = stmt.where(JournalEntry.institution_id.in_(sorted(actor.scope_ids)))
    if business_date:
        stmt = stmt.where(JournalEntry.business_date == business_date)
    if source_type:
        stmt = stmt.where(JournalEntry.source_type == source_type)
    total = int(session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one())
    rows = session.execute(stmt.order_by(JournalEntry.id.desc()).offset((page - 1) * page_size).limit(page_size))
    return list(rows.scalars()), total


def entry_out(entry: JournalEntry, lines: list[JournalLine] | None = None,
              gl_codes: dict[int, str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": entry.id, "serial_no": entry.serial_no, "institution_id": entry.institution_id,
                           "business_date": entry.business_date, "description": entry.description,
                           "source_type": entry.source_type, "source_id": entry.source_id,
                           "reversal_of_id": entry.reversal_of_id, "total": money(entry.total_fen),
                           "created_at": entry.created_at}
    if lines is not None:
        out["lines"] = [{"gl_code": (gl_codes or {}).get(ln.gl_account_id), "account_id": ln.account_id,
                         "debit": money(ln.debit_fen), "credit": money(ln.credit_fen), "memo": ln.memo}
                        for ln in lines]
    return out


def gl_codes(session: Session, ids: set[int]) -> dict[int, str]:
    return dict(session.execute(select(GLAccount.id, GLAccount.code).where(GLAccount.id.in_(ids))).all())


def statement_csv(account: Account, rows: list[tuple[JournalLine, JournalEntry]]) -> str:
    buf = io.StringIO()
    buf.write("\ufeff")  # Excel opens UTF-8 CSV with Chinese correctly only with a BOM
    w = csv.writer(buf)
    w.writerow(["账号 account", account.number])
    w.writerow(["会计日期 date", "流水号 serial", "摘要 description", "借方 debit", "贷方 credit",
                "余额 balance", "备注 memo"])
    for line, entry in rows:
        w.writerow([line.business_date.isoformat(), entry.serial_no, entry.description,
                    fen_to_yuan(line.debit_fen), fen_to_yuan(line.credit_fen),
                    "" if line.balance_after_fen is None else fen_to_yuan(line.balance_after_fen),
                    line.memo])
    return buf.getvalue()


def visible(actor: Principal, institution_id: int) -> bool:
    return sees(actor, institution_id)
