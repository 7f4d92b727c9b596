/**
 * The SQS path's event names, held to the contract on both sides: the families a grant's queue entries ask S3 for
 * are the contract's, every name the contract lists lies in its family, and the handler takes each of those names as
 * the object event it is, and no other.
 */
import { QUEUE_NOTIFICATION_EVENTS } from "../../modules/contract";
import { planQueueEvents } from "../../modules/internal";
import { parseS3Message } from "../../lambda/src/s3-notifications";

const message = (eventName: string) => ({
  messageId: "m-1",
  eventSource: "aws:sqs",
  body: JSON.stringify({
    Records: [
      {
        eventSource: "aws:s3",
        eventName,
        s3: { bucket: { name: "shared-data" }, object: { key: "incoming/a.csv" } },
      },
    ],
  }),
});

test("a grant's queue entries ask for the contract's families, new objects and, with removals, deletions", () => {
  const plan = planQueueEvents({
    events: { delivery: "sqs", prefixes: ["incoming/"], removed: true },
    lambdaAccountId: "111111111111",
    lambdaRegion: "us-east-1",
    lambdaRoleArn: "arn:aws:iam::111111111111:role/consumer",
    functionName: "consumer",
    bucketAccountId: "222222222222",
    bucketRegion: "us-east-1",
    bucketName: "shared-data",
  });
  expect(plan.bucketAccount.entries.map((e) => e.events)).toEqual([
    [QUEUE_NOTIFICATION_EVENTS.created.family, QUEUE_NOTIFICATION_EVENTS.removed.family],
  ]);
});

test.each(Object.entries(QUEUE_NOTIFICATION_EVENTS))("every %s name lies in its family", (_kind, { family, names }) => {
  const start = family.replace(/^s3:/, "").replace(/\*$/, "");
  expect(names.length).toBeGreaterThan(0);
  for (const name of names) expect(name.startsWith(start)).toBe(true);
});

test("the handler takes every name of both families as the object event it is, and refuses another", () => {
  const operations = Object.values(QUEUE_NOTIFICATION_EVENTS)
    .flatMap((f) => f.names)
    .map((name) => {
      const parsed = parseS3Message(message(name));
      return `${name} ${parsed.kind === "objects" ? parsed.requests[0].operation : parsed.kind}`;
    });
  expect(operations).toEqual([
    "ObjectCreated:Put object-created",
    "ObjectCreated:Post object-created",
    "ObjectCreated:Copy object-created",
    "ObjectCreated:CompleteMultipartUpload object-created",
    "ObjectRemoved:Delete object-removed",
    "ObjectRemoved:DeleteMarkerCreated object-removed",
  ]);
  expect(() => parseS3Message(message("ObjectRestore:Completed"))).toThrow(/eventName must be one of/);
});
