"""A customer application as the applicant sends it, and customer service's search for administrators."""

from __future__ import annotations

from typing import Annotated

import phonenumbers
from pydantic import AfterValidator, StringConstraints
from stdnum.exceptions import ValidationError as NumberNotValid
from stdnum.se import orgnr

from chalicelib.shared.commands import Command, Text, plain_text
from chalicelib.shared.deferred import Model


def compact_org_number(value: str) -> str:
    """A Swedish organisation number, kept compact (ten digits): "556036-0793" and "5560360793" are one."""
    try:
        return str(orgnr.validate(value))
    except NumberNotValid:
        raise ValueError("must be a Swedish organisation number, as in 556036-0793") from None


def _mobile(value: str) -> str:
    """A mobile number the one-time code can be sent to, kept in E.164 (+46701234567); Swedish unless it says."""
    try:
        number = phonenumbers.parse(value, "SE")
    except phonenumbers.NumberParseException:
        raise ValueError("must be a mobile phone number, as in 070-123 45 67 or +46 70 123 45 67") from None
    kinds = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in kinds:
        raise ValueError("must be a mobile phone number, as in 070-123 45 67 or +46 70 123 45 67")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _email(value: str) -> str:
    # Trimmed here, after the lengths were checked on what was sent (as the document states them): a trim before
    # them made a schema-valid address of three characters, two of them spaces, a 400 instead of this rule's 422.
    value = plain_text(value.strip())
    local, at, domain = value.rpartition("@")
    if not at or not local or "." not in domain.strip(".") or any(c.isspace() for c in value):
        raise ValueError("must be an e-mail address, as in name@example.se")
    return value


OrgNumber = Annotated[str, StringConstraints(min_length=10, max_length=13), AfterValidator(compact_org_number)]
Mobile = Annotated[str, StringConstraints(min_length=6, max_length=24), AfterValidator(_mobile)]
Email = Annotated[str, StringConstraints(min_length=3, max_length=254), AfterValidator(_email)]


class ContactInput(Model):
    model_config = Command.model_config

    name: Text
    email: Email


class SignatoryInput(ContactInput):
    phone: Mobile


class ApplyForCustomer(Command):
    """Flow 1 step 1: the organisation and its administrator, signatory and agreement contact."""

    organisation_name: Text
    org_number: OrgNumber
    administrator: ContactInput
    signatory: SignatoryInput
    agreement_contact: ContactInput


class AdministratorSearch(Command):
    """R-ONB-4: an organisation's name, or its organisation number."""

    model_config = Command.model_config | {"strict": False}

    organisation: Text
    cursor: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,6}$")] | None = None
