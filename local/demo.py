"""Demo organisations, people and catalogue for the local product and the tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chalicelib.adapters.table import Table
from chalicelib.domain.model import Catalogue, Organisation, OrganisationKind, Role, SavedInvoiceDetails, User

CATALOGUE_FILE = Path(__file__).resolve().parent.parent / "data" / "catalogue.json"
PASSWORD = "Demo-pass-2026"


@dataclass(frozen=True)
class DemoPerson:
    user_id: str
    name: str
    org_id: str
    roles: tuple[Role, ...]
    phone: str

    @property
    def email(self) -> str:
        return f"{self.user_id}@{self.org_id}.example"


ORGANISATIONS = (
    Organisation(org_id="provider", name="Provider AB", kind=OrganisationKind.PROVIDER),
    Organisation(
        org_id="region-norrby",
        name="Region Norrby",
        kind=OrganisationKind.CUSTOMER,
        signed_agreement_version=2,
        invoice_details=[
            SavedInvoiceDetails(
                invoice_id="inv-main", address="Region Norrby, Box 100, 901 00 Norrby", reference="RN-IT-4711"
            )
        ],
    ),
    # Signed under the older agreement model: may order nothing until it signs the current one (R-ONB-1).
    Organisation(
        org_id="clinic-old", name="Gamla Kliniken", kind=OrganisationKind.CUSTOMER, signed_agreement_version=1
    ),
    Organisation(
        org_id="agent-cgm", name="CGM", kind=OrganisationKind.AGENT, serves_customers=["region-norrby", "clinic-old"]
    ),
    Organisation(org_id="agent-evry", name="Evry", kind=OrganisationKind.AGENT, serves_customers=[]),
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
    DemoPerson("otto.attester", "Otto Attester", "clinic-old", (Role.ATTESTER,), "+46701000005"),
    DemoPerson("hanna.handler", "Hanna Handler", "agent-cgm", (Role.AGENT_CASE_HANDLER,), "+46701000011"),
    DemoPerson("hugo.handler", "Hugo Handler", "agent-cgm", (Role.AGENT_CASE_HANDLER,), "+46701000012"),
    DemoPerson("alva.attester", "Alva Attester", "agent-cgm", (Role.ATTESTER,), "+46701000013"),
    DemoPerson("erik.handler", "Erik Handler", "agent-evry", (Role.AGENT_CASE_HANDLER,), "+46701000021"),
    DemoPerson("kim.service", "Kim Customer Service", "provider", (Role.CUSTOMER_SERVICE,), "+46701000031"),
)


def load_catalogue(table: Table, path: Path = CATALOGUE_FILE) -> Catalogue:
    catalogue = Catalogue.model_validate_json(path.read_text())
    table.put_catalogue(catalogue)
    return catalogue


def seed(table: Table, cognito: object, user_pool_id: str) -> None:
    """Writes the directory and the catalogue, and creates every demo person in the user pool."""
    load_catalogue(table)
    for organisation in ORGANISATIONS:
        table.put_organisation(organisation)
    for person in PEOPLE:
        add_person(table, cognito, user_pool_id, person)


def add_person(table: Table, cognito: object, user_pool_id: str, person: DemoPerson) -> None:
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
    table.put_user(
        User(
            user_id=person.user_id,
            org_id=person.org_id,
            name=person.name,
            email=person.email,
            phone=person.phone,
            roles=list(person.roles),
        )
    )
