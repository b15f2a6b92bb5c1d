"""Page forms validated by the same Pydantic schemas as the API, errors shown per field."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from zhanye.core.errors import DomainError
from zhanye.web import i18n


def validate_form(model: type[BaseModel], data: dict[str, Any]) -> tuple[BaseModel | None, dict[str, str]]:
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        zh = i18n.get_locale() == "zh_CN"
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "_"
            msg = str(err.get("msg", "")).removeprefix("Value error, ")
            if " / " in msg:
                msg = msg.split(" / ", 1)[0 if zh else 1]
            elif zh:
                from zhanye.web.problems import _PYDANTIC_ZH

                msg = _PYDANTIC_ZH.get(err.get("type", ""), "取值无效")
            errors.setdefault(field, msg)
        return None, errors


def domain_message(exc: DomainError) -> str:
    lang = "zh" if i18n.get_locale() == "zh_CN" else "en"
    detail = exc.detail(lang)
    field_msgs = "; ".join(e.as_dict(lang)["message"] for e in exc.errors)
    return detail or field_msgs or exc.title(lang)
