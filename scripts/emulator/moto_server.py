"""Starts moto's server with IAM policy evaluation made faithful where this project depends on it.

moto 5.x, with IAM enforcement on, checks only the caller's identity policies; it evaluates Condition blocks only with
StringEquals (any other operator counts as matching, so `Deny ... Bool aws:SecureTransport false` denies everything and
an Allow limited by `StringLike s3:prefix` allows every prefix); it does not require a bucket policy to allow a
cross-account caller; and it does not check a role's trust policy when the role is in another account. What is
deployed locally must be what production gets, so instead of weakening the policies this launcher changes moto's
evaluation to AWS's rules for what it can know, and says what it cannot:

* Every request is allowed only when the caller's identity policies allow it and no policy denies it. In addition:
  - sts:AssumeRole needs the role's trust policy to allow the caller (in whatever account the role is), with
    sts:ExternalId from the request;
  - an S3 request on a bucket of another account needs the bucket policy to allow the caller; in the bucket's own
    account the bucket policy may allow too; a Deny in it always wins.
* A statement applies only when its Principal matches the caller (a role matches the sessions of that role; an
  account root matches every principal of the account) and every Condition can be evaluated and matches.
  StringEquals, StringLike (with * and ?), their negations and Null are evaluated, with the keys aws:PrincipalArn,
  aws:PrincipalAccount, s3:prefix (ListBucket), sts:ExternalId (AssumeRole) and, on every request moto authorizes
  as s3:PutObject (PutObject, CreateMultipartUpload, UploadPart, CopyObject, UploadPartCopy,
  CompleteMultipartUpload), s3:x-amz-server-side-encryption, s3:x-amz-server-side-encryption-aws-kms-key-id and
  s3:x-amz-server-side-encryption-customer-algorithm from the request's headers. Those encryption keys are known
  there even when the header is absent, as in AWS: Null "true" then matches, StringEquals and StringLike do not,
  their negations do. So the bucket policy's upload-encryption denials are judged.
* S3 request signatures are checked over the query as the client escaped it and the raw body (moto signs a decoded
  query plus the query again as a body, so ListObjectsV2 with prefix=a/ fails with SignatureDoesNotMatch).
* Emptying a versioned bucket whose keys have delete markers (terraform destroy with force_destroy) works: moto
  disposes of every version of a key it drops and fails with HTTP 500 on a delete marker, which has nothing to
  dispose of.
* S3 request metrics configurations (PutBucketMetricsConfiguration, Get, List and Delete) are stored per bucket and
  returned as they were sent, authorized as s3:PutMetricsConfiguration and s3:GetMetricsConfiguration, and a missing
  one is 404 NoSuchConfiguration, as in AWS. moto has no such API: it takes the PUT for a CreateBucket, answers the
  GET with the bucket's listing (an empty configuration once parsed), and would take the DELETE for a DeleteBucket.
  The metrics themselves (AWS/S3 4xxErrors by FilterId) are never published by the emulator.
* PutBucketLogging checks the target bucket's policy for a statement letting S3's log delivery
  (logging.s3.amazonaws.com) put objects under the target prefix, as moto does, but reads the policy as IAM does:
  moto fails with HTTP 500 on any statement whose Principal is "*" (the TLS-only Deny every bucket policy here starts
  with), and wants Action, Resource and the service as exact strings. Its conditions are not evaluated there (nor
  does the emulator deliver logs); the access proof and the security rules judge them.
* GetBucketNotificationConfiguration returns the bucket's EventBridgeConfiguration when EventBridge is on, as AWS
  does: moto stores it (and sends the bucket's events to the default bus) but leaves it out of the answer, so
  Terraform would read `eventbridge = false` back and plan to turn it on at every run.
* S3's events reach EventBridge as in AWS: from the bucket owner's account to its default bus only (moto sends them
  from the uploader's account to every bus there), a deleted object's with its `deletion-type` and no size or ETag, and
  a delete marker's too (moto sends no event when a delete in a versioned bucket puts a delete marker). A rule's target that is an event bus in another account gets the
  event as it was, its `account`, `region` and `resources` kept (moto rebuilds it as an event of the receiving
  account, so a rule there that pins the sending account, as AWS advises, never matches). A rule's Lambda target
  (which moto cannot invoke without Docker, and which would abort its other targets) is recorded instead: with
  EMULATOR_LAMBDA_DELIVERIES naming a file, each event a rule delivers to a function is appended as one JSON line
  {"function": <ARN>, "rule": <ARN>, "event": <the event>}, for the end-to-end suites to run the handler with. Bus
  policies and the role a target sends with are not enforced here: the access proof judges them.
* S3's notifications to a queue reach the queue the entry's ARN names, in that ARN's account and region, as in AWS:
  object events and the s3:TestEvent sent when the configuration is saved (moto looks for a queue of that name in the
  uploader's account, so a bucket's messages to another account's queue are lost). A configuration naming a queue that
  does not exist fails with InvalidArgument "Unable to validate the following destination configurations", as S3's
  check of its destinations does (moto accepts it), and a refused configuration leaves the bucket's as it was (moto
  stores one it refuses for a destination in another region). The message is S3's, compact JSON: its time in UTC to the
  millisecond, the key URL-encoded as a form is (a space as +, a / kept: moto encodes / too), a versioned bucket's
  versionId and a sequencer; a removal's, the delete marker's included (whose event the launcher sends), has no size or
  ETag (moto's message reads both, and fails on a delete marker, which has neither). Queue policies
  and the queue's KMS key policy are not enforced here: the access proof judges them.
* An event source mapping of a queue does not invoke its function (moto needs Docker, and invokes once a message):
  with EMULATOR_LAMBDA_DELIVERIES naming a file, each batch it takes is appended as one JSON line
  {"function": <ARN>, "eventSourceArn": <the queue's ARN>, "event": {"Records": [...]}}, Lambda's SQS event with each
  message's own ID, receipt handle, body, MD5 and receive attributes (moto's are fixed), and its messages are then
  deleted, as after an invocation that succeeded (what the handler would answer, batchItemFailures included, is not
  known here). A batch holds up to the mapping's batch size (10 when none is given, as in AWS; moto keeps none and fails
  on the first message). A mapping takes what its queue holds once it is created or enabled (moto takes only messages
  sent afterwards), and nothing once it is deleted (moto's queue keeps sending to it); without an enabled mapping,
  messages stay in the queue. A queue's RedrivePolicy reads back as compact JSON, as SQS returns it (moto's has spaces,
  which Terraform plans to change at every run).
* With EMULATOR_ACTION_LOG naming a file, every request moto authorizes (IAM enforcement on or off) is appended to
  it as one JSON line: the caller's ARN (a role session as its role's ARN), the session's own ARN, its account, and
  the IAM action moto authorizes it as (the service of the request's signature, CloudWatch's "monitoring" written as
  "cloudwatch"; HeadBucket as s3:ListBucket, as AWS authorizes it). The end-to-end suites read what each deploy role
  called to check the deploy actions the package lists (modules/deploy/deploy-permissions.ts). moto names S3's
  actions from its own table (ACTION_MAP) and authorizes no S3 Control request, so access point calls are not there.
* A condition the emulator cannot evaluate (another operator, or a key it does not have, such as aws:SecureTransport
  or kms:ViaService) makes its statement not apply. Those conditions, and KMS key policies, which moto does not
  consult for S3 encryption, are proven by the access proof (an IAM policy simulator), not here. moto also checks
  bucket policies on its own, with no request context (even with IAM enforcement off); there every key is unknown,
  so a conditional statement never applies, the encryption denials included.

Usage: python3 moto_server.py [moto_server arguments, e.g. -H 127.0.0.1 -p 5000]
"""

import copy
import json
import os
import re
import sys
import threading
import time
from datetime import datetime, timezone
from urllib.parse import quote, quote_plus

from moto.awslambda.models import EventSourceMapping, LambdaBackend
from moto.core.responses import ActionAuthenticatorMixin
from moto.iam import access_control
from moto.iam.access_control import IAMPolicy, IAMPolicyStatement, IAMRequestBase, PermissionResult, S3IAMRequest
from moto.iam.models import iam_backends
from moto.s3.models import LOGGING_SERVICE_PRINCIPAL, FakeBucket, FakeDeleteMarker, S3Backend, s3_backends
from moto.events.models import Rule as EventsRule
from moto.s3 import notifications as s3_notifications
from moto.s3.exceptions import InvalidArgumentError
from moto.s3.responses import ACTION_MAP, S3Response
from moto.sqs.models import Queue as SqsQueue


# The headers that choose an upload's encryption; S3 sets the condition key s3:<header> from each.
UPLOAD_ENCRYPTION_HEADERS = (
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-server-side-encryption-customer-algorithm",
)


def _like(pattern, value):
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


OPERATORS = {
    "StringEquals": lambda expected, actual: expected == actual,
    "StringNotEquals": lambda expected, actual: expected != actual,
    "StringLike": _like,
    "StringNotLike": lambda expected, actual: not _like(expected, actual),
}


def _condition_matches(operator, expected_values, actual):
    """One key of one condition; `actual` None is a key the request does not have."""
    if operator == "Null":
        return any(str(e).lower() == str(actual is None).lower() for e in expected_values)
    negated = operator.startswith("StringNot")
    if actual is None:
        return negated
    matches = [OPERATORS[operator](str(e), actual) for e in expected_values]
    return all(matches) if negated else any(matches)


def evaluate_conditions(conditions, context):
    """True when every condition matches, False when one does not, None when one cannot be evaluated. A key that
    the context maps to None is known to be absent from the request; a key it does not have is unknown."""
    for operator, block in conditions.items():
        if operator != "Null" and operator not in OPERATORS:
            return None
        for key, expected in block.items():
            if key not in context:
                return None
            expected_values = expected if isinstance(expected, list) else [expected]
            if not _condition_matches(operator, expected_values, context[key]):
                return False
    return True


def _account_of(arn):
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def principal_matches(expected, caller):
    if expected == "*":
        return True
    if not isinstance(expected, dict):
        return False
    values = expected.get("AWS", [])
    values = values if isinstance(values, list) else [values]
    account = _account_of(caller)
    partition = caller.split(":")[1] if caller.count(":") >= 5 else "aws"
    return any(v in ("*", caller, account, f"arn:{partition}:iam::{account}:root") for v in values)


_original_statement_check = IAMPolicyStatement.is_action_permitted


def _statement_check(self, action, resource="*", principal=None, incoming_condition_values=None):
    statement = self._statement
    if principal is not None and "Principal" in statement and not principal_matches(statement["Principal"], principal):
        return PermissionResult.NEUTRAL
    conditions = statement.get("Condition")
    if conditions and evaluate_conditions(conditions, incoming_condition_values or {}) is not True:
        return PermissionResult.NEUTRAL
    plain = IAMPolicyStatement({k: v for k, v in statement.items() if k not in ("Condition", "Principal")})
    return _original_statement_check(plain, action, resource, None, incoming_condition_values)


def _first(value):
    return value[0] if isinstance(value, list) else value


def _caller_arn(access_key):
    """The caller as a policy names it: a role session is matched by its role's ARN."""
    arn = access_key.arn
    match = re.match(r"^arn:([^:]+):sts::(\d{12}):assumed-role/([^/]+)/", arn)
    return f"arn:{match.group(1)}:iam::{match.group(2)}:role/{match.group(3)}" if match else arn


def _resource_policy(request, resource, caller_account):
    """(policy document, required) of the resource a request acts on, or (None, False)."""
    if request._action == "sts:AssumeRole" and ":role/" in resource:
        account = _account_of(resource)
        partition = resource.split(":")[1]
        try:
            role = iam_backends[account][partition].get_role_by_arn(resource)
        except Exception:
            return None, False
        return role.assume_role_policy_document, True
    if request._action.startswith("s3:") and resource.startswith("arn:") and ":s3:::" in resource:
        bucket_name = resource.split(":::", 1)[1].split("/", 1)[0]
        located = s3_backends.bucket_accounts.get(bucket_name)
        if not located:
            return None, False
        partition, account = located
        bucket = s3_backends[account][partition].buckets.get(bucket_name)
        policy = bucket.policy.decode() if bucket is not None and bucket.policy else None
        return policy, account != caller_account
    return None, False


def check_action_permitted(self, resource):
    if self._action == "sts:GetCallerIdentity":
        return
    caller = _caller_arn(self._access_key)
    caller_account = _account_of(caller)
    context = {"aws:PrincipalArn": caller, "aws:PrincipalAccount": caller_account}
    if self._action == "s3:ListBucket":
        context["s3:prefix"] = _first(self._data.get("prefix", "")) or ""
    if self._action == "sts:AssumeRole" and "ExternalId" in self._data:
        context["sts:ExternalId"] = str(_first(self._data["ExternalId"]))
    if self._action == "s3:PutObject":
        headers = {name.lower(): value for name, value in self._headers.items()}
        context.update({f"s3:{h}": headers.get(h) for h in UPLOAD_ENCRYPTION_HEADERS})

    permitted = False
    for policy in self._access_key.collect_policies():
        verdict = IAMPolicy(policy).is_action_permitted(self._action, resource, None, context)
        if verdict == PermissionResult.DENIED:
            self._raise_access_denied()
        permitted = permitted or verdict == PermissionResult.PERMITTED

    document, required = _resource_policy(self, resource, caller_account)
    if document is not None:
        verdict = IAMPolicy(document).is_action_permitted(self._action, resource, caller, context)
        if verdict == PermissionResult.DENIED:
            self._raise_access_denied()
        granted = verdict == PermissionResult.PERMITTED
        permitted = (permitted and granted) if required else (permitted or granted)
    elif required:
        permitted = False
    if not permitted:
        self._raise_access_denied()


# The service part of an IAM action where the request's signature names the service otherwise.
SIGNING_NAME_TO_IAM_SERVICE = {"monitoring": "cloudwatch"}
# moto's name for an action where AWS authorizes the call as another one.
IAM_ACTION_OF = {"s3:HeadBucket": "s3:ListBucket"}
_action_log_lock = threading.Lock()
_original_authenticate = ActionAuthenticatorMixin._authenticate_and_authorize_action


def _record_action(self, iam_request_cls):
    """Appends the request's caller and IAM action to EMULATOR_ACTION_LOG; a request moto cannot read as signed
    (a presigned URL, an unknown access key) is not recorded."""
    path = os.environ.get("EMULATOR_ACTION_LOG")
    if not path or "Authorization" not in self.headers:
        return
    try:
        request = iam_request_cls(
            account_id=self.current_account,
            method=self.method,
            path=self.uri,
            data=self.data,
            body=self.raw_body,
            headers=self.headers,
            action=self._get_action(),
        )
        service, _, action = request._action.partition(":")
        caller = _caller_arn(request._access_key)
    except Exception:
        return
    action = f"{SIGNING_NAME_TO_IAM_SERVICE.get(service, service)}:{action}"
    line = {"caller": caller, "session": request._access_key.arn, "account": _account_of(caller), "action": IAM_ACTION_OF.get(action, action)}
    with _action_log_lock, open(path, "a", encoding="utf-8") as log:
        log.write(json.dumps(line) + "\n")


def _authenticate_and_record(self, iam_request_cls, resource="*"):
    _record_action(self, iam_request_cls)
    return _original_authenticate(self, iam_request_cls, resource)


_original_create_aws_request = S3IAMRequest._create_aws_request


def _s3_create_aws_request(self):
    """moto rebuilds the request it signs from a decoded query string, and also folds the query into the body, so a
    signed S3 request whose query has a character that must be escaped (ListObjectsV2 with prefix=a/) fails with
    SignatureDoesNotMatch. Sign what the client signed: the query escaped as SigV4 escapes it, and the raw body."""
    data, path = self._data, self._path
    base, _, query = path.partition("?")
    if query:
        pairs = [part.partition("=") for part in query.split("&") if part]
        escaped = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, _, v in pairs)
        self._path = f"{base}?{escaped}"
    try:
        self._data = {}
        return _original_create_aws_request(self)
    finally:
        self._data, self._path = data, path


METRICS_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"


def _xml(status, body):
    return status, {"content-type": "application/xml"}, f'<?xml version="1.0" encoding="UTF-8"?>\n{body}'


def _metrics_configurations(response, bucket_name):
    """The bucket's stored configurations by ID (MissingBucket when there is no such bucket)."""
    bucket = response.backend.get_bucket(bucket_name)
    if not hasattr(bucket, "metrics_configurations"):
        bucket.metrics_configurations = {}
    return bucket.metrics_configurations


def _no_such_configuration():
    return _xml(404, "<Error><Code>NoSuchConfiguration</Code><Message>The specified configuration does not exist.</Message></Error>")


def _metrics_response(response, method, bucket_name, querystring):
    response._set_action("BUCKET", method, querystring)
    response._authenticate_and_authorize_s3_action(bucket_name=bucket_name)
    configurations = _metrics_configurations(response, bucket_name)
    config_id = (querystring.get("id") or [None])[0]
    if method == "PUT":
        body = response.body.decode("utf-8") if isinstance(response.body, bytes) else str(response.body)
        stored = re.search(r"<Id>([^<]*)</Id>", body)
        if not config_id or not stored or stored.group(1) != config_id:
            return _xml(400, "<Error><Code>InvalidArgument</Code><Message>The metrics configuration ID in the body must match the id parameter.</Message></Error>")
        configurations[config_id] = re.sub(r"^\s*<\?xml[^>]*\?>\s*", "", body)
        return 200, {}, ""
    if method == "DELETE":
        if configurations.pop(config_id, None) is None:
            return _no_such_configuration()
        return 204, {}, ""
    if config_id is not None:
        return _xml(200, configurations[config_id]) if config_id in configurations else _no_such_configuration()
    listed = "".join(configurations[k] for k in sorted(configurations))
    return _xml(200, f'<ListMetricsConfigurationsResult xmlns="{METRICS_XMLNS}">{listed}<IsTruncated>false</IsTruncated></ListMetricsConfigurationsResult>')


def _with_metrics(method, original):
    def handle(self, *args):
        # _bucket_response_get(bucket_name, querystring); _bucket_response_put(request, bucket_name, querystring)
        bucket_name, querystring = args[-2], args[-1]
        if "metrics" in querystring:
            return _metrics_response(self, method, bucket_name, querystring)
        return original(self, *args)

    return handle


def _as_list(value):
    return value if isinstance(value, list) else [] if value is None else [value]


def _log_delivery_allowed(target_bucket, target_prefix):
    """Whether the target bucket's policy lets S3's log delivery put a log object under `target_prefix`: an Allow
    naming the service, an action matching s3:PutObject and a resource matching such an object, with IAM's wildcards."""
    if not target_bucket.policy:
        return False
    document = json.loads(target_bucket.policy.decode())
    log_object = f"arn:{target_bucket.partition}:s3:::{target_bucket.name}/{target_prefix or ''}2026-01-01-00-00-00-0123456789ABCDEF"
    for statement in _as_list(document.get("Statement")):
        principal = statement.get("Principal")
        services = _as_list(principal.get("Service")) if isinstance(principal, dict) else []
        if (
            statement.get("Effect") == "Allow"
            and LOGGING_SERVICE_PRINCIPAL in services
            and any(_like(str(a).lower(), "s3:putobject") for a in _as_list(statement.get("Action")))
            and any(_like(str(r), log_object) for r in _as_list(statement.get("Resource")))
        ):
            return True
    return False


def _with_event_bridge(original):
    """GetBucketNotificationConfiguration with the EventBridgeConfiguration moto keeps but does not return."""

    def get_bucket_notification(self):
        response = original(self)
        config = self.backend.get_bucket_notification_configuration(self.bucket_name)
        if config is None or config.event_bridge is None:
            return response
        status, headers, body = response if isinstance(response, tuple) else (200, {}, response)
        text = body.decode() if isinstance(body, bytes) else str(body)
        if "<EventBridgeConfiguration" in text:
            return response
        if "</NotificationConfiguration>" in text:
            text = text.replace("</NotificationConfiguration>", "<EventBridgeConfiguration/></NotificationConfiguration>")
        else:
            text = '<?xml version="1.0" encoding="UTF-8"?><NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><EventBridgeConfiguration/></NotificationConfiguration>'
        return status, headers, text

    return get_bucket_notification


_deliveries_lock = threading.Lock()


def _record_delivery(record):
    """Appends one delivery to a function to EMULATOR_LAMBDA_DELIVERIES, when it names a file."""
    path = os.environ.get("EMULATOR_LAMBDA_DELIVERIES")
    if not path:
        return
    line = json.dumps(record, default=str)
    with _deliveries_lock, open(path, "a", encoding="utf-8") as out:
        out.write(line + "\n")


def _record_lambda_delivery(function_arn, rule_arn, event):
    """Records an event a rule delivered to a function."""
    _record_delivery({"function": function_arn, "rule": rule_arn, "event": event})


def _forward_to_bus(bus_arn, event):
    """Puts an event on a bus of another account (or region) as it was: the rules there see its own account."""
    from moto.events.models import events_backends

    backend = events_backends[bus_arn.account][bus_arn.region]
    bus = backend.describe_event_bus(bus_arn.resource_id)
    for rule in list(bus.rules.values()):
        rule.send_to_targets(copy.deepcopy(event), transform_input=False)


def _with_faithful_targets(original):
    """Rule.send_to_targets forwarding between buses as AWS does, and recording Lambda targets (see the module)."""
    from moto.utilities.arns import parse_arn

    def send_to_targets(self, original_event, transform_input=True):
        if not self.event_pattern.matches_event(original_event):
            return
        others = []
        for target in self.targets:
            arn = parse_arn(target["Arn"])
            if arn.service == "events" and arn.resource_type == "event-bus":
                _forward_to_bus(arn, original_event)
            elif arn.service == "lambda":
                _record_lambda_delivery(target["Arn"], self.arn, original_event)
            else:
                others.append(target)
        if others:
            original(_TargetsView(self, others), original_event, transform_input)

    return send_to_targets


class _TargetsView:
    """A rule seen with only some of its targets, for moto's own delivery to the others."""

    def __init__(self, rule, targets):
        self._rule = rule
        self.targets = targets

    def __getattr__(self, name):
        return getattr(self._rule, name)


# S3's `reason` of an Object Created event, by the notification event name's last part.
_S3_EVENT_REASONS = {"Put": "PutObject", "Post": "POST Object", "Copy": "CopyObject"}


# S3's `deletion-type` of an Object Deleted event, by the notification event name's last part.
_S3_DELETION_TYPES = {"Delete": "Permanently Deleted", "DeleteMarkerCreated": "Delete Marker Created"}


def _event_detail(account_id, bucket, event_name, key):
    """The `detail` of S3's EventBridge event: the object (a deleted one has no size or ETag any more) and why."""
    last = event_name.split(":")[-1]
    detail = {"version": "0", "bucket": {"name": bucket.name}, "requester": account_id}
    if last in _S3_DELETION_TYPES:
        detail["object"] = {"key": key.name, "version-id": key.version_id}
        detail["deletion-type"] = _S3_DELETION_TYPES[last]
        detail["reason"] = "DeleteObject"
        return detail
    detail["object"] = {"key": key.name, "size": key.size, "etag": key.etag.replace('"', ""), "version-id": key.version_id}
    detail["reason"] = _S3_EVENT_REASONS.get(last, last)
    return detail


def _with_delete_marker_events(original):
    """S3Backend.delete_object sending S3's event when it puts a delete marker, as AWS does (moto sends none)."""
    from moto.s3 import notifications

    def delete_object(self, bucket_name, key_name, version_id=None, bypass=False):
        deleted, meta = original(self, bucket_name, key_name, version_id, bypass)
        if meta.get("delete-marker") == "true":
            bucket = self.get_bucket(bucket_name)
            marker = next((k for k in reversed(bucket.keys.getlist(key_name, [])) if isinstance(k, FakeDeleteMarker)), None)
            if marker is not None:
                notifications.send_event(
                    self.account_id,
                    notifications.S3NotificationEvent.OBJECT_REMOVED_DELETE_MARKER_CREATED_EVENT,
                    bucket,
                    marker,
                )
        return deleted, meta

    return delete_object


def _send_event_bridge_message(account_id, bucket, event_name, key):
    """S3's event on the default bus of the bucket owner's account, as AWS sends it (see the module)."""
    from moto.events.models import events_backends
    from moto.events.utils import _BASE_EVENT_MESSAGE
    from moto.s3 import notifications

    try:
        event = copy.deepcopy(_BASE_EVENT_MESSAGE)
        event["detail-type"] = notifications._detail_type(event_name)
        event["source"] = "aws.s3"
        event["account"] = bucket.account_id
        event["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        event["region"] = bucket.region_name
        event["resources"] = [bucket.arn]
        event["detail"] = _event_detail(account_id, bucket, event_name, key)
        backend = events_backends[bucket.account_id][bucket.region_name]
        for rule in list(backend.describe_event_bus("default").rules.values()):
            rule.send_to_targets(event, transform_input=False)
    except Exception:  # noqa: BLE001 -- delivery is asynchronous in AWS: an upload never fails because of it
        pass


def _event_time():
    """Now as S3 writes an event's time: UTC, to the millisecond (moto writes local time, to the microsecond, no Z)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _s3_event(event_name, bucket, key, notification_id):
    """S3's notification message as moto builds it, made as S3 writes it: the key URL-encoded as a form is (a space as
    +, a / kept; moto encodes / too), the version of a versioned bucket's object and a sequencer, and a deleted
    object's with no size or ETag (moto reads both, and fails on a delete marker, which has neither)."""
    obj = {"key": quote_plus(key.name, safe="/")}
    if not event_name.startswith("s3:ObjectRemoved:"):
        obj.update({"size": key.size, "eTag": key.etag.replace('"', "")})
    if bucket.is_versioned and key.version_id not in (None, "null"):
        obj["versionId"] = key.version_id
    obj["sequencer"] = f"{time.time_ns():018X}"
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": bucket.region_name,
        "eventTime": _event_time(),
        "eventName": event_name[3:],  # s3:ObjectCreated:Put -> ObjectCreated:Put
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": notification_id,
            "bucket": {"name": bucket.name, "arn": bucket.arn},
            "object": obj,
        },
    }
    return {"Records": [record]}


def _send_to_queue(queue_arn, message):
    """Sends S3's message to the queue the ARN names, in the ARN's account and region (moto looks for a queue of that
    name in the uploader's account). Delivery is asynchronous in AWS: a missing queue never fails the request."""
    from moto.sqs.models import sqs_backends

    _, _, _, region, account, name = queue_arn.split(":", 5)
    try:
        body = json.dumps(message, separators=(",", ":"))  # compact, as S3 writes it
        sqs_backends[account][region].send_message(queue_name=name, message_body=body)
    except Exception:  # noqa: BLE001
        pass


class _BucketView:
    """A bucket seen with another notification configuration, for moto's own delivery to the other destinations."""

    def __init__(self, bucket, configuration):
        self._bucket = bucket
        self.notification_configuration = configuration

    def __getattr__(self, name):
        return getattr(self._bucket, name)


def _without_queues(bucket):
    configuration = copy.copy(bucket.notification_configuration)
    configuration.queue = []
    return _BucketView(bucket, configuration)


def _with_queues_by_arn(original):
    """notifications.send_event sending to each matching queue entry's queue by its ARN (see _send_to_queue)."""

    def send_event(account_id, event_name, bucket, key):
        if bucket.notification_configuration is None:
            return
        for entry in bucket.notification_configuration.queue:
            if entry.matches(event_name, key.name):
                _send_to_queue(entry.arn, _s3_event(event_name, bucket, key, entry.id))
        original(account_id, event_name, _without_queues(bucket), key)

    return send_event


def _with_test_events_by_arn(original):
    """notifications.send_test_event sending s3:TestEvent to each queue by its ARN, with S3's time format."""

    def send_test_event(account_id, bucket):
        for arn in sorted({entry.arn for entry in bucket.notification_configuration.queue}):
            message = s3_notifications._get_test_event(bucket.name)
            message["Time"] = _event_time()
            _send_to_queue(arn, message)
        original(account_id, _without_queues(bucket))

    return send_test_event


def _queue_at(queue_arn):
    """The queue an ARN names, or None."""
    from moto.sqs.models import sqs_backends

    _, _, _, region, account, name = queue_arn.split(":", 5)
    try:
        return sqs_backends[account][region].queues.get(name)
    except KeyError:  # not a region
        return None


def _with_destination_validation(original):
    """PutBucketNotificationConfiguration refusing a queue that does not exist, as S3 does when it validates the
    destinations (moto accepts any ARN, and its messages to it are lost). One in another region than the bucket is
    left to moto, which refuses it as S3 does, but only after storing it: a refused configuration is undone."""

    def put_bucket_notification_configuration(self, bucket_name, notification_config):
        bucket = self.get_bucket(bucket_name)
        for entry in (notification_config or {}).get("QueueConfiguration") or []:
            if entry["Queue"].split(":")[3] == bucket.region_name and _queue_at(entry["Queue"]) is None:
                raise InvalidArgumentError(
                    "Unable to validate the following destination configurations",
                    entry["Queue"],
                    "The destination queue does not exist",
                )
        previous = bucket.notification_configuration
        try:
            return original(self, bucket_name, notification_config)
        except Exception:
            bucket.notification_configuration = previous
            raise

    return put_bucket_notification_configuration


def _sqs_record(message, queue_arn, region):
    """A received message as Lambda's SQS event shows it (moto's has fixed attributes and MD5)."""
    attributes = {
        "ApproximateReceiveCount": str(message.approximate_receive_count),
        "SentTimestamp": str(message.sent_timestamp),
        "SenderId": message.sender_id,
        "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
    }
    if message.group_id:  # a FIFO queue's
        attributes["SequenceNumber"] = message.sequence_number
        attributes["MessageGroupId"] = message.group_id
        attributes["MessageDeduplicationId"] = message.deduplication_id
    return {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": attributes,
        "messageAttributes": {},
        "md5OfBody": message.body_md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def _record_sqs_batch(self, function_arn, messages, queue_arn):
    """LambdaBackend.send_sqs_batch recording the batch as one invocation's event (moto invokes the function once a
    message, which needs Docker) and answering success, so that the messages are deleted as Lambda deletes them."""
    if messages:
        event = {"Records": [_sqs_record(m, queue_arn, self.region_name) for m in messages]}
        _record_delivery({"function": function_arn, "eventSourceArn": queue_arn, "event": event})
    return True


def _mapped_queue(mapping):
    """The queue of an event source mapping in its own account and region, or None (not a queue)."""
    from moto.sqs.models import sqs_backends

    queues = sqs_backends[mapping.account_id][mapping.region].queues.values()
    return next((q for q in queues if q.queue_arn == mapping.event_source_arn), None)


def _poll(mapping):
    """Takes what an enabled mapping's queue holds, batch by batch, as Lambda's poller does once the mapping is on
    (moto takes a batch only when a message is sent)."""
    from moto.awslambda.utils import get_backend
    from moto.sqs.models import sqs_backends

    queue = _mapped_queue(mapping)
    if queue is None or not mapping.enabled:
        return
    sqs = sqs_backends[queue.account_id][queue.region]
    while True:
        messages = sqs.receive_message(queue.name, mapping.batch_size, 0, queue.visibility_timeout)
        if not messages:
            return
        get_backend(mapping.account_id, mapping.region).send_sqs_batch(mapping.function_arn, messages, queue.queue_arn)
        for message in messages:
            sqs.delete_message(queue.name, message.receipt_handle)


def _with_polling(original):
    """Create/UpdateEventSourceMapping, then the poll (see _poll)."""

    def change(self, *args):
        mapping = original(self, *args)
        if mapping is not None:
            _poll(mapping)
        return mapping

    return change


def _with_mapping_detached(original):
    """DeleteEventSourceMapping also taking the mapping off its queue (moto's queue keeps sending batches to it)."""

    def delete_event_source_mapping(self, uuid):
        mapping = original(self, uuid)
        queue = _mapped_queue(mapping) if mapping is not None else None
        if queue is not None:
            for name in [n for n, m in queue.lambda_event_source_mappings.items() if m is mapping]:
                del queue.lambda_event_source_mappings[name]
        return mapping

    return delete_event_source_mapping


def _with_sqs_batch_size(original):
    """An event source mapping of a queue has Lambda's default batch size, 10 (moto keeps none, and then fails when a
    message arrives)."""

    def __init__(self, spec):
        original(self, spec)
        if self.batch_size is None and self._get_service_source_from_arn().startswith("sqs"):
            self.batch_size = 10

    return __init__


def _with_compact_redrive_policy(original):
    """A queue's attributes with RedrivePolicy as compact JSON, as SQS returns it (moto's has spaces, which Terraform
    reads as a change to make at every plan)."""

    def attributes(self):
        result = original.fget(self)
        if self.redrive_policy:
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        return result

    return property(attributes)


def _nothing_to_dispose(self, garbage=False):
    """A delete marker holds no data; moto calls dispose() on every version of a key it drops."""


for _method, _name in (("GET", "_bucket_response_get"), ("PUT", "_bucket_response_put"), ("DELETE", "_bucket_response_delete")):
    setattr(S3Response, _name, _with_metrics(_method, getattr(S3Response, _name)))
# What IAM authorizes the metrics configuration calls as (DeleteBucketMetricsConfiguration is s3:PutMetricsConfiguration).
ACTION_MAP["BUCKET"]["GET"]["metrics"] = "GetMetricsConfiguration"
ACTION_MAP["BUCKET"]["PUT"]["metrics"] = "PutMetricsConfiguration"
ACTION_MAP["BUCKET"]["DELETE"]["metrics"] = "PutMetricsConfiguration"
FakeBucket._log_permissions_enabled_policy = staticmethod(_log_delivery_allowed)
S3Response.get_bucket_notification = _with_event_bridge(S3Response.get_bucket_notification)
s3_notifications._send_event_bridge_message = _send_event_bridge_message
S3Backend.delete_object = _with_delete_marker_events(S3Backend.delete_object)
EventsRule.send_to_targets = _with_faithful_targets(EventsRule.send_to_targets)
s3_notifications._get_s3_event = _s3_event
s3_notifications.send_event = _with_queues_by_arn(s3_notifications.send_event)
s3_notifications.send_test_event = _with_test_events_by_arn(s3_notifications.send_test_event)
S3Backend.put_bucket_notification_configuration = _with_destination_validation(S3Backend.put_bucket_notification_configuration)
LambdaBackend.send_sqs_batch = _record_sqs_batch
LambdaBackend.create_event_source_mapping = _with_polling(LambdaBackend.create_event_source_mapping)
LambdaBackend.update_event_source_mapping = _with_polling(LambdaBackend.update_event_source_mapping)
LambdaBackend.delete_event_source_mapping = _with_mapping_detached(LambdaBackend.delete_event_source_mapping)
EventSourceMapping.__init__ = _with_sqs_batch_size(EventSourceMapping.__init__)
SqsQueue.attributes = _with_compact_redrive_policy(SqsQueue.attributes)
if not hasattr(FakeDeleteMarker, "dispose"):
    FakeDeleteMarker.dispose = _nothing_to_dispose
IAMPolicyStatement.is_action_permitted = _statement_check
S3IAMRequest._create_aws_request = _s3_create_aws_request
IAMRequestBase.check_action_permitted = check_action_permitted
ActionAuthenticatorMixin._authenticate_and_authorize_action = _authenticate_and_record
assert access_control.IAMPolicyStatement.is_action_permitted is _statement_check

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main(sys.argv[1:]))
