"""Requests every healthy release of the API answers the same way, writing nothing, and
the answers docs/api.md documents for them.

The synthetic check sends the refused batch through API Gateway every 5 minutes
(handlers/synthetic_check.py); before a new version of an API function takes any traffic
in prod, the pre-traffic check sends it the request of its route (handlers/pre_traffic_check.py).
POST's is refused before any table is read: nothing can be written. GET's names an order
nobody posted, which the function looks up in the table: its read path and its grant are
exercised, and the answer is the same 404 whatever the table holds.

>>> refused_as_documented(400, {"problems": [REFUSED_PROBLEM]})
True
>>> record_id = unposted_record_id("0f" * 16)
>>> not_found_as_documented(record_id, 404, {"message": f"no order {record_id!r}"})
True
>>> not_found_as_documented(record_id, 404, {"message": "no order has this record_id: ..."})
False
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

# GET /orders/{record_id}: a well-formed record_id of this prefix and a fresh random part,
# which no client has posted.
UNPOSTED_PREFIX = "pre-traffic-check-"


def refused_as_documented(status: int | None, answer: Mapping[str, Any]) -> bool:
    """The documented 400 for `REFUSED_BATCH`, naming `ttl`."""
    return status == 400 and REFUSED_PROBLEM in answer.get("problems", [])


def unposted_record_id(random_hex: str) -> str:
    return UNPOSTED_PREFIX + random_hex


def not_found_as_documented(record_id: str, status: int | None, answer: Mapping[str, Any]) -> bool:
    """The documented 404 for an order the table does not hold (docs/api.md): it names the
    record_id, and is not the 404 given, without reading, to one POST would refuse."""
    return status == 404 and answer.get("message") == f"no order {record_id!r}"
