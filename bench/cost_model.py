"""What the system costs a month, from counts measured on the emulation and list prices.

The counts per run (state transitions of the run itself) are measured by running the
synthesized workflow on moto; the counts per order and per chunk follow from the design
(each one named below, beside the code that makes the call). Durations cannot be measured
locally, so Lambda's are assumptions, stated here. Prices: eu-west-1 list prices as
recorded on 2026-11-26 (AWS pricing pages); change them here.
"""

from __future__ import annotations

import json
import math

import attrs

from domain.metrics import METRICS, RUN_ID, Metric, emf_documents, namespace
from domain.orders import DEFAULT_LIMITS
from domain.runs import CHUNK_SIZE

RUNS_PER_MONTH = 24 * 30  # the hourly schedule
ORDERS_PER_POST = DEFAULT_LIMITS.max_records  # clients send full batches (assumed)

# Prices, USD.
STANDARD_TRANSITION = 0.025 / 1_000
LAMBDA_REQUEST = 0.20 / 1_000_000
LAMBDA_ARM_GB_SECOND = 0.0000133334
DYNAMODB_WRITE_UNIT = 0.7068 / 1_000_000  # on demand
DYNAMODB_READ_UNIT = 0.1414 / 1_000_000
S3_PUT = 0.005 / 1_000
S3_GET = 0.0004 / 1_000
API_GATEWAY_REST_REQUEST = 3.50 / 1_000_000
# CloudWatch, recorded 2026-12-02: a custom metric a month (the first 10,000), a GB of logs
# ingested (EMF documents are log events), an alarm a month per metric it reads.
CUSTOM_METRIC_MONTH = 0.30
LOGS_INGESTED_GB = 0.57
ALARM_METRIC_MONTH = 0.10
# The auction's alarms read 3 metrics: the oldest order's age; open orders and decided.
AUCTION_ALARM_METRICS = 3
PLATFORM_ATTEMPTS = 2  # Lambda A's attempts a run: one not-ready, as the runs measured

# Lambda durations assumed (seconds), by memory (GB): parsing is CPU-bound, the rest waits
# on DynamoDB (~10 ms a call) and S3 (~30 ms a PUT), Lambda B eight decisions at a time.
POST_SECONDS_PER_1000_ORDERS, POST_GB = 0.6, 1.0
LAMBDA_A_SECONDS_PER_1000_ORDERS, LAMBDA_A_GB = 0.15, 1.0
LAMBDA_B_SECONDS_PER_CHUNK, LAMBDA_B_GB = CHUNK_SIZE * 0.040 / 8, 0.25
LAMBDA_C_SECONDS, LAMBDA_C_GB = 1.0, 0.25
ACCEPTED_SHARE = 0.8  # the simulated platform's default rejection probability is 0.2


@attrs.frozen
class MonthlyCost:
    """USD a month for one load, by service."""

    orders_per_hour: int
    step_functions: float
    lambda_: float
    dynamodb: float
    s3: float
    api_gateway: float
    cloudwatch: float = 0.0  # the auction's metrics, their EMF log bytes, their alarms

    @property
    def total(self) -> float:
        return (
            self.step_functions + self.lambda_ + self.dynamodb + self.s3 + self.api_gateway
            + self.cloudwatch
        )  # fmt: skip


def emf_bytes_per_hour(orders_per_hour: int) -> int:
    """The bytes of EMF log lines an hour's posts and run write, each document built as the
    handlers build it (domain/metrics.py), with values of a realistic length."""
    stage, at, run = namespace("prod"), 1_800_000_000_000, {RUN_ID: "0" * 36}  # a UUID's

    def size(values: dict, properties: dict | None = None) -> int:
        documents = emf_documents(stage, values, timestamp_ms=at, properties=properties)
        return sum(len(json.dumps(d, separators=(",", ":"))) + 1 for d in documents)

    n = orders_per_hour
    posts = math.ceil(n / ORDERS_PER_POST)
    chunk_sizes = [min(CHUNK_SIZE, n - start) for start in range(0, n, CHUNK_SIZE)]
    lambda_a = PLATFORM_ATTEMPTS * size(
        {Metric.OPEN_ORDERS: n, Metric.OLDEST_OPEN_ORDER_AGE: 3_671.512}, run
    ) + size({Metric.PLATFORM_ASKS: PLATFORM_ATTEMPTS}, run)
    lambda_b = sum(size({Metric.DECISION_AGE: [1_834.517] * chunk}, run) for chunk in chunk_sizes)
    counts = (Metric.ORDERS_TAKEN, Metric.ORDERS_ACCEPTED, Metric.ORDERS_REJECTED,
              Metric.ORDERS_FAILED, Metric.ORDERS_GONE, Metric.ORDERS_DECIDED)  # fmt: skip
    lambda_c = size(dict.fromkeys(counts, n) | {Metric.RUN_DURATION: 912.25}, run)
    return posts * size({Metric.ORDERS_POSTED: ORDERS_PER_POST}) + lambda_a + lambda_b + lambda_c


def cloudwatch_per_month(orders_per_hour: int) -> float:
    """One stage's metrics (one per name: no dimensions), their log bytes, their alarms."""
    metrics = len(METRICS) * CUSTOM_METRIC_MONTH
    alarms = AUCTION_ALARM_METRICS * ALARM_METRIC_MONTH
    logs = emf_bytes_per_hour(orders_per_hour) * RUNS_PER_MONTH / 1e9 * LOGS_INGESTED_GB
    return metrics + alarms + logs


def monthly_cost(orders_per_hour: int, run_transitions: int, child_transitions: int) -> MonthlyCost:
    """The month's cost at `orders_per_hour`, each hour's run taking `run_transitions` in
    its own execution and `child_transitions` in each chunk's child execution."""
    n = orders_per_hour
    chunks = math.ceil(n / CHUNK_SIZE)
    posts = math.ceil(n / ORDERS_PER_POST)
    accepted = n * ACCEPTED_SHARE
    transitions = run_transitions + chunks * child_transitions
    lambda_seconds_gb = (
        n / 1000 * POST_SECONDS_PER_1000_ORDERS * POST_GB
        + n / 1000 * LAMBDA_A_SECONDS_PER_1000_ORDERS * LAMBDA_A_GB
        + chunks * LAMBDA_B_SECONDS_PER_CHUNK * LAMBDA_B_GB
        + LAMBDA_C_SECONDS * LAMBDA_C_GB
    )
    invocations = posts + 1 + chunks + 1
    # POST: a strongly consistent read (1 unit), then the item and its index entry written
    # (2). Lambda A: the index read, eventually consistent (half a unit). Lambda B: the
    # outcome written and the index entry removed (2).
    reads, writes = n * 1 + n * 0.5, n * 2 + n * 2
    # Lambda A: a PUT per chunk and the manifest. Lambda B: a GET of its chunk, a PUT per
    # accepted order, a PUT of its outcome. The map: its manifest read, its results written.
    # Lambda C: each outcome read, the report written.
    puts = chunks + 1 + accepted + chunks + 2 + 1
    gets = chunks + 1 + chunks
    per_hour = MonthlyCost(
        orders_per_hour=n,
        step_functions=transitions * STANDARD_TRANSITION,
        lambda_=invocations * LAMBDA_REQUEST + lambda_seconds_gb * LAMBDA_ARM_GB_SECOND,
        dynamodb=reads * DYNAMODB_READ_UNIT + writes * DYNAMODB_WRITE_UNIT,
        s3=puts * S3_PUT + gets * S3_GET,
        api_gateway=posts * API_GATEWAY_REST_REQUEST,
    )
    return attrs.evolve(
        per_hour,
        cloudwatch=cloudwatch_per_month(n),
        **{
            field: getattr(per_hour, field) * RUNS_PER_MONTH
            for field in ("step_functions", "lambda_", "dynamodb", "s3", "api_gateway")
        },
    )
