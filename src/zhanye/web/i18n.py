"""Translations: gettext catalogs with Babel. Message ids are English; each feature keeps its
Chinese catalog in ``<feature>/locale/zh_CN.po``, all merged at start-up (no compiled files in
the repository). Chinese is the default language; English is one switch away."""

from __future__ import annotations

import gettext
import io
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"

_current: ContextVar[str] = ContextVar("zhanye_locale", default=DEFAULT_LOCALE)


def catalog_files(locale: str) -> list[Path]:
    return sorted(PACKAGE_ROOT.glob(f"*/locale/{locale}.po")) + sorted(PACKAGE_ROOT.glob(f"*/*/locale/{locale}.po"))


@lru_cache(maxsize=4)
def translations(locale: str) -> gettext.NullTranslations:
    if locale == "en":
        return gettext.NullTranslations()
    merged: gettext.GNUTranslations | None = None
    for path in catalog_files(locale):
        with open(path, "rb") as fh:
            catalog = read_po(fh, locale=locale)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        part = gettext.GNUTranslations(buf)
        if merged is None:
            merged = part
        else:
            merged._catalog.update(part._catalog)  # type: ignore[attr-defined]
    return merged or gettext.NullTranslations()


def set_locale(locale: str) -> object:
    return _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def get_locale() -> str:
    return _current.get()


def gettext_(message: str) -> str:
    return translations(get_locale()).gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return translations(get_locale()).ngettext(singular, plural, n)


_ = gettext_
