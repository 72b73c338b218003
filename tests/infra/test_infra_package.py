"""The deployment package runs on the functions' declared runtime: every compiled module in the zip is built
for that Python on Linux x86-64, though the package is made on a machine with another Python."""

from __future__ import annotations

import re
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
        for module in ("pydantic_core/_pydantic_core", "_cffi_backend", "cryptography/hazmat/bindings/_rust"):
            assert any(name.startswith(module) for name in extensions), module
        assert "app.py" in names and "chalicelib/bootstrap.py" in names
        assert not any(name.startswith(("tests/", "local/", "infra/")) for name in names)
