"""Verifying a SigV4-signed request as API Gateway does for an IAM-authorised method.

The signature is recomputed with botocore's own signer, not a canonicaliser of ours. Its
trap: botocore's canonical request takes the payload hash from an `X-Amz-Content-SHA256`
header when there is one, so the hash of the body received is compared with that header
first. What AWS refuses, this refuses, with AWS's words
(https://docs.aws.amazon.com/IAM/latest/UserGuide/signature-v4-troubleshooting.html):
a signature for another service or region, a request dated more than 5 minutes from now
either way, a body that is not the one signed, unknown credentials, and temporary
credentials sent without their session token (`X-Amz-Security-Token`) or with another.
Where AWS's behaviour at execute-api is not documented (`UNSIGNED-PAYLOAD`, streamed
payloads), this refuses too, deliberately: the README says so.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SERVICE = "execute-api"
ALLOWED_SKEW = timedelta(minutes=5)
MISSING = "Missing Authentication Token"
INVALID_TOKEN = "The security token included in the request is invalid."  # noqa: S105
MISMATCH = "The request signature we calculated does not match the signature you provided."

_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<scope>[^,]+), ?"
    r"SignedHeaders=(?P<signed>[^,]+), ?Signature=(?P<signature>[0-9a-f]{64})$"
)
_AMZ_DATE = "%Y%m%dT%H%M%SZ"


def signature_problem(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    credentials: Credentials,
    *,
    region: str,
    now: datetime | None = None,
) -> str | None:
    """Why API Gateway would refuse this request's signature; None if it would accept it."""
    lowered = {name.lower(): value for name, value in headers.items()}
    match = _AUTHORIZATION.match(lowered.get("authorization", ""))
    if not match:
        return MISSING
    if match["key"] != credentials.access_key:
        return INVALID_TOKEN
    if credentials.token and not hmac.compare_digest(
        lowered.get("x-amz-security-token", ""), credentials.token
    ):
        return INVALID_TOKEN
    scope = match["scope"].split("/")
    if len(scope) != 4 or scope[3] != "aws4_request":
        return f"Credential should be scoped to a valid format: {match['scope']!r}."
    scope_date, scope_region, service, _ = scope
    if service != SERVICE:
        return f"Credential should be scoped to correct service: '{SERVICE}'."
    if scope_region != region:
        return f"Credential should be scoped to a valid region, not '{scope_region}'."
    signed = match["signed"].split(";")
    problem = _date_problem(lowered.get("x-amz-date", ""), scope_date, now or datetime.now(UTC))
    problem = problem or _payload_problem(lowered.get("x-amz-content-sha256"), body)
    if problem:
        return problem
    if "host" not in signed or "x-amz-date" not in signed:
        return MISMATCH
    # A signed header that was not sent signs as empty; host, when absent, as the URL's.
    sent = {name: lowered.get(name, "") for name in signed if name in lowered or name != "host"}
    request = AWSRequest(method=method, url=url, data=body, headers=sent)
    request.context["timestamp"] = lowered["x-amz-date"]
    signer = SigV4Auth(credentials, service, region)
    expected = signer.signature(
        signer.string_to_sign(request, signer.canonical_request(request)), request
    )
    return None if hmac.compare_digest(expected, match["signature"]) else MISMATCH


def _date_problem(amz_date: str, scope_date: str, now: datetime) -> str | None:
    try:
        signed_at = datetime.strptime(amz_date, _AMZ_DATE).replace(tzinfo=UTC)
    except ValueError:
        return "Authorization header requires existence of a valid 'X-Amz-Date' header."
    if scope_date != amz_date[:8]:
        return (
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
            "date from HTTP."
        )
    if signed_at < now - ALLOWED_SKEW:
        return (
            f"Signature expired: {amz_date} is now earlier than "
            f"{_stamp(now - ALLOWED_SKEW)} ({_stamp(now)} - 5 min.)"
        )
    if signed_at > now + ALLOWED_SKEW:
        return (
            f"Signature not yet current: {amz_date} is still later than "
            f"{_stamp(now + ALLOWED_SKEW)} ({_stamp(now)} + 5 min.)"
        )
    return None


def _payload_problem(declared: str | None, body: bytes) -> str | None:
    """The body received against the hash the request declares (botocore would trust it)."""
    if declared is None:
        return None  # botocore hashes the body itself
    if declared == "UNSIGNED-PAYLOAD" or declared.startswith("STREAMING-"):
        return f"{declared} is not accepted here: sign the body (see the README)."
    if declared != hashlib.sha256(body).hexdigest():
        return MISMATCH
    return None


def _stamp(moment: datetime) -> str:
    return moment.strftime(_AMZ_DATE)
