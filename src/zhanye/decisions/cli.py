"""``zhanye scorecard ...`` and ``zhanye decisions ...`` commands."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

console = Console()
scorecard_app = typer.Typer(help="Scorecards: train with optbinning, export to JDM, PSI monitoring",
                            no_args_is_help=True)
decisions_app = typer.Typer(help="Decision engine: strategies, suites, batch regression", no_args_is_help=True)


def _db(url: str | None):  # type: ignore[no-untyped-def]
    from zhanye.cli import _database_url
    from zhanye.core.db import Database

    return Database(_database_url(url))


def _actor(session, username: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from zhanye.decisions.demo import analyst_principal
    from zhanye.org.models import Staff

    staff = session.execute(select(Staff).where(Staff.username == username)).scalar_one_or_none()
    if staff is None:
        raise typer.BadParameter(f"no staff member {username!r}")
    return analyst_principal(session, staff.id, staff.username, staff.institution_id)


@scorecard_app.command("train")
def scorecard_train(data: Path, target: Annotated[str, typer.Option(help="0/1 column of the outcome")] = "default_flag",
                    variables: Annotated[str | None, typer.Option(help="comma-separated; default all but *_id")] = None,
                    pdo: float = 20, odds: float = 50, points: float = 600,
                    holdout: Annotated[float, typer.Option(min=0.05, max=0.9)] = 0.3,
                    special_codes: Annotated[str | None, typer.Option(
                        help="comma-separated special values (e.g. -1,-999) binned apart in every variable")] = None,
                    out: Annotated[Path | None, typer.Option(help="write the JDM sub-decision here")] = None,
                    install: Annotated[str | None, typer.Option(help="create a draft version of this decision key")] = None,
                    author: Annotated[str, typer.Option(help="staff username of the draft's author")] = "analyst",
                    database_url: Annotated[str | None, typer.Option()] = None) -> None:
    """Train a scorecard, print its table and holdout Gini/KS, export it to JDM and check it."""
    from zhanye.decisions import scorecard

    with console.status("training (optbinning)..."):
        try:
            res = scorecard.train(data, target=target, variables=variables.split(",") if variables else None,
                                  pdo=pdo, odds=odds, points=points, holdout=holdout,
                                  special_codes=[float(c) for c in special_codes.split(",")] if special_codes else None)
        except (ValueError, FileNotFoundError) as exc:
            raise typer.BadParameter(str(exc)) from None
    table = Table(title=f"Scorecard (PDO {pdo:g}, odds {odds:g} at {points:g} points)")
    for col in ("variable", "bin", "count", "event rate", "WoE", "points"):
        table.add_column(col, justify="right" if col not in ("variable", "bin") else "left")
    for r in res.table:
        table.add_row(r["variable"], r["bin"], str(r["count"]), f"{r['event_rate']:.3f}", f"{r['woe']:.3f}",
                      str(r["points"]))
    console.print(table)
    console.print(f"holdout ({res.holdout_rows} rows, trained on {res.train_rows}): "
                  f"Gini [bold]{res.gini:.3f}[/bold]  KS [bold]{res.ks:.3f}[/bold]")
    with console.status("checking the JDM export against optbinning on every row..."):
        same, total = scorecard.check_export(res)
    style = "green" if same == total else "red"
    console.print(f"JDM export equals optbinning's score on [{style}]{same}/{total}[/{style}] rows")
    graph = res.graph()
    if out:
        out.write_text(json.dumps(graph, ensure_ascii=False, indent=1), encoding="utf-8")
        console.print(f"JDM written to {out}")
    if install:
        from zhanye.decisions import service

        db = _db(database_url)
        with db.unit_of_work() as s:
            actor = _actor(s, author)
            try:
                service.get_decision(s, actor, install)
            except Exception:
                service.create_decision(s, actor, key=install, name=f"评分卡 {install}",
                                        description=f"optbinning scorecard trained on {data.name}",
                                        input_schema=scorecard.input_schema(res.variables),
                                        output_schema=scorecard.OUTPUT_SCHEMA)
            v = service.create_version(s, actor, key=install, content=graph,
                                       change_note=f"trained on {data.name}: Gini {res.gini:.3f} KS {res.ks:.3f}")
            console.print(f"draft version {v.number} (id {v.id}) of {install} created; submit and approve it to activate")
    if same != total:
        raise typer.Exit(1)


@scorecard_app.command("psi")
def scorecard_psi(data: Path, key: Annotated[str, typer.Option()] = "loan.rating",
                  days: Annotated[int, typer.Option(min=1)] = 30, limit: int = 100_000,
                  database_url: Annotated[str | None, typer.Option()] = None) -> None:
    """PSI of the score and each variable: training sample vs recorded production inputs."""
    from zhanye.decisions import dataset, psi_service

    db = _db(database_url)
    with db.unit_of_work(write=False) as s:
        report = psi_service.report(s, key=key, training=dataset.load(data), days=days, limit=limit)
    table = Table(title=f"PSI of {key}: {report['training_rows']} training vs {report['production_rows']} production")
    table.add_column("variable")
    table.add_column("PSI", justify="right")
    table.add_column("band")
    colours = {"stable": "green", "watch": "yellow", "shift": "red"}
    for item in report["items"]:
        table.add_row(item["name"], f"{item['psi']:.4f}", f"[{colours[item['band']]}]{item['band']}[/]")
    console.print(table)


@decisions_app.command("regress")
def decisions_regress(version: Annotated[int, typer.Option(help="candidate version id")],
                      file: Annotated[Path | None, typer.Option(help="sample CSV/XLSX/JSONL; default: records")] = None,
                      days: Annotated[int | None, typer.Option(help="recorded inputs of the last N days")] = None,
                      limit: int = 1_000_000, workers: int | None = None,
                      user: Annotated[str, typer.Option(help="staff username running it")] = "analyst",
                      database_url: Annotated[str | None, typer.Option()] = None) -> None:
    """Batch regression of a candidate version against the active one. Ctrl-C cancels."""
    from zhanye.decisions import regression, service

    db = _db(database_url)
    inputs = None
    with db.unit_of_work() as s:
        actor = _actor(s, user)
        v = service.get_version(s, actor, version)
        key = service.get_decision_by_id(s, v.decision_id).key
        if file is not None:
            inputs = regression.parse_sample_file(s, decision_key=key, filename=file.name, data=file.read_bytes())
        run = regression.start(s, actor, version_id=version, source="file" if file else "records",
                               total=len(inputs) if inputs else 0)
        run_id = run.id
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days) if days else None
    columns = (TextColumn("[bold]regression"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("run", total=None)

        def tick(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            report = regression.execute(db, run_id, inputs=inputs, since=since, limit=limit, workers=workers,
                                        progress=tick)
        except KeyboardInterrupt:
            with db.unit_of_work() as s:
                regression.cancel(s, actor, run_id)
            console.print("cancelled")
            raise typer.Exit(130) from None
    _print_report(report)


def _print_report(report: dict) -> None:  # type: ignore[type-arg]
    console.print(f"inputs {report['total']}, changed {report['changed']} ({report['changed_rate']:.2%}), "
                  f"errors {report['errors']}")
    if report["field_changes"]:
        console.print("changed by field: " + ", ".join(f"{k} {v}" for k, v in report["field_changes"].items()))
    if report["confusion"]:
        table = Table(title=f"confusion of {report['outcome_field']} (rows: active, columns: candidate)")
        labels = sorted({c["baseline"] for c in report["confusion"]} | {c["candidate"] for c in report["confusion"]})
        cells = {(c["baseline"], c["candidate"]): c["count"] for c in report["confusion"]}
        table.add_column("")
        for lab in labels:
            table.add_column(lab, justify="right")
        for a in labels:
            table.add_row(a, *[str(cells.get((a, b), 0)) for b in labels])
        console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(scorecard_app, name="scorecard")
    app.add_typer(decisions_app, name="decisions")
