"""What orderers and agents send: request bodies, validated field by field before any rule runs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from chalicelib.shared.commands import Command, Identifier, LongText, Text, Ticked


class NewInvoice(Command):
    kind: Literal["new"]
    address: LongText
    reference: Text


class SavedInvoice(Command):
    kind: Literal["saved"]
    invoice_id: Identifier


class CareUnits(Command):
    count: int = Field(ge=1, le=1000)
    names: list[Text] = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def count_matches_names(self) -> CareUnits:
        if len(self.names) != self.count:
            raise ValueError("count must equal the number of care unit names")
        if len({name.casefold() for name in self.names}) != len(self.names):
            raise ValueError("each care unit may be named only once")
        return self


class PlaceOrder(Command):
    """The orderer's form, seed 000 step 3."""

    offering_id: Identifier
    care_units: CareUnits
    source_system: Text | None = None
    agent_org_id: Identifier | None = None
    declarations: dict[Identifier, bool] = Field(default_factory=dict, max_length=50)  # strict: true or false
    invoice: NewInvoice | SavedInvoice = Field(discriminator="kind")
    attester_id: Identifier
    terms_accepted: Ticked = Field(description="the orderer must accept the terms")


class AgentReviewInput(Command):
    """What the agent's case handler adds to an approval (seed 002 step 2)."""

    declaration_accepted: Ticked = Field(description="'Jag intygar…' must be ticked")
    invoice_address: LongText
    invoice_reference: Text
    attester_id: Identifier
