"""`quantrac catalog …`: look up parameters, units, limits and provinces."""

from __future__ import annotations

from typing import Annotated

import typer

from quantrac.catalog import get_catalog
from quantrac.cli.common import console, table
from quantrac.i18n import t

catalog_app = typer.Typer(
    help="Danh mục: thông số, đơn vị, quy chuẩn, đơn vị hành chính.", no_args_is_help=True
)


@catalog_app.command("check")
def check() -> None:
    """Load and validate every catalogue file (fails with file and line on a bad row)."""
    c = get_catalog()
    console.print(
        f"[green]{t('The catalogue is valid')}[/]: {len(c.parameters.by_code)} "
        f"parameters, {len(c.units.units)} units, {len(c.limits)} limit rules, "
        f"{len(c.admin_units.by_key)} admin units"
    )


@catalog_app.command("parameters")
def parameters(medium: Annotated[str | None, typer.Option()] = None) -> None:
    """List parameters (optionally of one medium)."""
    c = get_catalog()
    code = c.media.get(medium).code if medium else None
    rows = [
        p
        for p in c.parameters.by_code.values()
        if code is None or code in p.media or code in p.assumed_media
    ]
    console.print(
        table(
            t("Parameters"),
            [t("code"), "tên", "name", t("unit"), t("medium")],
            ([p.code, p.name_vi, p.name_en, p.unit, ", ".join(p.media)] for p in rows),
        )
    )


@catalog_app.command("resolve")
def resolve(name: str, medium: Annotated[str | None, typer.Option()] = None) -> None:
    """Which parameter a file means by NAME (aliases, diacritics, case ignored)."""
    c = get_catalog()
    p = c.parameter(name, c.media.get(medium).code if medium else None)
    console.print(f"{name!r} → [bold]{p.code}[/] {p.name_vi} / {p.name_en} [{p.unit}]")


@catalog_app.command("convert")
def convert(
    value: float,
    source: str,
    target: str,
    parameter: Annotated[str | None, typer.Option(help="Needed for ppb ↔ µg/m³")] = None,
) -> None:
    """Convert VALUE from unit SOURCE to TARGET."""
    from quantrac.catalog.units import convert as convert_values

    c = get_catalog()
    mass = c.parameters.get(c.parameter(parameter).code).molar_mass if parameter else None
    result = convert_values([value], c.unit(source), c.unit(target), mass)[0]
    console.print(f"{value:g} {c.unit(source).symbol} = {result:.6g} {c.unit(target).symbol}")


@catalog_app.command("limits")
def limits(
    regulation: Annotated[str | None, typer.Option()] = None,
    parameter: Annotated[str | None, typer.Option()] = None,
    column: Annotated[str | None, typer.Option()] = None,
) -> None:
    """QCVN limit rules, filtered."""
    c = get_catalog()
    code = c.parameter(parameter).code if parameter else None
    rows = c.limit_rules(regulation=regulation, parameter_code=code, column=column)
    console.print(
        table(
            "QCVN",
            [t("regulation"), "cột", t("code"), "min", "max", t("unit"), "TB", "tin cậy"],
            (
                [
                    r.regulation,
                    r.column,
                    r.parameter_code or r.parameter_name,
                    r.minimum,
                    r.maximum,
                    r.unit,
                    r.averaging,
                    r.confidence,
                ]
                for r in rows
            ),
        )
    )


@catalog_app.command("provinces")
def provinces(on: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None) -> None:
    """Provinces valid on a date (default today), with what they were formed from."""
    from datetime import date

    c = get_catalog()
    day = date.fromisoformat(on) if on else date.today()
    rows = sorted(c.admin_units.valid_on(day), key=lambda u: u.code)
    console.print(
        table(
            t("province"),
            ["key", t("code"), t("name"), "từ", "gồm"],
            (
                [
                    u.key,
                    u.code,
                    u.name,
                    u.valid_from.strftime("%d/%m/%Y"),
                    ", ".join(p.name for p in c.admin_units.predecessors(u.key)),
                ]
                for u in rows
            ),
        )
    )


@catalog_app.command("add-parameter")
def add_parameter(
    code: str,
    name_vi: Annotated[str, typer.Option(help="Tên tiếng Việt")],
    name_en: Annotated[str, typer.Option(help="English name")],
    unit: Annotated[str, typer.Option(help="Canonical unit, e.g. mg/L")],
    media: Annotated[str, typer.Option(help="'|'-separated media, e.g. surface_water|groundwater")],
    aliases: Annotated[str, typer.Option(help="'|'-separated names used in files")] = "",
    molar_mass: Annotated[float | None, typer.Option(help="g/mol, for gases")] = None,
) -> None:
    """Add a province's own parameter (or extra aliases of a known one) to the catalogue.

    It is kept in <data dir>/catalog/parameters_local.csv, validated like the package data.
    """
    from quantrac.catalog.catalog import add_local_parameter, local_parameters_path

    add_local_parameter(code, name_vi, name_en, unit, media, aliases, molar_mass)
    path = local_parameters_path()
    _reload_into_store()
    console.print(f"[green]Đã thêm thông số[/] {code} → {path}")


@catalog_app.command("remove-parameter")
def remove_parameter(code: str) -> None:
    """Remove a local parameter that no series uses."""
    from sqlalchemy import select

    from quantrac.catalog.catalog import local_parameters_path
    from quantrac.cli.common import open_store
    from quantrac.errors import ConflictError, UnknownParameter
    from quantrac.store.schema import series

    path = local_parameters_path()
    lines = path.read_text("utf-8").splitlines(keepends=True) if path.exists() else []
    kept = [line for line in lines if not line.startswith(f"{code},")]
    if len(kept) == len(lines):
        raise UnknownParameter(code, context="not a local parameter")
    with open_store().read() as conn:
        if conn.scalar(select(series.c.id).where(series.c.parameter_code == code).limit(1)):
            raise ConflictError(f"parameter {code} has series; retire them first")
    path.write_text("".join(kept), "utf-8")
    get_catalog.cache_clear()
    console.print(f"[yellow]Đã xóa thông số[/] {code}")


def _reload_into_store() -> None:
    from quantrac.cli.common import open_store
    from quantrac.store.catalog_sync import sync_catalog

    get_catalog.cache_clear()
    sync_catalog(open_store())
