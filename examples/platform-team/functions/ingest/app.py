"""The ingest worker: stores each record it receives under landing/ingest/ in the data lake's bucket.

Event: {"records": [{"id": "...", "body": "..."}]}, or S3's "Object Created" event for a new file under reference/
(the grant's events, delivered by EventBridge), whose object it reads the head of. The configuration and the S3
client are created once per container; a key outside the grant is refused before any call to S3.
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


def object_created(event):
    """S3's Object Created event: the object's size and ETag, read through the grant; another bucket or key refused."""
    detail = event.get("detail") or {}
    bucket = (detail.get("bucket") or {}).get("name")
    key = (detail.get("object") or {}).get("key")
    if bucket != CONFIG.bucket_name or not isinstance(key, str) or not CONFIG.readable_prefix(key):
        raise NotGrantedError(f"object s3://{bucket}/{key} is not under a readable granted prefix")
    head = S3.head_object(Bucket=CONFIG.bucket_name, Key=key)
    LOG.info(json.dumps({"object_created": key, "bytes": head["ContentLength"]}))
    return {"key": key, "bytes": head["ContentLength"], "etag": head.get("ETag")}


def handler(event, context):
    if event.get("source") == "aws.s3" and event.get("detail-type") == "Object Created":
        return object_created(event)
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
