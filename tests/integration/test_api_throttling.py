"""The local API throttles as API Gateway does, at the limits the stage's template
declares: a token bucket per method, 429 `Too Many Requests` past it."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.test_api_edges import send

pytestmark = pytest.mark.synth


def test_the_stage_throttles_at_the_rate_and_burst_its_template_declares(local_system):
    with local_system(trace=False) as system:
        url = system.serve_api()
        (settings,) = [
            r["Properties"]["MethodSettings"][0] for r in system.template["Resources"].values()
            if r["Type"] == "AWS::ApiGateway::Stage"
        ]  # fmt: skip
        rate, burst = settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]
        unknown = f"{url}/{'a' * 300}"  # answered 404 at once, without DynamoDB

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=30) as pool:  # faster than the rate refills
            answers = list(pool.map(lambda _: send("GET", unknown), range(burst + 60)))
        elapsed = time.monotonic() - started
        # A bucket per method: POST's is still full.
        post = send("POST", url, b"[]")

    throttled = [answer for answer in answers if answer[0] == 429]
    admitted = len(answers) - len(throttled)
    assert throttled
    assert all(answer == (429, {"message": "Too Many Requests"}) for answer in throttled)
    assert all(status == 404 for status, _ in answers if status != 429)
    # The burst at once, then the rate; API Gateway's own throttling is approximate.
    assert burst <= admitted <= burst + rate * elapsed + 2
    assert post[0] == 400
