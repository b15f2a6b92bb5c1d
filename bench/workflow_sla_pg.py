"""Workflow at scale on PostgreSQL: the workflow_sla benchmark, recorded in a section of its own.

Usage: ``python -m bench workflow_sla_pg --database-url postgresql+psycopg://USER@HOST/EMPTY_DB
[--instances N] [--requests R]`` (same measures as ``workflow_sla``; the URL is required).
"""

from __future__ import annotations

from bench import workflow_sla


def main(argv: list[str]) -> str:
    if not any(a.startswith("--database-url") for a in argv) and "-h" not in argv and "--help" not in argv:
        raise SystemExit("workflow_sla_pg needs --database-url of an EMPTY PostgreSQL database")
    section = workflow_sla.main(argv)
    return section.replace("## workflow_sla —", "## workflow_sla (PostgreSQL) —", 1)
