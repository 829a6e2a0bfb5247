"""The delivery pipeline's artifact store, which the stage accounts read what they deploy from."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from auction_constructs.checkov import skip_for_access_log_bucket


class PipelineArtifacts(Construct):
    """A versioned, access-logged bucket encrypted with its own rotating key.

    CDK Pipelines makes such a key itself, but drops it when given a bucket (checked with
    aws-cdk-lib 2.273): the bucket brings its key, and the pipeline grants the stage
    accounts' deploy roles the use of it, as it would its own.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        artifact_days: int = 90,
        access_log_days: int = 365,
    ) -> None:
        super().__init__(scope, id_)
        kept = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
        self.key = kms.Key(
            self,
            "Key",
            enable_key_rotation=True,
            description="Encrypts the delivery pipeline's artifacts",
            removal_policy=kept,
        )
        private = {
            "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
            "enforce_ssl": True,
            "minimum_tls_version": 1.2,
            "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            "removal_policy": kept,
        }
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,  # log delivery cannot use a KMS key
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(access_log_days))],
            **private,
        )
        skip_for_access_log_bucket(self.access_logs)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(artifact_days),
                    noncurrent_version_expiration=Duration.days(artifact_days),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            **private,
        )
