"""EHF invoices in S3, where the access point that sends them to the insurers takes them from."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class S3InvoiceDocuments:
    """Implements bookings' `InvoiceDocuments`. The bucket is the stage's; its encryption and retention are
    infra's."""

    def __init__(self, client: Callable[[], S3Client], bucket: str) -> None:
        self._make_client = client
        self._bucket = bucket

    @cached_property
    def _client(self) -> S3Client:
        return self._make_client()

    def store(self, key: str, document: bytes) -> None:
        if not self._bucket:
            raise LookupError("no invoice bucket is configured (INVOICE_BUCKET)")
        self._client.put_object(Bucket=self._bucket, Key=key, Body=document, ContentType="application/xml")
