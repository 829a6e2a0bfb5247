"""Both tracing adapters behind the one port: the same trace, from a handler's real calls.

A loopback UDP socket stands where Lambda's X-Ray daemon listens; what it receives is read
with the emulation's decoder (emulator/otlp.py), as the local daemon reads it.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

from emulator.otlp import documents_in
from handlers import observability
from handlers.observability import TracingAdapter
from tests.unit.conftest import fresh

PARENT = "675918f57077511a"  # the function's segment, as Lambda names it in the header
ADAPTERS = list(TracingAdapter)


class Daemon:
    """A UDP socket on loopback: every datagram a traced invocation sent, once it returned."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.setblocking(False)
        host, port = self.socket.getsockname()
        self.address = f"{host}:{port}"

    def datagrams(self) -> list[bytes]:
        received = []
        while True:
            try:
                received.append(self.socket.recv(65_535))
            except BlockingIOError:
                return received

    def documents(self) -> list[dict[str, Any]]:
        return [document for datagram in self.datagrams() for document in documents_in(datagram)]


@pytest.fixture
def daemon() -> Iterator[Daemon]:
    listener = Daemon()
    yield listener
    listener.socket.close()


@pytest.fixture
def root() -> str:
    """A new trace for each test, as Lambda gives each invocation."""
    return f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"


@pytest.fixture
def traced_by(daemon, root, monkeypatch):
    """Set a container's environment for `adapter`, as Lambda with active tracing does."""

    def environment(adapter: TracingAdapter, sampled: int = 1) -> None:
        monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", daemon.address)
        monkeypatch.setenv("TRACING_ADAPTER", adapter.value)
        monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")  # the X-Ray SDK's Lambda mode
        monkeypatch.setenv("_X_AMZN_TRACE_ID", f"Root={root};Parent={PARENT};Sampled={sampled}")

    return environment


def named(documents: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [d for d in documents if d["name"] == name]


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_a_post_is_one_trace_its_work_annotated_and_each_aws_call_inside_it(
    adapter, traced_by, daemon, root, orders_table, context
):
    traced_by(adapter)
    post_orders = fresh("handlers.post_orders")
    batch = [{"record_id": f"order-{n}", "power": 1} for n in range(3)]

    answer = post_orders.handler({"httpMethod": "POST", "body": json.dumps(batch)}, context)

    assert answer["statusCode"] == 201
    documents = daemon.documents()
    assert {d["trace_id"] for d in documents} == {root}
    (read,) = named(documents, "read_orders")
    (store,) = named(documents, "store_orders")
    assert read["annotations"] == store["annotations"] == {"records": 3}
    assert read["parent_id"] == store["parent_id"] == PARENT
    calls = {d["aws"]["operation"]: d for d in named(documents, "dynamodb")}
    assert set(calls) == {"BatchGetItem", "BatchWriteItem"}
    assert calls["BatchGetItem"]["parent_id"] == read["id"]
    assert calls["BatchWriteItem"]["parent_id"] == store["id"]


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_lambda_b_annotates_the_status_of_a_single_order(
    adapter, traced_by, daemon, results_bucket, runs_bucket, orders_table, context
):
    traced_by(adapter)
    store_result = fresh("handlers.store_result")

    store_result.handler({"status": "accepted", "power": 1}, context)

    (decided,) = named(daemon.documents(), "decide_order")
    assert decided["annotations"] == {"status": "accepted"}


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_aws_calls_in_worker_threads_join_the_invocation_s_trace(
    adapter, traced_by, daemon, root, results_bucket
):
    traced_by(adapter)
    observability.install_tracing()

    @observability.invocation
    def handler(event: Any, context: Any) -> None:
        s3 = boto3.client("s3")
        put = observability.propagator()(lambda key: s3.put_object(Bucket=results_bucket, Key=key))
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(put, ["a", "b", "c"]))

    handler({}, None)

    puts = named(daemon.documents(), "s3")
    assert [d["aws"]["operation"] for d in puts] == ["PutObject"] * 3
    assert {(d["trace_id"], d["parent_id"]) for d in puts} == {(root, PARENT)}


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_an_invocation_lambda_did_not_sample_sends_nothing(
    adapter, traced_by, daemon, orders_table, context
):
    traced_by(adapter, sampled=0)
    post_orders = fresh("handlers.post_orders")

    answer = post_orders.handler(
        {"httpMethod": "POST", "body": json.dumps([{"record_id": "a"}])}, context
    )

    assert answer["statusCode"] == 201
    assert daemon.datagrams() == []


def test_opentelemetry_traces_nothing_outside_an_invocation(traced_by, daemon, results_bucket):
    """As the X-Ray SDK without a segment: an AWS call outside any trace starts none."""
    traced_by(TracingAdapter.OPENTELEMETRY)
    observability.install_tracing()

    boto3.client("s3").put_object(Bucket=results_bucket, Key="outside")

    assert daemon.datagrams() == []


def test_opentelemetry_sends_each_span_in_a_datagram_of_its_own(
    traced_by, daemon, orders_table, context
):
    """A simple processor: nothing waits in a buffer when Lambda freezes the container, and
    no datagram nears UDP's 64 KB."""
    traced_by(TracingAdapter.OPENTELEMETRY)
    post_orders = fresh("handlers.post_orders")
    batch = [{"record_id": f"order-{n}", "power": 1} for n in range(500)]

    post_orders.handler({"httpMethod": "POST", "body": json.dumps(batch)}, context)

    datagrams = daemon.datagrams()
    assert datagrams
    assert all(datagram.startswith(b'{"format":"json","version":1}\nT1S') for datagram in datagrams)
    assert [len(documents_in(datagram)) for datagram in datagrams] == [1] * len(datagrams)
    assert max(len(datagram) for datagram in datagrams) < 8 * 1024


def test_an_unknown_adapter_is_refused_at_the_cold_start(traced_by):
    traced_by(TracingAdapter.XRAY_SDK)
    os.environ["TRACING_ADAPTER"] = "otel"

    with pytest.raises(ValueError, match="'otel' is not a valid TracingAdapter"):
        observability.install_tracing()


def test_without_a_daemon_neither_tracing_library_is_imported():
    """Outside Lambda and the emulation, a handler's cold start pays for no tracing."""
    environment = {k: v for k, v in os.environ.items() if k != "AWS_XRAY_DAEMON_ADDRESS"}
    probe = (
        "import sys, handlers.post_orders; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'aws_xray_sdk', 'opentelemetry'}))"
    )

    for adapter in ADAPTERS:
        run = subprocess.run(  # noqa: S603  (this interpreter, a fixed probe)
            [sys.executable, "-c", probe],
            env={**environment, "TRACING_ADAPTER": adapter.value},
            capture_output=True,
            text=True,
            check=True,
        )
        assert run.stdout.strip() == "[]", adapter


def test_every_deployed_handler_runs_each_invocation_in_its_trace():
    """A handler without `@observability.invocation` sends no span with OpenTelemetry."""
    from auction_constructs.functions import TIMEOUTS  # every deployed function's module

    in_trace = observability.invocation(lambda event, context: None).__code__
    for module in TIMEOUTS:
        assert fresh(module).handler.__code__ is in_trace, module
