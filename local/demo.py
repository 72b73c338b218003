"""Demo organisations, people and catalogue for the local product and the tests."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from chalicelib.directory.ports import Directory, Organisation, OrganisationKind, SavedInvoiceDetails
from chalicelib.onboarding.commands import ApplyForCustomer
from chalicelib.onboarding.model import AgreementSigning, Signatory
from chalicelib.onboarding.ports import AgreementSignings
from chalicelib.onboarding.services import OnboardingService
from chalicelib.ordering.model import Catalogue
from chalicelib.ordering.ports import Catalogues
from chalicelib.requisitioners.model import Orderer, RequisitionerEntry
from chalicelib.requisitioners.ports import Orderers
from chalicelib.shared.identity import Person, Role
from chalicelib.shared.languages import Language
from chalicelib.shared.transactions import ConcurrentChange, Transactions

CATALOGUE_FILE = Path(__file__).resolve().parent.parent / "data" / "catalogue.json"
PASSWORD = "Demo-pass-2026"


@dataclass(frozen=True)
class DemoPerson:
    user_id: str
    name: str
    org_id: str
    roles: tuple[Role, ...]
    phone: str
    language: Language = Language.SV  # what their mail is written in

    @property
    def email(self) -> str:
        return f"{self.user_id}@{self.org_id}.example"

    def as_person(self) -> Person:
        return Person(
            user_id=self.user_id,
            org_id=self.org_id,
            name=self.name,
            email=self.email,
            phone=self.phone,
            roles=list(self.roles),
            language=self.language,
        )


ORGANISATIONS = (
    Organisation(org_id="provider", name="Provider AB", kind=OrganisationKind.PROVIDER),
    Organisation(
        org_id="region-norrby",
        name="Region Norrby",
        kind=OrganisationKind.CUSTOMER,
        org_number="2321000164",
        signed_agreement_version=2,
        invoice_details=[
            SavedInvoiceDetails(
                invoice_id="inv-main", address="Region Norrby, Box 100, 901 00 Norrby", reference="RN-IT-4711"
            )
        ],
    ),
    # Signed under the older agreement model: may order nothing until it signs the current one (R-ONB-1).
    Organisation(
        org_id="clinic-old",
        name="Gamla Kliniken",
        kind=OrganisationKind.CUSTOMER,
        org_number="5566778899",
        signed_agreement_version=1,
    ),
    Organisation(
        org_id="agent-cgm",
        name="CGM",
        kind=OrganisationKind.AGENT,
        serves_customers=["region-norrby", "clinic-old"],
        invoice_details=[
            SavedInvoiceDetails(
                invoice_id="inv-cgm", address="CGM Sverige AB, Fakturor, Box 6, 111 11 Stockholm", reference="CGM-4100"
            )
        ],
    ),
    Organisation(org_id="agent-evry", name="Evry", kind=OrganisationKind.AGENT, serves_customers=[]),
    # A requisitioner orders through its orderers (DOMAIN.md Flow 3); its own account attests their orders.
    Organisation(
        org_id="req-fjallby",
        name="Fjällby Rekvisition",
        kind=OrganisationKind.REQUISITIONER,
        signed_agreement_version=2,
    ),
    # Practices receiving insurance bookings (DOMAIN.md Flow 4, seed 004); their practitioners are those of
    # local/practice.py, by the same user id.
    Organisation(org_id="fysio", name="Fysio Pia AS", kind=OrganisationKind.PRACTICE),
    Organisation(org_id="terapi", name="Terapi Ola AS", kind=OrganisationKind.PRACTICE),
)

PEOPLE = (
    DemoPerson("olivia.orderer", "Olivia Orderer", "region-norrby", (Role.ORDERER,), "+46701000001"),
    DemoPerson("adam.attester", "Adam Attester", "region-norrby", (Role.ATTESTER,), "+46701000002"),
    DemoPerson(
        "ada.admin",
        "Ada Administrator",
        "region-norrby",
        (Role.ADMINISTRATOR, Role.ORDERER, Role.ATTESTER),
        "+46701000003",
    ),
    DemoPerson("oskar.orderer", "Oskar Orderer", "clinic-old", (Role.ORDERER,), "+46701000004"),
    # Gamla Kliniken's administrator: its agreement is of an older model, so it has the signatory sign anew.
    DemoPerson("greta.admin", "Greta Administrator", "clinic-old", (Role.ADMINISTRATOR,), "+46701000006"),
    DemoPerson("otto.attester", "Otto Attester", "clinic-old", (Role.ATTESTER,), "+46701000005"),
    DemoPerson("hanna.handler", "Hanna Handler", "agent-cgm", (Role.AGENT_CASE_HANDLER,), "+46701000011"),
    # Reads his mail in English: each person is written to in their own language.
    DemoPerson("hugo.handler", "Hugo Handler", "agent-cgm", (Role.AGENT_CASE_HANDLER,), "+46701000012", Language.EN),
    DemoPerson("alva.attester", "Alva Attester", "agent-cgm", (Role.ATTESTER,), "+46701000013"),
    DemoPerson("erik.handler", "Erik Handler", "agent-evry", (Role.AGENT_CASE_HANDLER,), "+46701000021"),
    DemoPerson("kim.service", "Kim Customer Service", "provider", (Role.CUSTOMER_SERVICE,), "+46701000031"),
    DemoPerson("olle.operations", "Olle Operations", "provider", (Role.OPERATIONS,), "+46701000041"),
    # The provider's administrator decides customer applications (DOMAIN.md Flow 1 step 2).
    DemoPerson("petra.provider", "Petra Provider", "provider", (Role.ADMINISTRATOR,), "+46701000071"),
    DemoPerson(
        "rita.requisitioner", "Rita Requisitioner", "req-fjallby", (Role.REQUISITIONER, Role.ATTESTER), "+46701000051"
    ),
    DemoPerson("oda.orderer", "Oda Orderer", "req-fjallby", (Role.ORDERER,), "+46701000052"),
    # Registered himself: his orders wait before their case until Rita approves him (R-REQ-3).
    DemoPerson("ulf.unapproved", "Ulf Unapproved", "req-fjallby", (Role.ORDERER,), "+46701000053"),
    # The practitioners: each sees only their own calendar and clients (R-BKG-5).
    DemoPerson("pia.practitioner", "Pia Practitioner", "fysio", (Role.PRACTITIONER,), "+4791000001", Language.NB),
    DemoPerson("ola.practitioner", "Ola Practitioner", "terapi", (Role.PRACTITIONER,), "+4791000002", Language.NB),
)

# Gamla Kliniken's signatory, to whom its administrator sends the current agreement to sign (R-ONB-1).
OLD_MODEL_SIGNATORY = Signatory(
    name="Sigrid Signatory", email="sigrid.signatory@clinic-old.example", phone="+46701000007"
)

# A customer application waiting for the provider's decision (DOMAIN.md Flow 1 step 1).
OPEN_APPLICATION = ApplyForCustomer.model_validate(
    {
        "organisation_name": "Vårdcentralen Solgläntan AB",
        "org_number": "556123-4567",
        "administrator": {"name": "Alice Solgläntan", "email": "alice@solglantan.example"},
        "signatory": {"name": "Sven Solgläntan", "email": "sven@solglantan.example", "phone": "070-100 00 61"},
        "agreement_contact": {"name": "Karin Solgläntan", "email": "karin@solglantan.example"},
    }
)


# The requisitioner's orderers: Oda created by Rita, Ulf registered himself and is not approved yet.
SEEDED_AT = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
ORDERERS = (
    Orderer(
        user_id="oda.orderer",
        requisitioner_org_id="req-fjallby",
        approved=True,
        self_registered=False,
        created_at=SEEDED_AT,
        approved_at=SEEDED_AT,
        approved_by="rita.requisitioner",
    ),
    Orderer(
        user_id="ulf.unapproved",
        requisitioner_org_id="req-fjallby",
        approved=False,
        self_registered=True,
        created_at=SEEDED_AT,
    ),
)


def catalogue(path: Path = CATALOGUE_FILE) -> Catalogue:
    return Catalogue.model_validate_json(path.read_text())


def seed_directory(directory: Directory, catalogues: Catalogues) -> None:
    """The catalogue and every demo organisation and person, without their sign-in."""
    catalogues.replace(catalogue())
    for organisation in ORGANISATIONS:
        directory.save_organisation(organisation)
    for person in PEOPLE:
        directory.save_person(person.as_person())


def seed_onboarding(
    onboarding: OnboardingService, signings: AgreementSignings, transactions: Transactions, now: datetime
) -> None:
    """The open application, and the signatories."""
    onboarding.apply(OPEN_APPLICATION, "demo-open-application", "demo")
    seed_signatories(signings, transactions, now)


def seed_signatories(signings: AgreementSignings, transactions: Transactions, now: datetime) -> None:
    """The signatory of the organisation on the older agreement model, as if its first agreement had been
    signed through the portal."""
    transaction = transactions.begin()
    signings.add(
        transaction,
        AgreementSigning(
            key="demo-signed-under-the-older-model",
            seed="0" * 32,
            org_id="clinic-old",
            organisation_name="Gamla Kliniken",
            signatory=OLD_MODEL_SIGNATORY,
            created_at=now,
            expires_at=now,
            signed_at=now,
            signed_version=1,
        ),
    )
    with suppress(ConcurrentChange):  # seeded before
        transaction.commit()


def seed_orderers(orderers: Orderers, transactions: Transactions) -> None:
    """The requisitioner on the self-registration form and its orderers (their addresses are in the directory's
    registry, written with the people)."""
    for organisation in ORGANISATIONS:
        if organisation.kind is OrganisationKind.REQUISITIONER:
            orderers.add_requisitioner(RequisitionerEntry(org_id=organisation.org_id, name=organisation.name))
    for orderer in ORDERERS:
        if orderers.get(orderer.user_id) is None:
            transaction = transactions.begin()
            orderers.add(transaction, orderer)
            transaction.commit()


def seed(directory: Directory, catalogues: Catalogues, cognito: object, user_pool_id: str) -> None:
    """Writes the directory and the catalogue, and creates every demo person in the user pool."""
    seed_directory(directory, catalogues)
    for person in PEOPLE:
        add_sign_in(cognito, user_pool_id, person)


def add_sign_in(cognito: object, user_pool_id: str, person: DemoPerson) -> None:
    client = cognito  # a boto3 cognito-idp client
    client.admin_create_user(  # type: ignore[attr-defined]
        UserPoolId=user_pool_id,
        Username=person.user_id,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": person.email},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "custom:org_id", "Value": person.org_id},
        ],
    )
    client.admin_set_user_password(  # type: ignore[attr-defined]
        UserPoolId=user_pool_id, Username=person.user_id, Password=PASSWORD, Permanent=True
    )
    for role in person.roles:
        client.admin_add_user_to_group(  # type: ignore[attr-defined]
            UserPoolId=user_pool_id, Username=person.user_id, GroupName=role.value
        )
