"""An organisation's people, for its administrators (R-ONB-3): the JSON API and the portal's pages. A mobile
number is shown and answered masked, never whole: it is for SMS codes, not for reading back."""

from __future__ import annotations

import secrets
from typing import Any

from chalice.app import Blueprint, Response
from pydantic import Field, ValidationError

from chalicelib.bootstrap import container
from chalicelib.directory.commands import AddPerson, EditPerson, UserId
from chalicelib.directory.model import ROLES_BY_KIND, OrganisationKind, masked_phone
from chalicelib.directory.serving import Serving
from chalicelib.entrypoints.auth import authorizer
from chalicelib.entrypoints.contract import Access, Call, Header, Relation, Strict, operation, reply
from chalicelib.entrypoints.forms import FIELD_MESSAGES, checked, form_problems
from chalicelib.entrypoints.http import JSON_HEADERS, ListQuery, page_request
from chalicelib.entrypoints.portal import listing, next_url
from chalicelib.entrypoints.web import FORM, Visit, page
from chalicelib.shared.commands import Command, Text
from chalicelib.shared.errors import AlreadyDone, DomainError, InProgress, InvalidRequest, NotAllowed, NotFound
from chalicelib.shared.identity import Actor, Person, Role
from chalicelib.shared.languages import Language

people = Blueprint(__name__)

ADMINISTRATORS = frozenset({Role.ADMINISTRATOR})
OWN = Access(roles=ADMINISTRATORS, relation=Relation.OWN, rules="R-ONB-3")
THEIRS = Access(roles=ADMINISTRATORS, relation=Relation.PARTY, rules="R-ONB-3")
OWN_PAGE = Access(via="session", roles=ADMINISTRATORS, relation=Relation.OWN, rules="R-ONB-3")
THEIRS_PAGE = Access(via="session", roles=ADMINISTRATORS, relation=Relation.PARTY, rules="R-ONB-3")
USER_ID = {"user_id": UserId}
IDEMPOTENCY_KEY = Header(
    "Idempotency-Key",
    r"[A-Za-z0-9_-]{8,128}",
    "8-128 letters, digits, - or _, the same for every try of one person: a repeat adds nobody else",
)


class PersonView(Strict):
    user_id: str  # also their username
    name: str
    email: str
    roles: list[Role]
    phone: str | None  # masked: the country code, the first two and the last two digits
    language: Language


class PeoplePage(Strict):
    people: list[PersonView]
    next: str | None


def view_of(person: Person) -> PersonView:
    return PersonView(
        user_id=person.user_id,
        name=person.name,
        email=person.email,
        roles=person.roles,
        phone=masked_phone(person.phone),
        language=person.language,
    )


# --- the JSON API ----------------------------------------------------------------------------------------


@people.route("/api/people", authorizer=authorizer)
@operation(
    people,
    summary="My organisation's people, by name",
    access=OWN,
    query=ListQuery,
    responses={200: PeoplePage},
    refusals=(InvalidRequest, NotAllowed),
    tag="directory",
)
def list_people(call: Call[None]) -> Response:
    found = container().people.people(call.caller, page_request(call.query))
    return reply(PeoplePage(people=[view_of(person) for person in found.items], next=found.next))


@people.route("/api/people", methods=["POST"], authorizer=authorizer)
@operation(
    people,
    summary="Add a person to my organisation",
    description="Their account is opened and an invitation to choose its password is e-mailed to them.",
    access=OWN,
    body=AddPerson,
    headers=(IDEMPOTENCY_KEY,),
    responses={201: PersonView},
    refusals=(InvalidRequest, NotAllowed, AlreadyDone, InProgress),
    tag="directory",
)
def add_person(call: Call[AddPerson]) -> Response:
    person = container().people.add(call.caller, call.body, call.header(IDEMPOTENCY_KEY.name))
    return reply(view_of(person), 201, {"Location": f"/api/people/{person.user_id}"})


@people.route("/api/people/{user_id}", authorizer=authorizer)
@operation(
    people,
    summary="A person of my organisation",
    access=THEIRS,
    path=USER_ID,
    responses={200: PersonView},
    refusals=(NotAllowed, NotFound),
    tag="directory",
)
def read_person(call: Call[None]) -> Response:
    return reply(view_of(container().people.person(call.caller, call.path["user_id"])))


@people.route("/api/people/{user_id}", methods=["PATCH"], authorizer=authorizer)
@operation(
    people,
    summary="Change a person of my organisation",
    description="What is left out stays as it is; their account's e-mail and groups follow.",
    access=THEIRS,
    path=USER_ID,
    body=EditPerson,
    responses={200: PersonView},
    refusals=(InvalidRequest, NotAllowed, NotFound, InProgress),
    tag="directory",
)
def edit_person(call: Call[EditPerson]) -> Response:
    return reply(view_of(container().people.edit(call.caller, call.path["user_id"], call.body)))


@people.route("/api/people/{user_id}", methods=["DELETE"], authorizer=authorizer)
@operation(
    people,
    summary="Remove a person from my organisation",
    description="They are signed out everywhere and their account is deleted; orders keep their name.",
    access=THEIRS,
    path=USER_ID,
    responses={204: None},
    refusals=(InvalidRequest, NotAllowed, NotFound, InProgress),
    tag="directory",
)
def remove_person(call: Call[None]) -> Response:
    container().people.remove(call.caller, call.path["user_id"])
    return Response(body="", status_code=204, headers=dict(JSON_HEADERS))


@people.route("/api/people/{user_id}/invitation", methods=["POST"], authorizer=authorizer)
@operation(
    people,
    summary="Send a person of my organisation a new invitation to choose a password",
    description="For someone whose invitation expired or was lost. A repeat with the same key sends no second mail.",
    access=THEIRS,
    path=USER_ID,
    headers=(IDEMPOTENCY_KEY,),
    responses={202: PersonView},
    refusals=(NotAllowed, NotFound),
    tag="directory",
)
def invite_again(call: Call[None]) -> Response:
    person = container().people.invite_again(call.caller, call.path["user_id"], call.header(IDEMPOTENCY_KEY.name))
    return reply(view_of(person), 202)


# --- the portal's pages ----------------------------------------------------------------------------------

PERSON_FIELDS = {
    ("name",): "name",
    ("email",): "email",
    ("roles",): "roles",
    ("phone",): "phone",
    ("language",): "language",
}


def typed(visit: Visit) -> dict[str, Any]:
    return {
        "name": visit.field("name"),
        "email": visit.field("email").strip(),
        "roles": [value for value in visit.form.get("roles", []) if value],
        "phone": visit.field("phone"),
        "language": visit.field("language") or Language.SV.value,
        "idempotency_key": visit.field("idempotency_key") or secrets.token_urlsafe(24),
    }


def form_page(
    visit: Visit, values: dict[str, Any], errors: list[dict[str, str]], status: int = 200, editing: Any = None
) -> Response:
    organisation = container().adapters.directory.organisation(visit.caller.person.org_id)
    roles = [role.value for role in ROLES_BY_KIND[organisation.kind]] if organisation else []
    return visit.page(
        "people/person.html",
        status,
        values=values,
        errors=errors,
        roles=roles,
        mail_languages=[language.value for language in Language],
        editing=editing,
    )


def refusal_problems(visit: Visit, refusal: DomainError) -> list[dict[str, str]]:
    return [{"field": refusal.field or "", "message": visit.texts.refusal(refusal.reason, refusal.params)}]


@people.route("/people")
@page(people, summary="My organisation's people", access=OWN_PAGE)
def people_page(visit: Visit) -> Response:
    found = container().people.people(visit.caller, listing(visit))
    organisation = container().adapters.directory.organisation(visit.caller.person.org_id)
    return visit.page(
        "people/list.html",
        agent=organisation is not None and organisation.kind is OrganisationKind.AGENT,
        people=[view_of(person).model_dump(mode="json") for person in found.items],
        next_url=next_url(visit, found),
    )


@people.route("/people/new")
@page(people, summary="The form to add a person", access=OWN_PAGE)
def new_person(visit: Visit) -> Response:
    return form_page(visit, typed(visit), [])


@people.route("/people/new", methods=["POST"], content_types=[FORM])
@page(people, summary="Add a person: their account, and the invitation to choose its password", access=OWN_PAGE)
def add_person_page(visit: Visit) -> Response:
    values = typed(visit)
    fields = {key: values[key] for key in ("name", "email", "roles", "phone", "language")}
    try:
        person = container().people.add(visit.caller, checked(AddPerson, fields), values["idempotency_key"])
    except ValidationError as invalid:
        return form_page(visit, values, form_problems(visit.texts, invalid, PERSON_FIELDS), 400)
    except (InvalidRequest, AlreadyDone) as refusal:
        return form_page(visit, values, refusal_problems(visit, refusal), 422)
    return visit.redirect(f"/people/{person.user_id}?notice=person_added")


@people.route("/people/{user_id}")
@page(people, summary="A person of my organisation, to change or remove", access=THEIRS_PAGE)
def person_page(visit: Visit) -> Response:
    person = container().people.person(visit.caller, visit.path["user_id"])
    values = {**editable(person), "idempotency_key": secrets.token_urlsafe(24)}
    return form_page(visit, values, [], editing=view_of(person).model_dump(mode="json"))


def editable(person: Person) -> dict[str, Any]:
    """A person as the form shows them: the number left empty (typing one replaces it)."""
    return {
        "name": person.name,
        "email": person.email,
        "roles": [role.value for role in person.roles],
        "phone": "",
        "language": person.language.value,
    }


@people.route("/people/{user_id}", methods=["POST"], content_types=[FORM])
@page(people, summary="Change a person of my organisation", access=THEIRS_PAGE)
def edit_person_page(visit: Visit) -> Response:
    user_id = visit.path["user_id"]
    person = container().people.person(visit.caller, user_id)
    values = typed(visit)
    shown = view_of(person).model_dump(mode="json")
    fields: dict[str, Any] = {"name": values["name"], "email": values["email"], "roles": values["roles"]}
    if values["phone"].strip():
        fields["phone"] = values["phone"]
    try:
        container().people.edit(visit.caller, user_id, checked(EditPerson, fields))
    except ValidationError as invalid:
        return form_page(visit, values, form_problems(visit.texts, invalid, PERSON_FIELDS), 400, shown)
    except InvalidRequest as refusal:
        return form_page(visit, values, refusal_problems(visit, refusal), 422, shown)
    return visit.redirect(f"/people/{user_id}?notice=person_saved")


@people.route("/people/{user_id}/invite", methods=["POST"], content_types=[FORM])
@page(people, summary="Send a person a new invitation to choose a password", access=THEIRS_PAGE)
def invite_again_page(visit: Visit) -> Response:
    user_id = visit.path["user_id"]
    key = visit.field("idempotency_key") or secrets.token_urlsafe(24)
    container().people.invite_again(visit.caller, user_id, key)
    return visit.redirect(f"/people/{user_id}?notice=invitation_sent")


@people.route("/people/{user_id}/remove", methods=["POST"], content_types=[FORM])
@page(people, summary="Remove a person: signed out everywhere, their orders keep their name", access=THEIRS_PAGE)
def remove_person_page(visit: Visit) -> Response:
    user_id = visit.path["user_id"]
    try:
        container().people.remove(visit.caller, user_id)  # sent twice, the second finds it done
    except InvalidRequest as refusal:
        person = container().people.person(visit.caller, user_id)
        return form_page(
            visit, editable(person), refusal_problems(visit, refusal), 422, view_of(person).model_dump(mode="json")
        )
    if user_id == visit.caller.person.user_id:
        return visit.redirect("/sign-in")  # they removed themselves: their session has ended
    return visit.redirect("/people?notice=person_removed")


# --- what an agent serves ------------------------------------------------------------------------------

AGENTS = frozenset({OrganisationKind.AGENT.value})
SERVING = Access(roles=ADMINISTRATORS, relation=Relation.OWN, organisations=AGENTS, rules="R-ONB-3, R-ORD-9")
SERVING_PAGE = Access(
    via="session", roles=ADMINISTRATORS, relation=Relation.OWN, organisations=AGENTS, rules="R-ONB-3, R-ORD-9"
)


class SetServing(Command):
    """Exactly whom and what the agent serves: customers by their organisation id or name, and source systems
    among those the catalogue lists for the agent."""

    customers: list[Text] = Field(max_length=500)
    source_systems: list[Text] = Field(max_length=50)


class ServedCustomer(Strict):
    org_id: str
    name: str


class ServingView(Strict):
    customers: list[ServedCustomer]
    source_systems: list[str]  # those it takes orders for
    offered_source_systems: list[str]  # the catalogue's for this agent


def offered(actor: Actor) -> list[str]:
    catalogue = container().orders.catalogue()
    return next((agent.source_systems for agent in catalogue.agents if agent.org_id == actor.person.org_id), [])


def serving_view(serving: Serving, offer: list[str]) -> ServingView:
    return ServingView(
        customers=[ServedCustomer(org_id=c.org_id, name=c.name) for c in serving.customers],
        source_systems=serving.source_systems,
        offered_source_systems=offer,
    )


@people.route("/api/organisation/serving", authorizer=authorizer)
@operation(
    people,
    summary="The customers and source systems my agent organisation serves",
    access=SERVING,
    responses={200: ServingView},
    refusals=(NotAllowed,),
    tag="directory",
)
def read_serving(call: Call[None]) -> Response:
    offer = offered(call.caller)
    return reply(serving_view(container().serving.serving(call.caller, offer), offer))


@people.route("/api/organisation/serving", methods=["PUT"], authorizer=authorizer)
@operation(
    people,
    summary="Set the customers and source systems my agent organisation serves",
    description="Customers may order through the agent only once it serves them (R-ORD-9).",
    access=SERVING,
    body=SetServing,
    responses={200: ServingView},
    refusals=(InvalidRequest, NotAllowed, InProgress),
    tag="directory",
)
def set_serving(call: Call[SetServing]) -> Response:
    offer = offered(call.caller)
    serving = container().serving.set(call.caller, call.body.customers, call.body.source_systems, offer)
    return reply(serving_view(serving, offer))


def serving_page(
    visit: Visit, serving: Serving, errors: list[dict[str, str]], status: int = 200, **typed: Any
) -> Response:
    return visit.page(
        "people/serving.html",
        status,
        serving=serving_view(serving, offered(visit.caller)).model_dump(mode="json"),
        errors=errors,
        add_customer=typed.get("add_customer", ""),
    )


@people.route("/serving")
@page(people, summary="The customers and source systems my agent organisation serves", access=SERVING_PAGE)
def serving_form(visit: Visit) -> Response:
    return serving_page(visit, container().serving.serving(visit.caller, offered(visit.caller)), [])


@people.route("/serving", methods=["POST"], content_types=[FORM])
@page(people, summary="Set the customers and source systems my agent organisation serves", access=SERVING_PAGE)
def set_serving_page(visit: Visit) -> Response:
    offer = offered(visit.caller)
    kept = [value for value in visit.form.get("customers", []) if value]
    added = visit.field("add_customer").strip()
    fields = {
        "customers": kept + ([added] if added else []),
        "source_systems": [v for v in visit.form.get("source_systems", []) if v],
    }
    try:
        command = checked(SetServing, fields)
        container().serving.set(visit.caller, command.customers, command.source_systems, offer)
    except ValidationError:
        message = visit.texts.gettext(FIELD_MESSAGES["add_customer"])
        current = container().serving.serving(visit.caller, offer)
        return serving_page(visit, current, [{"field": "add_customer", "message": message}], 400, add_customer=added)
    except InvalidRequest as refusal:
        field = "add_customer" if refusal.field == "customers" else "source_systems"
        problems = [{"field": field, "message": visit.texts.refusal(refusal.reason, refusal.params)}]
        current = container().serving.serving(visit.caller, offer)
        return serving_page(visit, current, problems, 422, add_customer=added)
    return visit.redirect("/serving?notice=serving_saved")
