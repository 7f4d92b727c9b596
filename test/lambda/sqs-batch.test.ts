/**
 * The handler on an SQS batch of S3's notifications, as a queue's event source mapping delivers it with
 * ReportBatchItemFailures: each message checked as S3's EventBridge events are, before any AWS call, and each one
 * malformed, refused or whose read fails reported in batchItemFailures while the others are answered.
 */
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import type { HandlerConfig } from "../../lambda/src/config";
import { InvalidEventError } from "../../lambda/src/errors";
import { EventNotGrantedError } from "../../lambda/src/event-filter";
import type { SqsBatchResult } from "../../lambda/src/handler";
import { isSqsEvent } from "../../lambda/src/s3-notifications";
import { BUCKET, bucketPolicyConfig, REGION, serviceError } from "./helpers";
import { handlerWithMockedS3, rejection } from "./handler-setup";

const FILTER = { prefixes: ["incoming/", "reference/"], suffix: ".csv" };
const config: HandlerConfig = { ...bucketPolicyConfig, eventFilter: FILTER };
const QUEUE_ARN = "arn:aws:sqs:eu-central-1:111111111111:data-bucket-events";

/** One record of S3's notification (the fields AWS documents), its key as S3 writes it: URL-encoded. */
function s3Record(encodedKey: string, eventName = "ObjectCreated:Put", bucket = BUCKET): Record<string, unknown> {
  return {
    eventVersion: "2.1",
    eventSource: "aws:s3",
    awsRegion: REGION,
    eventTime: "2026-12-03T09:00:00.000Z",
    eventName,
    userIdentity: { principalId: "AWS:AIDAEXAMPLE" },
    requestParameters: { sourceIPAddress: "203.0.113.15" },
    responseElements: { "x-amz-request-id": "N4N7GDK58NMKJ12R", "x-amz-id-2": "example" },
    s3: {
      s3SchemaVersion: "1.0",
      configurationId: "grant-events",
      bucket: { name: bucket, ownerIdentity: { principalId: "A3EXAMPLE" }, arn: `arn:aws:s3:::${bucket}` },
      object: { key: encodedKey, size: 5, eTag: "b1946ac92492d2347c6235b4d2611184", sequencer: "00617F08299329D189" },
    },
  };
}

/** The test message S3 sends when its notification configuration is saved. */
const TEST_EVENT = {
  Service: "Amazon S3",
  Event: "s3:TestEvent",
  Time: "2026-12-03T09:00:00.000Z",
  Bucket: BUCKET,
  RequestId: "5582815E1AEA5ADF",
  HostId: "example",
};

/** One SQS message as Lambda's event source mapping delivers it; `body` is sent as it is when a string. */
function message(messageId: string, body: unknown): Record<string, unknown> {
  return {
    messageId,
    receiptHandle: `receipt-${messageId}`,
    body: typeof body === "string" ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: "1796288400000",
      SenderId: "AIDAEXAMPLE",
      ApproximateFirstReceiveTimestamp: "1796288400001",
    },
    messageAttributes: {},
    md5OfBody: "e4e68fb7bd0e697a0ae8f1bb342846b3",
    eventSource: "aws:sqs",
    eventSourceARN: QUEUE_ARN,
    awsRegion: "eu-central-1",
  };
}

/** A message holding S3's notification of the given records. */
const notification = (messageId: string, ...records: Record<string, unknown>[]) =>
  message(messageId, { Records: records });

const batch = (...messages: Record<string, unknown>[]) => ({ Records: messages });

const setup = (withConfig: HandlerConfig = config) => {
  const run = handlerWithMockedS3(withConfig);
  run.s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 5, ETag: '"b1946ac9"' });
  return { ...run, answer: async (event: unknown) => (await run.handler(event)) as SqsBatchResult };
};

/** The keys HeadObject was called with, in order. */
const headKeys = (s3Mock: ReturnType<typeof setup>["s3Mock"]) =>
  s3Mock.commandCalls(HeadObjectCommand).map((call) => call.args[0].input.Key);

test("a created object under an event prefix: its head is read through the grant, and key, size and ETag returned", async () => {
  const { s3Mock, logger, answer } = setup();
  const result = await answer(batch(notification("m-1", s3Record("incoming/2026/a.csv"))));
  expect(result).toEqual({
    batchItemFailures: [],
    results: [
      {
        messageId: "m-1",
        objects: [
          { operation: "object-created", bucket: BUCKET, key: "incoming/2026/a.csv", bytes: 5, etag: '"b1946ac9"' },
        ],
      },
    ],
  });
  expect(s3Mock.commandCalls(HeadObjectCommand).map((call) => call.args[0].input)).toEqual([
    { Bucket: BUCKET, Key: "incoming/2026/a.csv" },
  ]);
  expect(logger.parsed()).toEqual([
    expect.objectContaining({
      operation: "object-created",
      messageId: "m-1",
      key: "incoming/2026/a.csv",
      outcome: "success",
      bytes: 5,
    }),
    expect.objectContaining({ operation: "sqs-batch", outcome: "success", messages: 1, failedMessages: 0 }),
  ]);
});

test.each([
  ["a space written as +", "incoming/monthly+report.csv", "incoming/monthly report.csv"],
  ["an escaped slash and +", "incoming%2F2026%2Fa%2Bb+c.csv", "incoming/2026/a+b c.csv"],
  ["escaped UTF-8", "incoming/caf%C3%A9.csv", "incoming/café.csv"],
])("a key with %s is decoded as S3 encodes it, before the grant's check and the read", async (_what, encoded, key) => {
  const { s3Mock, answer } = setup();
  const result = await answer(batch(notification("m-1", s3Record(encoded))));
  expect(result.batchItemFailures).toEqual([]);
  expect(result.results[0]?.objects[0]).toMatchObject({ key });
  expect(headKeys(s3Mock)).toEqual([key]);
});

test.each([
  ["another bucket", notification("bad", s3Record("incoming/a.csv", "ObjectCreated:Put", "someone-elses-bucket"))],
  ["a key outside the event prefixes", notification("bad", s3Record("private/a.csv"))],
  ["a prefix that only starts like one", notification("bad", s3Record("incomingX/a.csv"))],
  ["a key without the suffix", notification("bad", s3Record("incoming/a.json"))],
  ["a removal the grant does not declare", notification("bad", s3Record("incoming/a.csv", "ObjectRemoved:Delete"))],
  ["an event prefix the function may not read", notification("bad", s3Record("uploads/a.csv"))],
  ["a body that is not JSON", message("bad", "{not json")],
  ["a body that is not S3's notification", message("bad", { hello: "world" })],
  ["no key", notification("bad", { ...s3Record("x"), s3: { bucket: { name: BUCKET }, object: {} } })],
  ["a key S3 could not have encoded", notification("bad", s3Record("incoming/%E0%A4%A.csv"))],
  ["a decoded key with a dot segment", notification("bad", s3Record("incoming%2F..%2Fsecret.csv"))],
  ["an event S3 is not configured to send", notification("bad", s3Record("incoming/a.csv", "ObjectRestore:Completed"))],
  ["a record from another service", notification("bad", { ...s3Record("incoming/a.csv"), eventSource: "aws:sns" })],
])(
  "a message with %s is reported in batchItemFailures, with no AWS call for it; the batch's others are answered",
  async (_what, bad) => {
    const { s3Mock, logger, answer } = setup();
    const result = await answer(
      batch(
        notification("good-1", s3Record("incoming/a.csv")),
        bad,
        notification("good-2", s3Record("reference/b.csv")),
      ),
    );
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "bad" }]);
    expect(result.results.map((r) => [r.messageId, r.objects.map((o) => o.key)])).toEqual([
      ["good-1", ["incoming/a.csv"]],
      ["good-2", ["reference/b.csv"]],
    ]);
    expect(headKeys(s3Mock).sort()).toEqual(["incoming/a.csv", "reference/b.csv"]);
    const refusal = logger.lines.filter((l) => l.level === "error").map((l) => JSON.parse(l.line) as object);
    expect(refusal).toEqual([
      expect.objectContaining({ messageId: "bad", outcome: "error", errorType: expect.stringMatching(/Not|Invalid/) }),
    ]);
  },
);

test("each refusal is logged with its reason, as the EventBridge path states it", async () => {
  const { logger, answer } = setup();
  await answer(
    batch(
      notification("other-bucket", s3Record("incoming/a.csv", "ObjectCreated:Put", "someone-elses-bucket")),
      notification("outside", s3Record("private/a.csv")),
      notification("removal", s3Record("incoming/a.csv", "ObjectRemoved:DeleteMarkerCreated")),
      message("not-json", "{"),
    ),
  );
  const errors = logger.parsed().filter((line) => line.outcome === "error");
  expect(Object.fromEntries(errors.map((e) => [e.messageId, [e.errorType, e.errorMessage]]))).toEqual({
    "other-bucket": ["EventNotGrantedError", expect.stringMatching(/about s3:\/\/someone-elses-bucket/)],
    outside: [
      "EventNotGrantedError",
      expect.stringMatching(/declares events for keys under incoming\/, reference\/ ending with "\.csv" only/),
    ],
    removal: ["EventNotGrantedError", expect.stringMatching(/tells of a deletion .*new objects only/)],
    "not-json": ["InvalidEventError", expect.stringMatching(/body is not JSON/)],
  });
  expect(errors.find((e) => e.messageId === "outside")).toMatchObject({
    operation: "object-created",
    key: "private/a.csv",
  });
});

test("S3's test message is acknowledged and logged, with no AWS call", async () => {
  const { s3Mock, logger, answer } = setup();
  const result = await answer(batch(message("test-1", TEST_EVENT)));
  expect(result).toEqual({ batchItemFailures: [], results: [{ messageId: "test-1", objects: [], testEvent: true }] });
  expect(s3Mock.calls()).toHaveLength(0);
  expect(logger.parsed()[0]).toMatchObject({
    operation: "s3-test-event",
    messageId: "test-1",
    outcome: "success",
    testEventBucket: BUCKET,
  });
});

test("a read that fails fails its message only; AWS's refusal is logged as the access-denied metric counts it", async () => {
  const { s3Mock, logger, answer } = setup();
  s3Mock
    .on(HeadObjectCommand, { Key: "incoming/gone.csv" })
    .rejects(serviceError("NotFound", 404))
    .on(HeadObjectCommand, { Key: "incoming/denied.csv" })
    .rejects(serviceError("AccessDenied", 403));
  const result = await answer(
    batch(
      notification("gone", s3Record("incoming/gone.csv")),
      notification("ok", s3Record("incoming/ok.csv")),
      notification("denied", s3Record("incoming/denied.csv")),
    ),
  );
  expect(result.batchItemFailures).toEqual([{ itemIdentifier: "gone" }, { itemIdentifier: "denied" }]);
  expect(result.results.map((r) => r.messageId)).toEqual(["ok"]);
  const errors = logger.parsed().filter((line) => line.outcome === "error");
  expect(errors.map((e) => [e.messageId, e.errorType])).toEqual([
    ["gone", "NotFoundError"],
    ["denied", "AccessDeniedError"],
  ]);
});

test("a deletion the grant declares: the key and how it was deleted, with no AWS call", async () => {
  const { s3Mock, answer } = setup({ ...config, eventFilter: { ...FILTER, removed: true } });
  const result = await answer(
    batch(
      notification("deleted", s3Record("incoming/old.csv", "ObjectRemoved:Delete")),
      notification("marker", s3Record("incoming/older.csv", "ObjectRemoved:DeleteMarkerCreated")),
    ),
  );
  expect(result).toEqual({
    batchItemFailures: [],
    results: [
      {
        messageId: "deleted",
        objects: [
          { operation: "object-removed", bucket: BUCKET, key: "incoming/old.csv", deletionType: "Permanently Deleted" },
        ],
      },
      {
        messageId: "marker",
        objects: [
          {
            operation: "object-removed",
            bucket: BUCKET,
            key: "incoming/older.csv",
            deletionType: "Delete Marker Created",
          },
        ],
      },
    ],
  });
  expect(s3Mock.calls()).toHaveLength(0);
});

test.each(["ObjectCreated:Post", "ObjectCreated:Copy", "ObjectCreated:CompleteMultipartUpload"])(
  "%s is a created object, read as Put is",
  async (eventName) => {
    const { s3Mock, answer } = setup();
    const result = await answer(batch(notification("m-1", s3Record("incoming/a.csv", eventName))));
    expect(result.results[0]?.objects[0]).toMatchObject({ operation: "object-created", key: "incoming/a.csv" });
    expect(headKeys(s3Mock)).toEqual(["incoming/a.csv"]);
  },
);

test("a message of several records is checked whole before any read, and fails whole when one is refused", async () => {
  const { s3Mock, answer } = setup();
  const result = await answer(
    batch(
      notification("two", s3Record("incoming/a.csv"), s3Record("private/b.csv")),
      notification("ok", s3Record("incoming/c.csv")),
    ),
  );
  expect(result.batchItemFailures).toEqual([{ itemIdentifier: "two" }]);
  expect(headKeys(s3Mock)).toEqual(["incoming/c.csv"]);
});

test("a function whose grant declares no events refuses the whole batch, before any AWS call", async () => {
  const { s3Mock, logger, answer } = setup(bucketPolicyConfig);
  const error = await rejection(answer(batch(notification("m-1", s3Record("incoming/a.csv")))));
  expect(error).toBeInstanceOf(EventNotGrantedError);
  expect(error.message).toMatch(/declares no events \(EVENT_FILTER is unset\)/);
  expect(s3Mock.calls()).toHaveLength(0);
  expect(logger.parsed()).toEqual([expect.objectContaining({ operation: "sqs-batch", outcome: "error" })]);
});

test("a batch with a message that has no messageId cannot be answered message by message: it is refused whole", async () => {
  const { s3Mock, answer } = setup();
  const { messageId: _id, ...anonymous } = notification("x", s3Record("incoming/a.csv"));
  const error = await rejection(answer(batch(notification("m-1", s3Record("incoming/b.csv")), anonymous)));
  expect(error).toBeInstanceOf(InvalidEventError);
  expect(error.message).toMatch(/Records\.1\.messageId/);
  expect(s3Mock.calls()).toHaveLength(0);
});

test("a large batch is answered whole, every message in its order", async () => {
  const { s3Mock, answer } = setup();
  const keys = Array.from({ length: 25 }, (_, i) => `incoming/${String(i).padStart(2, "0")}.csv`);
  const result = await answer(batch(...keys.map((key, i) => notification(`m-${i}`, s3Record(key)))));
  expect(result.batchItemFailures).toEqual([]);
  expect(result.results.map((r) => r.objects[0]?.key)).toEqual(keys);
  expect(headKeys(s3Mock).sort()).toEqual(keys);
});

test("only a batch from SQS is taken as one: S3's notification sent straight to the function is not", () => {
  expect(isSqsEvent(batch(notification("m-1", s3Record("incoming/a.csv"))))).toBe(true);
  expect(isSqsEvent({ Records: [s3Record("incoming/a.csv")] })).toBe(false);
  expect(isSqsEvent({ operation: "get", key: "incoming/a.csv" })).toBe(false);
  expect(isSqsEvent(null)).toBe(false);
});
