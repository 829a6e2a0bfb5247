"""The results bucket (the seed's `order-results`): accepted orders as JSON under `orders/`."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from auction_constructs.checkov import skip_for_access_log_bucket

RESULTS_PREFIX = "orders/"


class ResultsBucket(Construct):
    """Private, encrypted, TLS-only, versioned, with server access logs."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        bucket_name: str,
        removal_policy: RemovalPolicy,
        noncurrent_version_days: int = 90,
        access_log_days: int = 365,
    ) -> None:
        super().__init__(scope, id_)
        private = {
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
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=f"{bucket_name}/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    noncurrent_version_expiration=Duration.days(noncurrent_version_days),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            **private,
        )

    def results_objects_arn(self) -> str:
        """The ARN pattern of the stored results, the only objects Lambda B may write."""
        return self.bucket.arn_for_objects(f"{RESULTS_PREFIX}*")
