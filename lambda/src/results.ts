/**
 * What the handler returns: one plain JSON result per operation, and the helpers that shape it. Every result names the
 * bucket (and the access point the request went through, when one is configured) and carries no undefined fields.
 */
import type { Encoding } from "./event";

export interface GetResult {
  readonly operation: "get";
  readonly bucket: string;
  /** The access point the request went through (ACCESS_POINT_ARN), when one is configured. */
  readonly accessPoint?: string;
  readonly key: string;
  /** The object's bytes: UTF-8 text, or base64 when the event asked for it. */
  readonly body: string;
  readonly encoding: Encoding;
  /** Size of the object in bytes. */
  readonly bytes: number;
  readonly contentType?: string;
  readonly versionId?: string;
}

export interface PutResult {
  readonly operation: "put";
  readonly bucket: string;
  /** The access point the request went through (ACCESS_POINT_ARN), when one is configured. */
  readonly accessPoint?: string;
  readonly key: string;
  readonly bytes: number;
  /** Base64 SHA-256 of the bytes sent, which S3 checked before storing them. */
  readonly checksumSHA256: string;
  readonly etag?: string;
  readonly versionId?: string;
}

export interface ListedObject {
  readonly key: string;
  readonly size: number;
  /** ISO 8601. */
  readonly lastModified?: string;
}

export interface ListResult {
  readonly operation: "list";
  readonly bucket: string;
  /** The access point the request went through (ACCESS_POINT_ARN), when one is configured. */
  readonly accessPoint?: string;
  readonly prefix: string;
  readonly objects: ListedObject[];
  readonly truncated: boolean;
  /** Pass it as `continuationToken` to get the next page; present when truncated. */
  readonly nextContinuationToken?: string;
}

export interface DeleteResult {
  readonly operation: "delete";
  readonly bucket: string;
  /** The access point the request went through (ACCESS_POINT_ARN), when one is configured. */
  readonly accessPoint?: string;
  readonly key: string;
  readonly versionId?: string;
}

export interface PresignResult {
  readonly operation: "presign-get" | "presign-put";
  readonly bucket: string;
  /** The access point the request went through (ACCESS_POINT_ARN), when one is configured. */
  readonly accessPoint?: string;
  readonly key: string;
  /** The HTTP method the URL is signed for. */
  readonly method: "GET" | "PUT";
  readonly url: string;
  /** Seconds the URL is valid from `expiresAt` minus this; may be less than asked (see README). */
  readonly expiresIn: number;
  /** ISO 8601 time after which the URL is refused. */
  readonly expiresAt: string;
}

export interface CopyResult {
  readonly operation: "copy";
  readonly bucket: string;
  /** The access point the request went through (ACCESS_POINT_ARN), when one is configured. */
  readonly accessPoint?: string;
  readonly sourceKey: string;
  readonly key: string;
  readonly bytes: number;
  readonly etag?: string;
  readonly versionId?: string;
}

/** What the function read of an object an `Object Created` event told it of: its head, through the grant. */
export interface ObjectCreatedResult {
  readonly operation: "object-created";
  readonly bucket: string;
  /** The access point the request went through (ACCESS_POINT_ARN), when one is configured. */
  readonly accessPoint?: string;
  readonly key: string;
  /** Size of the object in bytes. */
  readonly bytes: number;
  readonly etag?: string;
  readonly versionId?: string;
}

/** What the function was told of an object an `Object Deleted` event names: nothing is read (it is gone). */
export interface ObjectRemovedResult {
  readonly operation: "object-removed";
  readonly bucket: string;
  /** The access point the function's requests go through (ACCESS_POINT_ARN), when one is configured. */
  readonly accessPoint?: string;
  readonly key: string;
  /** S3's `deletion-type`: `Permanently Deleted`, or `Delete Marker Created` in a versioned bucket. */
  readonly deletionType?: string;
}

export type HandlerResult =
  | GetResult
  | PutResult
  | ListResult
  | DeleteResult
  | PresignResult
  | CopyResult
  | ObjectCreatedResult
  | ObjectRemovedResult;

/** One message of an SQS batch that the handler took: what each S3 record of it told, or S3's test message. */
export interface SqsMessageResult {
  readonly messageId: string;
  /** The objects the message's S3 records name: each one's head, or its removal; none for S3's test message. */
  readonly objects: ReadonlyArray<ObjectCreatedResult | ObjectRemovedResult>;
  /** For the test message S3 sends when its notification configuration is saved: acknowledged, nothing read. */
  readonly testEvent?: true;
}

/**
 * The answer to an SQS batch of S3's notifications. Lambda reads only `batchItemFailures`: the messages it puts back
 * on the queue (malformed, refused, or whose read failed), which its dead-letter queue takes after the last retry.
 */
export interface SqsBatchResult {
  readonly batchItemFailures: ReadonlyArray<{ readonly itemIdentifier: string }>;
  /** The other messages, in the batch's order. */
  readonly results: readonly SqsMessageResult[];
}

/** What an operation gives the handler: its result, and what the invocation's log line adds about it. */
export interface Outcome {
  readonly result: HandlerResult;
  /** Extra fields of the log line (sizes, counts; never data, URLs or credentials). */
  readonly log: Record<string, unknown>;
}

/** Adds `name: value` to an object only when value is defined, so results carry no undefined fields. */
export function optional<K extends string, V>(name: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [name]: value }) as { [P in K]?: V };
}

/** The fields that say where a request went: the bucket, then the access point when one is configured. */
export function resultLocation(where: { readonly bucket: string; readonly accessPoint: string | undefined }): {
  bucket: string;
  accessPoint?: string;
} {
  return { bucket: where.bucket, ...optional("accessPoint", where.accessPoint) };
}
