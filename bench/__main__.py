"""Runner: ``python -m bench list`` and ``python -m bench NAME [args...]``.

A benchmark is a module ``bench/<name>.py`` with a docstring (its first line is the summary) and
``main(argv: list[str]) -> str`` returning a Markdown section; the runner prints it and records
it in docs/benchmarks.md (replacing the previous section of the same name)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

import bench
from bench.common import record


def _names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name not in ("common", "__main__"))


def main() -> int:
    args = sys.argv[1:]
    if not args or args[0] in ("list", "-h", "--help"):
        for name in _names():
            mod = importlib.import_module(f"bench.{name}")
            print(f"{name:24s} {(mod.__doc__ or '').strip().splitlines()[0] if mod.__doc__ else ''}")
        return 0
    name = args[0]
    if name not in _names():
        print(f"unknown benchmark {name!r}; try: python -m bench list", file=sys.stderr)
        return 2
    mod = importlib.import_module(f"bench.{name}")
    section = mod.main(args[1:])
    print(section)
    record(name, section, Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
