/**
 * Typed errors of the handler. Every class sets `name` to a fixed string (not `constructor.name`, which the
 * minifier renames), so Lambda reports it as the invocation's errorType; AccessDeniedError's comes from the contract,
 * as the access-denied metric filter selects it.
 */
import { ACCESS_DENIED_LOG_LINE, HANDLER_ENVIRONMENT, type AccessMode } from "../../modules/contract";
import type { Permission } from "./granted-prefixes";
import { showValue } from "./show-value";

/** Base class of every error the handler raises on purpose. */
export class HandlerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HandlerError";
  }
}

/** One invalid or missing environment variable. */
export interface ConfigurationProblem {
  readonly variable: string;
  readonly value: string | undefined;
  readonly message: string;
}

/** The function's environment is missing a variable or holds an invalid value. Raised at init. */
export class ConfigurationError extends HandlerError {
  /** The first offending variable. */
  public readonly variable: string;
  /** The value that variable held (undefined when not set). */
  public readonly value: string | undefined;
  /** Every problem found, in variable order. */
  public readonly problems: readonly ConfigurationProblem[];

  constructor(problems: readonly ConfigurationProblem[]) {
    const lines = problems.map((p) => p.message);
    super(lines.length === 1 ? `Invalid configuration: ${lines[0]}` : `Invalid configuration: ${lines.join("; ")}`);
    this.name = "ConfigurationError";
    this.variable = problems[0]?.variable ?? "(unknown)";
    this.value = problems[0]?.value;
    this.problems = problems;
  }
}

/** One problem in an invocation event. */
export interface EventProblem {
  readonly field: string;
  readonly message: string;
}

/** The invocation event does not match the contract of its operation (or asks for what the object cannot give). */
export class InvalidEventError extends HandlerError {
  /** The first offending field ("event" when the event itself is not an object). */
  public readonly field: string;
  public readonly problems: readonly EventProblem[];

  constructor(problems: readonly EventProblem[]) {
    super(`Invalid event: ${problems.map((p) => p.message).join("; ")}`);
    this.name = "InvalidEventError";
    this.field = problems[0]?.field ?? "event";
    this.problems = problems;
  }
}

/** Where an S3 call was aimed, for error messages. */
export interface S3Target {
  readonly operation: string;
  readonly bucket: string;
  /** The access point ARN the call was sent to instead of the bucket (ACCESS_POINT_ARN), when configured. */
  readonly accessPoint?: string;
  readonly key?: string;
  readonly prefix?: string;
  /** For a copy: whether the call was for its source or its destination. */
  readonly side?: "source" | "destination";
}

function describeTarget(target: S3Target): string {
  if (target.key !== undefined)
    return `s3://${target.bucket}/${target.key}${target.side ? ` (the ${target.side})` : ""}`;
  return `s3://${target.bucket}/${target.prefix ?? ""} (list)`;
}

/** How a call AWS answered reached the bucket: ` through access point <arn>`, or nothing when sent to the bucket. */
function through(target: S3Target): string {
  return target.accessPoint === undefined ? "" : ` through access point ${target.accessPoint}`;
}

/** The request lies outside the function's grant (GRANTED_PREFIXES); the handler refused it before calling AWS. */
export class NotGrantedError extends HandlerError {
  public readonly operation: string;
  public readonly bucket: string;
  /** The key, or for `list` the prefix, that is not granted. */
  public readonly path: string;
  /** The access the request needs there. */
  public readonly permission: Permission;
  /** The granted prefixes that do give that access. */
  public readonly grantedPrefixes: readonly string[];

  constructor(target: S3Target, permission: Permission, grantedPrefixes: readonly string[]) {
    const path = target.key ?? target.prefix ?? "";
    const what =
      target.key !== undefined
        ? describeTarget(target)
        : path === ""
          ? `the whole bucket s3://${target.bucket} (list without a prefix)`
          : `the prefix ${showValue(path)} of s3://${target.bucket} (list)`;
    const where = grantedPrefixes.length > 0 ? `only under ${grantedPrefixes.join(", ")}` : "under no prefix";
    super(
      `Not granted: ${target.operation} needs ${permission} access to ${what}, and the function's grant ` +
        `(${HANDLER_ENVIRONMENT.grantedPrefixes}) gives ${permission} access ${where}. The request was refused before calling AWS.`,
    );
    this.name = "NotGrantedError";
    this.operation = target.operation;
    this.bucket = target.bucket;
    this.path = path;
    this.permission = permission;
    this.grantedPrefixes = grantedPrefixes;
  }
}

/** A `get` whose response would not fit under MAX_RESPONSE_BYTES; the object is for `presign-get`. */
export class ObjectTooLargeError extends HandlerError {
  public readonly bucket: string;
  public readonly key: string;
  /** What was measured: the object's size, or the size of the whole JSON response. */
  public readonly measured: "object" | "response";
  /** The measured size in bytes (for an object read partly, at least this many). */
  public readonly bytes: number;
  public readonly maxResponseBytes: number;

  constructor(
    target: S3Target & { key: string },
    measured: "object" | "response",
    bytes: number,
    maxResponseBytes: number,
  ) {
    const size =
      measured === "object"
        ? `the object is ${bytes} bytes, more than fits`
        : `the response would be ${bytes} bytes of JSON, more than`;
    super(
      `Too large: get on ${describeTarget(target)}: ${size} in a response of at most ${HANDLER_ENVIRONMENT.maxResponseBytes}=${maxResponseBytes} ` +
        `bytes. Download it through a URL from the "presign-get" operation instead.`,
    );
    this.name = "ObjectTooLargeError";
    this.bucket = target.bucket;
    this.key = target.key;
    this.measured = measured;
    this.bytes = bytes;
    this.maxResponseBytes = maxResponseBytes;
  }
}

/** A copy that would not finish before the function times out: aborted, with nothing stored. */
export class CopyTimeoutError extends HandlerError {
  public readonly bucket: string;
  public readonly sourceKey: string;
  public readonly key: string;
  /** Bytes uploaded (and then discarded) before the abort. */
  public readonly bytesCopied: number;

  constructor(bucket: string, sourceKey: string, key: string, marginMs: number, bytesCopied: number) {
    super(
      `Copy timed out: s3://${bucket}/${sourceKey} to s3://${bucket}/${key} was aborted ${marginMs / 1000} s before ` +
        `the function's timeout after ${bytesCopied} bytes, and the multipart upload was aborted so nothing was stored. ` +
        `Raise the function's timeout, or copy through URLs from "presign-get" and "presign-put".`,
    );
    this.name = "CopyTimeoutError";
    this.bucket = bucket;
    this.sourceKey = sourceKey;
    this.key = key;
    this.bytesCopied = bytesCopied;
  }
}

/** Which policies decide the call in each access mode. */
export const POLICIES_TO_CHECK: Readonly<Record<AccessMode, string>> = {
  "bucket-policy":
    "the Lambda role's identity policy in the Lambda account, the bucket policy and the KMS key policy in the bucket account",
  "assume-role":
    "the Lambda role's sts:AssumeRole permission, the S3 access role's trust policy (and ExternalId), its identity policy and the KMS key policy",
};

/** S3, STS or KMS (through S3) refused the call. */
export class AccessDeniedError extends HandlerError {
  public readonly operation: string;
  public readonly bucket: string;
  /** The access point the call went through, when configured. */
  public readonly accessPoint?: string;
  public readonly key?: string;
  public readonly accessMode: AccessMode;

  constructor(target: S3Target, accessMode: AccessMode, cause: unknown, roleArn?: string) {
    const detail = errorSummary(cause);
    const role = roleArn ? ` via role ${roleArn}` : "";
    const missingKeyHint =
      target.operation === "get" || target.side === "source"
        ? " (S3 also answers 403 instead of 404 for a missing key when the caller may not list the bucket)"
        : "";
    // Through an access point, its policy must allow the call as well (and the bucket's must allow or delegate it).
    const accessPointPolicy = target.accessPoint === undefined ? "" : ", and the access point's policy";
    super(
      `Access denied: ${target.operation} on ${describeTarget(target)}${through(target)} in ${accessMode} mode${role} ` +
        `failed with ${detail}${missingKeyHint}. Check ${POLICIES_TO_CHECK[accessMode]}${accessPointPolicy}.`,
      { cause },
    );
    // The access-denied metric filter of the Lambda account selects this name in the log line (see the contract).
    this.name = ACCESS_DENIED_LOG_LINE.value;
    this.operation = target.operation;
    this.bucket = target.bucket;
    if (target.accessPoint !== undefined) this.accessPoint = target.accessPoint;
    if (target.key !== undefined) this.key = target.key;
    this.accessMode = accessMode;
  }
}

/** The object (or the bucket) does not exist. */
export class NotFoundError extends HandlerError {
  public readonly operation: string;
  public readonly bucket: string;
  /** The access point the call went through, when configured. */
  public readonly accessPoint?: string;
  public readonly key?: string;

  constructor(target: S3Target, cause: unknown) {
    super(
      `Not found: ${target.operation} on ${describeTarget(target)}${through(target)} failed with ${errorSummary(cause)}`,
      { cause },
    );
    this.name = "NotFoundError";
    this.operation = target.operation;
    this.bucket = target.bucket;
    if (target.accessPoint !== undefined) this.accessPoint = target.accessPoint;
    if (target.key !== undefined) this.key = target.key;
  }
}

/** The parts of an AWS SDK service error the handler looks at. */
export interface AwsErrorShape {
  readonly name?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

function asAwsError(error: unknown): AwsErrorShape {
  return typeof error === "object" && error !== null ? error : {};
}

/** Error names that mean "refused" across S3, STS and KMS. */
const ACCESS_DENIED_NAMES = new Set(["AccessDenied", "AccessDeniedException", "Forbidden"]);
/** Error names that mean "does not exist" in S3. */
const NOT_FOUND_NAMES = new Set(["NoSuchKey", "NotFound", "NoSuchBucket"]);

export type AwsErrorKind = "access-denied" | "not-found" | "other";

/** Classifies an error thrown by an S3 call (which includes STS errors from the credentials provider). */
export function classifyAwsError(error: unknown): AwsErrorKind {
  const { name, $metadata } = asAwsError(error);
  const status = $metadata?.httpStatusCode;
  if ((name !== undefined && ACCESS_DENIED_NAMES.has(name)) || status === 403) return "access-denied";
  if ((name !== undefined && NOT_FOUND_NAMES.has(name)) || status === 404) return "not-found";
  return "other";
}

/**
 * The error an AWS call's failure becomes: an AccessDeniedError or NotFoundError for `target`, or the error itself
 * (throttling is retried by the SDK before it gets here; what is left is rethrown as is).
 */
export function toHandlerError(error: unknown, target: S3Target, accessMode: AccessMode, roleArn?: string): unknown {
  if (error instanceof HandlerError) return error;
  switch (classifyAwsError(error)) {
    case "access-denied":
      return new AccessDeniedError(target, accessMode, error, roleArn);
    case "not-found":
      return new NotFoundError(target, error);
    case "other":
      return error;
  }
}

/** `Name (HTTP 403): message` for an AWS error, or the best description available. */
export function errorSummary(error: unknown): string {
  const { name, message, $metadata } = asAwsError(error);
  const status = $metadata?.httpStatusCode;
  const head = `${name ?? "Error"}${status !== undefined ? ` (HTTP ${status})` : ""}`;
  return message ? `${head}: ${message}` : head;
}
