"""Test suites: GIVEN input / EXPECT output cases per decision, run against any version.

A case matches ``partial`` (every expected field, by dotted path, equals the actual one) or
``exact`` (the whole output equals the expectation). Every case's output must also satisfy the
decision's output schema. Suites import from and export to CSV and Excel: one row per case,
columns ``name``, ``match``, ``in.<field>`` and ``out.<field>`` (dots for nesting); cells hold
JSON values (``35``, ``true``, ``"text"`` or bare text, ``[1,2]``); an empty cell means absent.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.context import Principal
from zhanye.core.errors import FieldError
from zhanye.decisions import engine, resolve
from zhanye.decisions.errors import DecisionNotFound, EvaluationFailed, InvalidSuite
from zhanye.decisions.models import DecisionTestCase

MAX_CASES = 5000


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else k, v, out)
    else:
        out[prefix] = value


def flatten(value: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _flatten("", value, out)
    return out


def _set_path(target: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for p in parts[:-1]:
        target = target.setdefault(p, {})
    target[parts[-1]] = value


def _get_path(source: Any, path: str) -> tuple[bool, Any]:
    for p in path.split("."):
        if not isinstance(source, dict) or p not in source:
            return False, None
        source = source[p]
    return True, source


def compare(expect: dict[str, Any], actual: dict[str, Any], match: str) -> list[dict[str, Any]]:
    """The differing fields: [{field, expected, actual}] (empty when the case passes)."""
    if match == "exact":
        if expect == actual:
            return []
        fields = sorted(set(flatten(expect)) | set(flatten(actual)))
        diffs = []
        for f in fields:
            e, a = _get_path(expect, f), _get_path(actual, f)
            if e != a:
                diffs.append({"field": f, "expected": e[1] if e[0] else None, "actual": a[1] if a[0] else None})
        return diffs or [{"field": "", "expected": expect, "actual": actual}]
    diffs = []
    for f, e in flatten(expect).items():
        found, a = _get_path(actual, f)
        if not found or a != e or isinstance(a, bool) != isinstance(e, bool):
            diffs.append({"field": f, "expected": e, "actual": a if found else None})
    return diffs


def list_cases(session: Session, actor: Principal, key: str) -> list[DecisionTestCase]:
    from zhanye.decisions import service

    dec = service.get_decision(session, actor, key)
    return list(session.execute(select(DecisionTestCase).where(DecisionTestCase.decision_id == dec.id)
                                .order_by(DecisionTestCase.name)).scalars())


def _check_case(meta: resolve.DecisionMeta, i: int, name: Any, given: Any, expect: Any, match: Any,
                errors: list[FieldError]) -> None:
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        errors.append(FieldError(["cases", i, "name"], "用例名称须为 1-100 个字符", "name must be 1-100 characters"))
    if not isinstance(given, dict):
        errors.append(FieldError(["cases", i, "given"], "输入须为对象", "given must be an object", "type"))
    else:
        for e in meta.input_validator.iter_errors(given):
            from zhanye.decisions.runtime import _field_error

            fe = _field_error(e)
            errors.append(FieldError(["cases", i, "given", *fe.loc], fe.message_zh, fe.message_en, fe.type))
    if not isinstance(expect, dict) or not expect:
        errors.append(FieldError(["cases", i, "expect"], "期望输出须为非空对象", "expect must be a non-empty object",
                                 "type"))
    if match not in ("partial", "exact"):
        errors.append(FieldError(["cases", i, "match"], "匹配方式须为 partial 或 exact",
                                 "match must be partial or exact"))


def save_cases(session: Session, actor: Principal, *, key: str, cases: list[dict[str, Any]],
               replace: bool = False) -> list[DecisionTestCase]:
    """Add (or with ``replace`` substitute) cases; a case with an existing name is updated.
    Every case is checked first (input against the input schema); nothing is stored on error."""
    from zhanye.decisions import service

    dec = service.get_decision(session, actor, key)
    meta = resolve.meta(session, key)
    if len(cases) > MAX_CASES:
        raise InvalidSuite(f"用例数超过 {MAX_CASES}", f"More than {MAX_CASES} cases")
    errors: list[FieldError] = []
    names: set[str] = set()
    for i, c in enumerate(cases):
        _check_case(meta, i, c.get("name"), c.get("given"), c.get("expect"), c.get("match", "partial"), errors)
        if c.get("name") in names:
            errors.append(FieldError(["cases", i, "name"], "用例名称重复", "duplicate case name", "duplicate"))
        names.add(c.get("name"))
    if errors:
        raise InvalidSuite(f"测试用例有 {len(errors)} 处错误", f"The test cases have {len(errors)} error(s)",
                           errors=errors)
    if replace:
        session.execute(delete(DecisionTestCase).where(DecisionTestCase.decision_id == dec.id))
    existing = {c.name: c for c in session.execute(select(DecisionTestCase).where(
        DecisionTestCase.decision_id == dec.id)).scalars()}
    saved = []
    for c in cases:
        row = existing.get(c["name"])
        if row is None:
            row = DecisionTestCase(decision_id=dec.id, name=c["name"])
            session.add(row)
        row.given, row.expect, row.match = c["given"], c["expect"], c.get("match", "partial")
        saved.append(row)
    session.flush()
    audit.record(session, action="decision.suite.save", object_type="decision", object_id=dec.id,
                 changes={"key": key, "cases": len(cases), "replace": replace}, actor=actor)
    return saved


def delete_case(session: Session, actor: Principal, *, key: str, case_id: int) -> None:
    from zhanye.decisions import service

    dec = service.get_decision(session, actor, key)
    row = session.get(DecisionTestCase, case_id)
    if row is None or row.decision_id != dec.id:
        raise DecisionNotFound("测试用例不存在", "The test case does not exist")
    session.delete(row)
    audit.record(session, action="decision.suite.delete", object_type="decision_test_case", object_id=case_id,
                 changes={"key": key, "name": row.name}, actor=actor)


def run_suite(session: Session, actor: Principal, *, version_id: int) -> dict[str, Any]:
    from zhanye.decisions import service
    from zhanye.decisions.runtime import check_output

    v = service.get_version(session, actor, version_id)
    dec = service.get_decision_by_id(session, v.decision_id)
    meta = resolve.meta(session, dec.key)
    vkey = resolve.ensure_loaded(session, v.id)
    cases = list(session.execute(select(DecisionTestCase).where(DecisionTestCase.decision_id == dec.id)
                                 .order_by(DecisionTestCase.name)).scalars())
    results = []
    for c in cases:
        try:
            actual = engine.evaluate(vkey, c.given)["result"]
            check_output(meta, actual)
            diffs = compare(c.expect, actual, c.match)
        except EvaluationFailed as exc:
            actual = None
            diffs = [{"field": "", "expected": c.expect, "actual": None, "error": str(exc)}]
        results.append({"id": c.id, "name": c.name, "passed": not diffs, "given": c.given, "expect": c.expect,
                        "match": c.match, "actual": actual, "diffs": diffs})
    passed = sum(1 for r in results if r["passed"])
    return {"key": dec.key, "version_id": v.id, "version_number": v.number, "total": len(results),
            "passed": passed, "failed": len(results) - passed, "cases": results}


# --- CSV / Excel ------------------------------------------------------------------------------

def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value if value and not _looks_json(value) else json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)


def _looks_json(text: str) -> bool:
    try:
        json.loads(text)
        return True
    except ValueError:
        return False


def _parse_cell(text: Any) -> tuple[bool, Any]:
    if text is None:
        return False, None
    if not isinstance(text, str):  # openpyxl gives numbers and booleans
        return True, text
    if text.strip() == "":
        return False, None
    try:
        return True, json.loads(text)
    except ValueError:
        return True, text


def cases_to_rows(cases: list[DecisionTestCase]) -> tuple[list[str], list[list[str]]]:
    in_cols: list[str] = []
    out_cols: list[str] = []
    for c in cases:
        for f in flatten(c.given):
            if f not in in_cols:
                in_cols.append(f)
        for f in flatten(c.expect):
            if f not in out_cols:
                out_cols.append(f)
    header = ["name", "match"] + [f"in.{f}" for f in in_cols] + [f"out.{f}" for f in out_cols]
    rows = []
    for c in cases:
        gi, ex = flatten(c.given), flatten(c.expect)
        rows.append([c.name, c.match] + [_cell(gi.get(f)) if f in gi else "" for f in in_cols]
                    + [_cell(ex.get(f)) if f in ex else "" for f in out_cols])
    return header, rows


def export_csv(cases: list[DecisionTestCase]) -> str:
    header, rows = cases_to_rows(cases)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def export_xlsx(cases: list[DecisionTestCase]) -> bytes:
    from openpyxl import Workbook

    header, rows = cases_to_rows(cases)
    wb = Workbook()
    ws = wb.active
    ws.title = "cases"
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def rows_to_cases(header: list[Any], rows: list[list[Any]], *, need_name: bool = True) -> list[dict[str, Any]]:
    header = [str(h or "").strip() for h in header]
    errors: list[FieldError] = []
    if need_name and "name" not in header:
        errors.append(FieldError(["header"], "缺少 name 列", "the name column is missing", "missing"))
    for h in header:
        if h and h not in ("name", "match") and not (h.startswith("in.") or h.startswith("out.")):
            errors.append(FieldError(["header", h], f"未知列 {h}（应为 in.字段 或 out.字段）",
                                     f"unknown column {h} (use in.<field> or out.<field>)", "column"))
    if errors:
        raise InvalidSuite("测试用例文件的表头有误", "The header of the case file is not valid", errors=errors)
    cases = []
    for r, row in enumerate(rows):
        if all(v is None or str(v).strip() == "" for v in row):
            continue
        case: dict[str, Any] = {"given": {}, "expect": {}, "match": "partial"}
        for h, v in zip(header, row, strict=False):
            if h == "name":
                case["name"] = str(v).strip() if v is not None else ""
            elif h == "match":
                case["match"] = (str(v).strip() or "partial") if v is not None else "partial"
            elif h:
                present, value = _parse_cell(v)
                if present:
                    _set_path(case["given"] if h.startswith("in.") else case["expect"], h.split(".", 1)[1], value)
        case["row"] = r + 2
        cases.append(case)
    return cases


def parse_upload(filename: str, data: bytes) -> list[dict[str, Any]]:
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:
            raise InvalidSuite("无法读取 Excel 文件", f"The Excel file cannot be read: {exc}") from None
        all_rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidSuite("CSV 文件须为 UTF-8 编码", "The CSV file must be UTF-8") from None
        all_rows = list(csv.reader(io.StringIO(text)))
    if not all_rows:
        raise InvalidSuite("文件为空", "The file is empty")
    cases = rows_to_cases(all_rows[0], all_rows[1:])
    for c in cases:
        c.pop("row", None)
    return cases
