"""A compiled fast path for the JSON Schema subset decision contracts use.

``compile_schema(schema)`` returns a function ``value -> bool`` equivalent to
``Draft202012Validator(schema).is_valid`` for schemas built from: type (one or a list), enum,
const, minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength, pattern,
properties, required, additionalProperties (boolean), items (a schema), minItems, maxItems, and
annotation keywords (title, description, ...). The schema is translated once into one Python
expression (no interpretation per call). For any other keyword it returns None and the caller
uses jsonschema. It only answers valid / not valid; error messages always come from jsonschema,
which runs only when the fast check fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]
ANNOTATIONS = {"title", "description", "default", "examples", "$comment", "$schema", "$id", "format",
               "deprecated", "readOnly", "writeOnly"}
SUPPORTED = ANNOTATIONS | {"type", "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                           "minLength", "maxLength", "pattern", "properties", "required", "additionalProperties",
                           "items", "minItems", "maxItems"}
_TYPES = {
    "integer": "(type({x}) is int or (type({x}) is float and {x}.is_integer()))",
    "number": "(type({x}) is int or type({x}) is float)",
    "string": "type({x}) is str",
    "boolean": "type({x}) is bool",
    "object": "type({x}) is dict",
    "array": "type({x}) is list",
    "null": "{x} is None",
}


class _Unsupported(Exception):
    pass


def _same(a: Any, b: Any) -> bool:
    """JSON equality: booleans are not numbers."""
    return (type(a) is bool) == (type(b) is bool) and a == b


class _Gen:
    def __init__(self) -> None:
        self.consts: dict[str, Any] = {"_same": _same, "_MISSING": object()}
        self.n = 0

    def const(self, value: Any) -> str:
        self.n += 1
        name = f"_k{self.n}"
        self.consts[name] = value
        return name

    def var(self) -> str:
        self.n += 1
        return f"_v{self.n}"

    def expr(self, schema: Any, x: str) -> str:
        if schema is True or schema == {}:
            return "True"
        if schema is False:
            return "False"
        if not isinstance(schema, dict) or set(schema) - SUPPORTED:
            raise _Unsupported
        parts: list[str] = []
        if "type" in schema:
            names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            if any(n not in _TYPES for n in names):
                raise _Unsupported
            parts.append("(" + " or ".join(_TYPES[n].format(x=x) for n in names) + ")")
        if "enum" in schema:
            options = list(schema["enum"])
            if all(type(o) is str for o in options):
                parts.append(f"(type({x}) is str and {x} in {self.const(frozenset(options))})")
            else:
                parts.append(f"any(_same({x}, _o) for _o in {self.const(options)})")
        if "const" in schema:
            parts.append(f"_same({x}, {self.const(schema['const'])})")
        num = f"(type({x}) is int or type({x}) is float)"
        for kw, op in (("minimum", ">="), ("maximum", "<="), ("exclusiveMinimum", ">"), ("exclusiveMaximum", "<")):
            if kw in schema:
                parts.append(f"(not {num} or {x} {op} {self.const(schema[kw])})")
        for kw, op, typ in (("minLength", ">=", "str"), ("maxLength", "<=", "str"),
                            ("minItems", ">=", "list"), ("maxItems", "<=", "list")):
            if kw in schema:
                parts.append(f"(type({x}) is not {typ} or len({x}) {op} {int(schema[kw])})")
        if "pattern" in schema:
            rx = self.const(re.compile(schema["pattern"]))
            parts.append(f"(type({x}) is not str or {rx}.search({x}) is not None)")
        if "items" in schema:
            item = self.var()
            parts.append(f"(type({x}) is not list or all({self.expr(schema['items'], item)} for {item} in {x}))")
        props = schema.get("properties") or {}
        required = list(schema.get("required") or ())
        additional = schema.get("additionalProperties", True)
        if not isinstance(additional, bool):
            raise _Unsupported
        if props or required or additional is False:
            obj = []
            for r in required:
                obj.append(f"{self.const(r)} in {x}")
            for name, sub in props.items():
                v = self.var()
                inner = self.expr(sub, v)
                if inner != "True":
                    obj.append(f"(({v} := {x}.get({self.const(name)}, _MISSING)) is _MISSING or {inner})")
            if additional is False:
                obj.append(f"{self.const(frozenset(props))}.issuperset({x})")
            if obj:
                parts.append(f"(type({x}) is not dict or (" + " and ".join(obj) + "))")
        return "(" + " and ".join(parts) + ")" if parts else "True"


def compile_schema(schema: Any) -> Check | None:
    gen = _Gen()
    try:
        body = gen.expr(schema, "value")
    except (_Unsupported, re.error, TypeError):
        return None
    namespace = dict(gen.consts)
    exec(f"def check(value):\n    return bool({body})\n", namespace)  # noqa: S102 - generated from our own schema walk
    return namespace["check"]  # type: ignore[no-any-return]
