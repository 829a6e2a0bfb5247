"""AWS clients made with botocore alone.

boto3 adds a session layer, resources and s3transfer on top of botocore, none of which
the handlers use, and importing them lengthens every cold start: `make bench` times the
handlers against `import boto3` alone.
"""

from __future__ import annotations

from typing import Any

import botocore.session
from botocore.config import Config


def client(service: str, config: Config | None = None) -> Any:
    """A client for `service`, configured from the environment as boto3's would be."""
    return botocore.session.get_session().create_client(service, config=config)
