"""Passwords (argon2id via argon2-cffi), the password policy, and session tokens."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from zhanye.core.crypto import sm3_hex
from zhanye.core.errors import ValidationFailed


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    # ZHANYE_ARGON2_PROFILE=fast lowers the cost for test suites; production keeps the defaults.
    if os.environ.get("ZHANYE_ARGON2_PROFILE") == "fast":
        return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return PasswordHasher()  # argon2id, RFC 9106 low-memory profile


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


_DUMMY_HASH: str | None = None


def burn_verify(password: str) -> None:
    """Spend the time of one verification for an unknown user (no username oracle by timing)."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
    verify_password(_DUMMY_HASH, password)


def check_password_policy(password: str, *, username: str, min_length: int) -> None:
    problems_zh: list[str] = []
    problems_en: list[str] = []
    if len(password) < min_length:
        problems_zh.append(f"至少 {min_length} 个字符")
        problems_en.append(f"at least {min_length} characters")
    if len(password) > 128:
        problems_zh.append("不超过 128 个字符")
        problems_en.append("at most 128 characters")
    classes = sum([
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ])
    if classes < 3:
        problems_zh.append("须包含大写字母、小写字母、数字、符号中的至少三类")
        problems_en.append("must mix at least three of upper case, lower case, digits and symbols")
    if username and username.lower() in password.lower():
        problems_zh.append("不能包含用户名")
        problems_en.append("must not contain the username")
    if problems_zh:
        raise ValidationFailed.field(
            ["body", "new_password"], "密码不符合要求：" + "；".join(problems_zh),
            "The password does not meet the policy: " + "; ".join(problems_en), type="password_policy",
        )


def new_token() -> tuple[str, str]:
    """Return (token given to the client, SM3 hash stored)."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return sm3_hex(token)


def random_password() -> str:
    """A temporary password that satisfies the policy."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    core = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{core}#{secrets.randbelow(90) + 10}Aa"
