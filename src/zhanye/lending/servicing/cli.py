"""``zhanye servicing reconcile``: prove the loan pools equal the sums over the loans;
``zhanye servicing portfolio``: the portfolio by classification and DPD band."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console()


def register(app: typer.Typer) -> None:
    servicing_app = typer.Typer(help="Loan servicing: reconciliation and portfolio", no_args_is_help=True)

    @servicing_app.command("reconcile")
    def reconcile(database_url: Annotated[str | None, typer.Option()] = None) -> None:
        """Each institution's loan pool accounts equal the principal, interest, penalty and compound
        receivable of its loans (by classification)."""
        from zhanye.cli import _database_url
        from zhanye.core.db import Database
        from zhanye.features import import_all_models
        from zhanye.lending.servicing import accounting

        import_all_models()
        db = Database(_database_url(database_url))
        with db.unit_of_work(write=False) as session:
            breaches = accounting.reconcile(session)
        db.dispose()
        if not breaches:
            console.print("[green]servicing reconciliation passed[/]")
            return
        for b in breaches:
            console.print(f"[red]breach[/] {b}")
        raise typer.Exit(1)

    @servicing_app.command("portfolio")
    def portfolio(database_url: Annotated[str | None, typer.Option()] = None) -> None:
        """Outstanding principal by five-level classification and by DPD band."""
        from zhanye.cli import _database_url
        from zhanye.core.context import SYSTEM
        from zhanye.core.db import Database
        from zhanye.core.money import format_yuan
        from zhanye.features import import_all_models
        from zhanye.lending.servicing import portfolio_view

        import_all_models()
        db = Database(_database_url(database_url))
        with db.unit_of_work(write=False) as session:
            data = portfolio_view.summary(session, actor=SYSTEM)
        db.dispose()
        for key, title in (("classification", "五级分类"), ("dpd_bands", "逾期天数")):
            table = Table(title=title)
            table.add_column("")
            table.add_column("笔数", justify="right")
            table.add_column("余额", justify="right")
            for row in data[key]:
                table.add_row(row["name"], f"{row['loans']:,}", format_yuan(row["outstanding_fen"]))
            console.print(table)
        console.print(f"不良率 {data['npl_ratio']}")

    app.add_typer(servicing_app, name="servicing")
