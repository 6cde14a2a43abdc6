"""Vietnamese text of the portal, keyed by the English text (English is the key itself).

The dictionaries of the public pages and of the staff workspace are kept apart so each can
grow without touching the other; both are also sent to the browser for the scripts."""

from __future__ import annotations

from quantrac.web.messages_public import PUBLIC
from quantrac.web.messages_staff import STAFF

COMMON: dict[str, str] = {
    "Environmental monitoring database": "Cơ sở dữ liệu quan trắc môi trường",
    "Map": "Bản đồ",
    "Stations": "Trạm quan trắc",
    "Exceedances": "Vượt quy chuẩn",
    "Workspace": "Không gian làm việc",
    "Log in": "Đăng nhập",
    "Log out": "Đăng xuất",
    "User name": "Tên đăng nhập",
    "Password": "Mật khẩu",
    "Language": "Ngôn ngữ",
    "Loading…": "Đang tải…",
    "No data": "Không có số liệu",
    "Error": "Lỗi",
    "Times are in Vietnam time (UTC+7)": "Thời gian theo giờ Việt Nam (UTC+7)",
}

MESSAGES: dict[str, str] = {**COMMON, **PUBLIC, **STAFF}
