"""Contracts: render, SMS code, sign (SM3 + SM2 customer and bank), verify, tamper detection."""

from __future__ import annotations

import datetime as dt
import re
import zlib
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.conftest import count_rows
from tests.integration.lending.helpers import (
    last_sms_code,
    make_loan_contract,
    signature_png,
    unique_phone,
    valid_id_number,
)
from tests.integration.org.helpers import principal_of
from zhanye.core.errors import InvalidTransition, NotFound, ValidationFailed
from zhanye.core.models import AuditRecord
from zhanye.lending import contracts, products, sms_codes
from zhanye.lending.models import Contract, SmsCode


def _pdf_text_bytes(pdf: bytes) -> bytes:
    """Page content streams, inflated where compressed (reportlab writes CID text as UTF-16BE)."""
    import base64

    out = [pdf]
    for m in re.finditer(rb"stream\s*\n(.*?)endstream", pdf, re.S):
        raw = m.group(1).strip()
        try:
            if raw.endswith(b"~>"):  # /ASCII85Decode /FlateDecode
                raw = base64.a85decode(raw, adobe=True)
            out.append(zlib.decompress(raw))
        except (ValueError, zlib.error):
            pass
    body = b"".join(out)
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}

    def unescape(m: re.Match[bytes]) -> bytes:
        e = m.group(1)
        # \ddd is octal; PDF ignores overflow past one byte. Image and font streams decoded above
        # also match the literal pattern, so any byte sequence must parse.
        return bytes([int(e, 8) & 0xFF]) if e[:1] in b"01234567" and e[:1] != b"" else escapes.get(e, e)

    # PDF literal strings escape bytes as \ddd (octal), \( \) \\
    return b"".join(re.sub(rb"\\([0-7]{1,3}|.)", unescape, lit) for lit in re.findall(rb"\(((?:\\.|[^\\)])*)\)", body))


def _signed(db, username: str = "manager1"):  # type: ignore[no-untyped-def]
    actor = principal_of(db, username)
    phone = unique_phone()
    with db.unit_of_work() as s:
        c = make_loan_contract(s, actor, phone=phone)
        cid = c.id
        contracts.request_signing_code(s, actor=actor, contract_id=cid)
    with db.unit_of_work() as s:
        result = contracts.sign_contract(s, actor=actor, contract_id=cid, signature_png=signature_png(),
                                         sms_code=last_sms_code(phone))
        assert result.ok, result.error
    return actor, cid


def test_sign_and_verify_a_loan_contract(demo_db) -> None:
    actor, cid = _signed(demo_db)
    with demo_db.unit_of_work(write=False) as s:
        c = contracts.get_contract(s, actor=actor, contract_id=cid)
        assert c.status == "signed" and c.pdf_sm3 and c.customer_signature_hex and c.bank_signature_hex
        assert c.customer_id_no_masked.startswith("2") and "*" in c.customer_id_no_masked
        assert "王建国" not in c.customer_name_enc  # stored encrypted
        report = contracts.verify_contract(s, contract_id=cid, actor=actor)
        assert report.ok, report.checks
        assert [ch.name for ch in report.checks] == ["file", "digest", "customer_signature", "bank_signature"]
        pdf = contracts.pdf_file(c).read_bytes()
        assert pdf.startswith(b"%PDF") and b"STSong-Light" in pdf
        text = _pdf_text_bytes(pdf)
        assert "壹拾贰万元整".encode("utf-16-be") in text  # amount in Chinese upper case
        assert "个人借款合同".encode("utf-16-be") in text
        assert b"/Subtype /Image" in pdf or b"/Subtype/Image" in pdf  # the signature image
        actions = s.execute(select(AuditRecord.action).where(AuditRecord.object_type == "contract",
                                                             AuditRecord.object_id == str(cid))).scalars().all()
        assert {"contract.create", "contract.sms_code", "contract.sign"} <= set(actions)


def test_a_tampered_pdf_fails_verification(demo_db) -> None:
    actor, cid = _signed(demo_db)
    with demo_db.unit_of_work(write=False) as s:
        path = contracts.pdf_file(s.get(Contract, cid))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with demo_db.unit_of_work(write=False) as s:
        report = contracts.verify_contract(s, contract_id=cid)
    assert not report.ok
    assert report.failed == ["digest", "customer_signature", "bank_signature"]


def test_a_forged_digest_still_fails_on_the_signatures(demo_db) -> None:
    """Replacing the file AND the recorded digest is caught by the SM2 signatures."""
    from zhanye.core.crypto import sm3_hex

    actor, cid = _signed(demo_db)
    with demo_db.unit_of_work() as s:
        c = s.get(Contract, cid)
        path = contracts.pdf_file(c)
        forged = path.read_bytes().replace(b"/Title", b"/Titlf", 1)
        path.write_bytes(forged)
        c.pdf_sm3 = sm3_hex(forged)
    with demo_db.unit_of_work(write=False) as s:
        report = contracts.verify_contract(s, contract_id=cid)
    assert report.failed == ["customer_signature", "bank_signature"]


def test_missing_file_is_reported(demo_db) -> None:
    _, cid = _signed(demo_db)
    with demo_db.unit_of_work(write=False) as s:
        contracts.pdf_file(s.get(Contract, cid)).unlink()
        report = contracts.verify_contract(s, contract_id=cid)
    assert report.failed == ["file"]


def test_wrong_sms_code_is_counted_and_changes_nothing_else(demo_db) -> None:
    actor = principal_of(demo_db, "manager1")
    phone = unique_phone()
    with demo_db.unit_of_work() as s:
        cid = make_loan_contract(s, actor, phone=phone).id
        contracts.request_signing_code(s, actor=actor, contract_id=cid)
    good = last_sms_code(phone)
    bad = f"{(int(good) + 1) % 10**6:06d}"
    with demo_db.unit_of_work() as s:
        result = contracts.sign_contract(s, actor=actor, contract_id=cid, signature_png=signature_png(),
                                         sms_code=bad)
    assert not result.ok and isinstance(result.error, sms_codes.SmsCodeInvalid)
    with demo_db.unit_of_work(write=False) as s:
        c = s.get(Contract, cid)
        assert c.status == "pending_signature" and c.pdf_path is None and c.pdf_sm3 is None
        code = s.execute(select(SmsCode).where(SmsCode.object_id == str(cid))).scalar_one()
        assert code.attempts == 1 and code.used_at is None
    with demo_db.unit_of_work() as s:  # the right code still works, once
        assert contracts.sign_contract(s, actor=actor, contract_id=cid, signature_png=signature_png(),
                                       sms_code=good).ok
    with pytest.raises(InvalidTransition), demo_db.unit_of_work() as s:
        contracts.sign_contract(s, actor=actor, contract_id=cid, signature_png=signature_png(), sms_code=good)


def test_code_is_locked_after_five_wrong_tries(demo_db) -> None:
    actor = principal_of(demo_db, "manager1")
    phone = unique_phone()
    with demo_db.unit_of_work() as s:
        cid = make_loan_contract(s, actor, phone=phone).id
        contracts.request_signing_code(s, actor=actor, contract_id=cid)
    good = last_sms_code(phone)
    bad = f"{(int(good) + 7) % 10**6:06d}"
    for _ in range(sms_codes.MAX_ATTEMPTS):
        with demo_db.unit_of_work() as s:
            assert not contracts.sign_contract(s, actor=actor, contract_id=cid, signature_png=signature_png(),
                                               sms_code=bad).ok
    with demo_db.unit_of_work() as s:
        result = contracts.sign_contract(s, actor=actor, contract_id=cid, signature_png=signature_png(),
                                         sms_code=good)
    assert not result.ok and "Too many" in (result.error.detail_en or "")


def test_resend_too_soon_is_refused(demo_db) -> None:
    actor = principal_of(demo_db, "manager1")
    with demo_db.unit_of_work() as s:
        cid = make_loan_contract(s, actor, phone=unique_phone()).id
        contracts.request_signing_code(s, actor=actor, contract_id=cid)
    with pytest.raises(sms_codes.SmsCodeTooSoon), demo_db.unit_of_work() as s:
        contracts.request_signing_code(s, actor=actor, contract_id=cid)


@pytest.mark.parametrize("png", [b"", b"GIF89a....", b"\x89PNG\r\n\x1a\nbroken"])
def test_bad_signature_images_are_refused(demo_db, png: bytes) -> None:
    actor = principal_of(demo_db, "manager1")
    phone = unique_phone()
    with demo_db.unit_of_work() as s:
        cid = make_loan_contract(s, actor, phone=phone).id
        contracts.request_signing_code(s, actor=actor, contract_id=cid)
    with pytest.raises(contracts.SignatureImageInvalid), demo_db.unit_of_work() as s:
        contracts.sign_contract(s, actor=actor, contract_id=cid, signature_png=png, sms_code=last_sms_code(phone))


def test_blank_signature_is_refused() -> None:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGBA", (400, 150), (0, 0, 0, 0)).save(buf, format="PNG")
    with pytest.raises(contracts.SignatureImageInvalid):
        contracts.check_signature_png(buf.getvalue())


def test_other_institution_sees_not_found(demo_db) -> None:
    owner = principal_of(demo_db, "manager1")  # 柳河支行
    outsider = principal_of(demo_db, "manager3")  # 石桥支行
    with demo_db.unit_of_work() as s:
        cid = make_loan_contract(s, owner).id
    with demo_db.unit_of_work(write=False) as s:
        with pytest.raises(NotFound):
            contracts.get_contract(s, actor=outsider, contract_id=cid)
        with pytest.raises(NotFound):
            contracts.verify_contract(s, contract_id=cid, actor=outsider)
        rows, _ = contracts.list_contracts(s, actor=outsider, page_size=200)
        assert cid not in {r.id for r in rows}
        branch = principal_of(demo_db, "branch1")  # 东城分行 sees its sub-branches
        assert contracts.get_contract(s, actor=branch, contract_id=cid).id == cid


def test_invalid_inputs_write_nothing(demo_db) -> None:
    actor = principal_of(demo_db, "manager1")
    before = count_rows(demo_db, "lending_contract")
    with demo_db.unit_of_work() as s:
        product = products.current_product(s, code="NJD")
    bad_id = valid_id_number(5)[:-1] + ("0" if valid_id_number(5)[-1] != "0" else "1")
    cases = [
        ({"party": contracts.PartyData("王建国", bad_id, "13800138000")}, ValidationFailed),
        ({"amount_fen": 100}, products.ProductTermsRefused),  # below the product minimum
        ({"method": "bullet"}, products.ProductTermsRefused),
        ({"day_rule": "fixed_day:30"}, ValidationFailed),
    ]
    for over, exc in cases:
        kwargs = {"party": contracts.PartyData("王建国", valid_id_number(), "13800138000"), "product": product,
                  "amount_fen": 12_000_000, "months": 24, "annual_rate": Decimal("0.041"),
                  "method": "equal_installment", "start": dt.date(2026, 1, 5), "day_rule": "loan_date", **over}
        with pytest.raises(exc), demo_db.unit_of_work() as s:
            contracts.create_loan_contract(s, actor=actor, **kwargs)
    assert count_rows(demo_db, "lending_contract") == before


def test_line_contract_renders_the_line_terms(demo_db) -> None:
    actor = principal_of(demo_db, "manager1")
    phone = unique_phone()
    with demo_db.unit_of_work() as s:
        product = products.current_product(s, code="NHXYD")
        c = contracts.create_line_contract(
            s, actor=actor, party=contracts.PartyData("李秀英", valid_id_number(), phone), product=product,
            limit_fen=20_000_000, annual_rate=Decimal("0.0380"), months=36, start=dt.date(2026, 3, 1), revolving=True,
            source_type="campaign", source_id="demo-village-1")
        cid = c.id
        html = contracts.render_html(c)
        assert "贰拾万元整" in html and "可循环使用" in html and "2029-03-01" in html
        assert "李*" in html and "李秀英" not in html  # masked on screen
        contracts.request_signing_code(s, actor=actor, contract_id=cid)
    with demo_db.unit_of_work() as s:
        assert contracts.sign_contract(s, actor=actor, contract_id=cid, signature_png=signature_png(),
                                       sms_code=last_sms_code(phone)).ok
    with demo_db.unit_of_work(write=False) as s:
        assert contracts.verify_contract(s, contract_id=cid).ok
        with pytest.raises(ValidationFailed), demo_db.unit_of_work() as s2:
            contracts.create_line_contract(
                s2, actor=actor, party=contracts.PartyData("李秀英", valid_id_number(), phone),
                product=products.current_product(s2, code="NJD"), limit_fen=20_000_000,
                annual_rate=Decimal("0.038"), months=12, start=dt.date(2026, 3, 1), revolving=True)
