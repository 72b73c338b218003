"""What requisitioners and people registering as orderers send."""

from __future__ import annotations

from typing import Annotated

from pydantic import EmailStr, StringConstraints

from chalicelib.shared.commands import Command, Identifier, Text

Email = Annotated[EmailStr, StringConstraints(max_length=254)]


class NewOrderer(Command):
    """R-REQ-1: a name and an e-mail address are all it takes."""

    name: Text
    email: Email


class OrdererChanges(Command):
    """R-REQ-7: the orderer's contact details: their name and e-mail address."""

    name: Text
    email: Email


class Registration(Command):
    """R-REQ-3: anyone registers as an orderer of the requisitioner they pick; the password is chosen through
    the e-mailed link, which also shows that the address is theirs."""

    name: Text
    email: Email
    requisitioner_id: Identifier
