"""Household roster import for a campaign, from CSV or Excel, streamed in chunks.

Every row is validated; a report lists rows accepted, updated, unchanged and refused (with the
line number and reason). A row is keyed by (village, household number) and carries a keyed
hash of its content, so a re-import of the same file changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.context import Principal
from zhanye.core.db import utcnow
from zhanye.core.errors import ValidationFailed
from zhanye.core.text import check_name
from zhanye.customers import pii
from zhanye.customers.validators import InvalidNumber, validate_mobile, validate_resident_id
from zhanye.villages.models import Campaign, CampaignHousehold, Division, Household, Member, RosterImport
from zhanye.villages.service import get_campaign

CHUNK = 500
COLUMNS = {
    "household_no": ("household_no", "户号", "户编号"),
    "hamlet": ("hamlet", "屯", "组", "屯/组", "村民小组"),
    "head_name": ("head_name", "户主姓名", "户主"),
    "head_id_number": ("head_id_number", "户主身份证号", "身份证号"),
    "phone": ("phone", "联系电话", "手机号"),
    "member_count": ("member_count", "家庭人数", "人口数"),
    "address": ("address", "地址", "住址"),
}
_HOUSEHOLD_NO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_]{0,31}$")


def normalize_person(id_number: str | None, phone: str | None) -> tuple[str | None, str | None]:
    try:
        id_number = validate_resident_id(id_number).number if id_number else None
    except InvalidNumber as exc:
        raise ValidationFailed.field(["body", "id_number"], exc.message_zh, exc.message_en, exc.reason) from None
    try:
        phone = validate_mobile(phone) if phone else None
    except InvalidNumber as exc:
        raise ValidationFailed.field(["body", "phone"], exc.message_zh, exc.message_en, exc.reason) from None
    return id_number, phone


@dataclass
class RosterReport:
    import_id: int = 0
    rows: int = 0
    accepted: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"import_id": self.import_id, "rows": self.rows, "accepted": self.accepted, "updated": self.updated,
                "unchanged": self.unchanged, "refused_count": len(self.refused), "refused": self.refused}


# --- readers ----------------------------------------------------------------------------------------

def _map_header(header: list[str]) -> dict[str, int]:
    index: dict[str, int] = {}
    names = [str(h or "").strip().lower() for h in header]
    for key, aliases in COLUMNS.items():
        for alias in aliases:
            if alias.lower() in names:
                index[key] = names.index(alias.lower())
                break
    missing = [k for k in ("household_no", "hamlet", "head_name") if k not in index]
    if missing:
        raise ValidationFailed.field(["file"], f"花名册缺少列：{', '.join(missing)}",
                                     f"The roster lacks columns: {', '.join(missing)}", type="missing")
    return index


def _rows_from_table(table: Iterator[list[Any]]) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        header = next(table)
    except StopIteration:
        raise ValidationFailed.field(["file"], "文件为空", "The file is empty") from None
    index = _map_header([str(h) if h is not None else "" for h in header])
    for line, raw in enumerate(table, start=2):
        if raw is None or all(v in (None, "") for v in raw):
            continue
        row = {}
        for key, i in index.items():
            v = raw[i] if i < len(raw) else None
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            row[key] = "" if v is None else str(v).strip()
        yield line, row


def read_csv(stream: IO[bytes]) -> Iterator[tuple[int, dict[str, str]]]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
    return _rows_from_table(iter(csv.reader(text)))


def read_xlsx(stream: IO[bytes]) -> Iterator[tuple[int, dict[str, str]]]:
    import openpyxl

    wb = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    ws = wb.worksheets[0]
    return _rows_from_table(iter(list(r) for r in ws.iter_rows(values_only=True)))


def reader_for(filename: str, head: bytes) -> Callable[[IO[bytes]], Iterator[tuple[int, dict[str, str]]]]:
    if head[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
        return read_xlsx
    return read_csv


# --- validation ---------------------------------------------------------------------------------------

@dataclass
class _Row:
    line: int
    household_no: str
    hamlet_id: int
    head_name: str
    head_id: str | None
    phone: str | None
    member_count: int
    address: str | None
    row_hash: str


def _validate(line: int, row: dict[str, str], hamlets: dict[str, int]) -> _Row | str:
    no = row.get("household_no", "")
    if not _HOUSEHOLD_NO_RE.match(no):
        return "户号为空或含非法字符"
    hamlet_id = hamlets.get(row.get("hamlet", "").strip())
    if hamlet_id is None:
        return f"本村没有屯/组“{row.get('hamlet', '')[:20]}”"
    try:
        name = check_name(row.get("head_name", ""))
    except ValueError as exc:
        return "户主姓名：" + str(exc).split(" / ")[0]
    if len(name) > 50:
        return "户主姓名过长"
    try:
        head_id = validate_resident_id(row["head_id_number"]).number if row.get("head_id_number") else None
        phone = validate_mobile(row["phone"]) if row.get("phone") else None
    except InvalidNumber as exc:
        return exc.message_zh
    count_raw = row.get("member_count") or "1"
    if not count_raw.isdigit() or not 1 <= int(count_raw) <= 30:
        return "家庭人数须为 1-30"
    address = (row.get("address") or "")[:200] or None
    canonical = json.dumps([no, hamlet_id, name, head_id, phone, int(count_raw), address], ensure_ascii=False)
    return _Row(line, no, hamlet_id, name, head_id, phone, int(count_raw), address,
                pii.bidx(canonical, "villages.roster_row"))


def _chunks(rows: Iterable[tuple[int, dict[str, str]]], size: int) -> Iterator[list[tuple[int, dict[str, str]]]]:
    chunk: list[tuple[int, dict[str, str]]] = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- import --------------------------------------------------------------------------------------------

def import_roster(session: Session, *, actor: Principal, campaign_id: int, stream: IO[bytes], filename: str,
                  progress: Callable[[int], None] | None = None) -> RosterReport:
    """Import a roster file (streamed) into the campaign's village. The caller owns the
    transaction: a file either imports its good rows entirely or not at all."""
    camp: Campaign = get_campaign(session, actor=actor, campaign_id=campaign_id)
    hamlets = {}
    for h in session.execute(select(Division).where(Division.parent_id == camp.village_id,
                                                    Division.level == "hamlet")).scalars():
        hamlets[h.name] = h.id
        hamlets[h.code] = h.id
    digest = hashlib.sha256()
    head = stream.read(4)
    stream.seek(0)
    for block in iter(lambda: stream.read(1 << 20), b""):
        digest.update(block)
    stream.seek(0)
    report = RosterReport()
    seen: dict[str, int] = {}
    for chunk in _chunks(reader_for(filename, head)(stream), CHUNK):
        valid: list[_Row] = []
        for line, raw in chunk:
            report.rows += 1
            result = _validate(line, raw, hamlets)
            if isinstance(result, str):
                report.refused.append({"line": line, "household_no": raw.get("household_no", "")[:32],
                                       "reason": result})
                continue
            if result.household_no in seen:
                report.refused.append({"line": line, "household_no": result.household_no,
                                       "reason": f"户号与第 {seen[result.household_no]} 行重复"})
                continue
            seen[result.household_no] = line
            valid.append(result)
        _apply(session, camp, valid, report)
        if progress:
            progress(len(chunk))
    rec = RosterImport(campaign_id=camp.id, filename=filename[:200], sha256=digest.hexdigest(), rows=report.rows,
                       accepted=report.accepted, updated=report.updated, unchanged=report.unchanged,
                       refused=len(report.refused), report=json.dumps(report.refused, ensure_ascii=False),
                       created_by=actor.staff_id or None)
    session.add(rec)
    session.flush()
    report.import_id = rec.id
    audit.record(session, action="campaign.roster_import", object_type="campaign", object_id=camp.id, actor=actor,
                 changes={"import_id": rec.id, "filename": filename[:200], "sha256": rec.sha256, "rows": report.rows,
                          "accepted": report.accepted, "updated": report.updated, "unchanged": report.unchanged,
                          "refused": len(report.refused)})
    return report


def _apply(session: Session, camp: Campaign, rows: list[_Row], report: RosterReport) -> None:
    """Write one chunk: new households, their head member and campaign link in three multi-row
    inserts (Core, no ORM objects kept); changed households are updated in place."""
    if not rows:
        return
    existing = {h.household_no: h for h in session.execute(select(Household).where(
        Household.village_id == camp.village_id, Household.household_no.in_([r.household_no for r in rows]))).scalars()}
    linked = set(session.execute(select(CampaignHousehold.household_id).where(
        CampaignHousehold.campaign_id == camp.id,
        CampaignHousehold.household_id.in_([h.id for h in existing.values()]))).scalars()) if existing else set()
    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for r in rows:
        hh = existing.get(r.household_no)
        if hh is None:
            id_enc = pii.enc(r.head_id)
            new_rows.append({"village_id": camp.village_id, "hamlet_id": r.hamlet_id,
                             "institution_id": camp.institution_id, "household_no": r.household_no,
                             "head_name_enc": pii.enc(r.head_name), "head_id_enc": id_enc,
                             "head_id_bidx": pii.id_bidx(r.head_id) if r.head_id else None,
                             "phone_enc": pii.enc(r.phone), "address": r.address, "member_count": r.member_count,
                             "row_hash": r.row_hash, "created_at": now, "updated_at": now})
            report.accepted += 1
            continue
        if hh.row_hash == r.row_hash:
            report.unchanged += 1
        else:
            hh.hamlet_id, hh.head_name_enc, hh.address = r.hamlet_id, pii.enc(r.head_name), r.address
            hh.head_id_enc, hh.head_id_bidx = pii.enc(r.head_id), pii.id_bidx(r.head_id) if r.head_id else None
            hh.phone_enc, hh.member_count, hh.row_hash, hh.updated_at = pii.enc(r.phone), r.member_count, r.row_hash, now
            report.updated += 1
        if hh.id not in linked:
            links.append({"campaign_id": camp.id, "household_id": hh.id, "visit_status": "not_visited"})
    session.flush()
    if new_rows:
        ids = session.execute(insert(Household).returning(Household.id, sort_by_parameter_order=True),
                              new_rows).scalars().all()
        session.execute(insert(Member), [
            {"household_id": hid, "relation": "head", "name_enc": row["head_name_enc"],
             "id_enc": row["head_id_enc"], "id_bidx": row["head_id_bidx"], "created_at": now}
            for hid, row in zip(ids, new_rows, strict=True)])
        links += [{"campaign_id": camp.id, "household_id": hid, "visit_status": "not_visited"} for hid in ids]
    if links:
        session.execute(insert(CampaignHousehold), links)
    for obj in existing.values():  # keep memory flat on big files
        session.expunge(obj)
