"""Organisations and what the directory knows of them (R-ONB-1)."""

from __future__ import annotations

import unicodedata
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


def comparable_name(name: str) -> str:
    """A name as it is looked up: "region  NORRBY" finds "Region Norrby" (case, spacing and Unicode's
    composed and decomposed letters alike)."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


class OrganisationKind(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    PROVIDER = "provider"


class SavedInvoiceDetails(BaseModel):
    """An invoice address and reference an organisation keeps for reuse."""

    model_config = ConfigDict(extra="forbid")

    invoice_id: str
    address: str
    reference: str


class Organisation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    org_id: str
    name: str
    kind: OrganisationKind
    signed_agreement_version: int | None = None
    serves_customers: list[str] = Field(default_factory=list, description="agents only: customer org ids")
    invoice_details: list[SavedInvoiceDetails] = Field(default_factory=list)

    def has_signed(self, current_version: int) -> bool:
        # R-ONB-1: an agreement under an older model does not count.
        return self.signed_agreement_version == current_version

    def saved_invoice(self, invoice_id: str) -> SavedInvoiceDetails | None:
        return next((saved for saved in self.invoice_details if saved.invoice_id == invoice_id), None)
