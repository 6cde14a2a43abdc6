"""Every error the API answers, mapped to a status and one JSON body shape in one place.

Body: {"status": 422, "error": "invalid", "message": "...", "message_vi": "...",
"problems": [{"where": "...", "message": "..."}]}. Bad input is never a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import pydantic
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from quantrac.errors import (
    CodecError,
    ConfigError,
    ConflictError,
    LookupFailed,
    PermissionDenied,
    QuantracError,
    UnitConversionError,
    UnknownStation,
    ValidationError,
)

log = logging.getLogger("quantrac.api")


class Problem(BaseModel):
    where: str
    message: str


class ErrorBody(BaseModel):
    status: int
    error: str
    message: str
    message_vi: str | None = None
    problems: list[Problem] = []


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": desc}
    for code, desc in (
        (400, "Bad request"),
        (401, "Authentication required"),
        (403, "Not allowed"),
        (404, "Not found"),
        (409, "Conflict"),
        (413, "Body too large"),
        (422, "Invalid input"),
        (429, "Too many requests"),
    )
}

_NAMES = {
    400: ("bad_request", "Yêu cầu không hợp lệ"),
    401: ("unauthorized", "Cần đăng nhập hoặc khóa API"),
    403: ("forbidden", "Không có quyền"),
    404: ("not_found", "Không tìm thấy"),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ"),
    409: ("conflict", "Xung đột với dữ liệu đã có"),
    413: ("too_large", "Dữ liệu gửi lên quá lớn"),
    415: ("unsupported_media_type", "Kiểu dữ liệu không được hỗ trợ"),
    422: ("invalid", "Dữ liệu không hợp lệ"),
    429: ("too_many_requests", "Quá nhiều yêu cầu, vui lòng thử lại sau"),
    500: ("internal", "Lỗi máy chủ"),
    501: ("not_implemented", "Chưa hỗ trợ"),
}


class ApiError(Exception):
    """An HTTP error raised by API code itself (bad query option, missing credential …)."""

    def __init__(
        self,
        status: int,
        message: str,
        problems: Sequence[tuple[str, str]] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = list(problems)
        self.headers = headers


def bad_request(message: str, where: str | None = None) -> ApiError:
    return ApiError(400, message, [(where, message)] if where else ())


def not_found(message: str) -> ApiError:
    return ApiError(404, message)


def body(status: int, message: str, problems: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    error, vi = _NAMES.get(status, ("error", "Lỗi"))
    return {
        "status": status,
        "error": error,
        "message": message,
        "message_vi": vi,
        "problems": [{"where": str(w), "message": str(m)} for w, m in problems[:200]],
    }


def respond(
    status: int,
    message: str,
    problems: Sequence[tuple[str, str]] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(body(status, message, problems), status_code=status, headers=headers)


def status_of(exc: QuantracError) -> int:
    """The one table from quantrac's error types to HTTP statuses."""
    if isinstance(exc, UnknownStation):
        return 404
    if isinstance(exc, LookupFailed | ValidationError | CodecError | UnitConversionError):
        return 422
    if isinstance(exc, ConflictError):
        return 409
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, ConfigError):
        return 500
    return 400


def problems_of(exc: QuantracError) -> list[tuple[str, str]]:
    if isinstance(exc, ValidationError):
        return [(w, m) for w, m in exc.problems]
    if isinstance(exc, LookupFailed):
        hint = ", ".join(exc.suggestions)
        return [(exc.kind, f"unknown {exc.name!r}" + (f"; did you mean {hint}?" if hint else ""))]
    if isinstance(exc, CodecError):
        where = ", ".join(
            p for p in (exc.file, f"line {exc.line}" if exc.line else "", exc.field) if p
        )
        return [(where or "body", exc.message)]
    return []


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_r: Request, exc: ApiError) -> JSONResponse:
        return respond(exc.status, exc.message, exc.problems, exc.headers)

    @app.exception_handler(QuantracError)
    async def _quantrac_error(_r: Request, exc: QuantracError) -> JSONResponse:
        status = status_of(exc)
        if status >= 500:
            log.error("server error: %s", exc)
        message = str(exc).split("\n", 1)[0]
        return respond(status, message, problems_of(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_r: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            (".".join(str(p) for p in e.get("loc", ())), e.get("msg", "invalid"))
            for e in exc.errors()
        ]
        return respond(422, "invalid request parameters or body", problems)

    @app.exception_handler(pydantic.ValidationError)
    async def _model(_r: Request, exc: pydantic.ValidationError) -> JSONResponse:
        # A domain model (a station, an organization, an alert rule) refused a value the
        # request carried: the caller's mistake, named field by field, never a 500.
        problems = [
            (".".join(str(x) for x in e["loc"]) or "body", e["msg"]) for e in exc.errors()
        ]
        where, message = problems[0] if problems else ("body", "invalid")
        return respond(422, f"{where}: {message}", problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_r: Request, exc: StarletteHTTPException) -> JSONResponse:
        return respond(exc.status_code, str(exc.detail), (), getattr(exc, "headers", None))

    @app.exception_handler(OverflowError)
    async def _overflow(_r: Request, exc: OverflowError) -> JSONResponse:
        return respond(400, "a number in the request is out of range")

    @app.exception_handler(DataError)
    async def _data(_r: Request, exc: DataError) -> JSONResponse:
        return respond(
            400,
            "the database could not use a value of the request: " + str(exc.orig).split("\n", 1)[0],
        )

    @app.exception_handler(Exception)
    async def _unexpected(_r: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return respond(500, "internal server error; the administrator can find it in the log")
