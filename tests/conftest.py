"""Fixtures shared by every kind of test: a fake AWS account on moto, and handlers."""

from __future__ import annotations

import os

# Before boto3 or the CDK is imported anywhere: no real AWS, quiet jsii.
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="eu-west-1",
    JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="1",
)
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_XRAY_DAEMON_ADDRESS", None)
