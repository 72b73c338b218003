"""Who acts, and a person's profile: the directory, not the token, knows roles and organisations."""

from __future__ import annotations

import pytest

from chalicelib.shared.errors import NotSignedIn
from chalicelib.shared.identity import Role
from tests.fakes.world import World


def test_the_actor_is_the_person_the_directory_knows(world: World):
    actor = world.app.directory.actor("olivia.orderer", "region-norrby")
    assert actor.person.roles == [Role.ORDERER] and actor.acting_as is None


@pytest.mark.parametrize(
    ("user_id", "org_id"), [("nobody", "region-norrby"), ("olivia.orderer", "agent-cgm"), (None, None)]
)
def test_a_token_for_someone_not_in_the_directory_or_of_another_organisation_is_refused(world, user_id, org_id):
    with pytest.raises(NotSignedIn, match="not in the directory"):
        world.app.directory.actor(user_id, org_id)


def test_the_profile_lists_the_organisations_attesters(world: World):
    """R-ONB-2: the order form offers the organisation's attesters."""
    profile = world.app.directory.profile(world.actor("olivia.orderer"))
    assert {attester["user_id"] for attester in profile["attesters"]} == {"adam.attester", "ada.admin"}
    assert profile["organisation"]["name"] == "Region Norrby"


def test_sign_in_gives_a_token_the_verifier_accepts_and_refuses_a_wrong_password(world: World):
    world.sign_in.passwords["olivia.orderer"] = "right"
    token = world.app.directory.sign_in("olivia.orderer", "right").id_token
    assert world.tokens.verify(token).user_id == "olivia.orderer"
    with pytest.raises(NotSignedIn, match="Wrong username or password"):
        world.app.directory.sign_in("olivia.orderer", "wrong")
