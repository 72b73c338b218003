"""The functions' deployment package for the Lambda runtime, built from a development machine of another
Python.

`chalice package` downloads wheels for the Python that runs it and could not find Lambda wheels of
pydantic-core and cffi for 3.12 from 3.11 (docs/decisions.md, 2026-12-01). So the dependencies are installed
here by pip for the runtime's platform and ABI, into the project's `vendor/` layout, and Chalice packages the
application with them and an empty requirements file: the same zip Chalice would make, with the right wheels
in it.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

# Amazon Linux 2023 has glibc 2.34; manylinux2014 (glibc 2.17) wheels run on it, and every dependency has
# them.
LAMBDA_PLATFORM = "manylinux2014_x86_64"
# What Chalice packages from the project (it adds nothing else but vendor/ and requirements.txt).
APPLICATION = ("app.py", "chalicelib", ".chalice/config.json")
# What the Lambda Python runtime already provides: a copy in the package would only add megabytes (botocore
# alone is 16 MB) and a cold start's worth of unzipping. Removed even when a dependency pulls them in.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")
# Data of dependencies the app never reads: Babel's locale data beyond the app's languages (sv_SE, en_GB,
# nb_NO, chalicelib/shared/i18n.py) and the parents Babel reads them through (en_GB -> en_001 -> en -> root,
# nb_NO -> nb -> no -> root); phonenumbers' geocoder, carrier and time zone data (the app parses and formats
# numbers only); icalendar's own test suite; python-stdnum's data files, which only formats the app does not
# check read (it checks Swedish and Norwegian numbers by their check digits). About 14 MB of the zip together.
BABEL_LOCALES = frozenset({"root", "en", "en_001", "en_GB", "sv", "sv_SE", "nb", "nb_NO", "no"})
UNUSED_DATA = ("phonenumbers/geodata", "phonenumbers/carrierdata", "phonenumbers/tzdata", "icalendar/tests")
# Part of the cache key: a change to how the vendored tree is pruned makes a new one.
LAYOUT = "runtime-provided-removed, unused-data-removed, icalendar-tests-and-stdnum-data-removed"


def python_version(runtime: str) -> str:
    """`python3.12` -> `3.12`."""
    return runtime.removeprefix("python")


def vendored_dependencies(project_root: Path, runtime: str) -> Path:
    """The runtime dependencies of requirements.txt installed for Lambda, cached by the file's content."""
    requirements = project_root / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes() + runtime.encode() + LAYOUT.encode()).hexdigest()[:16]
    cache = project_root / ".chalice" / "deployments" / f"vendor-{runtime}-{digest}"
    if cache.is_dir():
        return cache
    partial = cache.with_name(cache.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    subprocess.run(  # noqa: S603 - a fixed pip command line over the project's own requirements file
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "--target",
            str(partial),
            "--platform",
            LAMBDA_PLATFORM,
            "--python-version",
            python_version(runtime),
            "--implementation",
            "cp",
            "--only-binary=:all:",
            "--requirement",
            str(requirements),
        ],
        check=True,
    )
    # pip's console scripts and caches are no use on Lambda.
    shutil.rmtree(partial / "bin", ignore_errors=True)
    remove_runtime_provided(partial)
    remove_unused_data(partial)
    partial.rename(cache)
    return cache


def remove_runtime_provided(vendor: Path) -> None:
    """boto3, botocore and s3transfer out of an installed tree, with their metadata (RUNTIME_PROVIDED)."""
    for name in RUNTIME_PROVIDED:
        shutil.rmtree(vendor / name, ignore_errors=True)
        for metadata in vendor.glob(f"{name}-*.dist-info"):
            shutil.rmtree(metadata, ignore_errors=True)


def remove_unused_data(vendor: Path) -> None:
    """Locale and phone number data the app never reads out of an installed tree (BABEL_LOCALES,
    UNUSED_DATA)."""
    for data in (vendor / "babel" / "locale-data").glob("*.dat"):
        if data.stem not in BABEL_LOCALES:
            data.unlink()
    for name in UNUSED_DATA:
        shutil.rmtree(vendor / name, ignore_errors=True)
    for data in (vendor / "stdnum").rglob("*.dat"):
        data.unlink()


def stage_source(project_root: Path, build_dir: Path, runtime: str) -> Path:
    """A copy of the application for `chalice package`: its code, the vendored dependencies, no
    requirements."""
    source = build_dir / "source"
    shutil.rmtree(source, ignore_errors=True)
    source.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in APPLICATION:
        origin = project_root / name
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, target, ignore=ignore)
        else:
            shutil.copy2(origin, target)
    shutil.copytree(vendored_dependencies(project_root, runtime), source / "vendor", ignore=ignore)
    (source / "requirements.txt").write_text(
        "# The dependencies are in vendor/, installed for the Lambda runtime (infra/stacks/package.py).\n",
        encoding="utf-8",
    )
    # Chalice keeps its built packages here; reusing the project's cache makes a second synth quick.
    deployments = project_root / ".chalice" / "deployments"
    deployments.mkdir(parents=True, exist_ok=True)
    (source / ".chalice" / "deployments").symlink_to(deployments, target_is_directory=True)
    return source
