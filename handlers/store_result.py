"""Lambda B: store one accepted order result in S3; a rejected one raises.

The event is one order of Lambda A's list, either bare or as the workflow sends it:
`{"order": {...}, "run": {"id": ..., "started_at": ...}, "position": n}`. A rejected
order raises `OrderRejectedError`, which the workflow catches to alert. Storing is
idempotent: the key derives from the run and position, and an object already there
(an earlier attempt that succeeded) is left as it is.
"""

from __future__ import annotations

import functools
import json
import os
import uuid
from datetime import UTC, datetime
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError

from domain.results import decide, parse_store_request
from handlers import aws_clients, observability

observability.install_tracing()

# A slow S3 fails the call well inside the function's timeout (botocore's defaults wait
# 60 s per read), so the workflow retries and alerts with S3's own error.
_S3_CONFIG = Config(
    connect_timeout=2, read_timeout=5, retries={"mode": "standard", "total_max_attempts": 3}
)


@functools.cache
def _results_bucket() -> tuple[Any, str]:
    """The S3 client and bucket name, built once per container."""
    return aws_clients.client("s3", _S3_CONFIG), os.environ["RESULTS_BUCKET_NAME"]


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    request = parse_store_request(event)
    with observability.traced("decide_order", status=request.order.status.value):
        decision = decide(request, now=datetime.now(UTC), unique_id=uuid.uuid4().hex)
    s3, bucket = _results_bucket()
    try:
        s3.put_object(
            Bucket=bucket,
            Key=decision.key,
            Body=json.dumps(decision.document).encode(),
            ContentType="application/json",
            IfNoneMatch="*",  # an earlier attempt stored it already: keep that one
        )
        written = True
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "PreconditionFailed":
            raise
        written = False
    observability.log_request(context, "order result stored", key=decision.key, written=written)
    return {"bucket": bucket, "key": decision.key}
