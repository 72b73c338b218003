"""What people ask the system to do: request bodies, validated field by field before any rule runs."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator, model_validator

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._@-]{1,100}$")]
OneTimeCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


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
    declarations: dict[Identifier, bool] = Field(default_factory=dict, max_length=50)
    invoice: NewInvoice | SavedInvoice = Field(discriminator="kind")
    attester_id: Identifier
    terms_accepted: Literal[True] = Field(description="the orderer must accept the terms")


class AgentReviewInput(Command):
    declaration_accepted: Literal[True] = Field(description="'Jag intygar…' must be ticked")
    invoice_address: LongText
    invoice_reference: Text
    attester_id: Identifier


class Decide(Command):
    decision: Literal["approve", "reject"]
    reason: LongText | None = Field(default=None, validate_default=True)
    one_time_code: OneTimeCode | None = None
    agent_review: AgentReviewInput | None = None

    @field_validator("reason")
    @classmethod
    def reason_when_rejecting(cls, reason: str | None, info: ValidationInfo) -> str | None:
        # R-ORD-3: the orderer is told why, so a rejection must say why.
        if info.data.get("decision") == "reject" and not reason:
            raise ValueError("a reason is required to reject or cancel")
        return reason


class SignIn(Command):
    username: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]
