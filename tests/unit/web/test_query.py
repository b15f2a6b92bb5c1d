"""``web.query.QueryModel`` without a database: values from the query string, errors located
under ``query``, the OpenAPI parameters from the model."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.requests import Request

from zhanye.web.query import QueryModel


class _Q(BaseModel):
    name: Annotated[str, Field(max_length=3)]
    n: Annotated[int, Field(ge=1)] = 1


QUERY = QueryModel(_Q)


def _request(qs: bytes) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": qs})


def test_values_are_converted_and_the_last_of_a_repeat_counts() -> None:
    assert QUERY.parse(_request(b"name=ab&n=2&n=7&other=x")) == _Q(name="ab", n=7)


def test_errors_are_located_under_query() -> None:
    with pytest.raises(RequestValidationError) as err:
        QUERY.parse(_request(b"n=0"))
    assert sorted((e["loc"], e["type"]) for e in err.value.errors()) == [
        (("query", "n"), "greater_than_equal"), (("query", "name"), "missing")]


def test_openapi_parameters_come_from_the_model() -> None:
    assert QUERY.openapi == {"parameters": [
        {"name": "name", "in": "query", "required": True, "schema": {"type": "string", "maxLength": 3}},
        {"name": "n", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "default": 1}}]}
