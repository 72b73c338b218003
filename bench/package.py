"""The deployment package as the last synth left it (`.chalice/deployments/*.zip`): its size against issue 11's
target, its largest parts, and whether it carries what the Lambda runtime provides (boto3, botocore)."""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

DEPLOYMENTS = Path(__file__).resolve().parent.parent / ".chalice" / "deployments"
TARGET_MB = 10.0
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "aws_xray_sdk")


def measure(deployments: Path = DEPLOYMENTS) -> dict[str, Any] | None:
    """None when no package was built yet (`make synth` builds one)."""
    packages = sorted(deployments.glob("*.zip"), key=lambda path: path.stat().st_mtime)
    if not packages:
        return None
    latest = packages[-1]
    by_package: Counter[str] = Counter()
    with zipfile.ZipFile(latest) as package:
        for entry in package.infolist():
            by_package[entry.filename.split("/", 1)[0]] += entry.compress_size
    return {
        "file": latest.name,
        "mb": latest.stat().st_size / 1e6,
        "target_mb": TARGET_MB,
        "largest_mb": {name: round(size / 1e6, 2) for name, size in by_package.most_common(8)},
        "runtime_provided_present": [name for name in RUNTIME_PROVIDED if name in by_package],
    }


def report(figures: dict[str, Any] | None) -> str:
    if figures is None:
        return "\nDeployment package: none built yet (`make synth` builds .chalice/deployments/*.zip)"
    largest = ", ".join(f"{name} {mb:.1f}" for name, mb in figures["largest_mb"].items())
    present = ", ".join(figures["runtime_provided_present"]) or "none"
    return (
        f"\nDeployment package ({figures['file']}): {figures['mb']:.1f} MB (target <= {figures['target_mb']:g} MB)\n"
        f"  largest parts, MB compressed: {largest}\n"
        f"  boto3 / botocore / s3transfer / aws_xray_sdk in it: {present}"
    )
