"""The restore rehearsed on the embedded AWS as far as moto goes: the stage's table, with an order in it,
restored to a new table from point-in-time recovery and from a backup, its stream, time to live and recovery put
back, and every item there."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from chalicelib.adapters.dynamo.schema import APPLICATION_TABLE
from local.people import direct_order, placed
from scripts import restore_table


def items(client: Any, table: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        found += page["Items"]
    return sorted(found, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


def settled(client: Any, table: str) -> list[dict[str, Any]]:
    """The table's items once nothing writes to it any more: the order's last mails and the outbox's bookkeeping
    are written a moment after its execution ends."""
    seen = items(client, table)
    for _ in range(100):
        time.sleep(0.2)
        now = items(client, table)
        if now == seen:
            return now
        seen = now
    raise AssertionError(f"{table} kept changing")


@pytest.fixture
def target(aws: Any) -> Any:
    name = f"service-orders-local-restored-{uuid.uuid4().hex[:8]}"
    yield name
    client = aws.client("dynamodb")
    client.update_table(TableName=name, DeletionProtectionEnabled=False)
    client.delete_table(TableName=name)


def test_point_in_time_restore_makes_a_new_table_the_stage_can_run_on(person, aws, target, capsys):
    order_id, _ = placed(person("olivia.orderer").submit(direct_order()))
    aws.execution(order_id)
    client, source = aws.client("dynamodb"), aws.environment["TABLE_NAME"]
    before = settled(client, source)

    arguments = ["--region", "eu-north-1", "--source", source, "--target", target]
    assert restore_table.main(arguments, client) == 0

    assert items(client, target) == before
    assert any(item["pk"]["S"].endswith(order_id) for item in items(client, target))
    assert restore_table.check(client, source, target) == []
    restored = client.describe_table(TableName=target)["Table"]
    assert restored["StreamSpecification"]["StreamViewType"] == APPLICATION_TABLE.stream_view
    assert restored["DeletionProtectionEnabled"] is True
    recovery = client.describe_continuous_backups(TableName=target)["ContinuousBackupsDescription"]
    assert recovery["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    assert f"restored_table: {{name: {target}" in capsys.readouterr().out


def test_a_backup_is_restored_to_a_new_table_too(aws, target):
    client, source = aws.client("dynamodb"), aws.environment["TABLE_NAME"]
    before = settled(client, source)
    backup = client.create_backup(TableName=source, BackupName="rehearsal")["BackupDetails"]["BackupArn"]

    restore_table.restore(client, source, target, backup_arn=backup)

    assert items(client, target) == before
    assert restore_table.check(client, source, target) == []
    client.delete_backup(BackupArn=backup)


class RecordingBackup:
    """AWS Backup's client as far as a restore uses it (moto has no restore jobs): the job completes at once."""

    def __init__(self, dynamodb: Any, source: str) -> None:
        self.dynamodb, self.source = dynamodb, source
        self.jobs: list[dict[str, Any]] = []

    def start_restore_job(self, **job: Any) -> dict[str, str]:
        self.jobs.append(job)
        # What AWS Backup does: a new table from the recovery point, here a copy of the source.
        self.dynamodb.restore_table_to_point_in_time(
            SourceTableName=self.source,
            TargetTableName=job["Metadata"]["targetTableName"],
            UseLatestRestorableTime=True,
        )
        return {"RestoreJobId": "job-1"}

    def describe_restore_job(self, RestoreJobId: str) -> dict[str, str]:
        return {"Status": "COMPLETED"}


def test_an_aws_backup_recovery_point_is_restored_by_aws_backup_with_the_stacks_role(aws, target):
    client, source = aws.client("dynamodb"), aws.environment["TABLE_NAME"]
    backup = RecordingBackup(client, source)
    point = "arn:aws:backup:eu-north-1:123456789012:recovery-point:0a1b2c3d-0000-4000-8000-000000000000"
    role = "arn:aws:iam::123456789012:role/service-orders-prod-backup"
    arguments = ["--region", "eu-north-1", "--source", source, "--target", target, "--backup-arn", point]

    assert restore_table.main([*arguments, "--role-arn", role], client, backup) == 0

    [job] = backup.jobs
    assert job == {
        "RecoveryPointArn": point,
        "IamRoleArn": role,
        "ResourceType": "DynamoDB",
        "Metadata": {"targetTableName": target},
    }
    assert restore_table.check(client, source, target) == []
