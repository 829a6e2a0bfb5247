"""`make serve`'s loop: a run takes the time it needs while the API keeps serving, whatever
goes wrong with a run is told in a line or two and the system stays up with its data, each
alert is told and kept for a subscriber, and the commands it prints work as printed."""

from __future__ import annotations

import json
import shlex
import threading

import boto3
import pytest

from emulator.local_lambda import LocalFunction, between_invocations
from emulator.serve import AuctionLoop, banner
from ops.smoke_test import signed_post

pytestmark = pytest.mark.synth


def post(system, *record_ids: str) -> None:
    batch = [{"record_id": record_id, "power": 2} for record_id in record_ids]
    assert system.post_orders(json.dumps(batch))["statusCode"] == 201


def follow_to_the_end(loop: AuctionLoop) -> None:
    while loop.running:
        loop.follow()


def test_a_run_longer_than_its_wait_does_not_stop_the_loop(dev_system, tmp_path):
    lines: list[str] = []
    loop = AuctionLoop(dev_system, say=lines.append, reports=tmp_path, poll_seconds=0.01)
    url = dev_system.serve_api()
    post(dev_system, "slow-1", "slow-2")
    loop.start()

    with between_invocations():  # no handler can run: the run cannot end meanwhile
        loop.follow()  # the real wait, which times out

    assert loop.running
    assert any("still running" in line for line in lines)
    status, _ = signed_post(boto3.Session(), url, b'[{"record_id": "meanwhile"}]')
    assert status == 201  # the API serves on
    follow_to_the_end(loop)
    assert any(": SUCCEEDED, 2 orders: 2 decided" in line for line in lines), lines
    (numbers,) = [line for line in lines if line.startswith("  numbers (CloudWatch metrics): ")]
    assert "OpenOrders 2; " in numbers
    assert "; OrdersDecided 2; " in numbers
    assert list(tmp_path.glob("run-*.html"))


def executions(system) -> list[dict]:
    """Every run the system has started, oldest first."""
    with between_invocations():
        client = boto3.client("stepfunctions")
        listed = client.list_executions(stateMachineArn=system.state_machine_arn)["executions"]
        return sorted(
            (client.describe_execution(executionArn=e["executionArn"]) for e in listed),
            key=lambda run: run["startDate"],
        )


def test_a_run_whose_wait_fails_is_asked_about_again_and_none_starts_beside_it(
    dev_system, tmp_path
):
    lines: list[str] = []
    failures = [RuntimeError("the engine broke\n" + "x" * 5000)]

    def wait_failing_once(execution_arn: str, timeout_seconds: float):
        if failures:
            raise failures.pop()
        return dev_system.wait_for(execution_arn, timeout_seconds=timeout_seconds)

    post(dev_system, "kept-1")
    loop = AuctionLoop(dev_system, say=lines.append, wait=wait_failing_once, reports=tmp_path)
    loop.start()
    first = loop.running
    loop.follow()  # the wait fails: the run goes on all the same

    assert loop.running == first
    (told,) = [line for line in lines if "could not be followed" in line]
    assert "RuntimeError: the engine broke" in told
    assert len(told) < 400
    assert [order["record_id"] for order in dev_system.stored_orders()] == ["kept-1"]

    loop.start()  # the schedule, meanwhile: the next run waits for this one's end
    assert [run["executionArn"] for run in executions(dev_system)] == [first]

    follow_to_the_end(loop)  # this run to its end, then the one asked for meanwhile
    earlier, later = executions(dev_system)
    assert earlier["executionArn"] == first
    assert (earlier["status"], later["status"]) == ("SUCCEEDED", "SUCCEEDED")
    assert later["startDate"] >= earlier["stopDate"]  # one run at a time
    assert "outcome" in dev_system.stored_orders()[0]
    assert len(list(tmp_path.glob("run-*.html"))) == 2


def test_a_closing_system_stops_the_run_going_on_and_waits_for_its_end(local_system, monkeypatch):
    # Lambda A holds its first call until the run is asked to stop: the run cannot end
    # before the system closes, and nothing of it may go on after.
    called, stopping = threading.Event(), threading.Event()
    invoke = LocalFunction.invoke

    def held(self, event, **options):
        if self.handler.startswith("handlers.fetch_results."):
            called.set()
            stopping.wait()
        return invoke(self, event, **options)

    monkeypatch.setattr(LocalFunction, "invoke", held)
    event, tell = "after-call.stepfunctions.StopExecution", lambda **_: stopping.set()
    events = None
    try:
        with local_system(lambda_a={"AUCTION_READY_PROBABILITY": "1"}) as system:
            # The system's client tells when a run is asked to stop.
            events = system._client("stepfunctions").meta.events
            events.register(event, tell)
            post(system, "left-1")
            arn = system.start_run()
            assert called.wait(60)
    finally:
        stopping.set()
        if events is not None:  # the client is the process's: leave it as it was
            events.unregister(event, tell)

    (stopped,) = system.stopped_runs
    assert (stopped.execution_arn, stopped.status) == (arn, "ABORTED")
    assert stopped.events[-1]["type"] == "ExecutionAborted"
    # Lambda A's call ended within the run, which went no further.
    assert any(event["type"] == "LambdaFunctionSucceeded" for event in stopped.events)
    assert system.functions["handlers.store_result"].invocations == 0


def test_a_run_that_never_gets_results_says_why_in_a_line(local_system, tmp_path, capsys):
    lines: list[str] = []
    with local_system(lambda_a={"AUCTION_READY_PROBABILITY": "0"}) as system:
        post(system, "never-1")
        loop = AuctionLoop(system, say=lines.append, reports=tmp_path)
        loop.start()
        follow_to_the_end(loop)

    (told,) = [line for line in lines if ": FAILED" in line]
    assert "AuctionResultsNotReady: No auction results after 6 attempts" in told
    printed = capsys.readouterr()
    assert len(printed.out) + len(printed.err) < 2_000  # not moto's 35 kB of parser state
    (report,) = tmp_path.glob("run-*.html")
    assert "Exception=FailureEventException" in report.read_text()  # the details are there


def aws_cli(command: str, monkeypatch) -> dict:
    """`aws --endpoint-url E --region R <service> <operation> --name value ...`, as the
    CLI makes the call (botocore), with no region but the one printed."""
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    words = shlex.split(command)
    assert words[0] == "aws"
    options = dict(zip(words[1:5:2], words[2:5:2], strict=True))
    service, operation, *rest = words[5:]
    client = boto3.client(service, endpoint_url=options["--endpoint-url"],
                          region_name=options["--region"])  # fmt: skip
    if (service, operation) == ("s3", "ls"):
        bucket, _, prefix = rest[0].removeprefix("s3://").partition("/")
        return client.list_objects_v2(Bucket=bucket, Prefix=prefix)
    names = [word.removeprefix("--") for word in rest[0::2]]
    values = [int(value) if value.isdigit() else value for value in rest[1::2]]
    parameters = {"".join(part.title() for part in name.split("-")): value
                  for name, value in zip(names, values, strict=True)}  # fmt: skip
    return getattr(client, operation.replace("-", "_"))(**parameters)


def test_alerts_are_told_and_reported_and_the_printed_commands_show_what_a_subscriber_got(
    local_system, tmp_path, monkeypatch
):
    lines: list[str] = []
    with local_system(lambda_a={"AUCTION_READY_PROBABILITY": "1"}) as system:
        loop = AuctionLoop(system, say=lines.append, reports=tmp_path)
        for run in range(2):
            post(system, *[f"run{run}-{n}" for n in range(30)])
            loop.start()
            follow_to_the_end(loop)
        printed = banner(system, system.serve_api(), system.serve_aws(), pid=1)
        commands = [
            line.strip() for line in printed.splitlines() if line.strip().startswith("aws ")
        ]

        answers = {shlex.split(c)[5]: aws_cli(c, monkeypatch) for c in commands}
        documents = system.stored_results("orders/")

    alerts = [line.split("alert: ", 1)[1] for line in lines if "  alert: " in line]
    assert len(alerts) == 2  # one per run, each told once
    assert all(" rejected of 30 orders" in alert for alert in alerts)
    for report in tmp_path.glob("run-*.html"):
        (own,) = [alert for alert in alerts if alert.split()[2].rstrip(":") in report.name]
        assert json.dumps(own)[1:-1] in report.read_text()
    # The commands, as printed (the region on each): the table, the bucket, the subscriber.
    assert len(answers["dynamodb"]["Items"]) == 60
    assert {entry["Key"] for entry in answers["s3"]["Contents"]} == set(documents)
    titles = [json.loads(m["Body"])["content"]["title"] for m in answers["sqs"]["Messages"]]
    assert sorted(titles) == sorted(alerts)
