/**
 * The handler on S3's `Object Created` events, as the grant's EventBridge rule delivers them: the object's head read
 * through the grant, and every event outside the grant refused before any AWS call.
 */
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import type { HandlerConfig } from "../../lambda/src/config";
import { loadConfig } from "../../lambda/src/config";
import { InvalidEventError } from "../../lambda/src/errors";
import { EventNotGrantedError } from "../../lambda/src/event-filter";
import { BUCKET, bucketPolicyConfig, GRANTED_PREFIXES, REGION } from "./helpers";
import { handlerWithMockedS3, rejection } from "./handler-setup";

const FILTER = { prefixes: ["incoming/", "reference/"], suffix: ".csv" };
const config: HandlerConfig = { ...bucketPolicyConfig, eventFilter: FILTER };

/** S3's event as EventBridge delivers it (the fields AWS documents for `Object Created`). */
function objectCreated(key: string, bucket = BUCKET): Record<string, unknown> {
  return {
    version: "0",
    id: "17793124-05d4-b198-2fde-7ededc63b103",
    "detail-type": "Object Created",
    source: "aws.s3",
    account: "222222222222",
    time: "2026-12-03T09:00:00Z",
    region: REGION,
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: "0",
      bucket: { name: bucket },
      object: { key, size: 5, etag: "b1946ac92492d2347c6235b4d2611184", sequencer: "00617F08299329D189" },
      "request-id": "N4N7GDK58NMKJ12R",
      requester: "222222222222",
      "source-ip-address": "203.0.113.15",
      reason: "PutObject",
    },
  };
}

const setup = (withConfig: HandlerConfig = config) => handlerWithMockedS3(withConfig);

test("an object under an event prefix: its head is read through the grant, and key, size and ETag returned", async () => {
  const { s3Mock, logger, handler } = setup();
  s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 5, ETag: '"b1946ac9"' });
  const result = await handler(objectCreated("incoming/2026/a.csv"));
  expect(result).toEqual({
    operation: "object-created",
    bucket: BUCKET,
    key: "incoming/2026/a.csv",
    bytes: 5,
    etag: '"b1946ac9"',
  });
  expect(s3Mock.commandCalls(HeadObjectCommand)[0]?.args[0].input).toEqual({
    Bucket: BUCKET,
    Key: "incoming/2026/a.csv",
  });
  expect(logger.parsed()[0]).toMatchObject({
    operation: "object-created",
    key: "incoming/2026/a.csv",
    outcome: "success",
    bytes: 5,
  });
});

test.each([
  ["another bucket", objectCreated("incoming/a.csv", "someone-elses-bucket"), /about s3:\/\/someone-elses-bucket/],
  [
    "a key outside the event prefixes",
    objectCreated("private/a.csv"),
    /declares events for keys under incoming\/, reference\/ ending with "\.csv" only/,
  ],
  ["a key without the suffix", objectCreated("incoming/a.json"), /"incoming\/a\.json"/],
  ["a prefix that only starts like one", objectCreated("incomingX/a.csv"), /"incomingX\/a\.csv"/],
])("an event about %s is refused before any AWS call", async (_what, event, message) => {
  const { s3Mock, handler } = setup();
  const error = await rejection(handler(event));
  expect(error).toBeInstanceOf(EventNotGrantedError);
  expect(error.message).toMatch(message);
  expect(s3Mock.calls()).toHaveLength(0);
});

test("a function whose grant declares no events refuses every object event", async () => {
  const { s3Mock, handler } = setup(bucketPolicyConfig);
  const error = await rejection(handler(objectCreated("incoming/a.csv")));
  expect(error.message).toMatch(/declares no events \(EVENT_FILTER is unset\)/);
  expect(s3Mock.calls()).toHaveLength(0);
});

test("an event prefix the grant does not let the function read is refused too (GRANTED_PREFIXES decides)", async () => {
  const { s3Mock, handler } = setup({ ...config, eventFilter: { prefixes: ["uploads/"] } });
  const error = await rejection(handler(objectCreated("uploads/a.csv")));
  expect(error.message).toMatch(/needs read access to s3:\/\/.*uploads\/a\.csv/);
  expect(s3Mock.calls()).toHaveLength(0);
});

test.each([
  [
    "another detail-type",
    { ...objectCreated("incoming/a.csv"), "detail-type": "Object Restore Completed" },
    /detail-type must be "Object Created" or "Object Deleted"/,
  ],
  ["no key", { ...objectCreated("x"), detail: { bucket: { name: BUCKET }, object: {} } }, /key must be a string/],
  ["a key with a dot segment", objectCreated("incoming/../secret.csv"), /must not have "\." or "\.\." path segments/],
])("an S3 event with %s is invalid", async (_what, event, message) => {
  const { s3Mock, handler } = setup();
  const error = await rejection(handler(event));
  expect(error).toBeInstanceOf(InvalidEventError);
  expect(error.message).toMatch(message);
  expect(s3Mock.calls()).toHaveLength(0);
});

function objectDeleted(key: string): Record<string, unknown> {
  const created = objectCreated(key);
  return {
    ...created,
    "detail-type": "Object Deleted",
    detail: { ...(created.detail as object), "deletion-type": "Delete Marker Created", reason: "DeleteObject" },
  };
}

test("a deletion the grant declares: the key and how it was deleted, with no AWS call", async () => {
  const { s3Mock, handler } = setup({ ...config, eventFilter: { ...FILTER, removed: true } });
  expect(await handler(objectDeleted("incoming/old.csv"))).toEqual({
    operation: "object-removed",
    bucket: BUCKET,
    key: "incoming/old.csv",
    deletionType: "Delete Marker Created",
  });
  expect(s3Mock.calls()).toHaveLength(0);
});

test("a deletion the grant does not declare, or outside its event prefixes, is refused", async () => {
  const { s3Mock, handler } = setup();
  expect((await rejection(handler(objectDeleted("incoming/old.csv")))).message).toMatch(
    /tells of a deletion .*declares events for new objects only/,
  );
  const removals = setup({ ...config, eventFilter: { ...FILTER, removed: true } });
  expect(await rejection(removals.handler(objectDeleted("private/old.csv")))).toBeInstanceOf(EventNotGrantedError);
  expect([...s3Mock.calls(), ...removals.s3Mock.calls()]).toHaveLength(0);
});

describe("EVENT_FILTER, as the stack writes it", () => {
  const env = (filter: string | undefined) => ({
    BUCKET_NAME: BUCKET,
    BUCKET_REGION: REGION,
    ACCESS_MODE: "bucket-policy",
    GRANTED_PREFIXES,
    ...(filter !== undefined ? { EVENT_FILTER: filter } : {}),
  });

  test("the filter as the stack writes it reads back", () => {
    expect(loadConfig(env('{"prefixes":["incoming/","reference/"],"suffix":".csv"}')).eventFilter).toEqual(FILTER);
    expect(loadConfig(env(undefined)).eventFilter).toBeUndefined();
  });

  test.each([
    ["not JSON", "incoming/", /EVENT_FILTER is not valid JSON/],
    ["no prefixes", '{"prefixes":[]}', /EVENT_FILTER must be the grant's event filter/],
    ["a prefix breaking the prefix rules", '{"prefixes":["in*/"]}', /prefix "in\*\/" must not contain the wildcards/],
    ["a suffix with a wildcard", '{"prefixes":["incoming/"],"suffix":"*.csv"}', /suffix/],
    ["an unknown field", '{"prefixes":["incoming/"],"bucket":"x"}', /EVENT_FILTER/],
  ])("%s fails the init, naming the variable", (_what, value, message) => {
    expect(() => loadConfig(env(value))).toThrow(message);
  });
});
