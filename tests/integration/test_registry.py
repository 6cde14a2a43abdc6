"""The registry: organizations, stations, series; validated against the catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from pydantic import ValidationError as PydanticError

from quantrac.errors import ConflictError, UnknownOrganization, UnknownStation, ValidationError
from quantrac.store.db import Store
from quantrac.store.registry import (
    OrganizationSpec,
    StationSpec,
    create_organization,
    create_station,
    ensure_series,
    get_station,
    list_series,
    list_stations,
    retire_station,
    update_station,
)
from quantrac.store.station_import import import_stations


def _spec(**kw: object) -> StationSpec:
    base = dict(
        code="TB_CAPH_NUOSXL",
        name="Nước thải sau xử lý",
        kind="automatic",
        medium="nước thải",
        admin_unit="Thái Bình",
        regulation="QCVN 40:2011/BTNMT",
        regulation_column="B",
        kq=0.9,
        kf=1.1,
        visibility="restricted",
    )
    base.update(kw)
    return StationSpec.model_validate(base)


def test_station_fields_are_normalised_against_the_catalogue(store: Store) -> None:
    create_organization(
        store,
        OrganizationSpec(code="CAPH", name="Công ty CAPH", kind="enterprise", admin_unit="34-2008"),
    )
    create_station(store, _spec(owner="CAPH"))
    st = get_station(store, "TB_CAPH_NUOSXL")
    assert (st["medium"], st["admin_unit_key"], st["kq"], st["visibility"]) == (
        "wastewater",
        "34-2008",
        0.9,
        "restricted",
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("medium", "magma", "Unknown medium"),
        ("admin_unit", "Atlantis", "Unknown administrative unit"),
        ("regulation", "QCVN 99:2099", "unknown regulation"),
        ("kind", "hourly", "Input should be"),
        ("latitude", 123.0, "less than or equal"),
        ("code", "bad code!", "String should match"),
    ],
)
def test_invalid_station_fields_are_refused(field: str, value: object, message: str) -> None:
    with pytest.raises((PydanticError, ValidationError)) as err:
        _spec(**{field: value})
    assert message in str(err.value)


def test_regulation_column_must_exist(store: Store) -> None:
    with pytest.raises(ValidationError, match="choose one of: A, B"):
        create_station(store, _spec(regulation_column="C"))


def test_unknown_owner_suggests(store: Store) -> None:
    create_organization(store, OrganizationSpec(code="CAPH", name="x", kind="enterprise"))
    with pytest.raises(UnknownOrganization) as err:
        create_station(store, _spec(owner="CAP"))
    assert err.value.suggestions == ["CAPH"]


def test_duplicate_station_code_is_a_conflict(store: Store) -> None:
    create_station(store, _spec())
    with pytest.raises(ConflictError):
        create_station(store, _spec())


def test_update_validates_the_merged_record(store: Store) -> None:
    create_station(store, _spec())
    update_station(store, "TB_CAPH_NUOSXL", {"visibility": "public", "kq": "0.8"})
    st = get_station(store, "TB_CAPH_NUOSXL")
    assert (st["visibility"], st["kq"], st["kf"]) == ("public", 0.8, 1.1)
    with pytest.raises(PydanticError):
        update_station(store, "TB_CAPH_NUOSXL", {"kind": "sometimes"})
    with pytest.raises(UnknownStation):
        update_station(store, "NOPE", {"kq": 1})


def test_retired_stations_leave_lists_but_keep_history(store: Store) -> None:
    create_station(store, _spec())
    sid = ensure_series(store, "TB_CAPH_NUOSXL", "COD")
    retire_station(store, "TB_CAPH_NUOSXL")
    assert list_stations(store) == []
    assert [s["code"] for s in list_stations(store, include_retired=True)] == ["TB_CAPH_NUOSXL"]
    assert [s["id"] for s in list_series(store, "TB_CAPH_NUOSXL")] == [sid]


def test_province_filter_follows_the_2025_merger(store: Store) -> None:
    create_station(store, _spec())  # registered under Thái Bình (34-2008)
    create_station(
        store, _spec(code="HY_X", admin_unit="33-2025", regulation=None, regulation_column=None)
    )
    found = {s["code"] for s in list_stations(store, admin_unit="Hưng Yên")}
    assert found == {"TB_CAPH_NUOSXL", "HY_X"}


def test_series_unit_is_canonical_for_the_medium(store: Store) -> None:
    create_station(
        store,
        _spec(code="NB_STACK", medium="stack_emission", regulation=None, regulation_column=None),
    )
    ensure_series(store, "NB_STACK", "SO2")
    assert [s["unit"] for s in list_series(store, "NB_STACK")] == ["mg/Nm3"]
    assert ensure_series(store, "NB_STACK", "SO2") == ensure_series(store, "NB_STACK", "SO2")


STATION_CSV = """Mã trạm,Tên trạm,Loại trạm,Môi trường,Vĩ độ,Kinh độ,Tỉnh,Quy chuẩn,Cột
HN_NM_01,Sông Tô Lịch,tự động,Nước mặt,21.03,105.80,Hà Nội,QCVN 08:2023/BTNMT,river-B
HN_KK_02,Trạm Nguyễn Văn Cừ,automatic,ambient_air,21.04,105.87,01,,
"""


def test_station_list_import_from_csv(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "tram.csv"
    path.write_text(STATION_CSV, encoding="utf-8-sig")
    report = import_stations(store, path)
    assert report.written and report.created == ["HN_NM_01", "HN_KK_02"]
    assert get_station(store, "HN_NM_01")["regulation_column"] == "river-B"


def test_station_list_import_reports_every_bad_row_and_writes_nothing(
    store: Store, tmp_path: Path
) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["code", "name", "kind", "medium", "latitude", "province"])
    ws.append(["OK_1", "Trạm tốt", "periodic", "groundwater", 21.0, "Hà Nội"])
    ws.append(["BAD_1", "Trạm xấu", "periodic", "lava", 21.0, "Hà Nội"])
    ws.append(["BAD_2", "Trạm xấu 2", "periodic", "soil", 200, "Hà Nội"])
    ws.append(["OK_1", "Trùng mã", "periodic", "soil", 21.0, "Hà Nội"])
    path = tmp_path / "tram.xlsx"
    wb.save(path)
    report = import_stations(store, path)
    rows = {(row, field) for row, field, _ in report.problems}
    assert {(3, "medium"), (4, "latitude"), (2, "code"), (5, "code")} <= rows
    assert not report.written and list_stations(store) == []
    report = import_stations(store, path, accept_valid=True)
    assert report.written and report.created == []  # OK_1 is duplicated, so it is refused too


def test_organization_update_is_validated(store: Store) -> None:
    from quantrac.store.registry import list_organizations, update_organization

    create_organization(store, OrganizationSpec(code="CAPH", name="x", kind="enterprise"))
    update_organization(store, "CAPH", {"name": "Công ty CAPH", "admin_unit": "Thái Bình"})
    (org,) = list_organizations(store)
    assert (org["name"], org["admin_unit_key"]) == ("Công ty CAPH", "34-2008")
    with pytest.raises(PydanticError):
        update_organization(store, "CAPH", {"kind": "pirate"})
    with pytest.raises(UnknownOrganization):
        update_organization(store, "CAPX", {"name": "y"})


def test_retired_series_keep_their_id_and_leave_the_list(store: Store) -> None:
    from quantrac.store.registry import retire_series

    create_station(store, _spec())
    cod = ensure_series(store, "TB_CAPH_NUOSXL", "COD")
    tss = ensure_series(store, "TB_CAPH_NUOSXL", "TSS")
    retire_series(store, cod)
    assert [s["id"] for s in list_series(store)] == [tss]
    assert {s["id"] for s in list_series(store, include_retired=True)} == {cod, tss}
    with pytest.raises(ValidationError):
        retire_series(store, 999)
