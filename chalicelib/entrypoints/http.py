"""Requests in, responses out: body parsing and the one mapping from refusals to HTTP statuses."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from chalice.app import Request, Response
from pydantic import BaseModel, Field, ValidationError

from chalicelib.observability import logger
from chalicelib.shared import errors
from chalicelib.shared.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, PageRequest

ModelT = TypeVar("ModelT", bound=BaseModel)

STATUS: dict[type[errors.DomainError], int] = {
    errors.InvalidRequest: 422,
    errors.NotSignedIn: 401,
    errors.NotAllowed: 403,
    errors.NotFound: 404,
    errors.AlreadyDone: 409,
    errors.StepOutOfOrder: 409,
    errors.InProgress: 409,
    errors.Expired: 410,
    errors.TooManyAttempts: 429,
}

JSON_HEADERS = {"Content-Type": "application/json", "Cache-Control": "no-store"}

# The largest order (1,000 care units of 200 characters) is about 210 KB; nothing sent here nests deeper
# than 4 levels. Python's JSON parser recurses, so depth is checked before it runs.
MAX_BODY_BYTES = 256 * 1024
MAX_NESTING = 16


class BadRequest(Exception):
    """The request itself is malformed: no JSON, wrong fields, a bad header or parameter."""

    def __init__(self, message: str, problems: list[dict[str, str]], status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems
        self.status = status


def nesting(raw: bytes) -> int:
    """How deep the JSON text's objects and arrays nest (brackets inside strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def parse(model: type[ModelT], raw_body: bytes | str | None) -> ModelT:
    """Validates a JSON body against `model`; every problem is reported with its field and reason."""
    if not raw_body:
        raise BadRequest("The request needs a JSON body.", [{"field": "body", "reason": "missing"}])
    raw = raw_body.encode() if isinstance(raw_body, str) else raw_body
    if len(raw) > MAX_BODY_BYTES:
        raise BadRequest(
            "The body is too large.", [{"field": "body", "reason": f"larger than {MAX_BODY_BYTES} bytes"}], 413
        )
    if nesting(raw) > MAX_NESTING:
        raise BadRequest(
            "The body nests too deeply.", [{"field": "body", "reason": f"nested deeper than {MAX_NESTING} levels"}]
        )
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("The body is not valid JSON.", [{"field": "body", "reason": "not JSON"}]) from None
    try:
        return model.model_validate(document)
    except ValidationError as error:
        raise BadRequest("Some fields are missing or wrong.", problems(error, "body")) from None


def problems(error: ValidationError, whole: str) -> list[dict[str, str]]:
    return [
        {"field": ".".join(str(part) for part in problem["loc"]) or whole, "reason": problem["msg"]}
        for problem in error.errors(include_url=False, include_input=False)
    ]


class ListQuery(BaseModel):
    """Paging parameters every list takes from its query string."""

    limit: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    cursor: str | None = Field(default=None, min_length=1, max_length=2000, pattern=r"^[A-Za-z0-9_-]+$")


def page_request(request: Request) -> PageRequest:
    given: dict[str, str] = dict(request.query_params or {})
    try:
        query = ListQuery.model_validate({name: given[name] for name in ("limit", "cursor") if name in given})
    except ValidationError as error:
        raise BadRequest("The paging parameters are wrong.", problems(error, "query")) from None
    return PageRequest(limit=query.limit, cursor=query.cursor)


def page_response(name: str, page: Page[Any], convert: Callable[[Any], Any]) -> Response:
    """A page of a list under `name`, and `next`: the cursor of the following page, or null on the last."""
    return json_response({name: [convert(item) for item in page.items], "next": page.next})


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    merged: dict[str, str | list[str]] = {**JSON_HEADERS, **(headers or {})}
    return Response(body=json.dumps(body, default=str), status_code=status, headers=merged)


def error_response(error: Exception) -> Response | None:
    """The JSON error for a known failure, or None for an unexpected one."""
    if isinstance(error, BadRequest):
        return json_response(
            {"message": error.message, "code": "request.malformed", "errors": error.problems}, error.status
        )
    if isinstance(error, errors.DomainError):
        status = next(code for kind, code in STATUS.items() if isinstance(error, kind))
        problems = [{"field": error.field, "reason": error.message}] if error.field else []
        return json_response({"message": error.message, "code": error.code, "errors": problems}, status)
    return None


def handles_errors(view: Callable[..., Response]) -> Callable[..., Response]:
    """Every known failure becomes its own 4xx; anything else a 500 that says nothing was lost."""

    def wrapped(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - every known failure becomes its own 4xx
            response = error_response(error)
            if response is None:
                logger.exception("Request failed")
                return json_response(
                    {
                        "message": "Something went wrong on our side; nothing was lost. Try again.",
                        "code": "internal",
                        "errors": [],
                    },
                    500,
                )
            logger.info("Request refused", extra={"status": response.status_code, "error": type(error).__name__})
            return response

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped
