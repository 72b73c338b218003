"""An organisation's people, managed by its administrators (R-ONB-3), over the fakes: adding opens the account
and invites, changes keep the account in step, a removal signs the person out everywhere, and the organisation
always keeps an administrator."""

from __future__ import annotations

import re
import threading

import pytest

from chalicelib.directory.commands import AddPerson, EditPerson
from chalicelib.directory.model import Organisation, OrganisationKind
from chalicelib.shared.errors import AlreadyDone, InvalidRequest, NotAllowed, NotFound
from chalicelib.shared.identity import Role
from chalicelib.shared.languages import Language
from chalicelib.shared.pagination import PageRequest
from tests.fakes.world import World

LINK = re.compile(r"/set-password/(?P<id>[A-Za-z0-9_-]{20,64})")
PASSWORD = "A-good-pass-2027"


def nina(**changes: object) -> AddPerson:
    fields: dict[str, object] = {
        "name": "Nina Nyström",
        "email": "nina@region-norrby.example",
        "roles": ["Orderer"],
        "phone": "070-123 45 67",
        "language": "sv",
        **changes,
    }
    return AddPerson.model_validate(fields)


def add(world: World, command: AddPerson | None = None, key: str = "key-1", by: str = "ada.admin"):
    person = world.app.people.add(world.actor(by), command or nina(), key)
    world.flush()
    return person


def test_r_onb_3_an_administrator_adds_a_person_who_is_invited_with_an_account(world: World):
    person = add(world)
    assert person.org_id == "region-norrby" and person.roles == [Role.ORDERER]
    assert person.phone == "+46701234567"  # E.164, as SMS are sent
    assert world.directory.person(person.user_id) == person
    assert world.accounts.groups[person.user_id] == {"Orderer"}
    [mail] = world.mail.to("nina@region-norrby.example")
    assert person.user_id in mail.text and LINK.search(mail.text)


def test_r_onb_3_the_new_person_chooses_a_password_from_the_invitation_and_signs_in(world: World):
    person = add(world)
    [mail] = world.mail.to(person.email)
    found = LINK.search(mail.text)
    assert found is not None
    started = world.app.accounts.accept(found["id"], PASSWORD, "sv")
    current = world.app.sessions.current(started.cookie_value)
    assert current is not None and current.actor.person.user_id == person.user_id


def test_r_onb_3_a_double_submit_adds_one_person_and_invites_once(world: World):
    first = add(world)
    again = add(world)
    assert again == first
    assert [p.email for p in world.directory.people("region-norrby")].count(first.email) == 1
    assert len(world.mail.to(first.email)) == 1


def test_r_onb_3_an_address_someone_has_is_refused_naming_the_email(world: World):
    add(world)
    with pytest.raises(InvalidRequest) as refused:
        add(world, nina(email="NINA@region-norrby.example", name="Another Nina"), key="key-2")
    assert refused.value.field == "email"
    with pytest.raises(InvalidRequest) as refused:  # someone of another organisation, too
        add(world, nina(email="olivia.orderer@region-norrby.example"), key="key-3")
    assert refused.value.field == "email"


def test_r_onb_3_a_request_key_used_for_another_person_is_refused(world: World):
    add(world)
    with pytest.raises(AlreadyDone):
        add(world, nina(email="other@region-norrby.example"))


@pytest.mark.parametrize("typed", ["08-123 456 78", "12345", "+46 70 123", "070-123 45 67 89"])
def test_r_onb_3_a_number_that_is_not_a_mobile_is_refused_naming_the_phone(world: World, typed: str):
    with pytest.raises(InvalidRequest) as refused:
        add(world, nina(phone=typed))
    assert refused.value.field == "phone"
    assert world.directory.person_with_email("nina@region-norrby.example") is None


def test_r_onb_3_a_norwegian_mobile_is_kept_in_e164(world: World):
    assert add(world, nina(phone="+47 412 34 567")).phone == "+4741234567"


def test_r_onb_3_a_role_the_organisation_kind_does_not_give_is_refused(world: World):
    with pytest.raises(InvalidRequest) as refused:
        add(world, nina(roles=["AgentCaseHandler"]))
    assert refused.value.field == "roles"


def test_r_onb_3_only_an_administrator_manages_people(world: World):
    with pytest.raises(NotAllowed):
        add(world, by="olivia.orderer")
    with pytest.raises(NotAllowed):
        world.app.people.people(world.actor("olivia.orderer"), PageRequest())
    with pytest.raises(NotAllowed):
        world.app.people.remove(world.actor("olivia.orderer"), "adam.attester")


def test_r_onb_3_a_person_of_another_organisation_is_not_found(world: World):
    ada = world.actor("ada.admin")
    for act in (
        lambda: world.app.people.person(ada, "oskar.orderer"),
        lambda: world.app.people.edit(ada, "oskar.orderer", EditPerson(name="Mallory")),
        lambda: world.app.people.remove(ada, "oskar.orderer"),
    ):
        with pytest.raises(NotFound):
            act()
    assert world.directory.person("oskar.orderer") is not None


def test_r_onb_3_an_edit_keeps_the_account_in_step(world: World):
    person = add(world)
    edited = world.app.people.edit(
        world.actor("ada.admin"),
        person.user_id,
        EditPerson.model_validate({"email": "nina.n@region-norrby.example", "roles": ["Attester", "Orderer"]}),
    )
    assert edited.roles == [Role.ORDERER, Role.ATTESTER] and edited.phone == person.phone
    assert world.accounts.groups[person.user_id] == {"Orderer", "Attester"}
    assert world.directory.person_with_email("nina.n@region-norrby.example") == edited
    assert world.directory.person_with_email("nina@region-norrby.example") is None


def test_r_onb_3_the_last_administrator_keeps_the_role_and_cannot_be_removed(world: World):
    ada = world.actor("ada.admin")
    with pytest.raises(InvalidRequest) as refused:
        world.app.people.edit(ada, "ada.admin", EditPerson.model_validate({"roles": ["Orderer"]}))
    assert refused.value.field == "roles"
    with pytest.raises(InvalidRequest):
        world.app.people.remove(ada, "ada.admin")
    # With another administrator, either may step down.
    world.app.people.edit(ada, "adam.attester", EditPerson.model_validate({"roles": ["Administrator", "Attester"]}))
    world.app.people.edit(ada, "ada.admin", EditPerson.model_validate({"roles": ["Orderer"]}))
    assert world.directory.person("ada.admin").roles == [Role.ORDERER]  # type: ignore[union-attr]


def test_r_onb_3_two_administrators_removing_each_other_at_once_leave_one(world: World):
    """The roster version: the second removal is checked again over the first, and refused."""
    ada = world.actor("ada.admin")
    world.app.people.edit(ada, "adam.attester", EditPerson.model_validate({"roles": ["Administrator", "Attester"]}))
    adam = world.actor("adam.attester")
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def remove(actor, user_id: str) -> None:
        start.wait()
        try:
            world.app.people.remove(actor, user_id)
            outcomes.append("removed")
        except InvalidRequest:
            outcomes.append("refused")

    threads = [
        threading.Thread(target=remove, args=(ada, "adam.attester")),
        threading.Thread(target=remove, args=(adam, "ada.admin")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    administrators = world.directory.people("region-norrby", Role.ADMINISTRATOR)
    assert len(administrators) == 1 and sorted(outcomes) == ["refused", "removed"]


def test_r_onb_3_a_removed_person_is_signed_out_everywhere_and_the_removal_is_kept(world: World):
    person = add(world)
    [mail] = world.mail.to(person.email)
    found = LINK.search(mail.text)
    assert found is not None
    started = world.app.accounts.accept(found["id"], PASSWORD, "sv")
    world.app.people.remove(world.actor("ada.admin"), person.user_id)
    assert world.app.sessions.current(started.cookie_value) is None
    assert person.user_id in world.accounts.removed
    assert world.directory.person(person.user_id) is None
    removal = world.directory.removed(person.user_id)
    assert removal is not None and removal.name == "Nina Nyström" and removal.removed_by == "ada.admin"
    # Sent again, the removal is done, not an error; and the address may be given to someone new.
    world.app.people.remove(world.actor("ada.admin"), person.user_id)
    add(world, key="key-2")


def test_r_onb_3_the_list_comes_by_name_page_by_page_and_is_never_cut(world: World):
    for number in range(7):
        add(world, nina(name=f"Person {number:02}", email=f"p{number}@region-norrby.example"), key=f"k{number}")
    ada = world.actor("ada.admin")
    seen: list[str] = []
    page = PageRequest(limit=3)
    while True:
        found = world.app.people.people(ada, page)
        seen += [person.name for person in found.items]
        if found.next is None:
            break
        page = PageRequest(limit=3, cursor=found.next)
    everyone = world.directory.people("region-norrby")
    assert len(seen) == len(everyone) == 10
    assert seen == sorted(seen, key=str.casefold)


def test_the_first_administrator_of_a_stage_is_added_once_with_the_organisation(world: World):
    provider = Organisation(org_id="provider-new", name="Provider AB", kind=OrganisationKind.PROVIDER)
    first = world.app.people.first_administrator(provider, "Frida First", "frida@provider.example", Language.EN)
    again = world.app.people.first_administrator(provider, "Frida First", "frida@provider.example", Language.EN)
    world.flush()
    assert first == again and first.roles == [Role.ADMINISTRATOR]
    assert world.directory.organisation("provider-new") == provider
    assert len(world.mail.to("frida@provider.example")) == 1


def test_r_onb_3_an_agents_administrator_sets_up_case_handlers_and_attesters(world: World):
    world.directory.save_person(
        world.directory.person("hanna.handler").model_copy(  # type: ignore[union-attr]
            update={"roles": [Role.ADMINISTRATOR, Role.AGENT_CASE_HANDLER]}
        )
    )
    added = add(world, nina(email="hedda@cgm.example", roles=["AgentCaseHandler", "Attester"]), by="hanna.handler")
    assert added.org_id == "agent-cgm" and added.roles == [Role.AGENT_CASE_HANDLER, Role.ATTESTER]
    with pytest.raises(InvalidRequest):
        add(world, nina(email="otto@cgm.example", roles=["Orderer"]), key="key-2", by="hanna.handler")


class Outage(Exception):
    """Cognito failing once, after the directory's write."""


def test_r_onb_3_an_add_that_failed_after_the_directory_is_finished_by_sending_it_again(world: World):
    create = world.accounts.create
    calls: list[str] = []

    def failing_once(person):  # type: ignore[no-untyped-def]
        calls.append(person.user_id)
        if len(calls) == 1:
            raise Outage()
        create(person)

    world.accounts.create = failing_once  # type: ignore[method-assign]
    with pytest.raises(Outage):
        add(world)
    assert world.directory.person_with_email("nina@region-norrby.example") is not None  # written, no account yet
    person = add(world)  # the same request again
    assert world.accounts.groups[person.user_id] == {"Orderer"}
    assert len(world.mail.to(person.email)) == 1


def test_r_onb_3_a_removal_that_failed_after_the_directory_is_finished_by_sending_it_again(world: World):
    person = add(world)
    remove = world.accounts.remove
    world.accounts.remove = lambda user_id: (_ for _ in ()).throw(Outage())  # type: ignore[method-assign]
    with pytest.raises(Outage):
        world.app.people.remove(world.actor("ada.admin"), person.user_id)
    assert world.directory.person(person.user_id) is None and person.user_id in world.accounts.groups
    world.accounts.remove = remove  # type: ignore[method-assign]
    world.app.people.remove(world.actor("ada.admin"), person.user_id)
    assert person.user_id not in world.accounts.groups and person.user_id in world.accounts.removed


def test_r_onb_3_an_administrator_sends_a_new_invitation_once_per_request(world: World):
    person = add(world)
    world.clock.advance(days=8)  # the first invitation has expired
    ada = world.actor("ada.admin")
    world.app.people.invite_again(ada, person.user_id, "again-1")
    world.app.people.invite_again(ada, person.user_id, "again-1")  # a double submit
    world.flush()
    first, again = world.mail.to(person.email)
    found = LINK.search(again.text)
    assert found is not None and found["id"] not in first.text
    world.app.accounts.accept(found["id"], PASSWORD, "sv")
    with pytest.raises(NotFound):
        world.app.people.invite_again(ada, "oskar.orderer", "again-2")
