"""Vietnamese text of the staff workspace and the login page (see messages.py): keys are the
English text. Keys already in COMMON or PUBLIC are not repeated here, so the two halves of the
portal never give one word two translations."""

from __future__ import annotations

_SECTIONS = {
    "Connectivity": "Tình trạng kết nối",
    "Ingest monitor": "Giám sát tiếp nhận",
    "Upload results": "Nhập kết quả định kỳ",
    "QC review": "Kiểm tra và duyệt số liệu",
    "Station registry": "Danh mục trạm",
    "Events and alerts": "Sự kiện và cảnh báo",
    "Users and keys": "Người dùng và khóa API",
}

_LOGIN = {
    "You are logged in as": "Bạn đang đăng nhập với tên",
    "Go to the workspace": "Vào không gian làm việc",
    "The workspace is for monitoring staff and enterprises. Public data need no login.": (
        "Không gian làm việc dành cho cán bộ quan trắc và doanh nghiệp. "
        "Xem số liệu công khai không cần đăng nhập."
    ),
    "Enter your user name and password.": "Nhập tên đăng nhập và mật khẩu.",
    "Wrong user name or password.": "Sai tên đăng nhập hoặc mật khẩu.",
    "Your account may not open this page.": "Tài khoản của bạn không được mở trang này.",
    "There is no such page in the workspace.": "Không có trang này trong không gian làm việc.",
    "Back to the workspace": "Quay lại không gian làm việc",
}

_COMMON_WORDS = {
    "All": "Tất cả",
    "Find": "Tìm",
    "Station code or name": "Mã hoặc tên trạm",
    "Status": "Trạng thái",
    "State": "Trạng thái",
    "Refresh": "Tải lại",
    "Updated": "Cập nhật lúc",
    "Kind": "Loại",
    "Owner": "Chủ sở hữu",
    "Visibility": "Phạm vi công bố",
    "By": "Người thực hiện",
    "At": "Lúc",
    "Note": "Ghi chú",
    "Reason": "Lý do",
    "Flag": "Cờ QC",
    "Save": "Lưu",
    "Cancel": "Hủy",
    "Edit": "Sửa",
    "Disable": "Tắt",
    "Enable": "Bật",
    "optional": "không bắt buộc",
    "— none —": "— không có —",
    "Created": "Ngày tạo",
    "active": "đang dùng",
    "disabled": "đã tắt",
    "Organization": "Tổ chức",
    "Role": "Vai trò",
    "Source": "Nguồn",
    "File": "Tệp",
    "Received": "Nhận lúc",
    "Who": "Ai",
    "Action": "Hành động",
    "Target": "Đối tượng",
    "Details": "Chi tiết",
    "{n} s": "{n} giây",
    "{n} min": "{n} phút",
    "{h} h {m} min": "{h} giờ {m} phút",
    "{n} days": "{n} ngày",
    "{field} is not a number": "{field} không phải là số",
}

_CONNECTIVITY = {
    "Every automatic station you manage: is it sending, how late is its newest data, and how "
    "much of today's expected data has arrived.": (
        "Mọi trạm tự động bạn quản lý: trạm có đang truyền không, số liệu mới nhất trễ bao "
        "lâu, và hôm nay đã nhận được bao nhiêu phần số liệu dự kiến."
    ),
    "Only stations not online": "Chỉ trạm không trực tuyến",
    "Online": "Trực tuyến",
    "Offline": "Mất kết nối",
    "Not connected": "Chưa kết nối",
    "stations": "trạm",
    "online": "trực tuyến",
    "offline": "mất kết nối",
    "never connected": "chưa từng kết nối",
    "Newest data": "Số liệu mới nhất",
    "Delay": "Độ trễ",
    "Last received": "Nhận lần cuối",
    "Today's completeness": "Mức đầy đủ hôm nay",
    "{received} of {expected} records": "{received}/{expected} bản ghi",
}

_INGEST = {
    "Files and messages as received (FTP, folders, MQTT, HTTP, uploads), kept byte for byte. "
    "A quarantined file can be processed again once the registry or the catalogue is fixed.": (
        "Các tệp và bản tin như đã nhận (FTP, thư mục, MQTT, HTTP, tải lên), lưu nguyên vẹn "
        "từng byte. Tệp bị cách ly có thể được xử lý lại sau khi sửa danh mục trạm hoặc "
        "danh mục thông số."
    ),
    "Waiting": "Chờ xử lý",
    "Processed": "Đã xử lý",
    "Quarantined": "Cách ly",
    "Reason / problems": "Lý do / vấn đề",
    "Replay": "Xử lý lại",
    "Upload page": "Trang nhập tệp",
    "line {n}": "dòng {n}",
    "field {f}": "trường {f}",
    "(+{n} more)": "(+{n} vấn đề khác)",
    "File {id} processed: {n} values stored.": "Đã xử lý tệp {id}: lưu {n} giá trị.",
    "File {id} is still quarantined: {reason}": "Tệp {id} vẫn bị cách ly: {reason}",
}

_IMPORT = {
    "Upload a lab spreadsheet (CSV or XLSX). It is checked row by row and nothing is stored "
    "until you commit it; the file itself is kept in the raw archive.": (
        "Tải lên bảng kết quả phân tích (CSV hoặc XLSX). Tệp được kiểm tra từng dòng và chưa "
        "có gì được lưu cho đến khi bạn xác nhận ghi; bản thân tệp được lưu trong kho dữ liệu gốc."
    ),
    "Spreadsheet file": "Tệp bảng tính",
    "Campaign code": "Mã đợt quan trắc",
    "Campaign name": "Tên đợt quan trắc",
    "Campaign 1/2025": "Đợt 1/2025",
    "Station, for a sheet without a station column": "Trạm (cho tệp không có cột mã trạm)",
    "— from the file —": "— theo tệp —",
    "Numbers like 30.000": "Số dạng 30.000",
    "Decide from the file": "Tự nhận biết theo tệp",
    "Vietnamese: 30.000 = thirty thousand": "Kiểu Việt Nam: 30.000 = ba mươi nghìn",
    "English: 30.000 = thirty": "Kiểu tiếng Anh: 30.000 = ba mươi",
    "Check the file": "Kiểm tra tệp",
    "Templates for the lab": "Mẫu nhập cho phòng thí nghiệm",
    "An XLSX with the columns the importer reads and the parameters of the medium's QCVN.": (
        "Tệp XLSX có các cột mà chương trình nhập đọc được và các thông số theo QCVN của "
        "thành phần môi trường."
    ),
    "Download template": "Tải mẫu nhập",
    "Choose a CSV or XLSX file first.": "Hãy chọn tệp CSV hoặc XLSX trước.",
    "Checking the file…": "Đang kiểm tra tệp…",
    "Validation report": "Báo cáo kiểm tra",
    "Import result": "Kết quả nhập dữ liệu",
    "Layout": "Bố cục",
    "wide": "ngang (mỗi dòng một mẫu)",
    "long": "dọc (mỗi dòng một kết quả)",
    "Results read": "Số kết quả đọc được",
    "Results accepted": "Số kết quả hợp lệ",
    "Rows not stored": "Số dòng không được lưu",
    "Errors": "Lỗi",
    "Warnings": "Cảnh báo",
    "Samples a commit would store: new / updated / unchanged": (
        "Mẫu sẽ ghi: mới / cập nhật / không đổi"
    ),
    "Results a commit would store: new / updated / unchanged": (
        "Kết quả sẽ ghi: mới / cập nhật / không đổi"
    ),
    "Samples stored: new / updated / unchanged": "Mẫu đã ghi: mới / cập nhật / không đổi",
    "Results stored: new / updated / unchanged": "Kết quả đã ghi: mới / cập nhật / không đổi",
    "Campaigns": "Đợt quan trắc",
    "Problems ({n})": "Vấn đề ({n})",
    "No problems found.": "Không phát hiện vấn đề nào.",
    "Severity": "Mức độ",
    "error": "lỗi",
    "warning": "cảnh báo",
    "note": "thông tin",
    "Row": "Dòng",
    "whole file": "cả tệp",
    "Column": "Cột",
    "Problem": "Vấn đề",
    "Suggestion": "Gợi ý",
    "Exceedances of QCVN limits ({n})": "Vượt giới hạn QCVN ({n})",
    "Sampled at": "Thời điểm lấy mẫu",
    "Result": "Kết quả",
    "× limit": "Số lần vượt",
    "Commit: store the data": "Xác nhận: ghi dữ liệu",
    "Store the valid rows": "Ghi các dòng hợp lệ",
    "{n} error(s): the rows and columns they concern will not be stored.": (
        "Có {n} lỗi: các dòng và cột bị lỗi sẽ không được ghi."
    ),
    "Nothing from this file can be stored. Correct the file and upload it again.": (
        "Không có dữ liệu nào trong tệp này ghi được. Hãy sửa tệp rồi tải lên lại."
    ),
    "Stored: {sn} new and {su} updated samples, {rn} new and {ru} updated results.": (
        "Đã ghi: {sn} mẫu mới và {su} mẫu cập nhật, {rn} kết quả mới và {ru} kết quả cập nhật."
    ),
    "See the values in QC review:": "Xem số liệu ở trang duyệt số liệu:",
}

_REVIEW = {
    "To (inclusive)": "Đến (tính cả ngày này)",
    "dd/mm/yyyy": "nn/tt/nnnn",
    "Write the dates as dd/mm/yyyy, the first not after the second.": (
        "Ghi ngày theo dạng nn/tt/nnnn, ngày đầu không sau ngày cuối."
    ),
    "value": "giá trị",
    "suspect (flag 3)": "nghi ngờ (cờ 3)",
    "bad (flag 4)": "sai (cờ 4)",
    "Click a point to correct it.": "Bấm vào một điểm để sửa giá trị.",
    "Flagged and corrected values": "Giá trị bị gắn cờ",
    "Review decisions": "Quyết định duyệt",
    "Changes to values (who, when, why)": "Thay đổi giá trị (ai, khi nào, vì sao)",
    "good": "tốt",
    "not evaluated": "chưa đánh giá",
    "suspect": "nghi ngờ",
    "bad": "sai",
    "missing": "thiếu",
    "approved": "đã duyệt (công bố)",
    "reviewed": "đã xem, chưa công bố",
    "rejected": "loại bỏ",
    "Choose a station and a parameter.": "Hãy chọn trạm và thông số.",
    "Chart of {label}": "Biểu đồ {label}",
    "{n} values, {s} suspect, {b} bad": "{n} giá trị, {s} nghi ngờ, {b} sai",
    "Sample": "Mẫu",
    "Campaign": "Đợt",
    "not detected": "KPH",
    "Detection limit": "Giới hạn phát hiện",
    "Lab results are corrected by importing a corrected file; each changed result is "
    "recorded with its old and new value.": (
        "Kết quả phân tích được sửa bằng cách nhập lại tệp đã sửa; mỗi kết quả thay đổi được "
        "ghi lại cùng giá trị cũ và mới."
    ),
    "Review decisions apply to automatic series.": (
        "Quyết định duyệt áp dụng cho chuỗi số liệu tự động."
    ),
    "See the audit log for changes of lab results.": (
        "Xem nhật ký hệ thống để biết các thay đổi kết quả phân tích."
    ),
    "Decision": "Quyết định",
    "Value time": "Thời điểm của giá trị",
    "Old → new": "Cũ → mới",
    "Approving data is for agency staff.": "Chỉ cán bộ cơ quan quản lý được duyệt số liệu.",
    "Approve (publish)": "Duyệt (công bố)",
    "Reviewed, not published": "Đã xem, chưa công bố",
    "Reject": "Loại bỏ",
    "Record the decision": "Ghi quyết định",
    "Decision for the period shown": "Quyết định cho giai đoạn đang xem",
    "Decision recorded.": "Đã ghi quyết định.",
    "Flag every value of the period": "Gắn cờ cho mọi giá trị của giai đoạn",
    "suspect (3)": "nghi ngờ (3)",
    "bad (4)": "sai (4)",
    "good (1)": "tốt (1)",
    "Set the flag": "Gắn cờ",
    "Flags set.": "Đã gắn cờ.",
    "A reason is required.": "Cần ghi lý do.",
    "Correct a value": "Sửa một giá trị",
    "Click a point of the chart or a row below.": (
        "Bấm vào một điểm trên biểu đồ hoặc một dòng bên dưới."
    ),
    "stored value": "giá trị đang lưu",
    "New value": "Giá trị mới",
    "Remove the value (no valid measurement)": "Xóa giá trị (không có số đo hợp lệ)",
    "Save the correction": "Lưu sửa đổi",
    "Correct": "Sửa",
    "Choose a value first.": "Hãy chọn một giá trị trước.",
    "The new value is not a number.": "Giá trị mới không phải là số.",
    "Enter the new value.": "Nhập giá trị mới.",
    "Value corrected.": "Đã sửa giá trị.",
}

_REGISTRY = {
    "The stations you manage. Changes are validated against the catalogue and recorded in the "
    "audit log; a retired station disappears from every list but keeps its history.": (
        "Các trạm bạn quản lý. Thay đổi được kiểm tra theo danh mục và ghi vào nhật ký hệ "
        "thống; trạm ngừng hoạt động không còn hiện trong danh sách nhưng vẫn giữ lịch sử."
    ),
    "The stations of your organization. Only agency staff change the registry.": (
        "Các trạm của tổ chức bạn. Chỉ cán bộ cơ quan quản lý được sửa danh mục trạm."
    ),
    "Add a station": "Thêm trạm",
    "New station": "Trạm mới",
    "Edit station {code}": "Sửa trạm {code}",
    "automatic": "tự động",
    "periodic": "định kỳ",
    "public": "công khai",
    "restricted": "hạn chế",
    "Regulation (QCVN)": "Quy chuẩn (QCVN)",
    "Column / level": "Cột / mức",
    "Reporting interval (s)": "Chu kỳ truyền (giây)",
    "Interval": "Chu kỳ",
    "Latitude": "Vĩ độ",
    "Longitude": "Kinh độ",
    "Address": "Địa chỉ",
    "Notes": "Ghi chú",
    "Retire the station": "Ngừng hoạt động trạm",
    "Station {code} saved.": "Đã lưu trạm {code}.",
    "Station {code} retired.": "Trạm {code} đã ngừng hoạt động.",
    "Retire station {code}? It disappears from every list; its data are kept.": (
        "Ngừng hoạt động trạm {code}? Trạm sẽ không còn trong danh sách; số liệu vẫn được giữ."
    ),
}

_EVENTS = {
    "Events": "Sự kiện",
    "All my stations": "Mọi trạm của tôi",
    "exceedance": "vượt quy chuẩn",
    "delayed": "truyền trễ",
    "qc_failure": "lỗi kiểm tra chất lượng",
    "open": "đang diễn ra",
    "closed": "đã kết thúc",
    "Started": "Bắt đầu",
    "Ended": "Kết thúc",
    "Peak": "Giá trị cao nhất",
    "Alert rules": "Quy tắc cảnh báo",
    "A rule sends the events of its kinds and stations by e-mail or to a webhook (signed). "
    "A new rule receives only events from now on.": (
        "Mỗi quy tắc gửi các sự kiện thuộc loại và trạm đã chọn qua thư điện tử hoặc webhook "
        "(có chữ ký). Quy tắc mới chỉ nhận các sự kiện từ thời điểm tạo."
    ),
    "New alert rule": "Quy tắc cảnh báo mới",
    "Rule name": "Tên quy tắc",
    "Channel": "Kênh gửi",
    "e-mail": "thư điện tử",
    "Recipients or URL": "Người nhận hoặc địa chỉ URL",
    "Webhook secret (16+ characters)": "Khóa bí mật của webhook (từ 16 ký tự)",
    "Event kinds": "Loại sự kiện",
    "none chosen: every station": "không chọn: mọi trạm",
    "choose at least one": "chọn ít nhất một trạm",
    "Create the rule": "Tạo quy tắc",
    "every station": "mọi trạm",
    "signed": "có chữ ký",
    "Rule {name} created.": "Đã tạo quy tắc {name}.",
    "Rule {name} disabled.": "Đã tắt quy tắc {name}.",
    "Rule {name} enabled.": "Đã bật quy tắc {name}.",
}

_USERS = {
    "Users": "Người dùng",
    "New user": "Người dùng mới",
    "Full name": "Họ và tên",
    "Password (8+ characters)": "Mật khẩu (từ 8 ký tự)",
    "admin": "quản trị",
    "province": "cán bộ tỉnh",
    "enterprise": "doanh nghiệp",
    "Create the user": "Tạo người dùng",
    "API keys": "Khóa API",
    "New API key": "Khóa API mới",
    "Key name": "Tên khóa",
    "e.g. station HN_BKHN push": "ví dụ: trạm HN_BKHN gửi dữ liệu",
    "For a user": "Cho người dùng",
    "or for an organization": "hoặc cho tổ chức",
    "Scopes": "Quyền",
    "Create the key": "Tạo khóa",
    "Prefix": "Tiền tố",
    "For": "Cấp cho",
    "Last used": "Dùng lần cuối",
    "revoked": "đã thu hồi",
    "Revoke": "Thu hồi",
    "Audit log": "Nhật ký hệ thống",
    "User {name} created.": "Đã tạo người dùng {name}.",
    "User {name} disabled.": "Đã tắt người dùng {name}.",
    "Disable user {name}? Their sessions end at once.": (
        "Tắt người dùng {name}? Các phiên đăng nhập của họ kết thúc ngay."
    ),
    "Key created.": "Đã tạo khóa.",
    "Key {prefix} revoked.": "Đã thu hồi khóa {prefix}.",
    "Revoke key {prefix}? It stops working at once.": (
        "Thu hồi khóa {prefix}? Khóa hết hiệu lực ngay."
    ),
    "The new key — copy it now, it is shown only once:": (
        "Khóa mới — hãy sao chép ngay, khóa chỉ hiện một lần:"
    ),
}

STAFF: dict[str, str] = {
    **_SECTIONS,
    **_LOGIN,
    **_COMMON_WORDS,
    **_CONNECTIVITY,
    **_INGEST,
    **_IMPORT,
    **_REVIEW,
    **_REGISTRY,
    **_EVENTS,
    **_USERS,
}
