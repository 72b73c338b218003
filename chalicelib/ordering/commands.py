"""What orderers and agents send: request bodies, validated field by field before any rule runs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.ordering.model import CareUnit
from chalicelib.shared.commands import Command, Identifier, LongText, Text, Ticked, WholeNumber


class NewInvoice(Command):
    kind: Literal["new"]
    address: LongText
    reference: Text
    save_for_reuse: bool = Field(
        default=False, description="also keep this address and reference among the organisation's saved ones"
    )


class SavedInvoice(Command):
    kind: Literal["saved"]
    invoice_id: Identifier


class PlaceOrder(Command):
    """The orderer's form, seed 000 step 3."""

    offering_id: Identifier
    # Each named once and each HSA-id once (`rules.place_order`: rules between items are checked there, so
    # that this shape is all a valid body needs). How many is the list's length.
    care_units: list[CareUnit] = Field(min_length=1, max_length=1000)
    source_system: Text | None = None
    agent_org_id: Identifier | None = None
    # Strict: true or false; and only keys of the identifier's shape (the document says so too).
    declarations: dict[Identifier, bool] = Field(
        default_factory=dict, max_length=50, json_schema_extra={"additionalProperties": False}
    )
    invoice: NewInvoice | SavedInvoice = Field(discriminator="kind")
    attester_id: Identifier
    terms_accepted: Ticked = Field(description="the orderer must accept the terms")
    terms_version: WholeNumber = Field(
        ge=1, description="the version of the terms the orderer read and accepted: the catalogue's terms_version"
    )


class AgentReviewInput(Command):
    """What the agent's case handler adds to an approval (seed 002 step 2)."""

    declaration_accepted: Ticked = Field(description="'Jag intygar…' must be ticked")
    # The agent's own invoice details: new ones (which may be saved for reuse on the agent's organisation), or
    # ones the agent's organisation saved.
    invoice: NewInvoice | SavedInvoice = Field(discriminator="kind")
    attester_id: Identifier
