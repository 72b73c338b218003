"""Each route's contract, declared beside it: what it takes (path, query, headers, body), what it answers, what it
may refuse, and who may call it. The declaration is what the route runs by: the parameters and the body are
validated against it before the view sees them, and the answer is made from the declared model. The OpenAPI
document (`openapi.py`) and the authorization matrix test are generated from the same declarations, so the
three cannot drift apart."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

from chalice.app import Blueprint, Request, Response
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from chalicelib.entrypoints.auth import actor_of
from chalicelib.entrypoints.http import STATUS, BadRequest, handles_errors, json_response, parse, problems
from chalicelib.shared import errors
from chalicelib.shared.deferred import Model
from chalicelib.shared.identity import Actor, Role

BodyT = TypeVar("BodyT", bound=BaseModel | None)


class Relation(StrEnum):
    """Whose object a route is about, relative to the caller."""

    NONE = "none"  # nobody's: the catalogue, the health check
    OWN = "own"  # the caller's own: their profile, their pending steps, their (organisation's) orders
    PARTY = "party"  # an order the caller's organisation is party to, as its customer or its agent
    ASSIGNEE = "assignee"  # a step addressed to the caller (R-ORD-5)


@dataclass(frozen=True)
class Access:
    """Who may call a route. A caller without a token gets 401 and one with a token that is not valid (forged,
    expired, another app's) 403, from the gateway; a signed-in caller without one of `roles` 403; a caller who
    is no party to the object 404, so that nobody learns it exists; a caller the step is not addressed to 403.
    `everywhere` are roles that reach every object of the kind (customer service reads every order)."""

    signed_in: bool = True
    roles: frozenset[Role] = frozenset()  # any one of them; empty: any person of the directory
    relation: Relation = Relation.NONE
    everywhere: frozenset[Role] = frozenset()
    agreement_signed: bool = False  # the caller's organisation signed the current agreement (R-ONB-1)
    organisations: frozenset[str] = frozenset()  # the kinds of organisation the caller's must be; empty: any
    rules: str = ""  # the DOMAIN.md rules this access follows
    # How the caller shows who they are: a Bearer ID token (the JSON API, for programs) or the portal's session
    # cookie (the pages, for people). A page's anonymous visitor is sent to sign in instead of a 401.
    via: str = "token"

    def describe(self) -> str:
        if not self.signed_in:
            return "Anyone, without signing in."
        who = " or ".join(sorted(self.roles)) if self.roles else "any signed-in person"
        known = who if self.roles else f"{who} of the directory"
        text = {
            Relation.NONE: f"{known}.",
            Relation.OWN: f"{known}, for their own.",
            Relation.PARTY: f"{who} of the order's customer or agent organisation",
            Relation.ASSIGNEE: f"{who}, when the step is addressed to them.",
        }[self.relation]
        if self.relation is Relation.PARTY:
            text += f"; also {' or '.join(sorted(self.everywhere))}." if self.everywhere else "."
        if self.agreement_signed:
            text += " Their organisation must have signed the current agreement."
        if self.organisations:
            text += f" Their organisation must be {' or '.join(f'an {kind}' for kind in sorted(self.organisations))}."
        text = text[0].upper() + text[1:]
        return f"{text} ({self.rules})" if self.rules else text


ANYONE = Access(signed_in=False)


class Strict(Model):
    """A response body: exactly these fields."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Header:
    name: str
    pattern: str
    description: str


@dataclass(frozen=True)
class Operation:
    summary: str
    access: Access
    responses: Mapping[int, type[BaseModel] | None]  # success statuses and their bodies (None: no JSON body)
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    path: Mapping[str, Any] = field(default_factory=dict)  # name -> annotated type
    headers: tuple[Header, ...] = ()
    refusals: tuple[type[errors.DomainError], ...] = ()
    media_type: str = "application/json"  # of the success responses
    description: str = ""
    tag: str = ""

    def error_statuses(self) -> set[int]:
        """Every status this operation may refuse or fail with."""
        statuses = {500} | {STATUS[kind] for kind in self.refusals}
        if self.body is not None:
            statuses |= {400, 413, 415}
        if self.query is not None or self.path or self.headers:
            statuses.add(400)
        if self.access.signed_in:
            statuses |= {401, 403}
        return statuses


@dataclass
class Call(Generic[BodyT]):
    """A request that kept its contract: the parameters and body validated, the caller known."""

    request: Request
    actor: Actor | None
    body: BodyT
    query: Any
    path: dict[str, Any]

    @property
    def caller(self) -> Actor:
        """Who signed in; only routes declared for signed-in people ask."""
        if self.actor is None:
            raise RuntimeError("a route declared for anyone asked who signed in")
        return self.actor

    def header(self, name: str) -> str:
        return str(self.request.headers.get(name.lower(), ""))


View = Callable[..., Response]


def operation(blueprint: Blueprint, **declared: Any) -> Callable[[Callable[[Call[Any]], Response]], View]:
    """Declares a route's contract and makes the route keep it. Put it under the blueprint's `route`."""
    contract = Operation(**declared)

    def wrap(view: Callable[[Call[Any]], Response]) -> View:
        # Built on the route's first request, not at import (cold start: chalicelib/shared/deferred.py).
        adapters: dict[str, TypeAdapter[Any]] = {}

        @handles_errors
        def run(**path: str) -> Response:
            request = blueprint.current_request
            actor = actor_of(request) if contract.access.signed_in else None
            checked_path = {}
            if len(adapters) < len(contract.path):
                adapters.update({name: TypeAdapter(kind) for name, kind in contract.path.items()})
            for name, adapter in adapters.items():
                try:
                    checked_path[name] = adapter.validate_python(path[name])
                except ValidationError as error:
                    raise BadRequest(f"The {name} is not valid.", problems(error, name)) from None
            for header in contract.headers:
                if not re.fullmatch(header.pattern, request.headers.get(header.name.lower(), "")):
                    raise BadRequest(
                        f"Send an {header.name} header ({header.description}).",
                        [{"field": header.name, "reason": "missing or malformed"}],
                    )
            query = _query(contract.query, request)
            body = parse(contract.body, request.raw_body) if contract.body is not None else None
            return view(Call(request=request, actor=actor, body=body, query=query, path=checked_path))

        run.__name__ = view.__name__
        run.__doc__ = view.__doc__
        run.operation = contract  # type: ignore[attr-defined]
        return run

    return wrap


def _query(model: type[BaseModel] | None, request: Request) -> Any:
    given: dict[str, str] = dict(request.query_params or {})
    if model is None:
        if given:
            raise BadRequest(
                "This request takes no query parameters.",
                [{"field": name, "reason": "not a parameter of this request"} for name in sorted(given)],
            )
        return None
    try:
        return model.model_validate(given)
    except ValidationError as error:
        raise BadRequest("The query parameters are wrong.", problems(error, "query")) from None


def operation_of(view: Callable[..., Any]) -> Operation | None:
    found = getattr(view, "operation", None)
    return found if isinstance(found, Operation) else None


def reply(body: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer made from its declared model: what is sent is what the document says."""
    return json_response(body.model_dump(mode="json"), status, headers)
