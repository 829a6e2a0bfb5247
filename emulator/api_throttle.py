"""API Gateway's throttling of a stage, read from the synthesized template.

API Gateway throttles with a token bucket per method of a stage: each request takes a
token, the bucket holds at most the burst limit and refills at the rate limit, and a
request that finds it empty is answered 429 (`THROTTLED`). AWS applies it "on a
best-effort basis", as a target rather than a ceiling
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html);
this one is exact. The limits are the stage's `MethodSettings` as synthesized, a method's
own entry before the stage-wide `*` `/*` one, so nothing is restated from the settings.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import attrs

ANY_METHOD, ANY_RESOURCE = "*", "/*"


@attrs.define
class TokenBucket:
    """`burst` tokens at most, `rate` more each second; full at first."""

    rate: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    _tokens: float = attrs.field(init=False)
    _last: float = attrs.field(init=False)
    _lock: threading.Lock = attrs.field(init=False, factory=threading.Lock)

    def __attrs_post_init__(self) -> None:
        self._tokens, self._last = float(self.burst), self.clock()

    def take(self) -> bool:
        """Take a token; False when there is none (the request is throttled)."""
        with self._lock:
            now = self.clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


@attrs.define
class StageThrottle:
    """The throttling a stage declares: a bucket per method, made on its first request."""

    settings: Mapping[tuple[str, str], tuple[float, int]]  # (method, resource) -> limits
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[tuple[str, str], TokenBucket] = attrs.field(init=False, factory=dict)
    _lock: threading.Lock = attrs.field(init=False, factory=threading.Lock)

    @classmethod
    def from_template(cls, template: Mapping[str, Any], **options: Any) -> StageThrottle:
        """The `MethodSettings` of the template's API stage (exactly one stage)."""
        (stage,) = [
            resource["Properties"]
            for resource in template["Resources"].values()
            if resource["Type"] == "AWS::ApiGateway::Stage"
        ]
        settings = {
            (entry["HttpMethod"], entry["ResourcePath"]): (
                float(entry["ThrottlingRateLimit"]),
                int(entry["ThrottlingBurstLimit"]),
            )
            for entry in stage.get("MethodSettings", [])
            if "ThrottlingRateLimit" in entry and "ThrottlingBurstLimit" in entry
        }
        return cls(settings, **options)

    def limits(self, method: str, resource: str) -> tuple[float, int] | None:
        """The rate and burst for `method` on `resource` (`/orders/{record_id}`)."""
        # MethodSettings write a resource as `/` and its path, each slash in it as `~1`.
        path = "/" + resource.replace("/", "~1")
        return self.settings.get((method, path)) or self.settings.get((ANY_METHOD, ANY_RESOURCE))

    def admit(self, method: str, resource: str) -> bool:
        """Whether the request may go on (False: answer 429)."""
        limits = self.limits(method, resource)
        if limits is None:
            return True
        with self._lock:
            bucket = self._buckets.get((method, resource))
            if bucket is None:
                bucket = self._buckets[method, resource] = TokenBucket(*limits, clock=self.clock)
        return bucket.take()
