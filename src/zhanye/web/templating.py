"""Jinja2 environment shared by every feature: templates are looked up in ``web/templates`` and
in each feature's ``templates/`` folder; ``_()`` translates; money and dates have filters."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from zhanye.core.calendar import BANK_TZ
from zhanye.core.money import fen_to_yuan, format_yuan, to_chinese_upper
from zhanye.web import i18n, nav

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def _local_time(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(BANK_TZ).strftime(fmt)


@pass_context
def _template_gettext(ctx: Context, message: str) -> str:
    """``_()`` in a template: the template's own feature words it first (see web/i18n.py)."""
    return i18n.gettext_in(i18n.template_feature(ctx.name), message)


@pass_context
def _template_ngettext(ctx: Context, singular: str, plural: str, n: int) -> str:
    return i18n.ngettext_in(i18n.template_feature(ctx.name), singular, plural, n)


@lru_cache(maxsize=1)
def environment() -> Environment:
    loaders = [FileSystemLoader(str(PACKAGE_ROOT / "web" / "templates"))]
    feature_dirs = sorted(PACKAGE_ROOT.glob("*/templates")) + sorted(PACKAGE_ROOT.glob("*/*/templates"))
    loaders += [FileSystemLoader(str(p)) for p in feature_dirs if p.parent.name != "web"]
    env = Environment(loader=ChoiceLoader(loaders), autoescape=select_autoescape(["html", "xml"]),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_callables(_template_gettext, _template_ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["yuan"] = lambda fen: format_yuan(int(fen)) if fen is not None else ""
    env.filters["yuan_plain"] = lambda fen: str(fen_to_yuan(int(fen))) if fen else ""  # form input values
    env.filters["upper_amount"] = lambda fen: to_chinese_upper(int(fen)) if fen is not None else ""
    env.filters["localtime"] = _local_time
    return env


def render(request: Request, template: str, context: dict[str, Any] | None = None, *,
           status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    principal = getattr(request.state, "principal", None)
    ctx: dict[str, Any] = {
        "request": request,
        "principal": principal,
        "nav_items": nav.visible(principal.permissions) if principal else [],
        "locale": i18n.get_locale(),
        "business_date": getattr(request.state, "business_date", None),
    }
    ctx.update(context or {})
    html = environment().get_template(template).render(ctx)
    return HTMLResponse(html, status_code=status_code, headers=headers)


def render_error(request: Request, status: int, title: str, detail: str | None) -> HTMLResponse:
    return render(request, "error.html", {"status": status, "title": title, "detail": detail},
                  status_code=status)
