"""``zhanye loans schedule ...`` (repayment trial calculation), ``zhanye loans products`` and
``zhanye contracts verify ID``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from zhanye.core.errors import DomainError
from zhanye.core.money import Rounding, format_yuan, yuan_to_fen

loans_app = typer.Typer(help="Loans: repayment calculator and products", no_args_is_help=True)
contracts_app = typer.Typer(help="Loan and credit-line contracts", no_args_is_help=True)
console = Console(width=max(Console().width, 110))


def _decimal(value: str, name: str) -> Decimal:
    try:
        dec = Decimal(value)
    except InvalidOperation:
        raise typer.BadParameter(f"{value!r} is not a number", param_hint=name) from None
    if not dec.is_finite():
        raise typer.BadParameter(f"{value!r} is not a number", param_hint=name)
    return dec


@loans_app.command("schedule")
def schedule_cmd(
    amount: Annotated[str, typer.Option(help="Loan amount in yuan, e.g. 1000000 or 12500.50")],
    annual_rate: Annotated[str, typer.Option(help="Annual rate as a decimal, e.g. 0.049")],
    months: Annotated[int, typer.Option(help="Term in months")],
    method: Annotated[str, typer.Option(help="equal_installment | equal_principal | interest_first | bullet")],
    start: Annotated[str, typer.Option(help="Start (value) date, YYYY-MM-DD")] = "",
    day_rule: Annotated[str, typer.Option("--day-rule", help="loan_date or fixed_day:N (1-28)")] = "loan_date",
    rows: Annotated[int, typer.Option(help="Installments to print at each end (0 = all)")] = 0,
) -> None:
    """Print the repayment schedule and totals (amounts in yuan; converted to fen exactly)."""
    from zhanye.lending.schedules import METHOD_NAMES_ZH, DayRule, build_schedule

    rate = _decimal(annual_rate, "--annual-rate")
    amount_dec = _decimal(amount.replace(",", ""), "--amount")
    try:
        exact = amount_dec == amount_dec.quantize(Decimal("0.01"))
    except InvalidOperation:
        exact = False
    if not exact or amount_dec <= 0:
        raise typer.BadParameter("the amount must be positive yuan with at most two decimals (fen)",
                                 param_hint="--amount")
    try:
        start_date = dt.date.fromisoformat(start) if start else dt.date.today()
    except ValueError:
        raise typer.BadParameter(f"{start!r} is not a date (YYYY-MM-DD)", param_hint="--start") from None
    try:
        s = build_schedule(amount_fen=yuan_to_fen(amount_dec, Rounding.HALF_UP), months=months, annual_rate=rate,
                           method=method, start=start_date, day_rule=DayRule.parse(day_rule))
    except DomainError as exc:
        messages = "; ".join(f"{'.'.join(map(str, e.loc))}: {e.message_en}" for e in exc.errors) or str(exc)
        console.print(f"[red]{messages}[/]")
        raise typer.Exit(2) from None
    table = Table(title=f"还款计划 Repayment schedule · {METHOD_NAMES_ZH[s.method]} {s.method}", box=box.SIMPLE)
    for col in ("期 No.", "还款日 Due", "天 Days", "本金 Principal", "利息 Interest", "合计 Total", "剩余本金 Remaining"):
        table.add_column(col, justify="right")
    shown = s.installments
    if rows and len(shown) > 2 * rows:
        shown = shown[:rows] + (None,) + shown[-rows:]  # type: ignore[assignment]
    for i in shown:
        if i is None:
            table.add_row("…", "…", "", "", "", "", "")
            continue
        table.add_row(str(i.number), i.due_date.isoformat(), str(i.days) + ("" if i.regular else "*"),
                      format_yuan(i.principal_fen, symbol=False), format_yuan(i.interest_fen, symbol=False),
                      format_yuan(i.total_fen, symbol=False), format_yuan(i.remaining_fen, symbol=False))
    console.print(table)
    console.print(f"金额 Amount {format_yuan(s.amount_fen)} · 年利率 Annual rate {rate} · {s.months} 个月 months · "
                  f"起息 Start {s.start} · 到期 Maturity {s.maturity}")
    console.print(f"首期 First installment {format_yuan(s.first_total_fen)} · "
                  f"总利息 Total interest [bold]{format_yuan(s.total_interest_fen)}[/] · "
                  f"本息合计 Total repaid [bold]{format_yuan(s.total_fen)}[/]")
    if any(not i.regular for i in s.installments):
        console.print("* odd period: interest on actual days / 360")


@loans_app.command("products")
def products_cmd(database_url: Annotated[str | None, typer.Option()] = None) -> None:
    """List the current version of every loan product."""
    from zhanye.cli import _database_url
    from zhanye.core.db import Database
    from zhanye.lending import products

    db = Database(_database_url(database_url))
    table = Table(title="贷款产品 Loan products")
    for col in ("code", "v", "name", "purpose", "amount", "term", "rate", "methods", "status"):
        table.add_column(col, no_wrap=col in ("code", "v", "amount", "term", "rate", "status"), overflow="fold")
    with db.unit_of_work(write=False) as s:
        for p in products.list_products(s):
            out = products.product_out(p)
            rate = (f"LPR{p.lpr_tenor}+{p.spread_min_bp}~{p.spread_max_bp}bp" if p.rate_type == "lpr"
                    else f"{out['fixed_rate_min']}~{out['fixed_rate_max']}")
            table.add_row(p.code, str(p.version), p.name, out["purpose_category_name"],
                          f"{out['min_amount_yuan']}~{out['max_amount_yuan']}",
                          f"{p.min_term_months}-{p.max_term_months}m", rate, ",".join(out["repayment_method_names"]),
                          p.status)
    db.dispose()
    console.print(table)


@contracts_app.command("verify")
def verify_cmd(contract_id: Annotated[int, typer.Argument(help="Contract id")],
               database_url: Annotated[str | None, typer.Option()] = None) -> None:
    """Check the stored PDF against its SM3 digest and the customer's and the bank's SM2 signatures."""
    from zhanye.cli import _database_url
    from zhanye.core.db import Database
    from zhanye.lending import contracts

    db = Database(_database_url(database_url))
    try:
        with db.unit_of_work(write=False) as s:
            report = contracts.verify_contract(s, contract_id=contract_id)
    except DomainError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    finally:
        db.dispose()
    console.print(f"contract {report.number} (id {report.contract_id})")
    for check in report.checks:
        mark = "[green]PASS[/]" if check.ok else "[red]FAIL[/]"
        console.print(f"  {mark} {check.name}: {check.detail}")
    if report.ok:
        console.print("[green]contract intact: the PDF matches its digest and both signatures[/]")
        return
    console.print(f"[red]verification failed: {', '.join(report.failed)}[/]")
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(loans_app, name="loans")
    app.add_typer(contracts_app, name="contracts")
