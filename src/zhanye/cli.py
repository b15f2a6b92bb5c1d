"""The ``zhanye`` command: run the demo or the server, migrate, verify the audit chain, and the
commands each feature adds (``ledger``, ``eod``, ``loans``, ``contracts``, ``scorecard``, ...)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from zhanye.features import modules

app = typer.Typer(help="Zhanye 展业 field-banking platform", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema (Alembic)", no_args_is_help=True)
audit_app = typer.Typer(help="Audit trail", no_args_is_help=True)
calendar_app = typer.Typer(help="Working calendar", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(calendar_app, name="calendar")
console = Console()

ROOT = Path(__file__).resolve().parent.parent.parent
MIGRATIONS = ROOT / "migrations"


def _database_url(explicit: str | None) -> str:
    if explicit:
        os.environ["ZHANYE_DATABASE_URL"] = explicit
        from zhanye.core.config import get_settings

        get_settings.cache_clear()
        return explicit
    from zhanye.core.config import get_settings

    return get_settings().database_url


def alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    if not MIGRATIONS.exists():
        raise typer.BadParameter(f"migrations folder not found at {MIGRATIONS}")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d_%%(slug)s")
    cfg.set_main_option("version_path_separator", "os")
    return cfg


def upgrade_database(url: str) -> None:
    from alembic import command

    from zhanye.core.config import ensure_sqlite_dir

    ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), "heads")


@db_app.command("upgrade")
def db_upgrade(database_url: Annotated[str | None, typer.Option(help="Overrides ZHANYE_DATABASE_URL")] = None) -> None:
    """Migrate the configured database to the newest schema."""
    url = _database_url(database_url)
    upgrade_database(url)
    from zhanye.core.db import Database
    from zhanye.org import service as org_service

    db = Database(url)
    with db.unit_of_work() as session:
        added = org_service.sync_catalog(session)
    db.dispose()
    console.print(f"[green]schema up to date[/] ({_redact(url)}); permissions added: {len(added)}")


@db_app.command("current")
def db_current(database_url: Annotated[str | None, typer.Option()] = None) -> None:
    """Show the applied revisions."""
    from alembic import command

    command.current(alembic_config(_database_url(database_url)), verbose=False)


@db_app.command("revision")
def db_revision(message: Annotated[str, typer.Option("-m")],
                database_url: Annotated[str | None, typer.Option()] = None,
                head: Annotated[str, typer.Option()] = "heads",
                autogenerate: bool = True) -> None:
    """Create a new revision (developers)."""
    from alembic import command

    command.revision(alembic_config(_database_url(database_url)), message=message, autogenerate=autogenerate,
                     head=head)


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


@audit_app.command("verify")
def audit_verify(database_url: Annotated[str | None, typer.Option()] = None) -> None:
    """Walk the SM3 hash chain and name the first broken record."""
    from sqlalchemy import func, select

    from zhanye.core import audit
    from zhanye.core.db import Database
    from zhanye.core.models import AuditRecord

    db = Database(_database_url(database_url))
    with db.unit_of_work(write=False) as session:
        total = session.execute(select(func.count()).select_from(AuditRecord)).scalar_one()
        with Progress(TextColumn("audit chain"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=True) as progress:
            task = progress.add_task("verify", total=total)
            result = audit.verify(session, progress=lambda n: progress.advance(task, n))
    if result.ok:
        console.print(f"[green]audit chain intact[/]: {result.checked} records")
        return
    console.print(f"[red]audit chain broken at record {result.broken_id}[/]: {result.reason} "
                  f"({result.checked} records verified before it)")
    raise typer.Exit(1)


@calendar_app.command("import")
def calendar_import(path: Path, database_url: Annotated[str | None, typer.Option()] = None) -> None:
    """Import holidays and adjusted workdays from a CSV file (day,kind,name)."""
    from zhanye.core.calendar import import_calendar_file
    from zhanye.core.db import Database

    db = Database(_database_url(database_url))
    with db.unit_of_work() as session:
        n = import_calendar_file(session, path)
    console.print(f"[green]{n} calendar days imported[/]")


def _serve(url: str, host: str, port: int, workers: int) -> None:
    import uvicorn

    os.environ["ZHANYE_DATABASE_URL"] = url
    if workers > 1:
        uvicorn.run("zhanye.web.asgi:app", host=host, port=port, workers=workers, log_level="warning",
                    access_log=False)
    else:
        from zhanye.web.asgi import app as asgi_app

        uvicorn.run(asgi_app, host=host, port=port, log_level="warning", access_log=False)


@app.command()
def demo(port: Annotated[int, typer.Option(help="Port to serve on")] = 8000,
         host: Annotated[str, typer.Option(help="Address to bind")] = "127.0.0.1",
         database_url: Annotated[str | None, typer.Option(help="Defaults to SQLite under ./var/")] = None,
         workers: Annotated[int, typer.Option(min=1, max=16)] = 1,
         no_serve: Annotated[bool, typer.Option("--no-serve", help="Prepare the demo and exit")] = False) -> None:
    """Migrate, create the demo bank if the database is empty, print the logins, and serve."""
    from zhanye.core.db import Database
    from zhanye.demo import demo_logins, demo_password, ensure_demo

    url = _database_url(database_url)
    console.print(f"[bold]Zhanye 展业[/] · database {_redact(url)}")
    upgrade_database(url)
    db = Database(url)
    created, seeded = ensure_demo(db)
    db.dispose()
    password = demo_password()
    table = Table(title="演示账号 Demo logins" + (" (新建 created)" if created else ""))
    table.add_column("username")
    table.add_column("name")
    table.add_column("institution")
    table.add_column("roles")
    for username, name, inst, roles in demo_logins():
        table.add_row(username, name, inst, ", ".join(roles))
    console.print(table)
    if seeded:
        console.print(f"demo data added for: {', '.join(seeded)}")
    console.print(f"password for every demo login: [bold]{password}[/] (set ZHANYE_DEMO_PASSWORD to choose another)")
    console.print(f"[green]Zhanye is at http://{host}:{port}/[/]  (API docs: http://{host}:{port}/api/docs)")
    console.print(f"customer online banking (H5): http://{host}:{port}/m  — demo customer 周满仓, ID 220102198805227022, "
                  "mobile 13904310702 (the sandbox SMS code is shown on the page)")
    sys.stdout.flush()
    if not no_serve:
        _serve(url, host, port, workers)


@app.command()
def serve(port: Annotated[int, typer.Option()] = 8000, host: Annotated[str, typer.Option()] = "127.0.0.1",
          database_url: Annotated[str | None, typer.Option()] = None,
          workers: Annotated[int, typer.Option(min=1, max=32)] = 1) -> None:
    """Serve the platform on an already migrated database (production)."""
    _serve(_database_url(database_url), host, port, workers)


def _register_features() -> None:
    for _feature, mod in modules("cli"):
        register = getattr(mod, "register", None)
        if register is not None:
            register(app)


_register_features()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
