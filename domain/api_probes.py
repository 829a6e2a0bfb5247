"""Requests every healthy release of the API answers the same way, writing nothing, and
the answers docs/api.md documents for them.

The synthetic check sends the refused batch through API Gateway every 5 minutes
(handlers/synthetic_check.py); before a new version of an API function takes any traffic
in prod, the pre-traffic check sends it the request of its route (handlers/pre_traffic_check.py).
Both are refused before any table is read: the answer depends on the release alone.

>>> refused_as_documented(400, {"problems": [REFUSED_PROBLEM]})
True
>>> not_found_as_documented(404, {"message": NOT_FOUND_MESSAGE}), not_found_as_documented(500, {})
(True, False)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The route each of the API's functions serves (their handlers log under the same names).
ROUTES = {"post_orders": "POST /orders", "get_order": "GET /orders/{record_id}"}

# POST /orders: a batch that sends `ttl`, which the service sets.
REFUSED_BATCH = b'[{"record_id": "synthetic-check", "ttl": 1}]'
REFUSED_PROBLEM = {
    "record": 0,
    "field": "ttl",
    "reason": "is set by the service and may not be sent",
}

# GET /orders/{record_id}: a record_id no order can have (POST refuses it: over 256 bytes),
# answered without reading the table.
IMPOSSIBLE_RECORD_ID = "pre-traffic-check-" + "x" * 239
NOT_FOUND_MESSAGE = "no order has this record_id: a record_id must be at most 256 bytes"


def refused_as_documented(status: int | None, answer: Mapping[str, Any]) -> bool:
    """The documented 400 for `REFUSED_BATCH`, naming `ttl`."""
    return status == 400 and REFUSED_PROBLEM in answer.get("problems", [])


def not_found_as_documented(status: int | None, answer: Mapping[str, Any]) -> bool:
    """The documented 404 for `IMPOSSIBLE_RECORD_ID`."""
    return status == 404 and answer.get("message") == NOT_FOUND_MESSAGE
