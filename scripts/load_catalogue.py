"""Loads data/catalogue.json into a deployed environment's table (`make load-catalogue STAGE=...`).

Only a higher `version` replaces what is stored, so running it twice, or with an older file, changes nothing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import boto3

from chalicelib.adapters.dynamo.ordering import DynamoCatalogues
from chalicelib.adapters.dynamo.table import DynamoTable
from chalicelib.ordering.model import Catalogue

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "data" / "catalogue.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--table", required=True, help="the application table's name")
    parser.add_argument("--region", required=True)
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    arguments = parser.parse_args()
    catalogue = Catalogue.model_validate_json(arguments.file.read_text())
    catalogues = DynamoCatalogues(DynamoTable(boto3.client("dynamodb", region_name=arguments.region), arguments.table))
    if catalogues.replace(catalogue):
        print(f"Catalogue version {catalogue.version} loaded into {arguments.table}.")
    else:
        print(f"{arguments.table} already holds catalogue version {catalogue.version} or newer; nothing changed.")


if __name__ == "__main__":
    main()
