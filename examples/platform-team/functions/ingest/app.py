"""The ingest worker: stores each record it receives under landing/ingest/ in the data lake's bucket.

Event: {"records": [{"id": "...", "body": "..."}]}. The configuration and the S3 client are created once per
container; a key outside the grant is refused before any call to S3.
"""
import json
import logging
import os

import boto3

from grant_config import GrantConfig, load

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)

CONFIG: GrantConfig = load(os.environ)
S3 = boto3.client("s3")
LANDING_PREFIX = "landing/ingest/"


class NotGrantedError(Exception):
    """The key lies outside every prefix the grant lets this function write."""


def handler(event, context):
    stored = []
    for record in event.get("records", []):
        key = f"{LANDING_PREFIX}{record['id']}.json"
        if not CONFIG.writable_prefix(key):
            raise NotGrantedError(f"key {key!r} is not under a writable granted prefix")
        try:
            # No encryption header: the bucket's default key applies, as the bucket policy requires.
            S3.put_object(Bucket=CONFIG.bucket_name, Key=key, Body=json.dumps(record).encode("utf-8"))
        except Exception:
            LOG.exception("put failed", extra={"bucket": CONFIG.bucket_name, "key": key})
            raise
        stored.append(key)
    LOG.info(json.dumps({"stored": len(stored), "request_id": getattr(context, "aws_request_id", None)}))
    return {"stored": stored}
