"""`quantrac stations …` and `quantrac orgs …`: the registry from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import BaseModel

from quantrac.cli.common import console, local_time, open_store, table
from quantrac.errors import ValidationError
from quantrac.i18n import t
from quantrac.store import registry
from quantrac.store.station_import import import_stations

M = TypeVar("M", bound=BaseModel)

stations_app = typer.Typer(help="Trạm quan trắc (monitoring stations).", no_args_is_help=True)
orgs_app = typer.Typer(help="Tổ chức, doanh nghiệp (organizations).", no_args_is_help=True)


@stations_app.command("list")
def list_stations(
    medium: Annotated[str | None, typer.Option(help="surface_water, ambient_air, …")] = None,
    province: Annotated[str | None, typer.Option(help="Province code, key or name")] = None,
    kind: Annotated[str | None, typer.Option(help="automatic | periodic")] = None,
    owner: Annotated[str | None, typer.Option(help="Organization code")] = None,
    retired: Annotated[bool, typer.Option(help="Include retired stations")] = False,
) -> None:
    """List stations with filters."""
    rows = registry.list_stations(
        open_store(),
        medium=medium,
        admin_unit=province,
        kind=kind,
        owner=owner,
        include_retired=retired,
    )
    console.print(
        table(
            f"{t('Stations')} ({len(rows)})",
            [
                t("code"),
                t("name"),
                t("kind"),
                t("medium"),
                t("province"),
                t("owner"),
                t("visibility"),
                t("regulation"),
            ],
            (
                [
                    r["code"],
                    r["name"],
                    t(r["kind"]),
                    r["medium"],
                    r["admin_unit_key"],
                    r["owner_code"],
                    t(r["visibility"]),
                    " ".join(filter(None, [r["regulation"], r["regulation_column"]])),
                ]
                for r in rows
            ),
        )
    )


@stations_app.command("show")
def show_station(code: str) -> None:
    """Show one station and its series."""
    store = open_store()
    st = registry.get_station(store, code)
    for key, value in st.items():
        shown = local_time(value) if key.endswith("_at") else value
        console.print(f"[cyan]{key}[/]: {shown}")
    series = registry.list_series(store, code)
    console.print(
        table(
            "Series",
            ["id", "parameter", "unit"],
            ([s["id"], s["parameter_code"], s["unit"]] for s in series),
        )
    )


@stations_app.command("add")
def add_station(
    code: str,
    name: str,
    kind: Annotated[str, typer.Option(help="automatic | periodic")],
    medium: Annotated[str, typer.Option(help="surface_water, ambient_air, wastewater, …")],
    lat: Annotated[float | None, typer.Option()] = None,
    lon: Annotated[float | None, typer.Option()] = None,
    province: Annotated[str | None, typer.Option(help="Province code, key or name")] = None,
    owner: Annotated[str | None, typer.Option(help="Owning organization code")] = None,
    network: Annotated[str | None, typer.Option()] = None,
    visibility: Annotated[str, typer.Option(help="public | restricted")] = "public",
    regulation: Annotated[str | None, typer.Option(help="e.g. 'QCVN 40:2011/BTNMT'")] = None,
    column: Annotated[str | None, typer.Option(help="Regulation column/class, e.g. B")] = None,
    kq: Annotated[float | None, typer.Option()] = None,
    kf: Annotated[float | None, typer.Option()] = None,
    interval: Annotated[int | None, typer.Option(help="Reporting interval, seconds")] = None,
) -> None:
    """Register a station."""
    spec = _validated(
        registry.StationSpec,
        dict(
            code=code,
            name=name,
            kind=kind,
            medium=medium,
            latitude=lat,
            longitude=lon,
            admin_unit=province,
            owner=owner,
            network=network,
            visibility=visibility,
            regulation=regulation,
            regulation_column=column,
            kq=kq,
            kf=kf,
            reporting_interval_s=interval,
        ),
    )
    registry.create_station(open_store(), spec)
    console.print(f"[green]{t('Created station')}[/] {code}")


@stations_app.command("update")
def update_station(
    code: str,
    set_: Annotated[list[str], typer.Option("--set", help="field=value, repeatable")],
) -> None:
    """Change fields of a station, e.g. --set visibility=restricted --set kq=0.9."""
    changes = _parse_sets(set_)
    try:
        registry.update_station(open_store(), code, changes)
    except Exception as e:
        _raise_validation(e)
    console.print(f"[green]{t('Updated station')}[/] {code}")


@stations_app.command("retire")
def retire_station(code: str) -> None:
    """Retire a station (its history stays)."""
    registry.retire_station(open_store(), code)
    console.print(f"[yellow]{t('Retired station')}[/] {code}")


@stations_app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    accept_valid: Annotated[bool, typer.Option(help="Write valid rows, report the rest")] = False,
) -> None:
    """Import a station list from CSV or XLSX (row-by-row report)."""
    report = import_stations(open_store(), file, accept_valid=accept_valid)
    if report.problems:
        console.print(
            table(
                f"{t('Import report')}: {file}",
                [t("row"), t("field"), t("problem")],
                report.problems,
            )
        )
    if report.written:
        console.print(
            f"[green]{len(report.created)} {t('Stations').lower()}[/]: " + ", ".join(report.created)
        )
    else:
        console.print(f"[red]{t('Nothing was written')}[/]")
        raise typer.Exit(2)


@orgs_app.command("list")
def list_orgs() -> None:
    """List organizations."""
    rows = registry.list_organizations(open_store())
    console.print(
        table(
            t("Organizations"),
            [t("code"), t("name"), t("kind"), t("province")],
            ([r["code"], r["name"], r["kind"], r["admin_unit_key"]] for r in rows),
        )
    )


@orgs_app.command("add")
def add_org(
    code: str,
    name: str,
    kind: Annotated[str, typer.Option(help="agency | enterprise | lab | other")] = "agency",
    province: Annotated[str | None, typer.Option()] = None,
    tax_code: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Register an organization (agency, enterprise, lab)."""
    spec = _validated(
        registry.OrganizationSpec,
        dict(code=code, name=name, kind=kind, admin_unit=province, tax_code=tax_code),
    )
    registry.create_organization(open_store(), spec)
    console.print(f"[green]{t('Created organization')}[/] {code}")


@orgs_app.command("retire")
def retire_org(code: str) -> None:
    """Retire an organization."""
    registry.retire_organization(open_store(), code)


def _raise_validation(e: Exception) -> None:
    from pydantic import ValidationError as PydanticError

    if isinstance(e, PydanticError):
        raise ValidationError(
            "invalid input",
            [(".".join(map(str, err["loc"])) or "input", err["msg"]) for err in e.errors()],
        ) from e
    raise e


def _validated(model: type[M], values: dict[str, object]) -> M:
    """Options the user gave (None = not given), validated into `model` with clear errors."""
    try:
        return model.model_validate({k: v for k, v in values.items() if v is not None})
    except Exception as e:
        _raise_validation(e)
        raise


@orgs_app.command("update")
def update_org(
    code: str,
    set_: Annotated[list[str], typer.Option("--set", help="field=value, repeatable")],
) -> None:
    """Change fields of an organization, e.g. --set name="Công ty mới" --set province=79."""
    changes = _parse_sets(set_)
    if "province" in changes:
        changes["admin_unit"] = changes.pop("province")
    try:
        registry.update_organization(open_store(), code, changes)
    except Exception as e:
        _raise_validation(e)
    console.print(f"[green]Đã cập nhật tổ chức[/] {code}")


series_app = typer.Typer(help="Chuỗi số liệu (series): trạm × thông số.", no_args_is_help=True)


@series_app.command("list")
def list_series_cmd(
    station: Annotated[str | None, typer.Option(help="Station code")] = None,
    retired: Annotated[bool, typer.Option(help="Include retired series")] = False,
) -> None:
    """List series (station × parameter) with their storage unit."""
    rows = registry.list_series(open_store(), station, include_retired=retired)
    console.print(
        table(
            "Series",
            ["id", t("code"), "thông số", t("unit"), "phương pháp", "ngừng", "đã xóa"],
            (
                [
                    r["id"],
                    r["station_code"],
                    r["parameter_code"],
                    r["unit"],
                    r["method"],
                    local_time(r["retired_at"]) if r["retired_at"] else "",
                    local_time(r["deleted_at"]) if r["deleted_at"] else "",
                ]
                for r in rows
            ),
        )
    )


@series_app.command("add")
def add_series(
    station: str,
    parameter: str,
    method: Annotated[str, typer.Option(help="Measurement method, if a station has two")] = "",
) -> None:
    """Create the series of STATION × PARAMETER (any alias of the parameter is accepted)."""
    from quantrac.catalog import get_catalog

    store = open_store()
    medium = registry.get_station(store, station)["medium"]
    code = get_catalog().parameter(parameter, medium).code
    sid = registry.ensure_series(store, station, code, method)
    console.print(f"[green]Series {sid}[/]: {station} × {code}")


@series_app.command("retire")
def retire_series_cmd(series_id: int) -> None:
    """Stop a series (its data stays readable)."""
    registry.retire_series(open_store(), series_id)
    console.print(f"[yellow]Đã ngừng series[/] {series_id}")


@series_app.command("restore")
def restore_series_cmd(series_id: int) -> None:
    """Bring back a retired or deleted series (e.g. a Datastream deleted by mistake through
    SensorThings: its observations were kept)."""
    registry.restore_series(open_store(), series_id)
    console.print(f"[green]Đã khôi phục series[/] {series_id}")


def _parse_sets(items: list[str]) -> dict[str, str | None]:
    changes: dict[str, str | None] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValidationError("bad --set", [(item, "expected field=value")])
        changes[key.strip()] = value.strip() or None
    return changes
