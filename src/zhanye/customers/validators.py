"""Validators of Chinese identity numbers: resident ID (GB 11643), Unified Social Credit Code
(GB 32100, letter-led codes included), mainland mobile numbers and bank card numbers.

``stdnum.cn.uscc`` insists that the first 8 characters are digits, which refuses real codes of
village collectives (N1/N2/N3...) and other letter-led registration authorities, so the USCC
check digit is computed here from the standard.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from stdnum import luhn
from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError


class InvalidNumber(ValueError):
    """A number that fails validation; ``reason`` is a stable code, messages are zh/en."""

    def __init__(self, reason: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.reason = reason
        self.message_zh = message_zh
        self.message_en = message_en


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: dt.date
    gender: str  # "M" | "F"
    region_code: str

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


def validate_resident_id(value: str, *, today: dt.date | None = None) -> ResidentId:
    """Validate an 18-character resident ID: format, check digit, birth date, region."""
    number = (value or "").strip().upper().replace(" ", "")
    try:
        if len(number) != 18:
            raise InvalidLength()
        if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
            raise InvalidFormat()
        if number[-1] != ric.calc_check_digit(number):
            raise InvalidChecksum()
        try:
            birth = ric.get_birth_date(number)
        except InvalidComponent:
            raise InvalidNumber("birth_date", "身份证号中的出生日期无效",
                                "The birth date in the ID number is not a valid date") from None
        today = today or dt.date.today()
        if birth > today or birth.year < today.year - 130:
            raise InvalidNumber("birth_date", "身份证号中的出生日期不合理",
                                "The birth date in the ID number is out of range")
        if region_name(number[:6]) is None:
            raise InvalidNumber("region", "身份证号中的地区代码无效",
                                "The region code in the ID number is unknown")
    except InvalidLength:
        raise InvalidNumber("length", "身份证号须为 18 位", "The ID number must have 18 characters") from None
    except InvalidFormat:
        raise InvalidNumber("format", "身份证号格式有误（前 17 位为数字，末位为数字或 X）",
                            "The ID number must be 17 digits and a digit or X") from None
    except InvalidChecksum:
        raise InvalidNumber("checksum", "身份证号校验位错误", "The ID number's check digit is wrong") from None
    except ValidationError:  # pragma: no cover - any other stdnum complaint
        raise InvalidNumber("invalid", "身份证号无效", "The ID number is not valid") from None
    gender = "M" if int(number[16]) % 2 == 1 else "F"
    return ResidentId(number=number, birth_date=birth, gender=gender, region_code=number[:6])


@lru_cache(maxsize=8192)
def region_name(code: str) -> str | None:
    """The place of a 6-digit division code if it has ever existed, else None.

    ``stdnum.cn.ric.get_birth_place`` also refuses a code created after the birth year, which
    refuses real numbers: IDs were issued (from 1984 on) with the code of the place of household
    registration at issue time, so a person born in 1975 in 农安县 (220122, created 1983) holds a
    220122 number. Any code that has existed is accepted here."""
    from stdnum import numdb

    info = {k: v for _part, props in numdb.get("cn/loc").info(code) for k, v in props.items()}
    if "county" not in info:
        return None
    county = info["county"].split(",")[-1]
    county = county.split("]", 1)[1] if county.startswith("[") else county
    return f"{info.get('province', '')}{county}"


# --- Unified Social Credit Code (GB 32100-2015) ----------------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# registration authority (1st char) -> allowed organisation types (2nd char)
USCC_AUTHORITIES: dict[str, str] = {
    "1": "1239",  # 机构编制
    "2": "19",  # 外交
    "3": "12345679",  # 司法行政
    "4": "19",  # 文化
    "5": "1239",  # 民政
    "6": "129",  # 旅游
    "7": "129",  # 宗教
    "8": "19",  # 工会
    "9": "123",  # 工商 (企业, 个体工商户, 农民专业合作社)
    "A": "19",  # 中央军委改革和编制办公室
    "N": "12349",  # 农业: 1 组级集体经济组织, 2 村级, 3 乡镇级, 4 (2023+) , 9 其他
    "Y": "1",  # 其他
}
USCC_KINDS = {
    "91": "enterprise", "92": "individual_business", "93": "farmer_cooperative",
    "N1": "collective_group", "N2": "collective_village", "N3": "collective_township",
}
_USCC_RE = re.compile(r"^[0-9A-Y][0-9A-Y][0-9]{6}[0-9A-Y]{10}$")


def uscc_check_digit(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(value: str) -> str:
    """Validate a USCC, including letter-led codes (N1/N2/N3 village collectives)."""
    code = (value or "").strip().upper().replace(" ", "")
    if len(code) != 18:
        raise InvalidNumber("length", "统一社会信用代码须为 18 位", "The USCC must have 18 characters")
    if not _USCC_RE.match(code) or any(c not in USCC_ALPHABET for c in code):
        raise InvalidNumber("format", "统一社会信用代码格式有误（不含 I、O、S、V、Z）",
                            "The USCC has an invalid format (I, O, S, V, Z are never used)")
    allowed = USCC_AUTHORITIES.get(code[0])
    if allowed is None or code[1] not in allowed:
        raise InvalidNumber("authority", "统一社会信用代码的登记管理部门或机构类别代码无效",
                            "The USCC's registration authority or organisation type is unknown")
    if code[-1] != uscc_check_digit(code[:17]):
        raise InvalidNumber("checksum", "统一社会信用代码校验位错误", "The USCC's check digit is wrong")
    return code


def uscc_kind(code: str) -> str:
    return USCC_KINDS.get(code[:2], "other")


# --- phone and card ---------------------------------------------------------------------------------

_MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")


def validate_mobile(value: str) -> str:
    number = (value or "").strip().replace(" ", "").replace("-", "")
    if number.startswith("+86"):
        number = number[3:]
    if not _MOBILE_RE.match(number):
        raise InvalidNumber("format", "手机号须为 11 位且以 13-19 开头", "A mobile number is 11 digits starting 13-19")
    return number


def validate_card(value: str) -> str:
    number = (value or "").strip().replace(" ", "")
    if not number.isdigit() or not 13 <= len(number) <= 19:
        raise InvalidNumber("format", "银行卡号须为 13-19 位数字", "A card number is 13-19 digits")
    if not luhn.is_valid(number):
        raise InvalidNumber("checksum", "银行卡号校验位错误", "The card number's check digit is wrong")
    return number


def make_resident_id(region: str, birth: dt.date, seq: int) -> str:
    """Build a valid resident ID (for sandboxes, demo data and tests)."""
    body = f"{region}{birth:%Y%m%d}{seq % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def make_card(prefix: str, length: int = 19) -> str:
    body = prefix.ljust(length - 1, "0")[: length - 1]
    return body + luhn.calc_check_digit(body)
