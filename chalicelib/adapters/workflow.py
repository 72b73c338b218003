"""The order workflow in Step Functions: start it (ordering's `Workflow`), hand it a decision (approvals'
`TaskAnswers`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.ordering.ports import ExecutionStatus
from chalicelib.shared.pagination import Page, PageRequest, bad_cursor

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient


class StepFunctionsWorkflow:
    def __init__(self, client: SFNClient, state_machine_arn: str) -> None:
        self._client = client
        self._arn = state_machine_arn

    def _execution_arn(self, name: str) -> str:
        return self._arn.replace(":stateMachine:", ":execution:") + f":{name}"

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
                # Imported here: a submit starts executions and answers none, and approvals' ports are not cheap
                # to import on its cold start (docs/benchmarks.md).
                from chalicelib.approvals.ports import TaskClosed

                raise TaskClosed(error.response["Error"]["Code"]) from error
            raise

    def status(self, name: str) -> ExecutionStatus | None:
        try:
            execution = self._client.describe_execution(executionArn=self._execution_arn(name))
        except ClientError as error:
            if error.response["Error"]["Code"] == "ExecutionDoesNotExist":
                return None
            raise
        return ExecutionStatus(execution["status"])

    def running(self, page: PageRequest) -> Page[str]:
        kwargs: dict[str, Any] = {"stateMachineArn": self._arn, "statusFilter": "RUNNING", "maxResults": page.limit}
        if page.cursor:
            kwargs["nextToken"] = page.cursor
        try:
            response = self._client.list_executions(**kwargs)
        except ClientError as error:
            if page.cursor and error.response["Error"]["Code"] == "InvalidToken":
                raise bad_cursor() from error
            raise
        return Page([execution["name"] for execution in response["executions"]], response.get("nextToken"))

    def stop(self, name: str, cause: str) -> None:
        try:
            self._client.stop_execution(executionArn=self._execution_arn(name), cause=cause)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ExecutionDoesNotExist":
                raise
