"""``zhanye workflow ...``: publish the bundled or a given definition, run the SLA scan."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()
workflow_app = typer.Typer(help="Workflow: process definitions and the SLA scan.")


def _db(url: str | None):  # type: ignore[no-untyped-def]
    from zhanye.core.config import get_settings
    from zhanye.core.db import Database

    return Database(url or get_settings().database_url)


@workflow_app.command("publish")
def publish(path: Annotated[Path | None, typer.Argument(help="A YAML file; default: every bundled definition")] = None,
            database_url: Annotated[str | None, typer.Option()] = None) -> None:
    """Validate and publish definitions (an unchanged definition keeps its version)."""
    from zhanye.core.errors import DomainError
    from zhanye.org import service as org_service
    from zhanye.workflow import definitions

    db = _db(database_url)
    try:
        with db.unit_of_work() as session:
            actor = org_service.system_principal(session)
            if path is None:
                done = definitions.load_bundled(session, actor)
            else:
                d, created = definitions.publish_definition(session, actor, path.read_text(encoding="utf-8"))
                done = [d] if created else []
    except DomainError as exc:
        for err in exc.errors or []:
            console.print(f"[red]{err.message_en}[/]")
        raise typer.Exit(1) from None
    for d in done:
        console.print(f"[green]published[/] {d.key} v{d.version}")
    console.print(f"{len(done)} new version(s)")


@workflow_app.command("scan")
def scan(database_url: Annotated[str | None, typer.Option()] = None) -> None:
    """Issue yellow and red cards and notifications now."""
    from zhanye.core.db import utcnow
    from zhanye.workflow import sla

    db = _db(database_url)
    with db.unit_of_work() as session:
        result = sla.scan(session, utcnow())
    console.print(f"cards: {result.cards} (steps {result.yellow_steps} yellow / {result.red_steps} red, "
                  f"instances {result.yellow_instances} yellow / {result.red_instances} red); "
                  f"notifications: {result.notifications}")


def register(app: typer.Typer) -> None:
    app.add_typer(workflow_app, name="workflow")
