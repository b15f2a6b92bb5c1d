"""Input text rules shared by every schema: names allow letters (Chinese included), digits and a
few separators; free text refuses control characters. Emoji, HTML and SQL fragments in names are
refused with a clear message rather than stored."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

_NAME_RE = re.compile(r"^[\w\u00b7\u30fb\-–—()（）.·、\s]+$", re.UNICODE)
_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_USERNAME_RE = re.compile(r"^[a-z][a-z0-9_.\-]{2,31}$")


def _has_control(value: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co") and c not in "\n\t" for c in value)


def _has_emoji(value: str) -> bool:
    return any(unicodedata.category(c) == "So" or 0x1F000 <= ord(c) <= 0x1FAFF for c in value)


def check_name(value: str) -> str:
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        raise ValueError("名称不能为空 / must not be empty")
    if _has_control(value) or "\n" in value or "\t" in value:
        raise ValueError("名称不能包含控制字符 / must not contain control characters")
    if _has_emoji(value):
        raise ValueError("名称不能包含表情符号 / must not contain emoji or symbols")
    if not _NAME_RE.match(value):
        raise ValueError("名称只能包含文字、数字、空格和 ·-() / only letters, digits, spaces and ·-() allowed")
    return value


def check_free_text(value: str) -> str:
    value = unicodedata.normalize("NFC", value)
    if _has_control(value):
        raise ValueError("文本不能包含控制字符 / must not contain control characters")
    return value


def check_code(value: str) -> str:
    if not _CODE_RE.match(value):
        raise ValueError("代码只能包含字母、数字和 _.- / only letters, digits and _.- allowed")
    return value


def check_username(value: str) -> str:
    if not _USERNAME_RE.match(value):
        raise ValueError(
            "用户名须为 3-32 位小写字母开头的字母、数字或 _.- / username: 3-32 of a-z 0-9 _.- starting with a letter")
    return value


Name = Annotated[str, StringConstraints(max_length=100), AfterValidator(check_name)]
ShortName = Annotated[str, StringConstraints(max_length=64), AfterValidator(check_name)]
FreeText = Annotated[str, StringConstraints(max_length=2000), AfterValidator(check_free_text)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=32), AfterValidator(check_code)]
Username = Annotated[str, StringConstraints(min_length=3, max_length=32), AfterValidator(check_username)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=128)]
