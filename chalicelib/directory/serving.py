"""What an agent serves, set by its administrators (R-ONB-3): the customers who may order through it (R-ORD-9
checks `serves_customers`), and which of the source systems the catalogue lists for it it takes orders for."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.directory.ports import Directory, Organisation, OrganisationKind
from chalicelib.directory.reasons import (
    CUSTOMER_NAME_SHARED,
    NO_SUCH_CUSTOMER,
    NOT_AN_ADMINISTRATOR,
    NOT_AN_AGENT,
    NOT_IN_DIRECTORY,
    PEOPLE_BUSY,
    SOURCE_SYSTEM_NOT_OFFERED,
)
from chalicelib.shared.errors import InProgress, InvalidRequest, NotAllowed
from chalicelib.shared.identity import Actor, Role
from chalicelib.shared.transactions import ConcurrentChange, Transactions

ATTEMPTS = 3


@dataclass(frozen=True)
class Serving:
    agent: Organisation
    customers: list[Organisation]  # by name
    source_systems: list[str]  # those it takes orders for, in the catalogue's order


class ServingService:
    def __init__(self, directory: Directory, transactions: Transactions) -> None:
        self._directory = directory
        self._transactions = transactions

    def serving(self, actor: Actor, offered: list[str]) -> Serving:
        """The agent's customers and source systems; `offered` is what the catalogue lists for it."""
        return self._serving(self._agent(actor), offered)

    def set(self, actor: Actor, customers: list[str], source_systems: list[str], offered: list[str]) -> Serving:
        """The agent serves exactly these customers (each by its id or its name) and source systems (among
        `offered`). Refusals name `customers` or `source_systems`."""
        for system in source_systems:
            if system not in offered:
                raise InvalidRequest(
                    SOURCE_SYSTEM_NOT_OFFERED, field="source_systems", source_system=system, offered=", ".join(offered)
                )
        chosen = [system for system in offered if system in source_systems]
        served = sorted({self._customer(each).org_id for each in customers})
        for _ in range(ATTEMPTS):
            before = self._agent(actor)
            after = before.model_copy(update={"serves_customers": served, "source_systems": chosen})
            if after != before:
                transaction = self._transactions.begin()
                self._directory.set_serving(transaction, before, after)
                try:
                    transaction.commit()
                except ConcurrentChange:
                    continue
            return self._serving(after, offered)
        raise InProgress(PEOPLE_BUSY)

    def _serving(self, agent: Organisation, offered: list[str]) -> Serving:
        customers = [self._directory.organisation(org_id) for org_id in agent.serves_customers]
        taken = agent.source_systems
        return Serving(
            agent=agent,
            customers=sorted((c for c in customers if c is not None), key=lambda c: c.name.casefold()),
            source_systems=[system for system in offered if taken is None or system in taken],
        )

    def _customer(self, typed: str) -> Organisation:
        typed = typed.strip()
        by_id = self._directory.organisation(typed) if typed else None
        found = [by_id] if by_id is not None else self._directory.organisations_named(typed) if typed else []
        customers = [organisation for organisation in found if organisation.kind is OrganisationKind.CUSTOMER]
        if not customers:
            raise InvalidRequest(NO_SUCH_CUSTOMER, field="customers", customer=typed)
        if len(customers) > 1:
            raise InvalidRequest(CUSTOMER_NAME_SHARED, field="customers", customer=typed)
        return customers[0]

    def _agent(self, actor: Actor) -> Organisation:
        """R-ONB-3: an administrator of the agent, and nobody else, sets what it serves."""
        if not actor.person.has_role(Role.ADMINISTRATOR):
            raise NotAllowed(NOT_AN_ADMINISTRATOR)
        organisation = self._directory.organisation(actor.person.org_id)
        if organisation is None:
            raise NotAllowed(NOT_IN_DIRECTORY)
        if organisation.kind is not OrganisationKind.AGENT:
            raise NotAllowed(NOT_AN_AGENT)
        return organisation
