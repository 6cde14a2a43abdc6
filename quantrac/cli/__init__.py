"""The `quantrac` command. Each topic lives in its own module and registers a sub-app here;
errors are turned into a message and an exit code in one place (`main`)."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from quantrac.cli import (
    analysis_cmd,
    catalog_cmd,
    demo_cmd,
    import_cmd,
    indices_cmd,
    ingest_cmd,
    receivers_cmd,
    registry_cmd,
    server_cmd,
    sync_cmd,
    users_cmd,
)
from quantrac.errors import QuantracError
from quantrac.i18n import t

app = typer.Typer(
    name="quantrac",
    help="quantrac — hệ cơ sở dữ liệu quan trắc tài nguyên và môi trường "
    "(environmental monitoring database).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True)

app.command("init")(server_cmd.init)
app.command("serve")(server_cmd.serve)
app.command("sta-conformance")(server_cmd.sta_conformance)
app.command("demo")(demo_cmd.demo)
app.add_typer(registry_cmd.stations_app, name="stations")
app.add_typer(registry_cmd.orgs_app, name="orgs")
app.add_typer(registry_cmd.series_app, name="series")
app.add_typer(catalog_cmd.catalog_app, name="catalog")
app.command("ingest")(ingest_cmd.ingest)
app.command("import")(import_cmd.import_file)
app.command("template")(import_cmd.template)
app.command("aqi")(indices_cmd.aqi)
app.command("wqi")(indices_cmd.wqi)
app.command("compliance")(indices_cmd.compliance)
app.command("events")(indices_cmd.events)
app.command("compute-indices")(indices_cmd.compute_indices)
app.add_typer(indices_cmd.alerts_app, name="alerts")
app.add_typer(analysis_cmd.qc_app, name="qc")
app.add_typer(analysis_cmd.review_app, name="review")
app.command("trend")(analysis_cmd.trend)
app.command("forecast")(analysis_cmd.forecast)
app.command("tamper")(analysis_cmd.tamper)
app.add_typer(users_cmd.users_app, name="users")
app.add_typer(users_cmd.keys_app, name="keys")
app.add_typer(receivers_cmd.ftp_accounts_app, name="ftp-accounts")
app.command("receive")(receivers_cmd.receive)
app.command("watch")(receivers_cmd.watch)
app.command("simulate")(receivers_cmd.simulate)
app.command("connectivity")(receivers_cmd.connectivity)
app.add_typer(ingest_cmd.archive_app, name="archive")
app.add_typer(sync_cmd.sync_app, name="sync")
app.add_typer(sync_cmd.nodes_app, name="nodes")

#: Exit codes: 0 ok, 1 usage (Typer), 2 bad input or unknown name, 3 conflict.
EXIT_BAD_INPUT = 2


def main() -> None:
    try:
        app()
    except QuantracError as e:
        err_console.print(f"[bold red]{t('Error')}:[/] {e}", highlight=False)
        sys.exit(EXIT_BAD_INPUT)
