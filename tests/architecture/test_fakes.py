"""Every port has an in-memory fake with the port's methods and parameters, so service tests can replace
any adapter. A new port without a fake fails here."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Protocol

import pytest

import chalicelib
from chalicelib.bootstrap import ADAPTERS
from tests.fakes.approvals import MemoryApprovals
from tests.fakes.bookings import (
    FixedIdentityKey,
    FixedPartnerSecrets,
    MemoryBookingRecords,
    MemoryInboundEvents,
    MemoryInvoiceDocuments,
    RecordingEventQueue,
)
from tests.fakes.directory import (
    FakeSignIn,
    FakeTokens,
    MemoryAccounts,
    MemoryDirectory,
    MemoryInvitations,
    MemoryWebSessions,
)
from tests.fakes.notifications import FixedLinkSecret, MemoryFeed, MemoryOutbox
from tests.fakes.onboarding import MemoryAgreementSignings, MemoryApplications
from tests.fakes.ordering import MemoryCatalogues, MemoryOrderNumbers, MemoryOrders, MemorySubmitReads
from tests.fakes.outside import FakeWorkflow, MemoryIdempotency, RecordingMail
from tests.fakes.requisitioners import MemoryOrderers
from tests.fakes.signing import MemoryChallenges, RecordingTexts
from tests.fakes.store import MemoryLimits, MemoryStore, MemoryTransaction
from tests.fakes.world import World

FAKES: dict[str, type] = {
    "chalicelib.shared.transactions.Transactions": MemoryStore,
    "chalicelib.shared.transactions.Transaction": MemoryTransaction,
    "chalicelib.shared.idempotency.Idempotency": MemoryIdempotency,
    "chalicelib.directory.ports.Directory": MemoryDirectory,
    "chalicelib.directory.ports.TokenVerifier": FakeTokens,
    "chalicelib.directory.ports.PasswordSignIn": FakeSignIn,
    "chalicelib.directory.ports.WebSessions": MemoryWebSessions,
    "chalicelib.ordering.ports.Orders": MemoryOrders,
    "chalicelib.ordering.ports.Catalogues": MemoryCatalogues,
    "chalicelib.ordering.ports.OrderNumbers": MemoryOrderNumbers,
    "chalicelib.ordering.ports.SubmitReads": MemorySubmitReads,
    "chalicelib.ordering.ports.Workflow": FakeWorkflow,
    "chalicelib.approvals.ports.Approvals": MemoryApprovals,
    "chalicelib.approvals.ports.TaskAnswers": FakeWorkflow,
    "chalicelib.signing.ports.Challenges": MemoryChallenges,
    "chalicelib.signing.ports.TextMessages": RecordingTexts,
    "chalicelib.notifications.ports.MailSender": RecordingMail,
    "chalicelib.notifications.ports.Outbox": MemoryOutbox,
    "chalicelib.notifications.ports.OutboxFeed": MemoryFeed,
    "chalicelib.shared.links.LinkSecret": FixedLinkSecret,
    "chalicelib.directory.ports.Accounts": MemoryAccounts,
    "chalicelib.directory.ports.Invitations": MemoryInvitations,
    "chalicelib.shared.limits.Limits": MemoryLimits,
    "chalicelib.onboarding.ports.Applications": MemoryApplications,
    "chalicelib.onboarding.ports.AgreementSignings": MemoryAgreementSignings,
    "chalicelib.requisitioners.ports.Orderers": MemoryOrderers,
    "chalicelib.bookings.ports.IdentityKey": FixedIdentityKey,
    "chalicelib.bookings.ports.InvoiceDocuments": MemoryInvoiceDocuments,
    "chalicelib.bookings.ports.PartnerSecrets": FixedPartnerSecrets,
    "chalicelib.bookings.ports.InboundEvents": MemoryInboundEvents,
    "chalicelib.bookings.ports.BookingEventQueue": RecordingEventQueue,
    "chalicelib.bookings.ports.Practitioners": MemoryBookingRecords,
    "chalicelib.bookings.ports.Clients": MemoryBookingRecords,
    "chalicelib.bookings.ports.InsurerCases": MemoryBookingRecords,
    "chalicelib.bookings.ports.SeriesRecords": MemoryBookingRecords,
    "chalicelib.bookings.ports.Calendar": MemoryBookingRecords,
    "chalicelib.bookings.ports.BookingRecords": MemoryBookingRecords,
}
# Ports implemented by the application itself, not by an adapter: tested through their own services.
IMPLEMENTED_INSIDE = {
    "chalicelib.approvals.ports.Subject": "chalicelib.ordering.steps.OrderSteps",
    "chalicelib.signing.ports.Signer": "chalicelib.signing.services.SmsCodeSigner",
    "chalicelib.notifications.ports.Notifier": "chalicelib.notifications.services.OutboxNotifier",
    "chalicelib.notifications.ports.MailDeliverer": "chalicelib.notifications.services.MailDelivery",
    "chalicelib.onboarding.ports.AccountOpener": "chalicelib.directory.accounts.AccountService",
    "chalicelib.onboarding.ports.StepOpener": "chalicelib.approvals.services.DecisionService",
    "chalicelib.requisitioners.ports.AccountOpening": "chalicelib.directory.accounts.AccountService",
    "chalicelib.requisitioners.ports.HeldOrders": "chalicelib.ordering.waiting.OrdererWaits",
}


def ports() -> dict[str, type]:
    found: dict[str, type] = {}
    for module_info in pkgutil.walk_packages(chalicelib.__path__, "chalicelib."):
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and value.__module__ == module.__name__
                and Protocol in getattr(value, "__mro__", ())
                and value is not Protocol
                and getattr(value, "_is_protocol", False)
            ):
                found[f"{module.__name__}.{name}"] = value
    return found


def methods(port: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for klass in port.__mro__
        if klass is not Protocol and klass is not object and getattr(klass, "_is_protocol", False)
        for name, member in vars(klass).items()
        if callable(member) and not name.startswith("_")
    }


def test_every_port_has_a_fake_or_an_implementation_inside():
    assert set(ports()) == set(FAKES) | set(IMPLEMENTED_INSIDE)


@pytest.mark.parametrize("port_name", sorted(FAKES))
def test_the_fake_has_every_method_of_its_port_with_its_parameters(port_name: str):
    port, fake = ports()[port_name], FAKES[port_name]
    assert methods(port), port_name
    for name, signature in methods(port).items():
        assert hasattr(fake, name), f"{fake.__name__} lacks {name}"
        wanted = [p.name for p in signature.parameters.values()]
        has = [p.name for p in inspect.signature(getattr(fake, name)).parameters.values()]
        assert has == wanted[1:] or has == wanted, f"{fake.__name__}.{name}{has} is not {port_name}.{name}{wanted}"


def test_the_world_of_fakes_replaces_every_adapter():
    world = World()
    adapters = world.app.adapters
    built = {name: getattr(adapters, name) for name in ADAPTERS}
    assert all(type(value).__module__.startswith("tests.fakes") for value in built.values())
