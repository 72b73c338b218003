"""Requests in, responses out: body parsing and the one mapping from refusals to HTTP statuses."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from chalice.app import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.observability import logger
from chalicelib.shared import errors
from chalicelib.shared.deferred import Model
from chalicelib.shared.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageRequest

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


class Problem(Model):
    model_config = ConfigDict(extra="forbid")

    field: str
    reason: str


class ErrorBody(Model):
    """Every refusal and failure: what went wrong, a code that never changes, and each field at fault."""

    model_config = ConfigDict(extra="forbid")

    message: str
    code: str
    errors: list[Problem]


def try_again() -> ErrorBody:
    """The body of every failure that is ours."""
    return ErrorBody(
        message="Something went wrong on our side; nothing was lost. Try again.", code="internal", errors=[]
    )


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
        raise BadRequest("Some fields are missing or wrong.", problems(error, "body"), status_of(error)) from None


def status_of(error: ValidationError) -> int:
    """400 when the input is not of the shape the document gives it; 422 when it is, and only a rule the document
    cannot state refuses it (a blank name, a control character): our validators' `ValueError`s."""
    return 422 if all(problem["type"] == "value_error" for problem in error.errors()) else 400


def problems(error: ValidationError, whole: str) -> list[dict[str, str]]:
    return [
        {"field": ".".join(str(part) for part in problem["loc"]) or whole, "reason": problem["msg"]}
        for problem in error.errors(include_url=False, include_input=False)
    ]


class ListQuery(Model):
    """Paging parameters every list takes from its query string (which holds strings, so no strict types)."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    cursor: str | None = Field(default=None, min_length=1, max_length=2000, pattern=r"^[A-Za-z0-9_-]+$")


def page_request(query: ListQuery) -> PageRequest:
    return PageRequest(limit=query.limit, cursor=query.cursor)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    merged: dict[str, str | list[str]] = {**JSON_HEADERS, **(headers or {})}
    return Response(body=json.dumps(body, default=str), status_code=status, headers=merged)


def error_response(error: Exception) -> Response | None:
    """The JSON error for a known failure, or None for an unexpected one."""
    if isinstance(error, BadRequest):
        code = {413: "request.too_large", 422: "request.refused_by_rule"}.get(error.status, "request.malformed")
        body = ErrorBody(message=error.message, code=code, errors=[Problem(**problem) for problem in error.problems])
        return json_response(body.model_dump(), error.status)
    if isinstance(error, errors.DomainError):
        status = next(code for kind, code in STATUS.items() if isinstance(error, kind))
        problems = [Problem(field=error.field, reason=error.message)] if error.field else []
        return json_response(ErrorBody(message=error.message, code=error.code, errors=problems).model_dump(), status)
    return None


# What Chalice answers by itself (before a view runs, or when one fails past `handles_errors`), in our words.
FRAMEWORK_CODES = {
    "MethodNotAllowedError": "request.method_not_allowed",
    "UnsupportedMediaType": "request.unsupported_media_type",
    "BadRequest": "request.malformed",
    "InternalServerError": "internal",
}


def in_our_words(response: Response) -> Response:
    """Chalice's own error bodies (`{"Code", "Message"}`) as an ErrorBody, so that every error has one shape."""
    body = response.body
    if response.status_code < 400 or not isinstance(body, dict) or set(body) != {"Code", "Message"}:
        return response
    if response.status_code >= 500:
        answer = try_again()
    else:
        code = FRAMEWORK_CODES.get(str(body["Code"]), "request.refused")
        answer = ErrorBody(message=str(body["Message"]), code=code, errors=[])
    headers = {name: value for name, value in response.headers.items() if name.lower() != "content-type"}
    return Response(
        body=json.dumps(answer.model_dump()), status_code=response.status_code, headers={**JSON_HEADERS, **headers}
    )


def handles_errors(view: Callable[..., Response]) -> Callable[..., Response]:
    """Every known failure becomes its own 4xx; anything else a 500 that says nothing was lost."""

    def wrapped(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - every known failure becomes its own 4xx
            response = error_response(error)
            if response is None:
                logger.exception("Request failed")
                return json_response(try_again().model_dump(), 500)
            logger.info("Request refused", extra={"status": response.status_code, "error": type(error).__name__})
            return response

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped
