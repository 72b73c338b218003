"""Customer onboarding (DOMAIN.md Flow 1) over the fakes: the application, the provider's decision, what an
approval makes, the agreement's signature (R-ONB-1) and customer service's finder of administrators (R-ONB-4)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from chalicelib.approvals.commands import Decide
from chalicelib.approvals.services import ANSWER_TASK
from chalicelib.directory.ports import OrganisationKind
from chalicelib.onboarding.commands import ApplyForCustomer
from chalicelib.onboarding.model import ApplicationStatus
from chalicelib.onboarding.services import APPROVED, application_step
from chalicelib.shared.errors import AlreadyDone, InvalidRequest, NotAllowed, NotFound, TooManyAttempts
from chalicelib.shared.identity import Person, Role
from chalicelib.shared.languages import Language
from chalicelib.shared.pagination import PageRequest
from local.people import CODE, direct_order
from tests.fakes.world import World

SIGNING = re.compile(r"/signing/(?P<id>[A-Za-z0-9_-]{20,64})")
INVITATION = re.compile(r"/set-password/(?P<id>[A-Za-z0-9_-]{20,64})")
ORG_NUMBER = "556987-6542"
SIGNATORY_PHONE = "+46701234567"


def application(**changes: Any) -> ApplyForCustomer:
    values: dict[str, Any] = {
        "organisation_name": "Vårdcentralen Björken AB",
        "org_number": ORG_NUMBER,
        "administrator": {"name": "Anna Admin", "email": "anna@bjorken.example"},
        "signatory": {"name": "Sam Signatory", "email": "sam@bjorken.example", "phone": "070-123 45 67"},
        "agreement_contact": {"name": "Cleo Contact", "email": "cleo@bjorken.example"},
        **changes,
    }
    return ApplyForCustomer.model_validate(values)


def apply(world: World, key: str = "key-1", network: str = "192.0.2.1", **changes: Any) -> str:
    return world.app.onboarding.apply(application(**changes), key, network).application_id


def decide(
    world: World,
    application_id: str,
    decision: str = "approve",
    user_id: str = "petra.provider",
    reason: str | None = None,
) -> None:
    command = Decide.model_validate({"decision": decision, **({"reason": reason} if reason else {})})
    world.app.decisions.decide_step(application_step(application_id), world.actor(user_id), command)
    world.flush()


def link_in(world: World, email: str, pattern: re.Pattern[str]) -> str:
    for mail in reversed(world.mail.to(email)):
        if found := pattern.search(mail.text):
            return found["id"]
    raise AssertionError(f"no such link mailed to {email}")


def current_version(world: World) -> int:
    catalogue = world.catalogues.current()
    assert catalogue is not None
    return catalogue.agreement_version


def sign(world: World, link: str) -> dict[str, Any]:
    world.app.onboarding.send_code(link)
    _, text = world.texts.sent[-1]
    code = CODE.search(text)
    assert code is not None
    return world.app.onboarding.sign(link, code["code"])


# --- the application ---------------------------------------------------------------------------------------


def test_an_application_waits_in_the_providers_list_with_its_number_compact_and_phone_in_e164(world: World):
    application_id = apply(world)
    pending = world.app.onboarding.pending(world.actor("petra.provider"), PageRequest()).items
    assert [found.application_id for found in pending] == [application_id]
    assert pending[0].org_number == "5569876542"
    assert pending[0].signatory.phone == SIGNATORY_PHONE
    shown = world.app.decisions.view_step(application_step(application_id), world.actor("petra.provider"))
    assert shown["state"] == "open" and shown["application"]["organisation_name"] == "Vårdcentralen Björken AB"


def test_each_of_the_providers_administrators_is_mailed_once_in_their_language_when_an_application_arrives(
    world: World,
):
    """Flow 1 step 2: the provider's administrators hear of an application without watching their list."""
    petra = world.directory.person("petra.provider")
    assert petra is not None
    nils = petra.model_copy(
        update={
            "user_id": "nils.provider",
            "name": "Nils Provider",
            "email": "nils@provider.example",
            "language": Language.NB,
        }
    )
    world.directory.save_person(nils)
    application_id = apply(world)
    apply(world)  # the same submit again: no second mail
    world.flush()
    [to_petra] = world.mail.to(petra.email)
    [to_nils] = world.mail.to(nils.email)
    assert "Vårdcentralen Björken AB" in to_petra.subject and "kundansökan" in to_petra.subject.casefold()
    assert "kundesøknad" in to_nils.subject.casefold()
    assert f"/applications/{application_id}" in to_petra.text and "5569876542" in to_nils.text
    assert SIGNATORY_PHONE not in to_petra.text + to_petra.html


def test_a_double_submit_is_one_application_and_one_step(world: World):
    first = apply(world, key="same")
    again = apply(world, key="same")
    assert first == again
    assert [
        found.application_id
        for found in world.app.onboarding.pending(world.actor("petra.provider"), PageRequest()).items
    ].count(first) == 1
    assert [a.subject.subject_id for a in world.approvals.approvals.values()].count(first) == 1


def test_an_organisation_number_already_a_customer_is_refused_naming_the_number(world: World):
    with pytest.raises(InvalidRequest) as refused:
        apply(world, org_number="232100-0164")  # Region Norrby
    assert refused.value.field == "org_number" and refused.value.code == "onboarding.already_a_customer"


def test_a_second_application_while_one_is_pending_is_refused_naming_the_number(world: World):
    apply(world, key="first")
    with pytest.raises(InvalidRequest) as refused:
        apply(world, key="second", administrator={"name": "Other", "email": "other@example.se"})
    assert refused.value.field == "org_number" and refused.value.code == "onboarding.already_applied"


def test_a_rejected_application_lets_the_organisation_apply_again(world: World):
    decide(world, apply(world, key="first"), "reject", reason="Not a care provider")
    assert apply(world, key="second")


def test_applications_are_limited_per_address_and_per_network_address(world: World):
    for n in range(5):
        apply(world, key=f"k{n}", org_number=org_number(n))
    with pytest.raises(TooManyAttempts):  # the same administrator's address a sixth time within the hour
        apply(world, key="k5", org_number=org_number(5))
    world.clock.advance(hours=1)
    for n in range(101):  # each from other addresses, all from one network address
        submit = world.app.onboarding.apply
        command = application(
            org_number=org_number(10 + n),
            administrator={"name": "A", "email": f"a{n}@x.se"},
            signatory={"name": "S", "email": f"s{n}@x.se", "phone": "0701234567"},
            agreement_contact={"name": "C", "email": f"c{n}@x.se"},
        )
        if n < 100:
            submit(command, f"n{n}", "198.51.100.7")
        else:
            with pytest.raises(TooManyAttempts):
                submit(command, f"n{n}", "198.51.100.7")


def test_nothing_tells_whether_an_address_is_registered(world: World):
    """A contact's address of someone already in the directory is taken as any other: the answer is the same."""
    apply(world, administrator={"name": "Ada", "email": "ada.admin@region-norrby.example"})


# --- the provider's decision (Flow 1 step 2) ------------------------------------------------------------------


def test_only_the_providers_administrators_decide_an_application(world: World):
    application_id = apply(world)
    for someone in ("kim.service", "ada.admin", "olivia.orderer"):
        with pytest.raises(NotAllowed):
            decide(world, application_id, user_id=someone)
    assert world.applications.applications[application_id].is_pending


def test_a_decision_is_single_use(world: World):
    application_id = apply(world)
    decide(world, application_id)
    with pytest.raises(AlreadyDone):
        decide(world, application_id, "reject", reason="Changed my mind")
    assert world.applications.applications[application_id].status is ApplicationStatus.APPROVED


def test_viewing_an_application_changes_nothing(world: World):
    application_id = apply(world)
    commits = world.store.commits
    world.app.decisions.view_step(application_step(application_id), world.actor("petra.provider"))
    assert world.store.commits == commits


def test_a_rejection_needs_a_reason_and_tells_every_contact_why_in_swedish(world: World):
    application_id = apply(world)
    with pytest.raises(InvalidRequest):
        decide(world, application_id, "reject")
    decide(world, application_id, "reject", reason="Inte en vårdgivare")
    for email in ("anna@bjorken.example", "sam@bjorken.example", "cleo@bjorken.example"):
        (mail,) = world.mail.to(email)
        assert "inte godkänd" in mail.subject, mail.subject
        assert "Inte en vårdgivare" in mail.text
    assert world.directory.organisation_numbered("5569876542") is None


# --- an approval's completion (Flow 1 step 3) -------------------------------------------------------------


def test_an_approval_creates_the_customer_its_administrator_and_its_agreement_contact(world: World):
    decide(world, apply(world))
    organisation = world.directory.organisation("org-5569876542")
    assert organisation is not None
    assert organisation.kind is OrganisationKind.CUSTOMER and organisation.org_number == "5569876542"
    (admin,) = world.directory.people(organisation.org_id, Role.ADMINISTRATOR)
    assert admin.email == "anna@bjorken.example"
    assert link_in(world, "anna@bjorken.example", INVITATION)
    assert link_in(world, "cleo@bjorken.example", INVITATION)
    assert link_in(world, "sam@bjorken.example", SIGNING)
    assert world.failed_deliveries == []


def test_r_onb_1_an_approved_customer_may_not_order_before_its_signatory_signs(world: World):
    decide(world, apply(world))
    organisation = world.directory.organisation("org-5569876542")
    assert organisation is not None and not organisation.has_signed(current_version(world))


def test_an_approval_completed_again_after_a_crash_sends_nothing_twice(world: World):
    application_id = apply(world)
    decide(world, application_id)
    sent = len(world.mail.sent)
    world.app.onboarding.complete({"application_id": application_id})  # the outbox delivering it once more
    world.flush()
    assert len(world.mail.sent) == sent
    assert len(world.directory.people("org-5569876542")) == 2
    kinds = [message.kind for message in world.outbox.messages.values()]
    assert kinds.count(APPROVED) == 1


# --- signing the agreement (Flow 1 step 4, R-ONB-1) -----------------------------------------------------------


def test_r_onb_1_the_signatory_signs_with_an_sms_code_and_then_the_organisation_may_order(world: World):
    decide(world, apply(world))
    link = link_in(world, "sam@bjorken.example", SIGNING)
    shown = world.app.onboarding.signing(link)
    assert shown["organisation_name"] == "Vårdcentralen Björken AB" and SIGNATORY_PHONE not in str(shown)
    signed = sign(world, link)
    current = current_version(world)
    assert signed["signed_version"] == current
    assert world.texts.sent[-1][0] == SIGNATORY_PHONE
    organisation = world.directory.organisation("org-5569876542")
    assert organisation is not None and organisation.has_signed(current)


def test_a_wrong_code_signs_nothing(world: World):
    decide(world, apply(world))
    link = link_in(world, "sam@bjorken.example", SIGNING)
    world.app.onboarding.send_code(link)
    with pytest.raises(InvalidRequest) as refused:
        world.app.onboarding.sign(link, "000000" if "000000" not in world.texts.sent[-1][1] else "111111")
    assert refused.value.field == "one_time_code"
    organisation = world.directory.organisation("org-5569876542")
    assert organisation is not None and organisation.signed_agreement_version is None


def test_a_signing_link_is_single_use(world: World):
    decide(world, apply(world))
    link = link_in(world, "sam@bjorken.example", SIGNING)
    sign(world, link)
    with pytest.raises(AlreadyDone):
        world.app.onboarding.send_code(link)


def test_a_made_up_signing_link_leads_nowhere(world: World):
    with pytest.raises(NotFound):
        world.app.onboarding.signing("N" * 32)


def test_r_onb_1_an_organisation_on_an_older_model_has_its_signatory_sign_the_current_one(world: World):
    greta = world.actor("greta.admin")
    assert world.app.onboarding.agreement_of(greta)["signed_current"] is False
    sent = world.app.onboarding.send_signing_again(greta)
    world.flush()
    assert sent["sent_to"] == "sigrid.signatory@clinic-old.example"
    sign(world, link_in(world, "sigrid.signatory@clinic-old.example", SIGNING))
    assert world.app.onboarding.agreement_of(greta)["signed_current"] is True


def test_an_organisation_on_the_current_model_has_nothing_to_sign_again(world: World):
    with pytest.raises(AlreadyDone):
        world.app.onboarding.send_signing_again(world.actor("ada.admin"))


def test_only_an_administrator_sends_the_signing_link_again(world: World):
    with pytest.raises(NotAllowed):
        world.app.onboarding.send_signing_again(world.actor("oskar.orderer"))


def test_the_signing_link_is_sent_again_a_few_times_a_day(world: World):
    greta = world.actor("greta.admin")
    for _ in range(3):
        world.app.onboarding.send_signing_again(greta)
    with pytest.raises(TooManyAttempts):
        world.app.onboarding.send_signing_again(greta)


# --- R-ONB-4: customer service finds an organisation's administrators ----------------------------------------


def test_r_onb_4_customer_service_finds_the_administrators_by_name_or_number(world: World):
    kim = world.actor("kim.service")
    by_name = world.app.onboarding.find_administrators(kim, "region  NORRBY", PageRequest())
    by_number = world.app.onboarding.find_administrators(kim, "232100-0164", PageRequest())
    assert [found["user_id"] for found in by_name.items] == ["ada.admin"]
    assert by_number.items == by_name.items
    assert world.app.onboarding.find_administrators(kim, "Nobody AB", PageRequest()).items == []


def test_r_onb_4_the_administrators_come_a_page_at_a_time(world: World):
    decide(world, apply(world))
    kim = world.actor("kim.service")
    world.directory.save_person(
        world.directory.people("org-5569876542", Role.ADMINISTRATOR)[0].model_copy(update={"user_id": "second.admin"})
    )
    first = world.app.onboarding.find_administrators(kim, "Vårdcentralen Björken AB", PageRequest(limit=1))
    assert len(first.items) == 1 and first.next
    rest = world.app.onboarding.find_administrators(kim, "Vårdcentralen Björken AB", PageRequest(1, first.next))
    assert len(rest.items) == 1 and rest.next is None and rest.items != first.items


def org_number(n: int) -> str:
    """A valid organisation number for each n (Luhn's check digit)."""
    base = f"5560{n:05d}"
    digits = [int(d) for d in base]
    total = sum(d if i % 2 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
    return base + str((10 - total % 10) % 10)


def test_r_onb_1_a_new_customer_orders_nothing_until_its_signatory_has_signed(world: World):
    decide(world, apply(world))
    org_id = "org-5569876542"
    for user_id, role in (("new.orderer", Role.ORDERER), ("new.attester", Role.ATTESTER)):
        world.directory.save_person(
            Person(user_id=user_id, org_id=org_id, name=user_id, email=f"{user_id}@bjorken.example", roles=[role])
        )
    order = direct_order(attester_id="new.attester")
    with pytest.raises(NotAllowed) as refused:
        world.submit("new.orderer", order, key="before")
    assert refused.value.code == "ordering.agreement_not_signed"
    sign(world, link_in(world, "sam@bjorken.example", SIGNING))
    assert world.submit("new.orderer", order, key="after").customer_org_id == org_id


def test_a_completion_that_fails_halfway_is_run_again_and_does_each_part_once(world: World, monkeypatch):
    """The agreement contact's account fails once (Cognito unreachable): the outbox runs the completion again."""
    create = world.accounts.create
    failures = {"left": 1}

    def flaky(person: Person) -> None:
        if person.user_id.endswith(".agreement") and failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("Cognito is unreachable")
        create(person)

    monkeypatch.setattr(world.accounts, "create", flaky)
    decide(world, apply(world))
    assert failures["left"] == 0 and world.failed_deliveries  # it failed once, and was tried again
    for email in ("anna@bjorken.example", "cleo@bjorken.example", "sam@bjorken.example"):
        links = [mail for mail in world.mail.to(email) if "/set-password/" in mail.text or "/signing/" in mail.text]
        assert len(links) == 1, email


def test_a_submit_retried_after_a_crash_before_its_step_opened_opens_it(world: World, monkeypatch):
    monkeypatch.setattr(world.app.onboarding, "_steps", Crashing())
    with pytest.raises(ConnectionError):
        apply(world, key="crashed")
    monkeypatch.undo()
    application_id = apply(world, key="crashed")
    assert world.app.decisions.view_step(application_step(application_id), world.actor("petra.provider"))


class Crashing:
    """A step opener that is gone the first time, as a process dying after the application was stored."""

    def open(self, *arguments: Any) -> Any:
        raise ConnectionError("the process ended")


def test_an_applications_step_answers_no_workflow(world: World):
    """No execution waits for an application's decision: its approval has no task token and stages no answer."""
    application_id = apply(world)
    decide(world, application_id)
    (approval,) = [a for a in world.approvals.approvals.values() if a.subject.subject_id == application_id]
    assert approval.answers_workflow is False and approval.key not in world.approvals.tokens
    assert ANSWER_TASK not in {message.kind for message in world.outbox.messages.values()}
    assert world.workflow.answers == {}
