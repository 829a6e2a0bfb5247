"""API Gateway's token bucket, per method of a stage, as the emulation applies it."""

from __future__ import annotations

import pytest

from emulator.api_throttle import StageThrottle, TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def admitted(bucket: TokenBucket, requests: int) -> int:
    return sum(bucket.take() for _ in range(requests))


def test_a_full_bucket_admits_its_burst_at_once_then_nothing():
    bucket = TokenBucket(rate=10, burst=20, clock=Clock())

    assert admitted(bucket, 25) == 20


def test_the_bucket_refills_at_its_rate_up_to_its_burst():
    clock = Clock()
    bucket = TokenBucket(rate=10, burst=20, clock=clock)
    admitted(bucket, 20)

    clock.now += 0.5
    assert admitted(bucket, 10) == 5
    clock.now += 60
    assert admitted(bucket, 30) == 20


def stage_template(*settings: dict) -> dict:
    return {"Resources": {"Stage": {"Type": "AWS::ApiGateway::Stage",
                                    "Properties": {"MethodSettings": list(settings)}}}}  # fmt: skip


STAGE_WIDE = {"HttpMethod": "*", "ResourcePath": "/*",
              "ThrottlingRateLimit": 10, "ThrottlingBurstLimit": 2}  # fmt: skip


def test_the_stage_s_limits_apply_to_each_method_apart():
    throttle = StageThrottle.from_template(stage_template(STAGE_WIDE), clock=Clock())

    assert [throttle.admit("POST", "/orders") for _ in range(3)] == [True, True, False]
    assert throttle.admit("GET", "/orders/{record_id}")  # its own bucket


def test_a_method_s_own_setting_comes_before_the_stage_s():
    own = {"HttpMethod": "GET", "ResourcePath": "/~1orders~1{record_id}",
           "ThrottlingRateLimit": 1, "ThrottlingBurstLimit": 5}  # fmt: skip
    throttle = StageThrottle.from_template(stage_template(STAGE_WIDE, own), clock=Clock())

    assert throttle.limits("GET", "/orders/{record_id}") == (1.0, 5)
    assert throttle.limits("POST", "/orders") == (10.0, 2)


def test_a_stage_without_throttling_admits_every_request():
    throttle = StageThrottle.from_template(stage_template(), clock=Clock())

    assert all(throttle.admit("POST", "/orders") for _ in range(1000))


@pytest.mark.synth
@pytest.mark.parametrize(("stage", "method"), [("Dev", "POST"), ("Prod", "GET")])
def test_the_limits_are_those_the_synthesized_stage_declares(synthesized, stage, method):
    template = synthesized.stage_template(stage)
    (declared,) = [
        r["Properties"]["MethodSettings"] for r in template["Resources"].values()
        if r["Type"] == "AWS::ApiGateway::Stage"
    ]  # fmt: skip
    (stage_wide,) = [s for s in declared if (s["HttpMethod"], s["ResourcePath"]) == ("*", "/*")]

    limits = StageThrottle.from_template(template).limits(method, "/orders")

    assert limits == (stage_wide["ThrottlingRateLimit"], stage_wide["ThrottlingBurstLimit"])
