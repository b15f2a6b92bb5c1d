"""Money: integer fen, Decimal rates, one rounding module with the mode named at each call.

Amounts are ``int`` fen (分) everywhere. Rates are ``Decimal`` annual rates. Every rounding
names its mode; the house default is ROUND_HALF_UP (四舍五入) to the fen.
"""

from __future__ import annotations

from decimal import (
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
    InvalidOperation,
)
from enum import StrEnum

FEN_PER_YUAN = 100
MAX_AMOUNT_FEN = 10**15  # larger amounts are refused as input errors


class Rounding(StrEnum):
    HALF_UP = ROUND_HALF_UP
    HALF_EVEN = ROUND_HALF_EVEN
    DOWN = ROUND_DOWN
    UP = ROUND_UP
    FLOOR = ROUND_FLOOR


DEFAULT_ROUNDING = Rounding.HALF_UP


def round_fen(value: Decimal | int, mode: Rounding) -> int:
    """Round a Decimal amount of fen to whole fen with the named mode."""
    if isinstance(value, int):
        return value
    if not isinstance(value, Decimal):
        raise TypeError(f"round_fen takes Decimal or int, not {type(value).__name__}")
    return int(value.quantize(Decimal(1), rounding=str(mode)))


def yuan_to_fen(value: str | Decimal | int, mode: Rounding = Rounding.HALF_UP) -> int:
    """Convert a yuan amount given by a person ("12500.00", Decimal) to fen; refuses floats."""
    if isinstance(value, float):
        raise TypeError("float never touches money: pass a str or Decimal")
    try:
        dec = Decimal(str(value).replace(",", "").replace("¥", "").strip())
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if not dec.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return round_fen(dec * FEN_PER_YUAN, mode)


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def format_yuan(fen: int, *, symbol: bool = True) -> str:
    """``1250000`` → ``¥12,500.00``; negatives as ``-¥12.50``."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{'¥' if symbol else ''}{yuan:,}.{cents:02d}"


def interest_fen(principal_fen: int, annual_rate: Decimal, days: int, mode: Rounding,
                 *, basis: int = 360) -> int:
    """Simple interest on actual days / basis, rounded with the named mode."""
    return round_fen(Decimal(principal_fen) * annual_rate * days / basis, mode)


def split_fen(total_fen: int, parts: int) -> list[int]:
    """Split an amount in ``parts`` equal whole-fen pieces; the remainder goes to the last."""
    if parts <= 0:
        raise ValueError("parts must be positive")
    base = total_fen // parts
    pieces = [base] * parts
    pieces[-1] += total_fen - base * parts
    return pieces


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ["", "拾", "佰", "仟"]
_BIG_UNITS = ["", "万", "亿", "万亿"]


def _four_digits(n: int) -> str:
    """Upper-case text of 0 < n < 10000 with inner zeros collapsed."""
    out = []
    zero = False
    for pos in range(3, -1, -1):
        d = (n // 10**pos) % 10
        if d == 0:
            zero = bool(out)
        else:
            if zero:
                out.append("零")
                zero = False
            out.append(_DIGITS[d] + _SMALL_UNITS[pos])
    return "".join(out)


def to_chinese_upper(fen: int) -> str:
    """Chinese upper-case amount for contracts: 1250000 fen → 壹万贰仟伍佰元整."""
    if fen < 0:
        return "负" + to_chinese_upper(-fen)
    if fen >= 10**18:
        raise ValueError("amount too large for upper-case text")
    yuan, cents = divmod(fen, 100)
    jiao, fen_d = divmod(cents, 10)
    parts: list[str] = []
    if yuan:
        groups = []
        n = yuan
        while n:
            groups.append(n % 10000)
            n //= 10000
        text = ""
        need_zero = False
        for idx in range(len(groups) - 1, -1, -1):
            g = groups[idx]
            if g == 0:
                need_zero = bool(text)
                continue
            if text and (need_zero or g < 1000):
                text += "零"
            text += _four_digits(g) + _BIG_UNITS[idx]
            need_zero = False
        parts.append(text + "元")
    if jiao == 0 and fen_d == 0:
        return ("".join(parts) or "零元") + "整"
    if jiao:
        parts.append(_DIGITS[jiao] + "角")
    elif yuan:
        parts.append("零")
    if fen_d:
        parts.append(_DIGITS[fen_d] + "分")
    else:
        parts.append("整")
    return "".join(parts)
