"""XLSX templates for lab results, one per medium (`quantrac template MEDIUM`).

The data sheet has the metadata headers the sheet codec recognises, then one column per
parameter that the medium's QCVN lists (Vietnamese name and the regulation's unit, e.g.
"Nhu cầu oxy hóa học (mg/L)"), a data-validation hint on every column and one example row.
A second sheet explains dates, decimal marks and detection limits ("<0,05", "KPH") and lists
each parameter with its limits. Media without a QCVN in the catalogue (soil, rain) get the
catalogue's parameters for that medium instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from quantrac.catalog import Catalog, get_catalog
from quantrac.catalog.limits import LimitRule, Regulation
from quantrac.codecs.sheet_headers import role_of
from quantrac.errors import QuantracError, ValidationError
from quantrac.periodic.standardize import canonical_unit

DATA_SHEET = "Kết quả"
NOTES_SHEET = "Hướng dẫn"
#: Rows the validation hints cover (a campaign rarely has more samples in one sheet).
LAST_ROW = 2000
#: Media whose samples are taken at a depth or in a layer.
LAYERED = frozenset({"soil", "sediment", "groundwater"})
#: Catalogue parameters that are not lab results (instrument readings and computed indices).
NOT_SAMPLED = frozenset({"LEVEL", "FLOW_IN", "FLOW_OUT", "FLOW_GAS", "VOL_TOTAL", "TEMP_IN"})

_AUTHOR = "quantrac"
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_EXAMPLE_FONT = Font(italic=True, color="808080")
_VALUE_HINT = (
    "Số, dấu thập phân ',' hoặc '.'; dưới giới hạn phát hiện ghi '<0,05'; "
    "không phát hiện ghi 'KPH' (hoặc 'KPH (<0,05)'); không phân tích: để trống."
)


@dataclass(frozen=True, slots=True)
class TemplateParameter:
    """One parameter column: its header and what the notes sheet says about it."""

    code: str
    header: str
    name_vi: str
    name_en: str
    unit: str
    limits: tuple[str, ...]
    example: float | str | None


def template_parameters(medium: str, catalog: Catalog | None = None) -> list[TemplateParameter]:
    """The parameter columns for `medium`, in the order its regulations list them."""
    catalog = catalog or get_catalog()
    code = catalog.media.get(medium).code
    rules: dict[str, list[LimitRule]] = {}
    for regulation in template_regulations(catalog, code):
        for rule in catalog.limit_rules(regulation=regulation.code):
            if rule.parameter_code:
                rules.setdefault(rule.parameter_code, []).append(rule)
    codes = list(rules) or [
        p.code
        for p in catalog.parameters.by_code.values()
        if (code in p.media or code in p.assumed_media)
        and not p.derived
        and p.code not in NOT_SAMPLED
    ]
    if not codes:
        raise ValidationError(
            f"no parameter for medium {code!r} in the catalogue",
            [("medium", "choose a medium with a QCVN or catalogue parameters")],
        )
    return [_parameter(catalog, code, p, rules.get(p, [])) for p in codes]


def template_regulations(catalog: Catalog, medium: str) -> list[Regulation]:
    """The medium's regulations with limits, newest first, leaving out those replaced by one
    that has limits (QCVN 08-MT:2015 goes; QCVN 40:2011 stays while 40:2025 has none)."""
    with_rules = {r.regulation for r in catalog.limits if r.medium == medium}
    regs = [
        r
        for r in catalog.regulations.values()
        if r.medium == medium and r.code in with_rules and r.replaced_by not in with_rules
    ]
    return sorted(regs, key=lambda r: r.effective_from or date.min, reverse=True)


def _parameter(
    catalog: Catalog, medium: str, code: str, rules: list[LimitRule]
) -> TemplateParameter:
    p = catalog.parameters.get(code)
    unit_text = rules[0].unit if rules else canonical_unit(catalog, code, medium)
    unit = catalog.units.get(unit_text).symbol
    label = _label(catalog, medium, code)
    header = label if unit == "-" else f"{label} ({unit})"
    limits = tuple(f"{r.regulation} {r.column}{_averaging(r)}: {_limit_text(r)}" for r in rules)
    return TemplateParameter(code, header, p.name_vi, p.name_en, unit, limits, _example(rules))


def _label(catalog: Catalog, medium: str, code: str) -> str:
    """The Vietnamese name when it reads back as this parameter, else the shortest alias."""
    p = catalog.parameters.get(code)
    for name in (p.name_vi, *p.aliases, p.code):
        if not name or role_of(name) is not None:
            continue
        try:
            if catalog.parameter(name, medium).code == code:
                return name
        except QuantracError:
            continue
    return code


def _averaging(rule: LimitRule) -> str:
    return "" if rule.averaging == "single sample" else f" ({rule.averaging})"


def _limit_text(rule: LimitRule) -> str:
    if rule.kind == "not_detected":
        return "KPH (không được phát hiện)"
    if rule.kind == "descriptive":
        return rule.note
    if "exclusive lower bound" in rule.note.casefold():
        return f"> {rule.minimum:g} (ngưỡng bắt đầu mức)"
    if rule.minimum is not None and rule.maximum is not None:
        return f"{rule.minimum:g} – {rule.maximum:g}"
    if rule.maximum is not None:
        return f"≤ {rule.maximum:g}"
    return f"≥ {rule.minimum:g}"


def _example(rules: list[LimitRule]) -> float | str | None:
    """A plausible value inside the first limit; trace limits show a non-detect instead."""
    rule = next((r for r in rules if r.kind != "descriptive"), None)
    if rule is None:
        return None
    if rule.kind == "not_detected":
        return "KPH"
    low, high = rule.minimum, rule.maximum
    if low is not None and high is not None:
        return round((low + high) / 2, 2)
    if high is not None:
        if high <= 0.01:
            return "<" + f"{high / 10:g}".replace(".", ",")
        return float(f"{high / 2:.3g}")
    return float(f"{(low or 0) * 1.3:.3g}")


# --- the workbook --------------------------------------------------------------------------------

_META: list[tuple[str, str, float | str | date | time]] = [
    ("Mã điểm quan trắc", "Mã điểm đã đăng ký trong quantrac (quantrac stations list).", "VD-01"),
    ("Tên điểm quan trắc", "Không bắt buộc; giúp gợi ý khi mã điểm sai.", "Điểm ví dụ"),
    ("Mã mẫu", "Không bắt buộc; phân biệt hai mẫu cùng điểm, cùng thời điểm.", "M01"),
    ("Đợt quan trắc", "Mã đợt, ví dụ 2025-D1; có thể bỏ trống nếu nhập với --campaign.", "2025-D1"),
    ("Ngày lấy mẫu", "Ngày trước: dd/mm/yyyy.", date(2025, 3, 15)),
    ("Giờ lấy mẫu", "hh:mm, giờ Việt Nam.", time(8, 30)),
]
_LAYER_META: list[tuple[str, str, float | str | date | time]] = [
    ("Độ sâu (m)", "Độ sâu lấy mẫu, mét (ví dụ 0,5).", 0.5),
    ("Tầng", "Tầng đất / tầng chứa nước, hoặc khoảng độ sâu (0-20 cm).", "Tầng mặt"),
]
_TAIL_META: list[tuple[str, str, float | str | date | time]] = [
    ("Loại mẫu", "Mẫu đơn / mẫu tổ hợp, hoặc môi trường nếu khác của điểm.", "Mẫu đơn"),
    ("Phòng thí nghiệm", "Đơn vị phân tích.", "PTN ví dụ"),
    ("Ghi chú", "", ""),
]

_NOTES = [
    "Mẫu nhập kết quả quan trắc định kỳ — quantrac",
    "",
    "Mỗi dòng là một mẫu; mỗi cột thông số là một kết quả. Dòng 2 là ví dụ: xóa trước khi nhập.",
    "Ngày lấy mẫu ghi ngày trước (dd/mm/yyyy); giờ hh:mm theo giờ Việt Nam (UTC+7).",
    "Số thập phân dùng dấu ',' hoặc '.', không dùng dấu phân cách hàng nghìn (30000, không "
    "ghi 30.000).",
    "Dưới giới hạn phát hiện: ghi '<' và giới hạn, ví dụ '<0,05'. Không phát hiện: 'KPH' hoặc "
    "'KPH (<0,05)'. Không ghi 0 thay cho KPH.",
    "Thông số không phân tích: để trống ô (hoặc '-').",
    "Đơn vị ghi trong tiêu đề cột; có thể đổi đơn vị (ví dụ µg/L thay mg/L), quantrac quy đổi.",
    "Nhập: quantrac import TỆP.xlsx --campaign MÃ_ĐỢT [--dry-run | --strict | --accept-valid]",
    "",
]


def write_template(medium: str, path: Path | str, catalog: Catalog | None = None) -> Path:
    """Write the XLSX template for `medium` (code or Vietnamese name) to `path`."""
    catalog = catalog or get_catalog()
    code = catalog.media.get(medium).code
    parameters = template_parameters(code, catalog)
    book = Workbook()
    data = book.active
    data.title = DATA_SHEET
    meta = _META + (_LAYER_META if code in LAYERED else []) + _TAIL_META
    _data_sheet(data, meta, parameters)
    _notes_sheet(book.create_sheet(NOTES_SHEET), catalog, code, parameters)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(target)
    return target


def _data_sheet(
    sheet: Worksheet,
    meta: list[tuple[str, str, float | str | date | time]],
    parameters: list[TemplateParameter],
) -> None:
    headers = [m[0] for m in meta] + [p.header for p in parameters]
    sheet.append(headers)
    examples: list[object] = [p.example for p in parameters]
    if all(e is None for e in examples):
        examples[0] = "KPH"  # no limits to take a plausible value from; show a non-detect
    sheet.append([m[2] for m in meta] + examples)
    for index, header in enumerate(headers, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font, cell.fill = Font(bold=True), _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.cell(row=2, column=index).font = _EXAMPLE_FONT
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(len(header), 28))
    for index, (_, hint, _) in enumerate(meta, start=1):
        if hint:
            sheet.cell(row=1, column=index).comment = Comment(hint, _AUTHOR)
    for index, p in enumerate(parameters, start=len(meta) + 1):
        limits = "\n".join(p.limits) or "không có giới hạn QCVN trong danh mục"
        note = f"{p.name_vi} / {p.name_en} [{p.code}]\nĐơn vị: {p.unit}\n{limits}"
        sheet.cell(row=1, column=index).comment = Comment(note, _AUTHOR, height=160, width=320)
    sheet.cell(row=2, column=1).comment = Comment("Dòng ví dụ — xóa trước khi nhập.", _AUTHOR)
    sheet.freeze_panes = "B2"
    _validations(sheet, [m[0] for m in meta], len(meta), len(parameters))


def _validations(sheet: Worksheet, names: list[str], n_meta: int, n_params: int) -> None:
    """Excel data validation: real dates and times, numeric depth, and a hint on results."""

    def column(name: str) -> str:
        return get_column_letter(names.index(name) + 1)

    def span(letter: str, last: str | None = None) -> str:
        return f"{letter}2:{last or letter}{LAST_ROW}"

    date_rule = DataValidation(
        type="date",
        operator="between",
        formula1="DATE(1990,1,1)",
        formula2="DATE(2100,12,31)",
        showErrorMessage=True,
        errorTitle="Ngày lấy mẫu",
        error="Ghi ngày dạng dd/mm/yyyy.",
        promptTitle="Ngày lấy mẫu",
        prompt="dd/mm/yyyy",
        showInputMessage=True,
    )
    time_rule = DataValidation(
        type="time",
        operator="between",
        formula1="0",
        formula2="0.999988426",
        showErrorMessage=True,
        errorTitle="Giờ lấy mẫu",
        error="Ghi giờ dạng hh:mm.",
        promptTitle="Giờ lấy mẫu",
        prompt="hh:mm (giờ Việt Nam)",
        showInputMessage=True,
    )
    date_rule.add(span(column("Ngày lấy mẫu")))
    time_rule.add(span(column("Giờ lấy mẫu")))
    rules = [date_rule, time_rule]
    if "Độ sâu (m)" in names:
        depth_rule = DataValidation(
            type="decimal",
            operator="between",
            formula1="0",
            formula2="10000",
            showErrorMessage=True,
            errorStyle="warning",
            errorTitle="Độ sâu",
            error="Độ sâu là một số mét; khoảng độ sâu ghi ở cột 'Tầng'.",
        )
        depth_rule.add(span(column("Độ sâu (m)")))
        rules.append(depth_rule)
    if n_params:
        # Results may be text ('<0,05', 'KPH'), so the hint is an input message, not a check.
        value_rule = DataValidation(
            allow_blank=True, showInputMessage=True, promptTitle="Kết quả", prompt=_VALUE_HINT
        )
        first = get_column_letter(n_meta + 1)
        value_rule.add(span(first, get_column_letter(n_meta + n_params)))
        rules.append(value_rule)
    for rule in rules:
        sheet.add_data_validation(rule)
    sheet[f"{column('Ngày lấy mẫu')}2"].number_format = "dd/mm/yyyy"
    sheet[f"{column('Giờ lấy mẫu')}2"].number_format = "hh:mm"


def _notes_sheet(
    sheet: Worksheet, catalog: Catalog, medium: str, parameters: list[TemplateParameter]
) -> None:
    regs = template_regulations(catalog, medium)
    m = catalog.media.get(medium)
    sheet.append([f"{_NOTES[0]}: {m.name_vi} ({m.name_en})"])
    sheet["A1"].font = Font(bold=True, size=13)
    for line in _NOTES[1:]:
        sheet.append([line])
    where = ", ".join(r.code for r in regs) or "danh mục thông số (chưa có QCVN trong danh mục)"
    sheet.append([f"Thông số theo: {where}. Ngày tạo: {datetime.now():%d/%m/%Y}."])
    sheet.append([])
    sheet.append(["Cột", "Mã", "Tên tiếng Việt", "English", "Đơn vị", "Giới hạn"])
    for cell in sheet[sheet.max_row]:
        cell.font, cell.fill = Font(bold=True), _HEADER_FILL
    for p in parameters:
        sheet.append([p.header, p.code, p.name_vi, p.name_en, p.unit, "; ".join(p.limits)])
    for letter, width in zip("ABCDEF", (34, 14, 34, 30, 12, 80), strict=True):
        sheet.column_dimensions[letter].width = width
