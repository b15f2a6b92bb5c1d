"""``zhanye eod run [--date D]`` (Rich progress bar per step) and ``zhanye eod status``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console()


def register(app: typer.Typer) -> None:
    eod_app = typer.Typer(help="End-of-day batch", no_args_is_help=True)

    @eod_app.command("run")
    def run_cmd(date: Annotated[str | None, typer.Option("--date", help="Business date (default: current)")] = None,
                database_url: Annotated[str | None, typer.Option()] = None) -> None:
        """Run or resume the end-of-day steps of a business date, then roll the date."""
        from zhanye.batch import service
        from zhanye.cli import _database_url
        from zhanye.core.db import Database
        from zhanye.core.errors import DomainError

        db = Database(_database_url(database_url))
        bdate = dt.date.fromisoformat(date) if date else None
        with Progress(TextColumn("{task.description:<36}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console) as progress:
            def on_step(step):  # type: ignore[no-untyped-def]
                task = progress.add_task(step.title, total=None)

                def advance(n: int, total: int | None) -> None:
                    if total is not None:
                        progress.update(task, total=total)
                    if n:
                        progress.advance(task, n)
                return advance

            try:
                report = service.run(db, business_date=bdate, on_step=on_step)
            except DomainError as exc:
                console.print(f"[red]{exc.detail('zh') or exc.title('zh')}[/] ({exc.detail('en')})")
                raise typer.Exit(2) from None
            finally:
                db.dispose()
        _print(report)

    @eod_app.command("status")
    def status_cmd(date: Annotated[str | None, typer.Option("--date")] = None,
                   database_url: Annotated[str | None, typer.Option()] = None) -> None:
        """Show each step's state, rows and timing for a business date."""
        from zhanye.batch import service
        from zhanye.cli import _database_url
        from zhanye.core.db import Database

        db = Database(_database_url(database_url))
        with db.unit_of_work(write=False) as session:
            report = service.status(session, dt.date.fromisoformat(date) if date else None)
        db.dispose()
        _print(report)

    app.add_typer(eod_app, name="eod")


def _print(report) -> None:  # type: ignore[no-untyped-def]
    table = Table(title=f"日终 EOD {report.business_date}")
    for col in ("order", "step", "status", "rows", "seconds", "attempts"):
        table.add_column(col)
    for s in report.steps:
        colour = {"done": "green", "failed": "red", "running": "yellow"}.get(s.status, "white")
        table.add_row(str(s.order), s.name, f"[{colour}]{s.status}[/]", str(s.rows),
                      "" if s.seconds is None else f"{s.seconds:.2f}", str(s.attempts))
    console.print(table)
