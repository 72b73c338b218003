"""`make restore STAGE=... TARGET=<new table> [AT=<ISO time> | BACKUP=<backup ARN>]`: the application table
restored to a new table, with what a restore leaves out put back, then checked.

DynamoDB restores (point in time, or a backup AWS Backup made) always create a new table and carry neither its
time to live, its stream, point-in-time recovery, deletion protection nor its tags; each is set here as the
stack sets it on the table it owns. The stage is then pointed at the new table by `restored_table` in
infra/environments.yaml and `make deploy` (docs/deploy.md, "Restoring the table"), which this script prints.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import boto3

from chalicelib.adapters.dynamo.schema import APPLICATION_TABLE


def is_recovery_point(arn: str) -> bool:
    """AWS Backup's own recovery points (its advanced features for DynamoDB, on by default in new accounts) are
    restored by AWS Backup; a DynamoDB backup ARN (table/<name>/backup/...) by DynamoDB."""
    return arn.split(":")[2:3] == ["backup"]


def restore_recovery_point(backup: Any, recovery_point: str, target: str, role_arn: str) -> None:
    job = backup.start_restore_job(
        RecoveryPointArn=recovery_point,
        IamRoleArn=role_arn,
        ResourceType="DynamoDB",
        Metadata={"targetTableName": target},
    )["RestoreJobId"]
    while True:
        status = backup.describe_restore_job(RestoreJobId=job)
        if status["Status"] == "COMPLETED":
            return
        if status["Status"] in ("ABORTED", "FAILED"):
            raise RuntimeError(f"AWS Backup's restore job {job} {status['Status']}: {status.get('StatusMessage')}")
        time.sleep(10)


def restore(
    client: Any,
    source: str,
    target: str,
    *,
    at: datetime | None = None,
    backup_arn: str | None = None,
    protect: bool = True,
    backup: Any = None,
    role_arn: str | None = None,
) -> dict[str, Any]:
    """Restores `source` (as it was `at`, or from `backup_arn`, or its latest restorable time) into `target`,
    waits for it, and sets what the restore does not carry. Answers the new table's description."""
    if backup_arn and is_recovery_point(backup_arn):
        if backup is None or role_arn is None:
            raise ValueError("an AWS Backup recovery point needs the backup client and the stack's BackupRoleArn")
        restore_recovery_point(backup, backup_arn, target, role_arn)
    elif backup_arn:
        client.restore_table_from_backup(TargetTableName=target, BackupArn=backup_arn)
    elif at is not None:
        client.restore_table_to_point_in_time(SourceTableName=source, TargetTableName=target, RestoreDateTime=at)
    else:
        client.restore_table_to_point_in_time(
            SourceTableName=source, TargetTableName=target, UseLatestRestorableTime=True
        )
    client.get_waiter("table_exists").wait(TableName=target, WaiterConfig={"Delay": 10, "MaxAttempts": 360})
    if APPLICATION_TABLE.ttl_attribute:
        client.update_time_to_live(
            TableName=target,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": APPLICATION_TABLE.ttl_attribute},
        )
    client.update_continuous_backups(
        TableName=target, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    changes: dict[str, Any] = {"DeletionProtectionEnabled": protect}
    if APPLICATION_TABLE.stream_view:
        # The outbox relay reads the table's changes (infra/stacks/outbox.py).
        changes["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": APPLICATION_TABLE.stream_view}
    client.update_table(TableName=target, **changes)
    source_tags = client.list_tags_of_resource(ResourceArn=client.describe_table(TableName=source)["Table"]["TableArn"])
    table: dict[str, Any] = client.describe_table(TableName=target)["Table"]
    if source_tags.get("Tags"):
        client.tag_resource(ResourceArn=table["TableArn"], Tags=source_tags["Tags"])
    return table


def check(client: Any, source: str, target: str) -> list[str]:
    """What differs between the two tables' definitions (keys, indexes, stream, time to live); [] if none."""
    problems = []
    old, new = (client.describe_table(TableName=name)["Table"] for name in (source, target))
    if old["KeySchema"] != new["KeySchema"]:
        problems.append("the key schema differs")
    indexes = sorted(index["IndexName"] for index in old.get("GlobalSecondaryIndexes", []))
    if sorted(index["IndexName"] for index in new.get("GlobalSecondaryIndexes", [])) != indexes:
        problems.append(f"the indexes differ from {indexes}")
    if APPLICATION_TABLE.stream_view and not new.get("StreamSpecification", {}).get("StreamEnabled"):
        problems.append("no stream: the outbox would deliver nothing")
    ttl = client.describe_time_to_live(TableName=target)["TimeToLiveDescription"]
    if APPLICATION_TABLE.ttl_attribute and ttl.get("AttributeName") != APPLICATION_TABLE.ttl_attribute:
        problems.append("no time to live")
    return problems


def main(argv: Sequence[str] | None = None, client: Any = None, backup_client: Any = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--region", required=True)
    parser.add_argument("--source", required=True, help="the stage's table (stack output ApplicationTableName)")
    parser.add_argument("--target", required=True, help="the new table's name; it must not exist")
    moment = parser.add_mutually_exclusive_group()
    moment.add_argument("--at", type=datetime.fromisoformat, help="restore as of this time (ISO 8601, with zone)")
    moment.add_argument("--backup-arn", help="restore this backup (AWS Backup's recovery point of the table)")
    parser.add_argument("--role-arn", help="the stack's BackupRoleArn (for an AWS Backup recovery point)")
    parser.add_argument("--unprotected", action="store_true", help="no deletion protection (a rehearsal)")
    arguments = parser.parse_args(argv)
    client = client or boto3.client("dynamodb", region_name=arguments.region)
    recovery_point = bool(arguments.backup_arn) and is_recovery_point(arguments.backup_arn)
    table = restore(
        client,
        arguments.source,
        arguments.target,
        at=arguments.at,
        backup_arn=arguments.backup_arn,
        protect=not arguments.unprotected,
        backup=backup_client or (boto3.client("backup", region_name=arguments.region) if recovery_point else None),
        role_arn=arguments.role_arn,
    )
    problems = check(client, arguments.source, arguments.target)
    for problem in problems:
        print(f"RESTORE INCOMPLETE: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"{arguments.target} restored: {table['TableArn']}")
    print(f"  stream: {table.get('LatestStreamArn', '(see describe-table)')}")
    print("Point the stage at it: in infra/environments.yaml, under the stage, set")
    print(f"  restored_table: {{name: {arguments.target}, stream_arn: {table.get('LatestStreamArn', '<stream ARN>')}}}")
    print("then `make diff STAGE=...` and `make deploy STAGE=...` (docs/deploy.md, 'Restoring the table').")
    return 0


if __name__ == "__main__":
    sys.exit(main())
