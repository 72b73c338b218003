"""Opening an account and the invitation to choose its password (R-ONB-2, R-REQ-1), over the fakes."""

from __future__ import annotations

import re

import pytest

from chalicelib.shared.errors import AlreadyDone, Expired, InvalidRequest, NotFound
from chalicelib.shared.identity import Person, Role
from tests.fakes.world import World

NINA = Person(
    user_id="nina.newcomer",
    org_id="region-norrby",
    name="Nina Newcomer",
    email="nina@region-norrby.example",
    roles=[Role.ORDERER],
)
ABOUT = {"organisation": "Region Norrby"}
PASSWORD = "A-good-pass-2027"
LINK = re.compile(r"/set-password/(?P<id>[A-Za-z0-9_-]{20,64})")


@pytest.fixture
def world() -> World:
    return World()


def invitation_link(world: World, email: str) -> str:
    world.flush()
    mails = world.mail.to(email)
    assert mails, f"no mail to {email}"
    found = LINK.search(mails[-1].text)
    assert found is not None, mails[-1].text
    return found["id"]


def test_an_opened_account_is_mailed_an_invitation_in_the_persons_language(world: World):
    world.app.accounts.open_account(NINA, ABOUT)
    world.flush()
    [mail] = world.mail.to(NINA.email)
    assert mail.subject == "Välj ditt lösenord för beställningsportalen"  # Swedish: Nina's language
    assert "nina.newcomer" in mail.text and "Region Norrby" in mail.text
    assert world.directory.person("nina.newcomer") == NINA
    assert world.accounts.groups["nina.newcomer"] == {"Orderer"}


def test_opening_the_same_account_again_invites_once(world: World):
    """A retried request does nothing twice."""
    world.app.accounts.open_account(NINA, ABOUT)
    world.app.accounts.open_account(NINA, ABOUT)
    world.flush()
    assert len(world.mail.to(NINA.email)) == 1


def test_the_invitation_sets_the_password_signs_in_and_is_used_once(world: World):
    world.app.accounts.open_account(NINA, ABOUT)
    link = invitation_link(world, NINA.email)
    started = world.app.accounts.accept(link, PASSWORD, "sv")
    current = world.app.sessions.current(started.cookie_value)
    assert current is not None and current.actor.person.user_id == "nina.newcomer"
    with pytest.raises(AlreadyDone):
        world.app.accounts.accept(link, "Another-pass-2028", "sv")
    world.app.sessions.start("nina.newcomer", PASSWORD, "sv")  # the password stands


def test_a_password_too_weak_is_refused_and_the_invitation_still_works(world: World):
    world.app.accounts.open_account(NINA, ABOUT)
    link = invitation_link(world, NINA.email)
    with pytest.raises(InvalidRequest) as refused:
        world.app.accounts.accept(link, "short", "sv")
    assert refused.value.field == "new_password"
    world.app.accounts.accept(link, PASSWORD, "sv")


def test_an_invitation_expires_and_a_made_up_one_is_not_valid(world: World):
    world.app.accounts.open_account(NINA, ABOUT)
    link = invitation_link(world, NINA.email)
    with pytest.raises(NotFound):
        world.app.accounts.invitation("M" * 32)
    world.clock.advance(days=8)
    with pytest.raises(Expired):
        world.app.accounts.accept(link, PASSWORD, "sv")


def test_the_table_keeps_no_link_only_its_hash_and_seed(world: World):
    world.app.accounts.open_account(NINA, ABOUT)
    link = invitation_link(world, NINA.email)
    assert link not in str(world.invitations.invitations) and link not in str(world.outbox)
