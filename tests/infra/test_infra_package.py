"""The deployment package runs on the functions' declared runtime: every compiled module in the zip is built
for that Python on Linux x86-64, though the package is made on a machine with another Python."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from infra.stacks.assembly import LAMBDA_RUNTIME

from .conftest import Synthesized

pytestmark = pytest.mark.infra

EXTENSION = re.compile(r"\.(?P<tag>cpython-(?P<version>\d+)-(?P<platform>[a-z0-9_]+-linux-gnu)|abi3)\.so$")


def deployment_zip(stage: Synthesized) -> Path:
    return Path(stage.stack.chalice._sam_package_dir) / "deployment.zip"


def test_every_function_runs_on_a_supported_python_of_amazon_linux_2023(stage: Synthesized) -> None:
    assert LAMBDA_RUNTIME in {"python3.12", "python3.13", "python3.14"}
    for logical_id, function in stage.deployed("AWS::Lambda::Function").items():
        assert function["Properties"]["Runtime"] == LAMBDA_RUNTIME, logical_id


def test_the_packages_compiled_modules_are_built_for_the_declared_runtime(stage: Synthesized) -> None:
    version = LAMBDA_RUNTIME.removeprefix("python").replace(".", "")
    with zipfile.ZipFile(deployment_zip(stage)) as package:
        names = package.namelist()
        extensions = [name for name in names if name.endswith(".so")]
        assert extensions, "the package has no compiled module: its dependencies are missing"
        for name in extensions:
            match = EXTENSION.search(name)
            assert match, f"{name}: not a CPython extension module for Linux"
            if match["tag"] != "abi3":
                assert match["version"] == version, f"{name} is built for another Python"
                assert match["platform"] == "x86_64-linux-gnu", name
            header = package.read(name)[:20]
            assert header[:4] == b"\x7fELF" and header[18] == 0x3E, f"{name} is not an x86-64 ELF"
        # The dependencies that have compiled parts are all there.
        for module in ("pydantic_core/_pydantic_core", "markupsafe/_speedups"):
            assert any(name.startswith(module) for name in extensions), module
        assert "app.py" in names and "chalicelib/bootstrap.py" in names
        assert not any(name.startswith(("tests/", "local/", "infra/")) for name in names)


# Issue 11's target for the whole package, every capability in it.
PACKAGE_TARGET_BYTES = 10 * 1000 * 1000
# What the app does with the pruned data, run on the package's own copy of Babel and phonenumbers.
PRUNED_DATA_IN_USE = """
import sys
sys.path.insert(0, sys.argv[1])
import babel, phonenumbers
assert babel.__file__.startswith(sys.argv[1]) and phonenumbers.__file__.startswith(sys.argv[1])
from datetime import date
from babel.core import Locale
from babel.dates import format_date
from babel.numbers import format_currency
for name in ("sv_SE", "en_GB", "nb_NO"):
    locale = Locale.parse(name)
    print(format_currency(15000, "SEK", locale=locale), format_date(date(2026, 12, 1), locale=locale))
number = phonenumbers.parse("070-123 45 67", "SE")
e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
print(e164, phonenumbers.is_valid_number(number))
from stdnum.no import fodselsnummer, mva, orgnr
from stdnum.se import orgnr as se_orgnr
checks = (se_orgnr.is_valid("556123-4567"), orgnr.is_valid("988077917"), mva.is_valid("NO 988077917 MVA"))
print("numbers", *checks, fodselsnummer.is_valid("15108695088"))
import jwt, rsa
assert jwt.__file__.startswith(sys.argv[1]) and rsa.__file__.startswith(sys.argv[1])
public, private = rsa.newkeys(1024)
print("rsa", rsa.verify(b"token", rsa.sign(b"token", private, "SHA-256"), public))
"""


def test_the_package_leaves_out_what_the_runtime_provides_and_the_xray_sdk(stage: Synthesized) -> None:
    """boto3, botocore and s3transfer come with the Lambda runtime; the X-Ray SDK is replaced by the
    functions' active tracing (chalicelib/observability.py); invoices are written with ElementTree and token
    signatures checked with python-rsa, so neither lxml nor cryptography is shipped (docs/decisions.md)."""
    with zipfile.ZipFile(deployment_zip(stage)) as package:
        top_level = {name.split("/", 1)[0] for name in package.namelist()}
    for absent in ("boto3", "botocore", "s3transfer", "aws_xray_sdk", "lxml", "cryptography"):
        assert absent not in top_level, absent
    assert "aws_lambda_powertools" in top_level


def test_the_package_keeps_the_locale_and_phone_data_the_app_uses(stage: Synthesized, tmp_path: Path) -> None:
    """Babel's data of the app's three languages, phonenumbers' metadata and the number checks of
    python-stdnum that the app uses survive the pruning, and python-rsa comes with what it needs."""
    with zipfile.ZipFile(deployment_zip(stage)) as package:
        for name in package.namelist():
            if name.startswith(("babel/", "phonenumbers/", "stdnum/", "jwt/", "rsa/", "pyasn1/")):
                package.extract(name, tmp_path)
        assert not any(name.startswith("phonenumbers/geodata/") for name in package.namelist())
        assert "babel/locale-data/de.dat" not in package.namelist()
    run = subprocess.run(  # noqa: S603 - this interpreter over a fixed script
        [sys.executable, "-I", "-c", PRUNED_DATA_IN_USE, str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    printed = run.stdout.replace("\xa0", " ").replace("\u202f", " ")
    assert "15 000,00 kr 1 dec. 2026" in printed and "SEK15,000.00 1 Dec 2026" in printed  # sv_SE, en_GB
    assert "15 000,00 SEK 1. des. 2026" in printed and "+46701234567 True" in printed  # nb_NO, phonenumbers
    assert "numbers True True True True" in printed  # python-stdnum without its data files
    assert "rsa SHA-256" in printed  # the token signatures' check, with what it needs


def test_the_package_size(stage: Synthesized) -> None:
    size = deployment_zip(stage).stat().st_size
    print(f"deployment package: {size / 1e6:.1f} MB (target <= {PACKAGE_TARGET_BYTES / 1e6:.0f} MB)")
    assert size <= PACKAGE_TARGET_BYTES, f"{size / 1e6:.1f} MB"
