"""``zhanye villages import-roster CAMPAIGN_ID FILE --as USERNAME`` (streamed, with a Rich
progress bar and the refused-rows report) and ``zhanye villages coverage``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from zhanye.core.errors import DomainError

villages_app = typer.Typer(help="Villages and whole-village credit campaigns", no_args_is_help=True)
console = Console()


def _db(database_url: str | None):  # type: ignore[no-untyped-def]
    from zhanye.core.config import get_settings
    from zhanye.core.db import Database

    return Database(database_url or get_settings().database_url)


@villages_app.command("import-roster")
def import_roster_cmd(
    campaign_id: Annotated[int, typer.Argument(help="Campaign id")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or .xlsx roster")],
    username: Annotated[str, typer.Option("--as", help="Staff member the import is recorded for")],
    database_url: Annotated[str | None, typer.Option(help="Overrides ZHANYE_DATABASE_URL")] = None,
) -> None:
    """Import a household roster into a campaign; re-importing the same file changes nothing."""
    from zhanye.customers.demo import actor_for
    from zhanye.villages import roster

    db = _db(database_url)
    size = os.path.getsize(file)
    with open(file, "rb") as fh:
        total_lines = sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b"")) \
            if file.suffix.lower() != ".xlsx" else None
    try:
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console) as progress:
            task = progress.add_task(f"{file.name} ({size // 1024} KiB)", total=(total_lines - 1) if total_lines else None)
            with db.unit_of_work() as session, open(file, "rb") as fh:
                report = roster.import_roster(session, actor=actor_for(session, username), campaign_id=campaign_id,
                                              stream=fh, filename=file.name,
                                              progress=lambda n: progress.advance(task, n))
    except DomainError as exc:
        console.print(f"[red]{exc.detail('zh') or exc.title('zh')}[/red]")
        raise typer.Exit(1) from None
    console.print(f"rows {report.rows}: accepted {report.accepted}, updated {report.updated}, "
                  f"unchanged {report.unchanged}, refused {len(report.refused)}")
    if report.refused:
        table = Table("line", "household_no", "reason", title="refused rows")
        for row in report.refused[:200]:
            table.add_row(str(row["line"]), row["household_no"], row["reason"])
        console.print(table)
        if len(report.refused) > 200:
            console.print(f"... and {len(report.refused) - 200} more (see import {report.import_id})")


@villages_app.command("coverage")
def coverage_cmd(by: Annotated[str, typer.Option(help="village | township | institution")] = "village",
                 username: Annotated[str, typer.Option("--as")] = "admin",
                 database_url: Annotated[str | None, typer.Option()] = None) -> None:
    """Print the coverage ranking visible to a staff member."""
    from zhanye.customers.demo import actor_for
    from zhanye.villages import coverage

    db = _db(database_url)
    with db.unit_of_work(write=False) as session:
        rows = coverage.coverage(session, actor=actor_for(session, username), by=by)
    table = Table("#", "name", "households", "filed", "filed %", "credited", "credited %", "drawn", "drawn %")
    for i, r in enumerate(rows, 1):
        table.add_row(str(i), r.name, str(r.households), str(r.filed), f"{r.filed_rate * 100:.1f}", str(r.credited),
                      f"{r.credited_rate * 100:.1f}", str(r.drawn), f"{r.drawn_rate * 100:.1f}")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(villages_app, name="villages")
