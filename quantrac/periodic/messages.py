"""The importer's own report text, in Vietnamese (default) and English.

Kept here rather than in `quantrac.i18n` because these messages take arguments and belong to
one feature; `text(key, lang, **values)` formats one. Problems found by the sheet codec keep the
codec's wording (English) — translating them by pattern would break whenever the codec changes.
"""

from __future__ import annotations

_TEXT: dict[str, tuple[str, str]] = {
    # --- standardize --------------------------------------------------------------------------
    "unknown_station": (
        "mã trạm {code!r} chưa có trong danh mục trạm ({n} dòng)",
        "station code {code!r} is not registered ({n} rows)",
    ),
    "did_you_mean": ("có phải: {names}?", "did you mean: {names}?"),
    "register_station": (
        "đăng ký trạm trước khi nhập (quantrac stations add {code} …) hoặc sửa mã trạm",
        "register the station first (quantrac stations add {code} …) or fix the code",
    ),
    "unknown_parameter": (
        "thông số {name!r} không có trong danh mục (môi trường {medium})",
        "parameter {name!r} is not in the catalogue (medium {medium})",
    ),
    "ambiguous_parameter": (
        "tên {name!r} có thể là nhiều thông số ({medium}): {names}",
        "{name!r} could be several parameters ({medium}): {names}",
    ),
    "ambiguous_hint": (
        "ghi rõ tên thông số, ví dụ bằng mã trong danh mục",
        "write the parameter unambiguously, e.g. with its catalogue code",
    ),
    "parameter_hint": (
        "đổi tên cột theo danh mục (quantrac catalog parameters), hoặc thêm thông số riêng "
        "(quantrac catalog add-parameter) — gần nhất: {names}",
        "rename the column as in the catalogue (quantrac catalog parameters), or add the "
        "parameter (quantrac catalog add-parameter) — nearest: {names}",
    ),
    "parameter_hint_none": (
        "đổi tên cột theo danh mục (quantrac catalog parameters), hoặc thêm thông số riêng "
        "(quantrac catalog add-parameter)",
        "rename the column as in the catalogue (quantrac catalog parameters), or add the "
        "parameter (quantrac catalog add-parameter)",
    ),
    "unknown_unit": (
        "đơn vị {unit!r} của {code} không có trong danh mục",
        "unit {unit!r} of {code} is not in the catalogue",
    ),
    "wrong_unit": (
        "đơn vị {unit!r} không dùng được cho {code} (đo {canonical})",
        "unit {unit!r} cannot measure {code} (stored in {canonical})",
    ),
    "unit_hint": (
        "đơn vị chuẩn của {code} là {canonical}",
        "the canonical unit of {code} is {canonical}",
    ),
    "future_time": (
        "thời điểm lấy mẫu {when} ở tương lai",
        "sampling time {when} is in the future",
    ),
    "future_hint": (
        "kiểm tra ngày/tháng/năm (dd/mm/yyyy)",
        "check day, month and year (dd/mm/yyyy)",
    ),
    "depth_text": (
        "độ sâu {value!r} không phải một số (mét); đã ghi vào cột tầng",
        "depth {value!r} is not a number of metres; kept as the layer",
    ),
    "depth_hint": (
        "ghi độ sâu bằng mét, ví dụ 0,5; khoảng độ sâu ghi ở cột 'Tầng'",
        "write depth in metres, e.g. 0.5; write a depth range in the 'Tầng' (layer) column",
    ),
    "retired_station": (
        "trạm {code} đã ngừng hoạt động trước thời điểm lấy mẫu ({n} dòng)",
        "station {code} was retired before the sampling time ({n} rows)",
    ),
    "code_too_long": (
        "mã mẫu/đợt {value!r} dài quá {limit} ký tự",
        "sample or campaign code {value!r} is longer than {limit} characters",
    ),
    # --- validate -----------------------------------------------------------------------------
    "duplicate_rows": (
        "dòng {first} và {later} là cùng một mẫu (cùng trạm, thời điểm, mã mẫu, độ sâu/tầng) "
        "cho {params}; không dòng nào được lưu",
        "rows {first} and {later} are the same sample (same station, time, sample code, "
        "depth/layer) for {params}; neither row is stored",
    ),
    "duplicate_rows_hint": (
        "xóa một dòng, hoặc ghi mã mẫu hay giờ lấy mẫu khác nhau",
        "delete one row, or give the samples different codes or times",
    ),
    "duplicate_columns": (
        "cột {first} và {later} cùng là thông số {code}; cột {later} không được lưu",
        "columns {first} and {later} are both {code}; column {later} is not stored",
    ),
    "duplicate_columns_hint": ("xóa hoặc đổi tên một cột", "delete or rename one column"),
    # --- compliance ---------------------------------------------------------------------------
    "inconclusive": (
        "{code}: giới hạn phát hiện {value:g} {unit} cao hơn giới hạn {limit:g} {unit} "
        "của {rule}; không kết luận được đạt hay vượt",
        "{code}: detection limit {value:g} {unit} is above the {rule} limit {limit:g} {unit}; "
        "compliance cannot be decided",
    ),
    "inconclusive_above": (
        "{code}: kết quả '>{value:g}' {unit} không đủ để so với khoảng giới hạn của {rule}",
        "{code}: '>{value:g}' {unit} is not enough to compare with the {rule} range",
    ),
    "inconclusive_hint": (
        "yêu cầu phòng thí nghiệm dùng phương pháp có giới hạn phát hiện thấp hơn",
        "ask the laboratory for a method with a lower detection limit",
    ),
    "no_regulation": (
        "{n} trạm chưa khai báo quy chuẩn nên không so sánh: {codes}",
        "{n} station(s) have no regulation, not compared: {codes}",
    ),
    "no_regulation_hint": (
        "quantrac stations update MÃ_TRẠM --set regulation=… --set regulation_column=…",
        "quantrac stations update CODE --set regulation=… --set regulation_column=…",
    ),
    "no_column": (
        "trạm {codes} chưa khai báo cột/mức của {regulation}; chỉ so sánh các bảng luôn áp dụng",
        "station(s) {codes} have no column/level of {regulation}; only the tables that always "
        "apply were compared",
    ),
    "outside_regulation": (
        "{n} mẫu lấy ngoài thời gian hiệu lực của {regulation} ({period}); vẫn so sánh theo "
        "quy chuẩn khai báo cho trạm",
        "{n} samples were taken outside the period {regulation} is in force ({period}); "
        "compared with the station's regulation anyway",
    ),
    "air_averaging": (
        "mẫu không khí được so với giới hạn trung bình 1 giờ của {regulation} (giả định mỗi mẫu "
        "là trung bình 1 giờ); giới hạn 8 giờ, 24 giờ, năm không được so",
        "air samples are compared with the 1-hour limits of {regulation} (each sample is "
        "assumed to be a 1-hour average); 8-hour, 24-hour and annual limits are not",
    ),
    "other_matrix": (
        "{n} mẫu có loại mẫu khác môi trường của quy chuẩn trạm ({matrix}); không so sánh",
        "{n} samples are of another matrix than the station's regulation ({matrix}); not compared",
    ),
    # --- modes --------------------------------------------------------------------------------
    "strict_refused": (
        "chế độ nghiêm ngặt: có {n} lỗi nên không ghi dữ liệu nào",
        "strict mode: {n} error(s), so nothing was written",
    ),
    "file_blocked": (
        "lỗi ở mức cả tệp: không ghi dữ liệu nào",
        "an error concerns the whole file: nothing was written",
    ),
    "dry_run": ("chạy thử: không ghi dữ liệu nào", "dry run: nothing was written"),
    "errors_found": ("tệp có {n} lỗi", "the file has {n} error(s)"),
}

SEVERITY: dict[str, tuple[str, str]] = {
    "error": ("lỗi", "error"),
    "warning": ("cảnh báo", "warning"),
    "info": ("thông tin", "info"),
}


def is_english(lang: str) -> bool:
    return lang.lower().startswith("en")


def text(key: str, lang: str = "vi", /, **values: object) -> str:
    """The message `key` in `lang` ('vi' or 'en'), formatted with `values`."""
    vi, en = _TEXT[key]
    return (en if is_english(lang) else vi).format(**values)


def severity_label(severity: str, lang: str = "vi") -> str:
    vi, en = SEVERITY.get(severity, (severity, severity))
    return en if is_english(lang) else vi
