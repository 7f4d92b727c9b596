/**
 * The proof of a grant's events on the SQS path: S3 sending to the grant's queue and encrypting with its key, the
 * grantee's role reading the queue and decrypting through SQS, each allowed and denied, read from every resource of
 * the stacks that sets it. Each tampered case changes the synthesized JSON of a shipped environment the way a team
 * (or an attacker) could in the same stack, and must turn a verdict into a mismatch or name what is missing.
 */
import { proveSynthesized, type SynthesizedStack } from "../../modules/proof";
import { environmentSynth, mismatchesOf, recorded, withAdded, withPolicy, withResource } from "../support/proof";

const split = environmentSynth("local-split-queue");
const existing = environmentSynth("analytics");

/** The SQS path's requests of a report: those on the grant's queue, and on its key in the Lambda account. */
async function queueVerdicts(stacks: readonly SynthesizedStack[], lambdaAccount = "111111111111") {
  const report = await proveSynthesized(stacks);
  const results = report.grants.flatMap((g) => g.results);
  const queue = results.filter(
    (r) =>
      /:sqs:.*:s3-queue-/.test(r.resource) || (r.resource.includes(":kms:") && r.resourceAccount === lambdaAccount),
  );
  return { report, queue, mismatches: mismatchesOf(report), problems: report.grants.flatMap((g) => g.problems) };
}

describe("the shipped grants' events on the SQS path are proven, allowed and denied", () => {
  test("split stacks: every hop, 13 requests, each as declared", async () => {
    const { queue, mismatches, problems } = await queueVerdicts(split);
    expect(problems).toEqual([]);
    expect(mismatches).toEqual([]);
    const requests = queue.map((r) => `${r.action} ${r.expected}`);
    expect(requests.sort()).toEqual(
      [
        "sqs:SendMessage Allowed",
        "sqs:SendMessage Denied",
        "sqs:SendMessage Denied",
        "kms:GenerateDataKey Allowed",
        "kms:GenerateDataKey Denied",
        "kms:GenerateDataKey Denied",
        "sqs:ReceiveMessage Allowed",
        "sqs:DeleteMessage Allowed",
        "sqs:GetQueueAttributes Allowed",
        "sqs:SendMessage Denied",
        "kms:Decrypt Allowed",
        "kms:Decrypt Denied",
        "sqs:SendMessage Denied",
      ].sort(),
    );
  });

  test("an existing bucket keeping its own entries: the grant's queue is proven the same way", async () => {
    const { queue, mismatches } = await queueVerdicts(existing, "111122223333");
    expect(mismatches).toEqual([]);
    expect(queue).toHaveLength(13);
  });
});

describe("a change to what deploys turns a verdict into a mismatch", () => {
  test("the queue's policy without its source conditions lets S3 send any bucket's events", async () => {
    const open = withPolicy(split, recorded(split, "eventQueue"), "policy", (doc) => ({
      ...doc,
      Statement: doc.Statement.map(({ Condition: _c, ...s }) => s),
    }));
    const { mismatches } = await queueVerdicts(open);
    expect(mismatches.join("\n")).toMatch(/sqs:SendMessage .*-> Allowed, but S3 may not send another bucket's events/);
    expect(mismatches.join("\n")).toMatch(/-> Allowed, but S3 may not send for another account/);
  });

  test("the key's S3 statement without its conditions lets S3 encrypt for any bucket", async () => {
    const loose = withPolicy(split, recorded(split, "eventQueueKey"), "policy", (doc) => ({
      ...doc,
      Statement: doc.Statement.map(({ Condition: _c, ...s }) => s),
    }));
    const { mismatches } = await queueVerdicts(loose);
    expect(mismatches.join("\n")).toMatch(
      /kms:GenerateDataKey .*-> Allowed, but S3 may not use the key for another bucket/,
    );
  });

  test("the role's queue policy on every SQS action lets the function put events on its own queue", async () => {
    const wide = withPolicy(split, recorded(split, "eventQueueRolePolicy"), "policy", (doc) => ({
      ...doc,
      Statement: doc.Statement.map((s) => (s.Sid === "ReadGrantQueue" ? { ...s, Action: "sqs:*" } : s)),
    }));
    const { mismatches } = await queueVerdicts(wide);
    expect(mismatches.join("\n")).toMatch(
      /sqs:SendMessage .*-> Allowed, but the function may not put events on its own queue/,
    );
  });

  test("the role's decrypt statement without kms:ViaService lets the role call KMS directly", async () => {
    const direct = withPolicy(split, recorded(split, "eventQueueRolePolicy"), "policy", (doc) => ({
      ...doc,
      Statement: doc.Statement.map((s) =>
        s.Sid === "DecryptGrantQueue"
          ? { ...s, Condition: { "ForAnyValue:StringEquals": s.Condition!["ForAnyValue:StringEquals"] } }
          : s,
      ),
    }));
    const { mismatches } = await queueVerdicts(direct);
    expect(mismatches.join("\n")).toMatch(/kms:Decrypt .*-> Allowed, but the role may use the key through SQS only/);
  });

  test("the queue encrypted with another key than the one its alias names is named", async () => {
    const otherKey = withResource(split, recorded(split, "eventQueue"), (queue) => {
      queue.kms_master_key_id = "alias/aws/sqs";
    });
    const { problems } = await queueVerdicts(otherKey);
    expect(problems.join("\n")).toMatch(/is not encrypted with the key alias\/s3-queue-222222222222-\w+ names/);
  });

  test("no mapping reading the queue for the function is named", async () => {
    const unmapped = withResource(split, recorded(split, "eventSourceMapping"), (mapping) => {
      mapping.function_name = "another-function";
    });
    const { problems } = await queueVerdicts(unmapped);
    expect(problems.join("\n")).toMatch(/no event source mapping reads the grant's queue s3-queue-222222222222-\w+/);
  });

  test("a second queue of the grant's name is named", async () => {
    const twice = withAdded(split, "local-split-queue-lambda", "aws_sqs_queue", "copy", {
      provider: "aws.lambda_account",
      name: /s3-queue-222222222222-\w+/.exec(JSON.stringify(split))![0],
    });
    const { problems } = await queueVerdicts(twice);
    expect(problems.join("\n")).toMatch(/is created 2 times in the stacks given, not once/);
  });
});
