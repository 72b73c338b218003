"""A requisitioner's orderers (DOMAIN.md Flow 3, R-REQ-1…7), over the fakes."""

from __future__ import annotations

import re

import pytest

from chalicelib.directory.model import NewSession
from chalicelib.ordering.commands import PlaceOrder
from chalicelib.ordering.model import HistoryAction
from chalicelib.requisitioners.commands import NewOrderer, OrdererChanges, Registration
from chalicelib.shared.errors import InvalidRequest, NotAllowed, NotFound, TooManyAttempts
from chalicelib.shared.identity import Actor
from chalicelib.shared.pagination import PageRequest
from local.people import direct_order, requisitioners_order
from tests.fakes.world import World

LINK = re.compile(r"/set-password/(?P<id>[A-Za-z0-9_-]{20,64})")
RITA_EMAIL = "rita.requisitioner@req-fjallby.example"


def rita(world: World) -> Actor:
    return world.actor("rita.requisitioner")


def register(world: World, email: str, name: str = "Siv Self", ip: str = "192.0.2.1") -> None:
    command = Registration(name=name, email=email, requisitioner_id="req-fjallby")
    world.app.orderers.register(command, ip)
    world.flush()


def test_r_req_1_a_requisitioner_creates_an_orderer_with_name_and_email_who_is_invited(world: World):
    orderer = world.app.orderers.create(rita(world), NewOrderer(name="Nils Ny", email="nils@fjallby.example"))
    world.flush()
    [mail] = world.mail.to("nils@fjallby.example")
    assert LINK.search(mail.text), "the orderer chooses a password through the mailed link"
    person = world.directory.person(orderer.user_id)
    assert person is not None and person.org_id == "req-fjallby" and person.roles == ["Orderer"]
    assert orderer.approved and not orderer.self_registered


def test_r_req_1_creating_the_same_orderer_again_invites_once(world: World):
    command = NewOrderer(name="Nils Ny", email="nils@fjallby.example")
    first = world.app.orderers.create(rita(world), command)
    again = world.app.orderers.create(rita(world), command)
    world.flush()
    assert first.user_id == again.user_id
    assert len(world.mail.to("nils@fjallby.example")) == 1


def test_r_req_1_an_address_that_is_someone_elses_is_refused_naming_the_field(world: World):
    with pytest.raises(InvalidRequest) as refused:
        world.app.orderers.create(rita(world), NewOrderer(name="Oda", email="oda.orderer@req-fjallby.example"))
    assert refused.value.field == "email"


def test_r_req_2_the_list_shows_orders_approval_and_waiting_orders(world: World):
    world.submit("oda.orderer", requisitioners_order())
    world.submit("oda.orderer", requisitioners_order())
    rows = {row.person.user_id: row for row in world.app.orderers.rows(rita(world), PageRequest()).items}
    assert rows["oda.orderer"].orders == 2 and rows["oda.orderer"].orderer.approved
    assert rows["ulf.unapproved"].orders == 0 and not rows["ulf.unapproved"].orderer.approved


def test_r_req_3_the_requisitioners_pending_list_holds_the_orderers_waiting_with_their_orders(world: World):
    order = world.submit("ulf.unapproved", requisitioners_order())
    world.app.orderers.hold(order.order_id, "ulf.unapproved", "token-1", 3600)
    [waiting] = world.app.orderers.awaiting_approval(rita(world), PageRequest()).items
    assert (waiting.person.user_id, waiting.waiting) == ("ulf.unapproved", [order.order_id])
    world.app.orderers.approve(rita(world), "ulf.unapproved")
    assert world.app.orderers.awaiting_approval(rita(world), PageRequest()).items == []


def test_r_req_2_the_list_is_paginated(world: World):
    for number in range(3):
        world.app.orderers.create(rita(world), NewOrderer(name=f"Nr {number}", email=f"n{number}@fjallby.example"))
    seen: list[str] = []
    page = PageRequest(limit=2)
    while True:
        found = world.app.orderers.rows(rita(world), page)
        assert len(found.items) <= 2
        seen += [row.person.user_id for row in found.items]
        if found.next is None:
            break
        page = PageRequest(limit=2, cursor=found.next)
    assert len(seen) == len(set(seen)) == 5  # Oda, Ulf and the three


def test_only_the_requisitioner_manages_its_orderers(world: World):
    with pytest.raises(NotAllowed):
        world.app.orderers.rows(world.actor("ada.admin"), PageRequest())
    with pytest.raises(NotFound):
        world.app.orderers.orderer(rita(world), "olivia.orderer")  # another organisation's person


def test_r_req_3_self_registration_opens_an_unapproved_account_and_mails_the_requisitioner(world: World):
    register(world, "siv@example.org")
    [invitation] = world.mail.to("siv@example.org")
    assert LINK.search(invitation.text)
    [told] = world.mail.to(RITA_EMAIL)
    assert "Siv Self" in told.subject
    rows = world.app.orderers.rows(rita(world), PageRequest()).items
    siv = next(row for row in rows if row.person.email == "siv@example.org")
    assert not siv.orderer.approved and siv.orderer.self_registered


def test_r_req_3_registering_twice_says_nothing_on_the_page_and_tells_the_address(world: World):
    """Never reveals whether the address is registered: the answer is the same; the mailbox's owner is told."""
    register(world, "siv@example.org")
    register(world, "oda.orderer@req-fjallby.example")  # Oda's: an account exists
    [mail] = world.mail.to("oda.orderer@req-fjallby.example")
    assert "Fjällby Rekvisition" in mail.subject and not LINK.search(mail.text)  # told, no new account
    assert len(world.app.orderers.rows(rita(world), PageRequest()).items) == 3  # Oda, Ulf, Siv


def test_r_req_3_self_registration_is_rate_limited_per_address_and_per_network(world: World):
    for attempt in range(5):
        register(world, "many@example.org", ip=f"192.0.2.{attempt}")
    with pytest.raises(TooManyAttempts):
        register(world, "many@example.org", ip="192.0.2.99")
    for attempt in range(20):
        register(world, f"p{attempt}@example.org", ip="198.51.100.7")
    with pytest.raises(TooManyAttempts):
        register(world, "one-more@example.org", ip="198.51.100.7")


def test_r_req_3_an_unknown_requisitioner_is_refused_naming_the_field(world: World):
    with pytest.raises(InvalidRequest) as refused:
        world.app.orderers.register(
            Registration(name="X", email="x@example.org", requisitioner_id="region-norrby"), "192.0.2.1"
        )
    assert refused.value.field == "requisitioner_id"


def test_r_req_6_a_self_registered_orderer_may_not_use_the_requisitioners_address(world: World):
    register(world, RITA_EMAIL, name="Not Rita")
    assert all(row.person.email != RITA_EMAIL for row in world.app.orderers.rows(rita(world), PageRequest()).items)
    [mail] = world.mail.to(RITA_EMAIL)
    assert not LINK.search(mail.text) and "Not Rita" not in mail.subject  # told, not asked to approve


def test_r_req_6_an_orderer_the_requisitioner_created_may_use_its_address(world: World):
    orderer = world.app.orderers.create(rita(world), NewOrderer(name="Rita as orderer", email=RITA_EMAIL))
    person = world.directory.person(orderer.user_id)
    assert person is not None and person.email == RITA_EMAIL


def test_r_req_6_the_requisitioners_address_stays_theirs_when_an_orderer_it_created_shares_it(world: World):
    world.app.orderers.create(rita(world), NewOrderer(name="Rita as orderer", email=RITA_EMAIL))
    assert world.directory.email_holder(RITA_EMAIL) == "rita.requisitioner"
    register(world, RITA_EMAIL.upper(), name="Not Rita")
    world.flush()
    assert not any(row.person.name == "Not Rita" for row in world.app.orderers.rows(rita(world), PageRequest()).items)


def test_r_req_6_self_registration_with_any_persons_address_is_refused_unseen(world: World):
    """Any person's in the directory, not only an orderer's: here an attester of another organisation."""
    register(world, "adam.attester@region-norrby.example", name="Not Adam")
    [mail] = world.mail.to("adam.attester@region-norrby.example")
    assert "Fjällby Rekvisition" in mail.subject and not LINK.search(mail.text)  # told, no new account
    assert not any("Not Adam" in told.subject for told in world.mail.to(RITA_EMAIL))
    assert world.directory.email_holder("adam.attester@region-norrby.example") == "adam.attester"


def test_r_req_6_an_orderer_cannot_be_given_another_organisations_persons_address(world: World):
    with pytest.raises(InvalidRequest) as refused:
        world.app.orderers.create(rita(world), NewOrderer(name="Copy", email="olivia.orderer@region-norrby.example"))
    assert refused.value.field == "email"
    with pytest.raises(InvalidRequest) as refused:
        world.app.orderers.edit(
            rita(world), "oda.orderer", OrdererChanges(name="Oda", email="olivia.orderer@region-norrby.example")
        )
    assert refused.value.field == "email"


def test_r_req_6_an_edited_orderers_old_address_is_free_and_its_new_one_taken(world: World):
    world.app.orderers.edit(rita(world), "oda.orderer", OrdererChanges(name="Oda", email="oda.ny@fjallby.example"))
    assert world.directory.email_holder("oda.orderer@req-fjallby.example") is None
    assert world.directory.email_holder("oda.ny@fjallby.example") == "oda.orderer"


def test_r_req_4_a_deleted_orderers_address_is_free_again(world: World):
    world.app.orderers.delete(rita(world), "oda.orderer")
    assert world.directory.email_holder("oda.orderer@req-fjallby.example") is None


def test_r_req_7_edit_changes_contact_details_and_sends_a_password_link_never_shown(world: World):
    changed = world.app.orderers.edit(
        rita(world), "oda.orderer", OrdererChanges(name="Oda Ny", email="oda.ny@fjallby.example")
    )
    assert changed.name == "Oda Ny" and world.directory.person("oda.orderer") == changed
    world.app.orderers.send_password_link(rita(world), "oda.orderer")
    world.flush()
    [mail] = world.mail.to("oda.ny@fjallby.example")
    assert LINK.search(mail.text) and "oda.orderer" in mail.text
    assert world.accounts.groups["oda.orderer"] == {"Orderer"}  # the account's e-mail updated with the person


def test_r_req_6_a_self_registered_orderer_may_not_take_the_requisitioners_address_by_an_edit(world: World):
    with pytest.raises(InvalidRequest) as refused:
        world.app.orderers.edit(rita(world), "ulf.unapproved", OrdererChanges(name="Ulf", email=RITA_EMAIL))
    assert refused.value.field == "email"


def test_r_req_7_approving_an_orderer(world: World):
    approved = world.app.orderers.approve(rita(world), "ulf.unapproved")
    assert approved.approved and approved.approved_by == "rita.requisitioner"
    assert world.app.orderers.approve(rita(world), "ulf.unapproved").approved  # again: nothing changes


def test_r_req_4_deleting_an_orderer_keeps_every_order_it_made(world: World):
    order = world.submit("oda.orderer", requisitioners_order())
    world.app.orderers.delete(rita(world), "oda.orderer")
    assert "oda.orderer" not in {
        row.person.user_id for row in world.app.orderers.rows(rita(world), PageRequest()).items
    }
    kept = world.orders.get(order.order_id)
    assert kept is not None and kept[0].orderer_name == "Oda Orderer"
    assert world.accounts.removed == ["oda.orderer"]
    with pytest.raises(NotAllowed):  # no role left: cannot order
        world.submit("oda.orderer", requisitioners_order())


def test_r_req_5_a_requisitioner_cannot_order_itself_and_is_told_why(world: World):
    with pytest.raises(NotAllowed) as refused:
        world.app.orders.require_may_order(rita(world))
    assert refused.value.code == "ordering.requisitioner_cannot_order"


def test_r_req_5_switched_to_an_orderer_the_requisitioner_orders_as_them_on_their_behalf(world: World):
    oda = world.app.orderers.switch_to(rita(world), "oda.orderer")
    switched = Actor(signed_in=world.actor("rita.requisitioner").signed_in, acting_as=oda)
    placed = world.app.orders.submit(switched, PlaceOrder.model_validate(requisitioners_order()), "switched-1")
    _, history = world.app.orders.read(switched, placed.order_id)
    [submitted] = [event for event in history if event.action is HistoryAction.SUBMITTED]
    assert (submitted.actor_id, submitted.on_behalf_of_id) == ("oda.orderer", "rita.requisitioner")
    assert placed.orderer_id == "oda.orderer"


def test_r_req_5_switching_back_is_needed_to_manage_orderers(world: World):
    oda = world.app.orderers.switch_to(rita(world), "oda.orderer")
    with pytest.raises(NotAllowed):
        world.app.orderers.rows(Actor(signed_in=rita(world).signed_in, acting_as=oda), PageRequest())


def test_r_req_3_an_unapproved_orderers_order_starts_awaiting_approval(world: World):
    ulf = world.submit("ulf.unapproved", requisitioners_order())
    oda = world.submit("oda.orderer", requisitioners_order())
    assert world.workflow.started[ulf.order_id]["awaits_orderer_approval"] is True
    assert world.workflow.started[oda.order_id]["awaits_orderer_approval"] is False
    olivia = world.submit("olivia.orderer", direct_order())
    assert world.workflow.started[olivia.order_id]["awaits_orderer_approval"] is False


def test_r_req_3_a_held_order_is_released_when_the_requisitioner_approves_the_orderer(world: World):
    first = world.submit("ulf.unapproved", requisitioners_order())
    second = world.submit("ulf.unapproved", requisitioners_order())
    assert not world.app.orderers.hold(first.order_id, "ulf.unapproved", "token-1", 3600)
    assert not world.app.orderers.hold(second.order_id, "ulf.unapproved", "token-2", 3600)
    assert not world.workflow.answers
    rows = {row.person.user_id: row for row in world.app.orderers.rows(rita(world), PageRequest()).items}
    assert sorted(rows["ulf.unapproved"].waiting) == sorted([first.order_id, second.order_id])
    world.app.orderers.approve(rita(world), "ulf.unapproved")
    world.flush()
    assert world.workflow.answers == {"token-1": {"outcome": "approved"}, "token-2": {"outcome": "approved"}}
    _, history = world.app.orders.read(world.actor("ulf.unapproved"), first.order_id)
    actions = [(event.action, event.actor_id) for event in history]
    assert (HistoryAction.AWAITING_ORDERER_APPROVAL, "system") in actions
    assert (HistoryAction.ORDERER_APPROVED, "rita.requisitioner") in actions
    assert world.orderers.waiting("ulf.unapproved") == []


def test_r_req_3_a_retried_hold_waits_under_its_new_token_with_one_history_line(world: World):
    order = world.submit("ulf.unapproved", requisitioners_order())
    world.app.orderers.hold(order.order_id, "ulf.unapproved", "token-1", 3600)
    world.app.orderers.hold(order.order_id, "ulf.unapproved", "token-2", 3600)
    world.app.orderers.approve(rita(world), "ulf.unapproved")
    world.flush()
    assert world.workflow.answers == {"token-2": {"outcome": "approved"}}
    _, history = world.app.orders.read(world.actor("ulf.unapproved"), order.order_id)
    assert [event.action for event in history].count(HistoryAction.AWAITING_ORDERER_APPROVAL) == 1


def test_r_req_3_an_order_held_after_the_approval_goes_on_at_once(world: World):
    order = world.submit("ulf.unapproved", requisitioners_order())
    world.app.orderers.approve(rita(world), "ulf.unapproved")
    world.flush()
    assert world.app.orderers.hold(order.order_id, "ulf.unapproved", "token-late", 3600)
    world.flush()  # only the outbox relay answers the workflow
    assert world.workflow.answers == {"token-late": {"outcome": "approved"}}
    assert world.orderers.waiting("ulf.unapproved") == []


# --- the switch, as the web session keeps it (R-REQ-5) ------------------------------------------------------

PASSWORD = "Right-pass-2026"


def rita_signed_in(world: World) -> str:
    world.sign_in.add_account("rita.requisitioner", PASSWORD)
    started = world.app.sessions.start("rita.requisitioner", PASSWORD)
    assert isinstance(started, NewSession)
    return started.cookie_value


def test_r_req_5_a_session_switched_to_an_orderer_acts_as_them_until_switched_back(world: World):
    cookie = rita_signed_in(world)
    oda = world.app.orderers.switch_to(rita(world), "oda.orderer")
    world.app.sessions.act_as(cookie, oda)
    current = world.app.sessions.current(cookie)
    assert current is not None
    assert (current.actor.signed_in.user_id, current.actor.person.user_id) == ("rita.requisitioner", "oda.orderer")
    world.app.sessions.act_as(cookie, None)
    back = world.app.sessions.current(cookie)
    assert back is not None and back.actor.acting_as is None and back.actor.person.user_id == "rita.requisitioner"


def test_r_req_4_a_deleted_orderers_own_sessions_end(world: World):
    world.sign_in.add_account("oda.orderer", PASSWORD)
    started = world.app.sessions.start("oda.orderer", PASSWORD)
    assert isinstance(started, NewSession)
    world.app.orderers.delete(rita(world), "oda.orderer")
    assert world.app.sessions.current(started.cookie_value) is None


def test_r_req_5_a_switch_to_an_orderer_deleted_meanwhile_ends_by_itself(world: World):
    cookie = rita_signed_in(world)
    world.app.sessions.act_as(cookie, world.app.orderers.switch_to(rita(world), "oda.orderer"))
    world.app.orderers.delete(rita(world), "oda.orderer")
    current = world.app.sessions.current(cookie)
    assert current is not None and current.actor.acting_as is None


def test_r_req_5_only_a_requisitioners_own_orderers_can_be_switched_to(world: World):
    with pytest.raises(NotFound):
        world.app.orderers.switch_to(rita(world), "olivia.orderer")
    with pytest.raises(NotAllowed):
        world.app.orderers.switch_to(world.actor("ada.admin"), "oda.orderer")
