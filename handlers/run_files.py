"""An auction run's files in S3 (see domain/runs.py), written and read as exact JSON."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from handlers.json_text import exact_json, exact_loads


class RunFiles:
    """The run files of one bucket, through one S3 client."""

    def __init__(self, s3: Any, bucket: str) -> None:
        self.s3 = s3
        self.bucket = bucket

    def put(self, key: str, payload: Any) -> None:
        self.s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=exact_json(payload).encode(),
            ContentType="application/json",
        )

    def get(self, key: str) -> Any:
        return exact_loads(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def get_if_present(self, key: str) -> Any | None:
        """The file's content, or None when there is no such file."""
        try:
            return self.get(key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise

    def location(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"
