"""The local API throttles as API Gateway does, at the limits the stage's template
declares: a token bucket per method, 429 `Too Many Requests` past it.

The buckets refill by a clock the test moves, so what is admitted does not depend on how
fast this machine sends the requests.
"""

from __future__ import annotations

import pytest

from tests.integration.test_api_edges import send

pytestmark = pytest.mark.synth


class StoppedClock:
    """Time stands still until the test moves it on."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_stage_throttles_at_the_rate_and_burst_its_template_declares(local_system):
    clock = StoppedClock()
    with local_system(trace=False) as system:
        url = system.serve_api(clock=clock)
        (settings,) = [
            r["Properties"]["MethodSettings"][0] for r in system.template["Resources"].values()
            if r["Type"] == "AWS::ApiGateway::Stage"
        ]  # fmt: skip
        rate, burst = int(settings["ThrottlingRateLimit"]), settings["ThrottlingBurstLimit"]
        unknown = f"{url}/{'a' * 300}"  # answered 404 at once, without DynamoDB

        # One after another (a handler's invocation changes the process's environment,
        # which a client reads as it sends), all at one instant for the buckets.
        at_once = [send("GET", unknown) for _ in range(burst + 20)]
        clock.now += 1.0  # a second later: `rate` tokens more
        a_second_later = [send("GET", unknown) for _ in range(rate + 5)]
        # A bucket per method: POST's is still full.
        post = send("POST", url, b"[]")

    def admitted(answers: list) -> int:
        assert all(status == 404 for status, _ in answers if status != 429)
        assert all(answer == (429, {"message": "Too Many Requests"})
                   for answer in answers if answer[0] == 429)  # fmt: skip
        return sum(1 for status, _ in answers if status != 429)

    assert admitted(at_once) == burst
    assert admitted(a_second_later) == rate
    assert post[0] == 400
