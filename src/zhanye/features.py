"""The feature packages, in dependency order. The app, migrations, CLI and demo seeding find each
feature's parts by these names (``models``, ``api``, ``views``, ``cli``, ``demo``), so adding a
feature touches only its own package and this list."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

FEATURES: tuple[str, ...] = (
    "org",
    "integrations",
    "batch",
    "ledger",
    "deposits",
    "customers",
    "villages",
    "decisions",
    "workflow",
    "lending",
    "lending.origination",
    "lending.servicing",
    "online",
    "fraud",
    "devices",
)


def feature_module(feature: str, part: str) -> ModuleType | None:
    name = f"zhanye.{feature}.{part}"
    try:
        if importlib.util.find_spec(f"zhanye.{feature}") is None or importlib.util.find_spec(name) is None:
            return None
    except ModuleNotFoundError:
        return None
    return importlib.import_module(name)


def modules(part: str) -> list[tuple[str, ModuleType]]:
    found = []
    for feature in FEATURES:
        mod = feature_module(feature, part)
        if mod is not None:
            found.append((feature, mod))
    return found


def import_all_models() -> None:
    """Import every table definition so that ``Base.metadata`` is complete."""
    importlib.import_module("zhanye.core.models")
    modules("models")
