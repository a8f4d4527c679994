{% include "header.py" %}
"""RFC 9457 problem details: every error leaves the app as `application/problem+json`."""

import re
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    500: "Internal Server Error",
}

LOCATIONS = {"body": "body", "query": "query", "path": "path", "header": "header"}


class ApiError(Exception):
    """An error answered with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        errors: list[dict] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers


def problem(
    request: Request,
    status: int,
    detail: str,
    errors: list[dict] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response for `request`."""
    body = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": quote(request.url.path, safe="/:@!$&'()*+,;=-._~"),
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(
        body, status_code=status, headers=headers, media_type=PROBLEM_JSON
    )


def _validation_errors(exc: RequestValidationError) -> list[dict]:
    errors = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ())]
        location = LOCATIONS.get(loc[0], "header") if loc else "body"
        entry = {"location": location, "message": str(error.get("msg", "is invalid"))}
        if len(loc) > 1:
            entry["field"] = ".".join(loc[1:])
        errors.append(entry)
    return errors


HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def _path_methods(contract: dict) -> list[tuple[re.Pattern, list[str]]]:
    """Each path template of the contract as a regular expression, with its methods."""
    table = []
    for template, item in contract.get("paths", {}).items():
        parts = re.split(r"(\{[^}/]+\})", template)
        pattern = "".join(
            "[^/]+" if part.startswith("{") else re.escape(part) for part in parts
        )
        methods = sorted(m.upper() for m in item if m in HTTP_METHODS)
        table.append((re.compile(f"^{pattern}$"), methods))
    return table


def install(app: FastAPI, contract: dict) -> None:
    """Registers the handlers that turn every error into a problem document.

    A 405 lists in `Allow` the methods the contract documents for the path.
    """
    paths = _path_methods(contract)

    def allowed_methods(path: str) -> list[str]:
        return sorted({m for regex, ms in paths if regex.match(path) for m in ms})

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return problem(request, exc.status, exc.detail, exc.errors, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        if any(error.get("type") == "json_invalid" for error in exc.errors()):
            return problem(request, 400, "The request body is not valid JSON.")
        return problem(
            request,
            422,
            "The request is not valid; `errors` lists each offending input.",
            _validation_errors(exc),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request.url.path))
            detail = f"{request.method} is not allowed here."
        elif exc.status_code == 404:
            detail = "No resource lives at this path."
        else:
            detail = str(exc.detail)
        return problem(request, exc.status_code, detail, headers=headers or None)

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> JSONResponse:
        # Valid by the contract but refused by the database (PostgreSQL text cannot hold
        # a NUL character): the client's value, so a 422, never a 500.
        detail = "The database cannot store one of the values given."
        return problem(request, 422, detail)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return problem(request, 500, "An unexpected error occurred.")
