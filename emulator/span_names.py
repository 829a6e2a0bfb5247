"""One name for each kind of span, whichever tracing adapter sent it.

The X-Ray SDK names an AWS call's subsegment after the service's endpoint prefix
(`dynamodb`) and puts the operation in `aws.operation`; botocore's OpenTelemetry
instrumentation names the span `DynamoDB.BatchWriteItem`, with `rpc.service` and
`rpc.method`. Locally both are `dynamodb`, operation `BatchWriteItem`, so that the report
draws them alike and the tests compare the two adapters' traces. Spans of the handlers'
own work (`traced(...)`) have the same name from either adapter.
"""

from __future__ import annotations

# botocore's service ids whose endpoint prefix is not the id in lower case without spaces.
_ENDPOINT_PREFIXES = {
    "SFN": "states",
    "CloudWatch": "monitoring",
    "CloudWatch Logs": "logs",
    "EventBridge": "events",
}


def aws_call(service_id: str, operation: str) -> tuple[str, str]:
    """The X-Ray SDK's name for a call to `service_id`, and its operation.

    >>> aws_call("DynamoDB", "BatchWriteItem")
    ('dynamodb', 'BatchWriteItem')
    >>> aws_call("SFN", "StartExecution")
    ('states', 'StartExecution')
    """
    prefix = _ENDPOINT_PREFIXES.get(service_id, service_id.lower().replace(" ", ""))
    return prefix, operation
