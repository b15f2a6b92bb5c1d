"""Translations: gettext catalogs with Babel. Message ids are English; each feature keeps its
Chinese catalog in ``<feature>/locale/zh_CN.po`` (no compiled files in the repository). Chinese
is the default language; English is one switch away.

A template's ``_()`` looks in its own feature's catalog first, then in all catalogs merged, so two
features may word the same English differently ("Active": 在职 for staff, 生效 for a credit line).
Python code (navigation, messages built in views) uses the merged catalog; the message ids it uses
must mean one thing everywhere (tests/unit/test_i18n.py checks both)."""

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


def feature_of_catalog(path: Path) -> str:
    """``.../lending/origination/locale/zh_CN.po`` → ``lending.origination``."""
    return ".".join(path.parent.parent.relative_to(PACKAGE_ROOT).parts)


def _load(path: Path, locale: str) -> gettext.GNUTranslations:
    with open(path, "rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


@lru_cache(maxsize=4)
def translations(locale: str) -> gettext.NullTranslations:
    """All catalogs merged (later files win a clash; see the module docstring)."""
    if locale == "en":
        return gettext.NullTranslations()
    merged: gettext.GNUTranslations | None = None
    for path in catalog_files(locale):
        part = _load(path, locale)
        if merged is None:
            merged = part
        else:
            merged._catalog.update(part._catalog)  # type: ignore[attr-defined]
    return merged or gettext.NullTranslations()


@lru_cache(maxsize=4)
def feature_translations(locale: str) -> dict[str, gettext.NullTranslations]:
    """Each feature's own catalog, falling back to the merged one."""
    if locale == "en":
        return {}
    out: dict[str, gettext.NullTranslations] = {}
    for path in catalog_files(locale):
        own = _load(path, locale)
        own.add_fallback(translations(locale))
        out[feature_of_catalog(path)] = own
    return out


@lru_cache(maxsize=1)
def template_features() -> dict[str, str]:
    """Template folder → feature: ``lending/origination/templates/origination/`` gives
    ``origination`` → ``lending.origination``."""
    out: dict[str, str] = {}
    for templates in sorted(PACKAGE_ROOT.glob("*/templates")) + sorted(PACKAGE_ROOT.glob("*/*/templates")):
        feature = ".".join(templates.parent.relative_to(PACKAGE_ROOT).parts)
        for sub in templates.iterdir():
            if sub.is_dir():
                out.setdefault(sub.name, feature)
    return out


def template_feature(template_name: str | None) -> str | None:
    if not template_name or "/" not in template_name:
        return None
    return template_features().get(template_name.split("/", 1)[0])


def gettext_in(feature: str | None, message: str) -> str:
    """Translate ``message`` with ``feature``'s own wording first (templates)."""
    locale = get_locale()
    own = feature_translations(locale).get(feature or "") if locale != "en" else None
    return (own or translations(locale)).gettext(message)


def ngettext_in(feature: str | None, singular: str, plural: str, n: int) -> str:
    locale = get_locale()
    own = feature_translations(locale).get(feature or "") if locale != "en" else None
    return (own or translations(locale)).ngettext(singular, plural, n)


def set_locale(locale: str) -> object:
    return _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def get_locale() -> str:
    return _current.get()


def gettext_(message: str) -> str:
    return translations(get_locale()).gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return translations(get_locale()).ngettext(singular, plural, n)


_ = gettext_
