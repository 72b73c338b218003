"""An invoice as an EHF Billing 3.0 document: Peppol BIS Billing 3.0, a UBL 2.1 Invoice, built with the standard
library's ElementTree in the order the UBL schema requires. Only written, never parsed here (docs/decisions.md,
2026-12-02)."""

from __future__ import annotations

# Only writes a document, never parses one, so the parser attacks bandit warns of (B405) do not apply.
from xml.etree import ElementTree as etree  # nosec B405

from chalicelib.bookings.invoices import VAT_EXEMPTION_REASON, Invoice
from chalicelib.bookings.model import Party

UBL = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
COMMERCIAL_INVOICE = "380"  # UNCL1001
CREDIT_TRANSFER = "30"  # UNCL4461
ORGANISATION_NUMBER_SCHEME = "0192"  # ICD: the Norwegian Enhetsregisteret
EACH = "EA"  # UN/ECE Recommendation 20: one appointment
# The prefixes UBL documents are written with, the Invoice's own namespace the default (ElementTree keeps them per
# process, by namespace).
etree.register_namespace("", UBL)
etree.register_namespace("cac", CAC)
etree.register_namespace("cbc", CBC)


def _cac(parent: etree.Element, name: str) -> etree.Element:
    return etree.SubElement(parent, f"{{{CAC}}}{name}")


def _cbc(parent: etree.Element, name: str, text: str, **attributes: str) -> etree.Element:
    element = etree.SubElement(parent, f"{{{CBC}}}{name}", attrib=attributes)
    element.text = text
    return element


def _amount(parent: etree.Element, name: str, ore: int, currency: str) -> None:
    _cbc(parent, name, f"{ore // 100}.{ore % 100:02d}", currencyID=currency)


def _party(parent: etree.Element, role: str, party: Party, *, seller: bool) -> None:
    element = _cac(_cac(parent, role), "Party")
    _cbc(element, "EndpointID", party.organisation_number, schemeID=ORGANISATION_NUMBER_SCHEME)
    _cbc(_cac(element, "PartyName"), "Name", party.name)
    address = _cac(element, "PostalAddress")
    _cbc(address, "StreetName", party.address.street)
    _cbc(address, "CityName", party.address.city)
    _cbc(address, "PostalZone", party.address.postcode)
    _cbc(_cac(address, "Country"), "IdentificationCode", party.address.country)
    if party.vat_number:
        tax = _cac(element, "PartyTaxScheme")
        _cbc(tax, "CompanyID", party.vat_number)
        _cbc(_cac(tax, "TaxScheme"), "ID", "VAT")
    if seller and party.address.country == "NO":
        # A Norwegian business says it is in the register of business enterprises (Peppol NO-R-002); for a seller
        # without a VAT number it is also the tax registration an exempt invoice needs (EN 16931 BR-E-02).
        registered = _cac(element, "PartyTaxScheme")
        _cbc(registered, "CompanyID", "Foretaksregisteret")
        _cbc(_cac(registered, "TaxScheme"), "ID", "TAX")
    legal = _cac(element, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", party.name)
    _cbc(legal, "CompanyID", party.organisation_number, schemeID=ORGANISATION_NUMBER_SCHEME)


def ehf_invoice(invoice: Invoice) -> bytes:
    """The invoice as UTF-8 XML, with its declaration."""
    currency = invoice.currency
    root = etree.Element(f"{{{UBL}}}Invoice")
    _cbc(root, "CustomizationID", CUSTOMIZATION)
    _cbc(root, "ProfileID", PROFILE)
    _cbc(root, "ID", invoice.number)
    _cbc(root, "IssueDate", invoice.issued_on.isoformat())
    _cbc(root, "DueDate", invoice.due_on.isoformat())
    _cbc(root, "InvoiceTypeCode", COMMERCIAL_INVOICE)
    _cbc(root, "DocumentCurrencyCode", currency)
    _cbc(root, "BuyerReference", invoice.buyer_reference)
    _party(root, "AccountingSupplierParty", invoice.seller, seller=True)
    _party(root, "AccountingCustomerParty", invoice.buyer, seller=False)
    _cbc(_cac(root, "Delivery"), "ActualDeliveryDate", max(line.appointment_on for line in invoice.lines).isoformat())
    means = _cac(root, "PaymentMeans")
    _cbc(means, "PaymentMeansCode", CREDIT_TRANSFER)
    _cbc(means, "PaymentID", invoice.number)
    _cbc(_cac(means, "PayeeFinancialAccount"), "ID", invoice.seller_bank_account)

    tax_total = _cac(root, "TaxTotal")
    _amount(tax_total, "TaxAmount", invoice.vat_ore, currency)
    for category, percent in sorted({(line.vat_category, line.vat_percent) for line in invoice.lines}):
        lines = [line for line in invoice.lines if (line.vat_category, line.vat_percent) == (category, percent)]
        subtotal = _cac(tax_total, "TaxSubtotal")
        _amount(subtotal, "TaxableAmount", sum(line.amount_ore for line in lines), currency)
        _amount(subtotal, "TaxAmount", sum(line.amount_ore * percent // 100 for line in lines), currency)
        tax_category = _cac(subtotal, "TaxCategory")
        _cbc(tax_category, "ID", category)
        _cbc(tax_category, "Percent", str(percent))
        if category == "E":
            _cbc(tax_category, "TaxExemptionReason", VAT_EXEMPTION_REASON)
        _cbc(_cac(tax_category, "TaxScheme"), "ID", "VAT")

    totals = _cac(root, "LegalMonetaryTotal")
    _amount(totals, "LineExtensionAmount", invoice.net_ore, currency)
    _amount(totals, "TaxExclusiveAmount", invoice.net_ore, currency)
    _amount(totals, "TaxInclusiveAmount", invoice.total_ore, currency)
    _amount(totals, "PayableAmount", invoice.total_ore, currency)

    for number, line in enumerate(invoice.lines, start=1):
        element = _cac(root, "InvoiceLine")
        _cbc(element, "ID", str(number))
        _cbc(element, "InvoicedQuantity", str(line.quantity), unitCode=EACH)
        _amount(element, "LineExtensionAmount", line.amount_ore, currency)
        item = _cac(element, "Item")
        _cbc(item, "Name", line.description)
        classified = _cac(item, "ClassifiedTaxCategory")
        _cbc(classified, "ID", line.vat_category)
        _cbc(classified, "Percent", str(line.vat_percent))
        _cbc(_cac(classified, "TaxScheme"), "ID", "VAT")
        _amount(_cac(element, "Price"), "PriceAmount", line.unit_price_ore, currency)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
