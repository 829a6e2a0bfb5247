"""Where the auction's decisions go: the results bucket and the runs bucket.

- The results bucket (the seed's `order-results`, named per stage and account) keeps each
  accepted order's document under `orders/`: trade records, versioned, kept.
- The runs bucket keeps each run's working files and report under `runs/` (see
  domain/runs.py), which expire. Apart, the workflow's own access (its Distributed Map
  reads the chunks and writes its results) covers the runs bucket and nothing else.

Both private, encrypted, TLS-only, versioned, with server access logs to a third bucket.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from auction_constructs.checkov import skip_for_access_log_bucket
from domain.results import RESULTS_PREFIX
from domain.runs import RUNS_PREFIX


class ResultsBucket(Construct):
    """The results bucket, the runs bucket, and their access logs."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        bucket_name: str,
        removal_policy: RemovalPolicy,
        noncurrent_version_days: int = 90,
        run_file_days: int = 90,
        access_log_days: int = 365,
    ) -> None:
        super().__init__(scope, id_)
        private: dict[str, Any] = {
            "encryption": s3.BucketEncryption.S3_MANAGED,
            "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
            "enforce_ssl": True,
            "minimum_tls_version": 1.2,
            "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            "removal_policy": removal_policy,
        }
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(access_log_days))],
            **private,
        )
        skip_for_access_log_bucket(self.access_logs)
        logged = {**private, "versioned": True, "server_access_logs_bucket": self.access_logs}
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            server_access_logs_prefix=f"{bucket_name}/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    noncurrent_version_expiration=Duration.days(noncurrent_version_days),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            **logged,
        )
        self.runs = s3.Bucket(
            self,
            "Runs",
            server_access_logs_prefix="runs/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(run_file_days),
                    noncurrent_version_expiration=Duration.days(1),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            **logged,
        )

    def results_objects_arn(self) -> str:
        """The ARN pattern of the stored results (accepted orders' documents)."""
        return self.bucket.arn_for_objects(f"{RESULTS_PREFIX}*")

    def run_files_arn(self, pattern: str = "*") -> str:
        """The ARN pattern of runs' files: `pattern` under `runs/`."""
        return self.runs.arn_for_objects(f"{RUNS_PREFIX}{pattern}")
