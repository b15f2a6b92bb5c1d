"""JSON bodies made in one pass.

FastAPI's ``jsonable_encoder`` walks every value in Python before ``json.dumps`` walks them again;
for a page of list rows that walk costs more than the query. Here the C encoder of ``json`` does
the walk and calls ``jsonable_encoder`` only for the values it does not know itself (dates,
Decimal, enums, Pydantic models, sets), so the text is the same as FastAPI would send.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.encoders import jsonable_encoder
from starlette.responses import Response

_encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"),
                           default=jsonable_encoder).encode


def json_bytes(content: Any) -> bytes:
    try:
        return _encode(content).encode("utf-8")
    except TypeError:  # keys json cannot take (dates, enums): the generic walk first
        return _encode(jsonable_encoder(content)).encode("utf-8")


class JSONBody(Response):
    """A JSON response rendered by :func:`json_bytes`; returning it skips FastAPI's second walk."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json_bytes(content)
