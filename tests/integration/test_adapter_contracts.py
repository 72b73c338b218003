"""The same expectations of the DynamoDB adapters (on the embedded AWS) and of the in-memory fakes the
service tests use: if a fake drifts from its adapter, these fail for one of the two."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.approvals.model import Approval, ApprovalStatus, Outcome, SubjectRef
from chalicelib.bootstrap import container
from chalicelib.directory.model import (
    Invitation,
    Organisation,
    OrganisationKind,
    RemovedPerson,
    SavedInvoiceDetails,
    SessionLifetimes,
    WebSession,
    session_key,
)
from chalicelib.onboarding.model import AgreementSigning, Application, ApplicationStatus, Contact, Signatory
from chalicelib.ordering.model import Case, HistoryAction, HistoryEvent, Order, OrderStatus, Step
from chalicelib.requisitioners.model import Orderer, WaitingOrder
from chalicelib.shared.errors import InvalidRequest
from chalicelib.shared.identity import Person, Role
from chalicelib.shared.languages import Language
from chalicelib.shared.limits import Limit
from chalicelib.shared.pagination import PageRequest
from chalicelib.shared.transactions import ConcurrentChange
from chalicelib.signing import codes
from tests.fakes.world import FIRST, World
from tests.unit.fixtures import placed

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@dataclass
class Store:
    transactions: Any
    orders: Any
    approvals: Any
    challenges: Any
    catalogues: Any
    web_sessions: Any
    directory: Any
    invitations: Any
    limits: Any
    applications: Any
    signings: Any
    orderers: Any
    numbers: Any
    submit_reads: Any


@pytest.fixture(params=["memory", "dynamo"])
def store(request: pytest.FixtureRequest) -> Store:
    if request.param == "memory":
        world = World()
        return Store(
            world.store,
            world.orders,
            world.approvals,
            world.challenges,
            world.catalogues,
            world.web_sessions,
            world.directory,
            world.invitations,
            world.limits,
            world.applications,
            world.signings,
            world.orderers,
            world.numbers,
            world.submit_reads,
        )
    request.getfixturevalue("aws")
    adapters = container().adapters
    return Store(
        adapters.transactions,
        adapters.orders,
        adapters.approvals,
        adapters.challenges,
        adapters.catalogues,
        adapters.web_sessions,
        adapters.directory,
        adapters.invitations,
        adapters.limits,
        adapters.applications,
        adapters.signings,
        adapters.orderers,
        adapters.order_numbers,
        adapters.submit_reads,
    )


def new_order(**changes: Any) -> Order:
    order = placed(order_id=uuid.uuid4().hex)
    return order.model_copy(update=changes)


def event(action: HistoryAction, minutes: int = 0) -> HistoryEvent:
    return HistoryEvent(at=NOW + timedelta(minutes=minutes), action=action, actor_id="system", actor_name="System")


def commit(store: Store, *stage: Any) -> None:
    transaction = store.transactions.begin()
    for write in stage:
        write(transaction)
    transaction.commit()


def test_an_order_is_added_once_and_saved_only_at_the_version_it_was_read(store: Store):
    order = new_order()
    commit(store, lambda t: store.orders.add(t, order, [event(HistoryAction.SUBMITTED)]))
    with pytest.raises(ConcurrentChange):
        commit(store, lambda t: store.orders.add(t, order, [event(HistoryAction.SUBMITTED)]))
    stored, version = store.orders.get(order.order_id)
    assert stored == order and version == 1

    stored.current_step = Step.AGENT_APPROVAL
    commit(store, lambda t: store.orders.save(t, stored, 1, [event(HistoryAction.STEP_OPENED, 1)]))
    with pytest.raises(ConcurrentChange):  # a second writer who also read version 1
        commit(store, lambda t: store.orders.save(t, stored, 1, [event(HistoryAction.APPROVED, 2)]))
    found, history = store.orders.with_history(order.order_id)
    assert found.current_step is Step.AGENT_APPROVAL
    assert [e.action for e in history] == [HistoryAction.SUBMITTED, HistoryAction.STEP_OPENED]
    assert store.orders.get(order.order_id)[1] == 2


def test_an_order_waits_in_its_agents_queue_only_while_an_agent_step_is_open(store: Store):
    agent = f"agent-{uuid.uuid4().hex[:8]}"
    waiting = new_order(agent_org_id=agent, current_step=Step.AGENT_ATTESTATION)
    not_yet = new_order(agent_org_id=agent, current_step=None)
    customer_step = new_order(agent_org_id=agent, current_step=Step.CUSTOMER_ATTESTATION)
    for order in (waiting, not_yet, customer_step):
        commit(store, lambda t, order=order: store.orders.add(t, order, []))
    assert [order.order_id for order in store.orders.waiting_for_agent(agent, FIRST).items] == [waiting.order_id]


def test_an_orderers_orders_come_newest_first(store: Store):
    orderer = f"orderer-{uuid.uuid4().hex[:8]}"
    older = new_order(orderer_id=orderer, created_at=NOW)
    newer = new_order(orderer_id=orderer, created_at=NOW + timedelta(hours=1))
    for order in (older, newer):
        commit(store, lambda t, order=order: store.orders.add(t, order, []))
    assert [order.order_id for order in store.orders.of_orderer(orderer, FIRST).items] == [
        newer.order_id,
        older.order_id,
    ]


def test_pages_follow_each_other_newest_first_losing_and_repeating_nothing(store: Store):
    orderer = f"orderer-{uuid.uuid4().hex[:8]}"
    placed_orders = [new_order(orderer_id=orderer, created_at=NOW + timedelta(minutes=n)) for n in range(7)]
    for order in placed_orders:
        commit(store, lambda t, order=order: store.orders.add(t, order, []))
    seen: list[str] = []
    page = PageRequest(limit=3)
    sizes = []
    while True:
        found = store.orders.of_orderer(orderer, page)
        sizes.append(len(found.items))
        seen += [order.order_id for order in found.items]
        if found.next is None:
            break
        page = PageRequest(limit=3, cursor=found.next)
    assert seen == [order.order_id for order in reversed(placed_orders)]
    assert sizes == [3, 3, 1]  # the last page says it is the last: no empty page follows
    exact = store.orders.of_orderer(orderer, PageRequest(limit=7))
    assert len(exact.items) == 7 and exact.next is None


@pytest.mark.parametrize("cursor", ["not-base64!", "bm90IGpzb24", "W10", "eyJwayI6MX0", "eyJ4eXoiOiJhIn0"])
def test_a_cursor_that_is_not_ours_is_refused_naming_the_cursor(store: Store, cursor: str):
    with pytest.raises(InvalidRequest) as refused:
        store.orders.of_orderer("anyone", PageRequest(limit=3, cursor=cursor))
    assert refused.value.field == "cursor"


def test_an_order_gets_one_case(store: Store):
    order = new_order(case_number="CS1")
    case = Case.of(order, NOW)
    commit(store, lambda t: store.orders.add_case(t, case))
    with pytest.raises(ConcurrentChange):
        commit(store, lambda t: store.orders.add_case(t, case))
    assert case in store.orders.cases(PageRequest(limit=100)).items


def approval(assignees: list[str]) -> Approval:
    return Approval(
        key=uuid.uuid4().hex,
        link_seed=uuid.uuid4().hex,
        subject=SubjectRef(kind="order", subject_id=uuid.uuid4().hex, step="customer_attestation"),
        assignees=assignees,
        needs_signature=True,
        created_at=NOW,
        expires_at=NOW + timedelta(days=7),
    )


def test_an_approval_is_decided_once_and_leaves_its_assignees_lists(store: Store):
    user = f"user-{uuid.uuid4().hex[:8]}"
    opened = approval([user])
    commit(store, lambda t: store.approvals.add(t, opened, "task-token", {"number": "RITM1"}))
    assert store.approvals.get(opened.key) == opened
    assert store.approvals.current(opened.subject) == opened
    assert store.approvals.task_token(opened.key) == "task-token"
    [line] = store.approvals.pending_for(user, FIRST).items
    assert (line.subject, line.summary) == (opened.subject, {"number": "RITM1"})

    decided = opened.model_copy(deep=True)
    decided.decide(user, Outcome.APPROVED)
    commit(store, lambda t: store.approvals.decide(t, decided))
    with pytest.raises(ConcurrentChange):
        commit(store, lambda t: store.approvals.decide(t, decided))
    assert store.approvals.get(opened.key).status is ApprovalStatus.DECIDED
    assert store.approvals.pending_for(user, FIRST).items == []


def test_a_new_token_is_attached_only_while_the_approval_is_as_it_was_read(store: Store):
    opened = approval(["someone"])
    commit(store, lambda t: store.approvals.add(t, opened, "token-1", {}))
    commit(store, lambda t: store.approvals.attach_token(t, opened, "token-2"))
    assert store.approvals.task_token(opened.key) == "token-2"

    decided = opened.model_copy(deep=True)
    decided.decide("someone", Outcome.APPROVED)
    commit(store, lambda t: store.approvals.decide(t, decided))
    with pytest.raises(ConcurrentChange):  # read as open, but decided meanwhile
        commit(store, lambda t: store.approvals.attach_token(t, opened, "token-3"))
    assert store.approvals.task_token(opened.key) == "token-2"
    commit(store, lambda t: store.approvals.attach_token(t, decided, "token-3"))
    assert store.approvals.task_token(opened.key) == "token-3"


def test_a_step_without_an_approval_has_no_current_one(store: Store):
    opened = approval(["someone"])
    commit(store, lambda t: store.approvals.add(t, opened, "token", {}))
    other_step = opened.subject.model_copy(update={"step": "agent_approval"})
    assert store.approvals.current(other_step) is None
    assert store.approvals.current(opened.subject.model_copy(update={"subject_id": uuid.uuid4().hex})) is None


def test_a_resent_request_is_counted_per_assignee_at_the_count_read_and_only_while_open(store: Store):
    opened = approval(["hanna", "hugo"])
    commit(store, lambda t: store.approvals.add(t, opened, "token", {}))
    assert store.approvals.resends(opened.key, "hanna") == 0
    commit(store, lambda t: store.approvals.add_resend(t, opened, "hanna", 0))
    assert (store.approvals.resends(opened.key, "hanna"), store.approvals.resends(opened.key, "hugo")) == (1, 0)
    with pytest.raises(ConcurrentChange):  # a second request that also read none
        commit(store, lambda t: store.approvals.add_resend(t, opened, "hanna", 0))
    commit(store, lambda t: store.approvals.add_resend(t, opened, "hanna", 1))
    assert store.approvals.resends(opened.key, "hanna") == 2

    decided = opened.model_copy(deep=True)
    decided.decide("hanna", Outcome.APPROVED)
    commit(store, lambda t: store.approvals.decide(t, decided))
    with pytest.raises(ConcurrentChange):  # read open, decided meanwhile
        commit(store, lambda t: store.approvals.add_resend(t, opened, "hugo", 0))
    assert store.approvals.resends(opened.key, "hugo") == 0
    assert store.approvals.get(opened.key) == decided  # counting touched nothing of the approval


def test_a_transaction_across_contexts_writes_all_or_nothing(store: Store):
    order = new_order()
    commit(store, lambda t: store.orders.add(t, order, []))
    opened = approval(["someone"])
    with pytest.raises(ConcurrentChange):  # the order's version is stale, so the approval is not written either
        commit(
            store, lambda t: store.approvals.add(t, opened, "token", {}), lambda t: store.orders.save(t, order, 7, [])
        )
    assert store.approvals.get(opened.key) is None


def test_a_challenge_counts_wrong_attempts_and_is_used_up(store: Store):
    challenge, _ = codes.issue(uuid.uuid4().hex, "adam", NOW, timedelta(minutes=5), None)
    store.challenges.put(challenge)
    store.challenges.count_wrong_attempt(challenge.purpose)
    store.challenges.count_wrong_attempt(challenge.purpose)
    assert store.challenges.get(challenge.purpose).attempts == 2
    commit(store, lambda t: store.challenges.consume(t, challenge.purpose))
    assert store.challenges.get(challenge.purpose) is None
    store.challenges.count_wrong_attempt(challenge.purpose)  # nothing left to count, and no error
    assert store.challenges.get(challenge.purpose) is None


def test_the_catalogue_is_replaced_only_by_a_newer_version(store: Store):
    base = store.catalogues.current() or World().catalogues.current()
    assert base is not None
    newer = base.model_copy(update={"version": base.version + 100})
    assert store.catalogues.replace(newer) is True
    assert store.catalogues.replace(newer) is False
    assert store.catalogues.replace(base) is False
    assert store.catalogues.current() == newer


def test_a_submit_reads_the_order_its_people_its_organisations_the_catalogue_and_the_counter(store: Store):
    olivia = store.directory.person("olivia.orderer")
    order_id = uuid.uuid4().hex
    read = store.submit_reads.for_submit(order_id, olivia, "adam.attester", "agent-cgm")
    assert read.placed is None
    assert read.customer == store.directory.organisation("region-norrby")
    assert read.attester == store.directory.person("adam.attester")
    assert read.agent_organisation == store.directory.organisation("agent-cgm")
    assert read.catalogue == store.catalogues.current()
    assert read.awaits_orderer_approval is False

    commit(store, lambda t: store.numbers.reserve(t, read.last_number))
    assert store.submit_reads.for_submit(order_id, olivia, "adam.attester", None).last_number == read.last_number + 1
    with pytest.raises(ConcurrentChange):  # a number drawn after a read that is no longer the last
        commit(store, lambda t: store.numbers.reserve(t, read.last_number))

    order = new_order(order_id=order_id)
    commit(store, lambda t: store.orders.add(t, order, [event(HistoryAction.SUBMITTED)]))
    assert store.submit_reads.for_submit(order_id, olivia, "adam.attester", None).placed == order


def test_a_submit_reads_what_is_not_there_as_nothing_and_an_unapproved_orderer_as_waiting(store: Store):
    ulf = store.directory.person("ulf.unapproved")
    # The agent named is the customer itself: one item, read once, answers both.
    read = store.submit_reads.for_submit(uuid.uuid4().hex, ulf, "nobody-of-that-id", ulf.org_id)
    assert read.attester is None
    assert read.customer == read.agent_organisation == store.directory.organisation(ulf.org_id)
    assert read.awaits_orderer_approval is True  # R-REQ-3
    stranger = ulf.model_copy(update={"user_id": f"user-{uuid.uuid4().hex[:8]}", "org_id": "no-such-organisation"})
    read = store.submit_reads.for_submit(uuid.uuid4().hex, stranger, ulf.user_id, "no-such-agent")
    assert read.customer is None
    assert read.agent_organisation is None
    assert read.attester == ulf
    assert read.awaits_orderer_approval is False


def web_session(user_id: str | None = None, **lifetimes: timedelta) -> tuple[WebSession, str]:
    new = WebSession.start(
        user_id or f"user-{uuid.uuid4().hex[:8]}", "region-norrby", Language.SV, NOW, SessionLifetimes(**lifetimes)
    )
    return new.session, new.cookie_value


def test_a_web_session_is_found_by_its_cookies_hash_only(store: Store):
    session, cookie_value = web_session()
    store.web_sessions.create(session)
    assert store.web_sessions.get(session_key(cookie_value), NOW) == session
    assert store.web_sessions.get(cookie_value, NOW) is None
    with pytest.raises(ConcurrentChange):
        store.web_sessions.create(session)


def test_an_expired_web_session_is_not_read_though_still_stored(store: Store):
    """DynamoDB's TTL deletes late and moto never: the read checks both expiries."""
    idle, _ = web_session()
    short, _ = web_session(absolute=timedelta(minutes=10))
    for session in (idle, short):
        store.web_sessions.create(session)
    assert store.web_sessions.get(idle.key, NOW + timedelta(minutes=29)) == idle
    assert store.web_sessions.get(idle.key, NOW + timedelta(minutes=30)) is None
    assert store.web_sessions.get(short.key, NOW + timedelta(minutes=9)) == short
    assert store.web_sessions.get(short.key, NOW + timedelta(minutes=10)) is None


def test_touching_a_web_session_moves_its_idle_expiry_and_changes_nothing_else(store: Store):
    session, _ = web_session()
    store.web_sessions.create(session)
    touched = session.touch(NOW + timedelta(minutes=20), SessionLifetimes())
    assert touched is not None
    store.web_sessions.touch(touched)
    assert store.web_sessions.get(session.key, NOW + timedelta(minutes=45)) == touched


def test_a_language_is_kept_with_its_session(store: Store):
    session, _ = web_session()
    store.web_sessions.create(session)
    store.web_sessions.set_language(session.key, Language.NB)
    stored = store.web_sessions.get(session.key, NOW)
    assert stored.language is Language.NB
    assert stored.model_copy(update={"language": Language.SV}) == session


def test_r_req_5_a_switch_to_an_orderer_is_kept_with_its_session_and_undone(store: Store):
    session, _ = web_session()
    store.web_sessions.create(session)
    store.web_sessions.set_acting_as(session.key, "oda.orderer")
    assert store.web_sessions.get(session.key, NOW).acting_as == "oda.orderer"
    store.web_sessions.set_acting_as(session.key, None)
    assert store.web_sessions.get(session.key, NOW) == session
    store.web_sessions.end(session)
    store.web_sessions.set_acting_as(session.key, "oda.orderer")  # an ended session stays ended
    assert store.web_sessions.get(session.key, NOW) is None


def new_orderer(**changes: Any) -> Orderer:
    values: dict[str, Any] = {
        "user_id": f"orderer-{uuid.uuid4().hex[:8]}",
        "requisitioner_org_id": f"req-{uuid.uuid4().hex[:8]}",
        "approved": False,
        "self_registered": True,
        "created_at": NOW,
    }
    return Orderer(**{**values, **changes})


def test_r_req_2_an_orderer_is_added_once_and_listed_newest_first_page_by_page(store: Store):
    first = new_orderer()
    second = new_orderer(requisitioner_org_id=first.requisitioner_org_id, created_at=NOW + timedelta(minutes=1))
    for orderer in (first, second):
        transaction = store.transactions.begin()
        store.orderers.add(transaction, orderer)
        transaction.commit()
    again = store.transactions.begin()
    store.orderers.add(again, first)
    with pytest.raises(ConcurrentChange):
        again.commit()
    page = store.orderers.of_requisitioner(first.requisitioner_org_id, PageRequest(limit=1))
    assert page.items == [second] and page.next
    rest = store.orderers.of_requisitioner(first.requisitioner_org_id, PageRequest(limit=1, cursor=page.next))
    assert rest.items == [first] and rest.next is None
    removal = store.transactions.begin()
    store.orderers.remove(removal, first.user_id)
    removal.commit()
    assert store.orderers.get(first.user_id) is None


def test_r_req_3_an_orderer_is_approved_once(store: Store):
    orderer = new_orderer()
    transaction = store.transactions.begin()
    store.orderers.add(transaction, orderer)
    transaction.commit()
    assert store.orderers.unapproved_of(orderer.requisitioner_org_id, PageRequest()).items == [orderer]
    approved = orderer.approve("rita", NOW)
    assert approved is not None
    for expected_to_fail in (False, True):
        transaction = store.transactions.begin()
        store.orderers.approve(transaction, approved)
        if expected_to_fail:
            with pytest.raises(ConcurrentChange):
                transaction.commit()
        else:
            transaction.commit()
    assert store.orderers.get(orderer.user_id) == approved
    assert store.orderers.unapproved_of(orderer.requisitioner_org_id, PageRequest()).items == []


def test_r_req_6_an_email_address_is_one_persons_in_the_directorys_one_registry(store: Store):
    email = f"Someone-{uuid.uuid4().hex[:8]}@Example.org"
    claim = store.transactions.begin()
    store.directory.claim_email(claim, email, "first")
    claim.commit()
    assert store.directory.email_holder(email.lower()) == "first"
    mine_again = store.transactions.begin()
    store.directory.claim_email(mine_again, email, "first")
    mine_again.commit()
    theirs = store.transactions.begin()
    store.directory.claim_email(theirs, email, "second")
    with pytest.raises(ConcurrentChange):
        theirs.commit()
    not_theirs = store.transactions.begin()
    store.directory.release_email(not_theirs, email, "second")
    not_theirs.commit()
    assert store.directory.email_holder(email) == "first"
    release = store.transactions.begin()
    store.directory.release_email(release, email, "first")
    release.commit()
    assert store.directory.email_holder(email) is None


def test_r_req_6_a_person_saved_with_someone_elses_address_leaves_it_theirs(store: Store):
    """An orderer the requisitioner created with the requisitioner's own address: the address stays the
    requisitioner's, so nobody else can register with it."""
    email = f"shared-{uuid.uuid4().hex[:8]}@example.org"
    requisitioner = Person(user_id=f"req-{uuid.uuid4().hex[:8]}", org_id="org-shared", name="Rut", email=email)
    orderer = requisitioner.model_copy(update={"user_id": f"ord-{uuid.uuid4().hex[:8]}", "name": "Ola"})
    store.directory.save_person(requisitioner)
    store.directory.save_person(orderer)
    assert store.directory.email_holder(email) == requisitioner.user_id
    assert store.directory.person(orderer.user_id) == orderer


def test_r_req_3_an_order_is_held_only_while_its_orderer_is_unapproved_and_released_once(store: Store):
    orderer = new_orderer()
    transaction = store.transactions.begin()
    store.orderers.add(transaction, orderer)
    transaction.commit()
    held = WaitingOrder(
        order_id=uuid.uuid4().hex, orderer_id=orderer.user_id, task_token="t", since=NOW, expires_at=NOW
    )
    transaction = store.transactions.begin()
    store.orderers.hold(transaction, held, unapproved=True)
    transaction.commit()
    assert store.orderers.waiting(orderer.user_id) == [held]
    released = held.model_copy(update={"released_at": NOW})
    for expected_to_fail in (False, True):
        transaction = store.transactions.begin()
        store.orderers.release(transaction, released)
        if expected_to_fail:
            with pytest.raises(ConcurrentChange):
                transaction.commit()
        else:
            transaction.commit()
    approval = store.transactions.begin()
    store.orderers.approve(approval, orderer.approve("rita", NOW))
    approval.commit()
    late = store.transactions.begin()
    store.orderers.hold(late, held.model_copy(update={"order_id": uuid.uuid4().hex}), unapproved=True)
    with pytest.raises(ConcurrentChange):
        late.commit()
    store.orderers.forget(released)
    assert store.orderers.waiting(orderer.user_id) == []


def test_an_ended_web_session_stays_ended_when_touched_or_given_a_language(store: Store):
    session, _ = web_session()
    store.web_sessions.create(session)
    store.web_sessions.end(session)
    touched = session.touch(NOW + timedelta(minutes=5), SessionLifetimes())
    assert touched is not None
    store.web_sessions.touch(touched)
    store.web_sessions.set_language(session.key, Language.EN)
    assert store.web_sessions.get(session.key, NOW) is None
    store.web_sessions.end(session)  # ending it again is no error


def test_ending_one_web_session_leaves_the_persons_others(store: Store):
    user = f"user-{uuid.uuid4().hex[:8]}"
    first, _ = web_session(user)
    second, _ = web_session(user)
    for session in (first, second):
        store.web_sessions.create(session)
    store.web_sessions.end(first)
    assert store.web_sessions.get(first.key, NOW) is None
    assert store.web_sessions.get(second.key, NOW) == second


def test_ending_all_of_a_persons_web_sessions_ends_theirs_only_however_many(store: Store):
    """More sessions than one transaction writes away."""
    user, other = f"user-{uuid.uuid4().hex[:8]}", f"user-{uuid.uuid4().hex[:8]}"
    theirs = [web_session(user)[0] for _ in range(60)]
    someone_elses, _ = web_session(other)
    for session in [*theirs, someone_elses]:
        store.web_sessions.create(session)
    store.web_sessions.end_all(user)
    assert all(store.web_sessions.get(session.key, NOW) is None for session in theirs)
    assert store.web_sessions.get(someone_elses.key, NOW) == someone_elses
    store.web_sessions.end_all(user)  # none left: no error
    store.web_sessions.end_all(f"user-{uuid.uuid4().hex[:8]}")


def organisation(**changes: Any) -> Organisation:
    fields: dict[str, Any] = {
        "org_id": f"org-{uuid.uuid4().hex[:8]}",
        "name": "Region Testby",
        "kind": OrganisationKind.CUSTOMER,
        "invoice_details": [SavedInvoiceDetails(invoice_id="inv-1", address="Box 1", reference="R1")],
    }
    return Organisation(**{**fields, **changes})


def test_saved_invoice_details_are_added_in_a_transaction_only_while_they_are_as_read(store: Store):
    keeps = organisation()
    store.directory.save_organisation(keeps)
    second = SavedInvoiceDetails(invoice_id="inv-2", address="Box 2\n901 00 Testby", reference="R2")
    commit(store, lambda t: store.directory.add_invoice_details(t, keeps, second))
    assert store.directory.organisation(keeps.org_id).invoice_details == [*keeps.invoice_details, second]

    third = SavedInvoiceDetails(invoice_id="inv-3", address="Box 3", reference="R3")
    with pytest.raises(ConcurrentChange):  # read with one saved, but two are saved now
        commit(store, lambda t: store.directory.add_invoice_details(t, keeps, third))
    with pytest.raises(ConcurrentChange):  # no such organisation
        commit(store, lambda t: store.directory.add_invoice_details(t, organisation(invoice_details=[]), third))
    order = new_order()
    commit(store, lambda t: store.orders.add(t, order, []))
    with pytest.raises(ConcurrentChange):  # all or nothing: the order exists, so the address is not added either
        commit(
            store,
            lambda t: store.orders.add(t, order, []),
            lambda t: store.directory.add_invoice_details(t, store.directory.organisation(keeps.org_id), third),
        )
    assert [saved.invoice_id for saved in store.directory.organisation(keeps.org_id).invoice_details] == [
        "inv-1",
        "inv-2",
    ]
    empty = organisation(invoice_details=[])
    store.directory.save_organisation(empty)
    commit(store, lambda t: store.directory.add_invoice_details(t, empty, third))
    assert store.directory.organisation(empty.org_id).invoice_details == [third]


def test_a_case_is_found_by_its_orders_number_and_among_its_organisations_newest_first(store: Store):
    customer = f"customer-{uuid.uuid4().hex[:8]}"
    number = f"RITM{uuid.uuid4().int % 10**9:09d}"
    older = Case.of(new_order(customer_org_id=customer, number=number, case_number="CS1"), NOW)
    newer = Case.of(new_order(customer_org_id=customer, case_number="CS2"), NOW + timedelta(hours=1))
    elsewhere = Case.of(new_order(case_number="CS3"), NOW + timedelta(hours=2))
    for case in (older, newer, elsewhere):
        commit(store, lambda t, case=case: store.orders.add_case(t, case))
    assert store.orders.case_of_order(number) == older
    assert store.orders.case_of_order(f"{number}0") is None
    first = store.orders.cases_of_organisation(customer, PageRequest(limit=1))
    assert first.items == [newer] and first.next is not None
    assert store.orders.cases_of_organisation(customer, PageRequest(limit=1, cursor=first.next)).items == [older]
    assert store.orders.cases_of_organisation(f"{customer}-other", FIRST).items == []


def test_organisations_are_found_by_their_name_whatever_its_case_and_spacing(store: Store):
    name = f"Region {uuid.uuid4().hex[:8]}"
    one, two = organisation(name=name), organisation(name=name.upper())
    for saved in (one, two, organisation(name=f"{name} Syd")):
        store.directory.save_organisation(saved)
    found = store.directory.organisations_named(f"  {name.lower().replace(' ', '   ')} ")
    assert sorted(org.org_id for org in found) == sorted([one.org_id, two.org_id])
    assert store.directory.organisations_named(f"{name} Norr") == []


def test_open_orders_unchanged_since_a_moment_come_the_longest_unchanged_first(store: Store):
    """Pattern 15 with a bound on its sort key: operations' view of orders waiting too long."""
    base = datetime(1990, 1, 1, tzinfo=UTC) + timedelta(days=uuid.uuid4().int % 3650)  # older than any other
    longest, shorter, recent = (new_order(updated_at=base + timedelta(minutes=n)) for n in (0, 1, 5))
    ended = new_order(updated_at=base, status=OrderStatus.COMPLETED)
    for order in (recent, longest, shorter, ended):
        commit(store, lambda t, order=order: store.orders.add(t, order, []))
    cutoff = base + timedelta(minutes=2)
    found = store.orders.with_status(OrderStatus.IN_PROGRESS, PageRequest(limit=2), changed_before=cutoff)
    assert [order.order_id for order in found.items] == [longest.order_id, shorter.order_id]
    assert found.next is None  # nothing else of the table is that old: the bound ends the list
    every = store.orders.with_status(OrderStatus.IN_PROGRESS, PageRequest(limit=3))
    assert [order.order_id for order in every.items] == [longest.order_id, shorter.order_id, recent.order_id]


def invitation(**changes: Any) -> Invitation:
    fields: dict[str, Any] = {
        "key": uuid.uuid4().hex,
        "seed": uuid.uuid4().hex,
        "user_id": "nina.newcomer",
        "created_at": NOW,
        "expires_at": NOW + timedelta(days=7),
    }
    return Invitation(**{**fields, **changes})


def test_an_invitation_is_added_once_and_used_once(store: Store):
    first = invitation()
    commit(store, lambda t: store.invitations.add(t, first))
    assert store.invitations.get(first.key) == first
    with pytest.raises(ConcurrentChange):
        commit(store, lambda t: store.invitations.add(t, first))
    used = first.model_copy(update={"used_at": NOW + timedelta(minutes=1)})
    commit(store, lambda t: store.invitations.use(t, used))
    assert store.invitations.get(first.key) == used
    with pytest.raises(ConcurrentChange):  # a second use: someone set a password with it meanwhile
        commit(store, lambda t: store.invitations.use(t, used))
    with pytest.raises(ConcurrentChange):  # none such
        commit(store, lambda t: store.invitations.use(t, invitation(used_at=NOW)))
    assert store.invitations.get(uuid.uuid4().hex) is None


def test_a_limit_counts_per_asker_and_window_and_refuses_past_it(store: Store):
    limit = Limit(f"test-{uuid.uuid4().hex[:8]}", times=3, window=timedelta(hours=1))
    asker, other = f"{uuid.uuid4().hex[:8]}@x.example", "198.51.100.7"
    assert [store.limits.take(limit, asker, NOW) for _ in range(4)] == [True, True, True, False]
    assert store.limits.take(limit, asker.upper(), NOW) is False  # the same address, however written
    assert store.limits.take(limit, other, NOW) is True
    assert store.limits.take(limit, asker, NOW + timedelta(hours=1)) is True  # the next window


def colleague(org_id: str, **changes: Any) -> Person:
    tag = uuid.uuid4().hex[:8]
    fields: dict[str, Any] = {
        "user_id": f"p-{tag}",
        "org_id": org_id,
        "name": f"Person {tag}",
        "email": f"p-{tag}@example.org",
        "phone": "+46701234567",
        "roles": [Role.ORDERER],
        **changes,
    }
    return Person(**fields)


def test_r_onb_3_a_person_is_added_once_per_id_and_address_at_the_roster_version_read(store: Store):
    org_id = f"org-{uuid.uuid4().hex[:8]}"
    first = colleague(org_id)
    commit(store, lambda t: store.directory.add_person(t, first, 0))
    assert store.directory.person(first.user_id) == first and store.directory.roster(org_id) == 1
    assert store.directory.person_with_email(first.email.upper()) == first
    second = colleague(org_id)
    with pytest.raises(ConcurrentChange):  # read at version 0; another change came first
        commit(store, lambda t: store.directory.add_person(t, second, 0))
    with pytest.raises(ConcurrentChange):  # the address is someone's
        commit(store, lambda t: store.directory.add_person(t, second.model_copy(update={"email": first.email}), 1))
    with pytest.raises(ConcurrentChange):  # the id is someone's
        commit(store, lambda t: store.directory.add_person(t, first.model_copy(update={"email": "x@y.org"}), 1))
    commit(store, lambda t: store.directory.add_person(t, second, 1))
    assert store.directory.roster(org_id) == 2


def test_r_onb_3_a_changed_address_moves_and_a_removed_person_leaves_a_record(store: Store):
    org_id = f"org-{uuid.uuid4().hex[:8]}"
    person = colleague(org_id)
    other = colleague(org_id)
    commit(store, lambda t: store.directory.add_person(t, person, 0))
    commit(store, lambda t: store.directory.add_person(t, other, 1))
    moved = person.model_copy(update={"email": f"moved-{person.email}"})
    with pytest.raises(ConcurrentChange):  # onto someone else's address
        commit(
            store,
            lambda t: store.directory.change_person(t, person, moved.model_copy(update={"email": other.email}), 2),
        )
    commit(store, lambda t: store.directory.change_person(t, person, moved, 2))
    assert store.directory.person_with_email(moved.email) == moved
    assert store.directory.person_with_email(person.email) is None
    removal = RemovedPerson(
        user_id=person.user_id, org_id=org_id, name=person.name, removed_at=NOW, removed_by=other.user_id
    )
    with pytest.raises(ConcurrentChange):
        commit(store, lambda t: store.directory.remove_person(t, moved, removal, 2))
    commit(store, lambda t: store.directory.remove_person(t, moved, removal, 3))
    assert store.directory.person(person.user_id) is None and store.directory.removed(person.user_id) == removal
    assert store.directory.person_with_email(moved.email) is None


def test_r_onb_3_an_organisations_people_come_by_name_page_by_page(store: Store):
    org_id = f"org-{uuid.uuid4().hex[:8]}"
    names = ["Örjan Ek", "anna Berg", "Bo Ask", "Cecilia Dahl", "Anna Ceder"]
    for roster, name in enumerate(names):
        person = colleague(org_id, name=name)
        commit(store, lambda t, person=person, roster=roster: store.directory.add_person(t, person, roster))
    seen: list[str] = []
    page = PageRequest(limit=2)
    while True:
        found = store.directory.people_page(org_id, page)
        seen += [person.name for person in found.items]
        if found.next is None:
            break
        page = PageRequest(limit=2, cursor=found.next)
    assert seen == ["anna Berg", "Anna Ceder", "Bo Ask", "Cecilia Dahl", "Örjan Ek"]  # case-folded, by code point


def test_what_an_agent_serves_is_set_only_while_it_is_as_read(store: Store):
    agent = Organisation(org_id=f"agent-{uuid.uuid4().hex[:8]}", name="Agent", kind=OrganisationKind.AGENT)
    store.directory.save_organisation(agent)
    serving = agent.model_copy(update={"serves_customers": ["c1"], "source_systems": ["S1"]})
    commit(store, lambda t: store.directory.set_serving(t, agent, serving))
    stored = store.directory.organisation(agent.org_id)
    assert stored.serves_customers == ["c1"] and stored.source_systems == ["S1"]
    with pytest.raises(ConcurrentChange):  # read before the change above
        commit(
            store, lambda t: store.directory.set_serving(t, agent, serving.model_copy(update={"serves_customers": []}))
        )
    commit(store, lambda t: store.directory.set_serving(t, serving, serving.model_copy(update={"source_systems": []})))
    assert store.directory.organisation(agent.org_id).source_systems == []


def org_number() -> str:
    digits = f"59{uuid.uuid4().int % 10**7:07d}"
    total = sum(d if i % 2 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(int(c) for c in digits))
    return digits + str((10 - total % 10) % 10)


def application(number: str, minutes: int = 0) -> Application:
    contact = Contact(name="A", email="a@contract.example")
    return Application(
        application_id=f"app-{uuid.uuid4().hex[:24]}",
        organisation_name="Contract AB",
        org_number=number,
        administrator=contact,
        signatory=Signatory(name="S", email="s@contract.example", phone="+46701234567"),
        agreement_contact=contact,
        # Later than any other application in the shared table: these come first in the pending list.
        submitted_at=datetime(2099, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes),
    )


def test_an_organisation_number_is_held_by_one_application_until_it_is_rejected(store: Store):
    number = org_number()
    first, second = application(number), application(number, minutes=1)
    commit(store, lambda t: store.applications.add(t, first))
    assert store.applications.holder(number) == first.application_id
    with pytest.raises(ConcurrentChange):
        commit(store, lambda t: store.applications.add(t, second))
    rejected = first.decided(False, "petra.provider", "No", NOW)
    commit(store, lambda t: store.applications.decide(t, rejected))
    assert store.applications.holder(number) is None
    assert store.applications.get(first.application_id).status is ApplicationStatus.REJECTED
    with pytest.raises(ConcurrentChange):  # decided once
        commit(store, lambda t: store.applications.decide(t, first.decided(True, "petra.provider", None, NOW)))
    commit(store, lambda t: store.applications.add(t, second))
    assert store.applications.holder(number) == second.application_id


def test_pending_applications_come_newest_first_and_leave_the_list_once_decided(store: Store):
    older, newer = application(org_number(), minutes=10), application(org_number(), minutes=20)
    commit(store, lambda t: store.applications.add(t, older), lambda t: store.applications.add(t, newer))
    found = [a.application_id for a in store.applications.pending(PageRequest(limit=2)).items]
    assert found == [newer.application_id, older.application_id]
    commit(store, lambda t: store.applications.decide(t, newer.decided(True, "petra.provider", None, NOW)))
    assert store.applications.pending(PageRequest(limit=1)).items[0].application_id == older.application_id
    assert store.applications.holder(newer.org_number) == newer.application_id  # approved: still held


def test_a_signing_link_is_added_once_signed_once_and_names_the_organisations_signatory(store: Store):
    org_id = f"org-{uuid.uuid4().hex[:8]}"
    signatory = Signatory(name="S", email="s@contract.example", phone="+46701234567")
    signing = AgreementSigning(
        key=uuid.uuid4().hex,
        seed=uuid.uuid4().hex,
        org_id=org_id,
        organisation_name="Contract AB",
        signatory=signatory,
        created_at=NOW,
        expires_at=NOW + timedelta(days=30),
    )
    commit(store, lambda t: store.signings.add(t, signing))
    with pytest.raises(ConcurrentChange):
        commit(store, lambda t: store.signings.add(t, signing))
    assert store.signings.signatory_of(org_id) == signatory
    signed = signing.model_copy(update={"signed_at": NOW, "signed_version": 2})
    commit(store, lambda t: store.signings.sign(t, signed))
    with pytest.raises(ConcurrentChange):
        commit(store, lambda t: store.signings.sign(t, signed))
    assert store.signings.get(signing.key).signed_version == 2


def test_an_organisation_is_found_by_its_number_and_records_the_agreement_it_signed(store: Store):
    number = org_number()
    found = Organisation(org_id=f"org-{number}", name="Numbered AB", kind=OrganisationKind.CUSTOMER, org_number=number)
    store.directory.save_organisation(found)
    assert store.directory.organisation_numbered(number) == found
    commit(store, lambda t: store.directory.record_signed_agreement(t, found.org_id, 2))
    assert store.directory.organisation(found.org_id).signed_agreement_version == 2
    with pytest.raises(ConcurrentChange):
        commit(store, lambda t: store.directory.record_signed_agreement(t, "org-nobody", 2))
