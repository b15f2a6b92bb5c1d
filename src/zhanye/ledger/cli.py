"""``zhanye ledger check [--date D]``: prove the ledger's invariants; exit 1 on any breach."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.console import Console

console = Console()


def register(app: typer.Typer) -> None:
    ledger_app = typer.Typer(help="Ledger: invariants and trial balance", no_args_is_help=True)

    @ledger_app.command("check")
    def check(date: Annotated[str | None, typer.Option("--date", help="Check the entries of one business date")] = None,
              database_url: Annotated[str | None, typer.Option()] = None) -> None:
        """Trial balance is zero, every entry balances, sub-ledgers equal their control accounts,
        no available balance is negative where overdraft is not allowed."""
        from zhanye.cli import _database_url
        from zhanye.core.db import Database
        from zhanye.core.money import format_yuan
        from zhanye.features import import_all_models
        from zhanye.ledger.check import check_ledger

        import_all_models()
        bdate = dt.date.fromisoformat(date) if date else None
        db = Database(_database_url(database_url))
        with db.unit_of_work(write=False) as session:
            res = check_ledger(session, business_date=bdate)
        db.dispose()
        console.print(f"entries {res.entries}, lines {res.lines}, accounts {res.accounts}; "
                      f"debits {format_yuan(res.total_debit_fen)} credits {format_yuan(res.total_credit_fen)}")
        if res.ok:
            console.print("[green]ledger check passed[/]: all invariants hold")
            return
        for b in res.breaches:
            console.print(f"[red]breach[/] {b}")
        console.print(f"[red]ledger check failed[/]: {len(res.breaches)} breach(es)")
        raise typer.Exit(1)

    app.add_typer(ledger_app, name="ledger")
