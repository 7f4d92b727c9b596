/**
 * The proof of a grant's events: every hop the simulator can judge, allowed and denied, read from every resource of
 * the stacks that sets its policy. Each tampered case changes the synthesized JSON of a shipped environment the way
 * a team (or an attacker) could in the same stack, and must turn a verdict into a mismatch.
 */
import { proveSynthesized, type SynthesizedStack } from "../../modules/proof";
import { environments } from "../../stacks/environments";
import { environmentSynth, mismatchesOf, recorded, withAdded, withPolicy } from "../support/proof";

const local = environmentSynth("local");
const split = environmentSynth("staging");

/** The event requests of a report, as "who action resource -> verdict (expected)". */
async function eventVerdicts(stacks: readonly SynthesizedStack[]) {
  const report = await proveSynthesized(stacks);
  const events = report.grants
    .flatMap((g) => g.results)
    .filter(
      (r) =>
        ["events:PutEvents", "lambda:InvokeFunction", "sqs:SendMessage"].includes(r.action) ||
        (r.resourcePolicyKind === "trust policy" && r.principal === "events.amazonaws.com"),
    );
  return { report, events, mismatches: mismatchesOf(report) };
}

describe("the shipped grants' events are proven, allowed and denied", () => {
  test("one stack: every hop, 14 requests, each as declared", async () => {
    const { events, mismatches } = await eventVerdicts(local);
    expect(mismatches).toEqual([]);
    expect(events).toHaveLength(14);
    expect(events.filter((r) => r.expected === "Allowed")).toHaveLength(5);
    const kinds = new Set(events.map((r) => r.resourcePolicyKind));
    expect([...kinds].sort()).toEqual(["event bus policy", "function policy", "queue policy", "trust policy"]);
  });

  test("split stacks: the Lambda account's bus admits the bucket account's rule from the other app's output", async () => {
    const { events, mismatches } = await eventVerdicts(split);
    expect(mismatches).toEqual([]);
    expect(events.filter((r) => r.action === "events:PutEvents" && r.final === "Allowed")).toHaveLength(1);
  });
});

describe("a change to what deploys turns a verdict into a mismatch", () => {
  test("a second Lambda permission letting EventBridge in from any rule", async () => {
    const open = withAdded(local, "local", "aws_lambda_permission", "open", {
      provider: "aws.lambda_account",
      action: "lambda:InvokeFunction",
      function_name: environments.local.lambda.functionName,
      principal: "events.amazonaws.com",
      statement_id: "any-rule",
    });
    const { mismatches } = await eventVerdicts(open);
    expect(mismatches.filter((m) => m.includes("lambda:InvokeFunction"))).toHaveLength(2);
    expect(mismatches.join("\n")).toMatch(/another rule may not invoke the function/);
    expect(mismatches.join("\n")).toMatch(/a rule of another account may not invoke the function/);
  });

  test("the bus policy without its aws:SourceArn condition", async () => {
    const loose = withPolicy(local, recorded(local, "eventBusPolicy"), "policy", (doc) => ({
      ...doc,
      Statement: doc.Statement.map(({ Condition: _c, ...s }) => s),
    }));
    const { mismatches } = await eventVerdicts(loose);
    expect(mismatches.join("\n")).toMatch(/events:PutEvents .*-> Allowed, but the bus admits the grant's rule only/);
  });

  test("the sending role trusted by every EventBridge rule of the account", async () => {
    const trusting = withPolicy(local, recorded(local, "eventRole"), "assume_role_policy", (doc) => ({
      ...doc,
      Statement: doc.Statement.map((s) => ({
        ...s,
        Condition: { StringEquals: { "aws:SourceAccount": "222222222222" } },
      })),
    }));
    const { mismatches } = await eventVerdicts(trusting);
    expect(mismatches.join("\n")).toMatch(
      /sts:AssumeRole .*-> Allowed, but another rule of the bucket account may not use the role/,
    );
  });

  test("the sending role allowed to put events on any bus", async () => {
    const anyBus = withPolicy(local, recorded(local, "eventRolePolicy"), "policy", (doc) => ({
      ...doc,
      Statement: doc.Statement.map((s) => ({ ...s, Resource: "*" })),
    }));
    const { mismatches } = await eventVerdicts(anyBus);
    expect(mismatches).toEqual([
      "s3-events-111111111111-3e5ce90805 events:PutEvents arn:aws:events:us-east-1:222222222222:event-bus/default -> Allowed, but the role may put events on the grant's bus only",
    ]);
  });

  test("a dead-letter queue policy open to any rule", async () => {
    const json = local.find((s) => s.name === "local")!.json as {
      resource: Record<string, Record<string, { provider?: string }>>;
    };
    const [id] = Object.entries(json.resource.aws_sqs_queue).find(([, p]) => p.provider === "aws.lambda_account")!;
    const open = withPolicy(local, { stack: "local", address: `aws_sqs_queue.${id}` }, "policy", (doc) => ({
      ...doc,
      Statement: doc.Statement.map(({ Condition: _c, ...rest }) => rest),
    }));
    const { mismatches } = await eventVerdicts(open);
    expect(mismatches.join("\n")).toMatch(
      /sqs:SendMessage .*-> Allowed, but another rule may not send to the dead-letter queue/,
    );
  });

  test("the two halves declaring different event prefixes is drift, named before any request", async () => {
    const drifted = structuredClone<SynthesizedStack[]>([...split]);
    const json = drifted.find((s) => s.name === "staging-bucket")!.json as {
      "//": Record<string, { grants: Array<{ grant: { events?: { prefixes: string[] } } }> }>;
    };
    json["//"]["cross-account-s3-lambda"].grants[0].grant.events!.prefixes = ["reference/"];
    const report = await proveSynthesized(drifted);
    expect(report.grants[0].problems.join("\n")).toMatch(
      /grant\.events: the Lambda account's half declares .*"reports\/".*, the bucket account's half .*"reference\/"/,
    );
  });
});
