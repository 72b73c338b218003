"""The order workflow in Step Functions: start it (ordering's `Workflow`), hand it a decision (approvals'
`TaskAnswers`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.approvals.ports import TaskClosed

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient


class StepFunctionsWorkflow:
    def __init__(self, client: SFNClient, state_machine_arn: str) -> None:
        self._client = client
        self._arn = state_machine_arn

    def start(self, name: str, execution_input: dict[str, Any]) -> None:
        """Starts the execution named `name`, so a second start starts nothing."""
        try:
            self._client.start_execution(
                stateMachineArn=self._arn, name=name, input=json.dumps(execution_input, sort_keys=True)
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ExecutionAlreadyExists":
                raise

    def answer(self, task_token: str, output: dict[str, Any]) -> None:
        try:
            self._client.send_task_success(taskToken=task_token, output=json.dumps(output))
        except ClientError as error:
            if error.response["Error"]["Code"] in ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist"):
                raise TaskClosed(error.response["Error"]["Code"]) from error
            raise
