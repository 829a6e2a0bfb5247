"""Smoke test of a deployed stage: a signed POST /orders, one auction run awaited, and the
order's outcome read back with a signed GET /orders/{record_id}.

Run by the delivery pipeline after staging deploys, with the stage's outputs:
`ORDERS_URL`, `STATE_MACHINE_ARN`, and `SMOKE_TEST_ROLE_ARN` (assumed when set, for a
stage in another account), in `STAGE_REGION`; `RUN_TIMEOUT_SECONDS` and `POLL_SECONDS`
bound the wait for the run. Exit status 0 when the stage works.

A run that gives up with `AuctionResultsNotReady` passes: the simulated platform
chose never to be ready, and the workflow did what it should (the order stays open).
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from typing import Any
from urllib.parse import quote

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

ACCEPTED_RUN_ERRORS = {"AuctionResultsNotReady"}


def signed_post(session: boto3.Session, url: str, body: bytes) -> tuple[int, dict[str, Any]]:
    """POST `body` to `url`, signed with SigV4 for execute-api; (status, JSON answer)."""
    return signed_request(session, "POST", url, body)


def signed_get(session: boto3.Session, url: str) -> tuple[int, dict[str, Any]]:
    return signed_request(session, "GET", url, None)


def signed_request(
    session: boto3.Session, method: str, url: str, body: bytes | None
) -> tuple[int, dict[str, Any]]:
    """`method` `url`, signed with SigV4 for execute-api; (status, JSON answer)."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    SigV4Auth(session.get_credentials(), "execute-api", session.region_name).add_auth(request)
    prepared = urllib.request.Request(  # noqa: S310  (the stage's own API URL)
        url, data=body, headers=dict(request.headers), method=method
    )
    try:
        with urllib.request.urlopen(prepared, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def await_run(
    session: boto3.Session, state_machine_arn: str, timeout_seconds: float, poll_seconds: float
) -> dict:
    client = session.client("stepfunctions")
    execution = client.start_execution(
        stateMachineArn=state_machine_arn,
        name=f"smoke-{uuid.uuid4()}",
        input=json.dumps({"trigger": "smoke-test"}),
    )["executionArn"]
    deadline = time.monotonic() + timeout_seconds
    while (run := client.describe_execution(executionArn=execution))["status"] == "RUNNING":
        if time.monotonic() > deadline:
            raise TimeoutError(f"{execution} still running after {timeout_seconds} s")
        time.sleep(poll_seconds)
    return run


def session_for(
    role_arn: str | None, *, region: str | None = None, session_name: str = "auction-smoke-test"
) -> boto3.Session:
    """A session in the stage's region (not the build's), as `role_arn` when given."""
    session = boto3.Session(region_name=region)
    if not role_arn:
        return session
    credentials = session.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name)[
        "Credentials"
    ]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=session.region_name,
    )


def smoke_test(environ: dict[str, str]) -> list[str]:
    """Every failure found; empty when the stage works."""
    session = session_for(environ.get("SMOKE_TEST_ROLE_ARN"), region=environ.get("STAGE_REGION"))
    record_id = f"smoke-{uuid.uuid4()}"
    batch = [{"record_id": record_id, "parameter_1": "smoke", "parameter_2": 1}]
    status, answer = signed_post(session, environ["ORDERS_URL"], json.dumps(batch).encode())
    failures = (
        [] if status == 201 and answer.get("stored") == 1 else [f"POST /orders: {status} {answer}"]
    )
    print(f"POST /orders -> {status} {answer}")
    run = await_run(
        session,
        environ["STATE_MACHINE_ARN"],
        timeout_seconds=float(environ.get("RUN_TIMEOUT_SECONDS", 3600)),
        poll_seconds=float(environ.get("POLL_SECONDS", 5)),
    )
    print(f"auction run -> {run['status']} {run.get('error') or ''}")
    if run["status"] != "SUCCEEDED" and run.get("error") not in ACCEPTED_RUN_ERRORS:
        failures.append(f"auction run: {run['status']} {run.get('error')}: {run.get('cause')}")
    expected = {"accepted", "rejected"} if run["status"] == "SUCCEEDED" else {"open"}
    status, order = signed_get(session, f"{environ['ORDERS_URL']}/{quote(record_id, safe='')}")
    print(f"GET /orders/{record_id} -> {status} {order.get('status')}")
    if status != 200 or order.get("status") not in expected:
        failures.append(f"GET /orders/{record_id}: {status} {order}, expected {sorted(expected)}")
    return failures


def main() -> int:
    failures = smoke_test(dict(os.environ))
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
