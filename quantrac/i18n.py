"""User-facing text in Vietnamese (default) and English.

Keys are short English phrases so the code reads naturally; `t(key)` returns the text in the
configured language (QUANTRAC_LANGUAGE=vi|en), falling back to the key itself.
"""

from __future__ import annotations

from quantrac.settings import get_settings

MESSAGES: dict[str, str] = {
    "Database ready": "Cơ sở dữ liệu đã sẵn sàng",
    "Error": "Lỗi",
    "Stations": "Trạm quan trắc",
    "Organizations": "Tổ chức",
    "Parameters": "Thông số",
    "code": "mã",
    "name": "tên",
    "kind": "loại",
    "medium": "môi trường",
    "province": "tỉnh/thành",
    "owner": "chủ sở hữu",
    "visibility": "công khai",
    "unit": "đơn vị",
    "regulation": "quy chuẩn",
    "Created station": "Đã tạo trạm",
    "Updated station": "Đã cập nhật trạm",
    "Retired station": "Đã ngừng trạm",
    "Created organization": "Đã tạo tổ chức",
    "Loading demo data": "Đang nạp dữ liệu mẫu",
    "Demo data loaded": "Đã nạp dữ liệu mẫu",
    "observations": "giá trị quan trắc",
    "Serving on": "Đang phục vụ tại",
    "Conformance server": "Máy chủ kiểm thử tuân thủ (dữ liệu tạm)",
    "Import report": "Báo cáo nhập dữ liệu",
    "row": "dòng",
    "field": "trường",
    "problem": "vấn đề",
    "Nothing was written": "Chưa ghi dữ liệu nào",
    "automatic": "tự động",
    "periodic": "định kỳ",
    "public": "công khai",
    "restricted": "hạn chế",
    "The catalogue is valid": "Danh mục hợp lệ",
}


def t(key: str) -> str:
    if get_settings().language.lower().startswith("en"):
        return key
    return MESSAGES.get(key, key)
