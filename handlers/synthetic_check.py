"""A synthetic client of the stage's API, on a schedule: it sends a batch the API must
refuse, signed as a client signs, and expects the documented 400. Nothing is stored and
nothing reaches the auction. Any other answer raises, which the function's error alarm
reports, and which the bake gate and prod's canary watch; but for the stage's throttle
(429), which gives no verdict.

Event: `{"orders_url": "https://.../v1/orders"}`, from its schedule. The URL comes with
each call, not from the environment: the API's release watches this function's alarm, so
the function may not depend on the API.
"""

from __future__ import annotations

import functools
import json
import time
import urllib.error
import urllib.request
from typing import Any

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from domain.api_probes import REFUSED_BATCH, refused_as_documented
from handlers import observability

observability.install_tracing()


# Tried again, a moment later, when the API could not be reached or refused the
# signature (403): a new role's permission takes moments to reach API Gateway after a
# deployment. Any other answer is the API's, and final. At most 3 x 5 s + 3 s in all,
# within the function's 30 s.
THROTTLED = 429
RETRIED_ANSWERS = frozenset({None, 403, THROTTLED})
RETRY_WAITS = (1, 2)
ATTEMPT_TIMEOUT_SECONDS = 5


class SyntheticCheckError(Exception):
    """The API did not answer the refused batch as documented."""


@functools.cache
def _signer() -> SigV4Auth:
    session = botocore.session.get_session()
    return SigV4Auth(
        session.get_credentials(), "execute-api", session.get_config_variable("region")
    )


@observability.invocation
def handler(event: Any, context: Any) -> dict[str, Any]:
    url = event["orders_url"]
    for wait in (*RETRY_WAITS, None):
        with observability.traced("synthetic_post"):
            status, answer = _send(url)
        if status not in RETRIED_ANSWERS or wait is None:
            break
        time.sleep(wait)
    if status == THROTTLED:
        # API Gateway's stage throttle answered before any function ran: the stage is
        # busy, which says nothing of this release, and any caller can fill the throttle.
        # Raising would let that caller set off the alarm that rolls a release back.
        observability.log_request(context, "synthetic check throttled: no verdict", status=status)
        return {"status": status, "verdict": "none: throttled"}
    if not refused_as_documented(status, answer):
        raise SyntheticCheckError(f"POST {url} answered {status} {answer}, not the documented 400")
    observability.log_request(context, "synthetic check passed", status=status)
    return {"status": status}


def _send(url: str) -> tuple[int | None, dict[str, Any]]:
    """The API's status and answer; `None` when it could not be reached."""
    request = AWSRequest(
        method="POST", url=url, data=REFUSED_BATCH, headers={"Content-Type": "application/json"}
    )
    _signer().add_auth(request)  # signed anew each time: the signature's date must be now
    prepared = urllib.request.Request(  # noqa: S310  (the stage's own API)
        url, data=REFUSED_BATCH, headers=dict(request.headers), method="POST"
    )
    try:
        with urllib.request.urlopen(prepared, timeout=ATTEMPT_TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status, _json(response.read())
    except urllib.error.HTTPError as error:
        return error.code, _json(error.read())
    except (urllib.error.URLError, TimeoutError) as error:
        return None, {"error": str(error)}


def _json(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        return {"body": body[:200].decode("utf-8", "replace")}
    return parsed if isinstance(parsed, dict) else {"body": parsed}
