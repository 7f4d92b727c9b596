/**
 * End to end in the local AWS emulator, many consumers on one bucket: the shared-bucket environments deployed with
 * terraform as one stack each (the bucket account and every consumer account through their aliased providers).
 *
 * `local-shared`: every consumer's access matrix run with the real handler as that consumer's Lambda role, IAM
 * enforced — its own grant allowed, the ungranted prefix and every prefix only other consumers have refused by the
 * handler and denied by AWS —, a new object under the prefix two consumers watch followed to both functions, each
 * through its own rules, and read by each handler, then an empty second plan and nothing left after destroy.
 *
 * `local-shared-ap` (every grant in an access point): the access points created with exactly the synthesized
 * policies, the bucket policy fetched back is the delegation-only one, an empty second plan, nothing left after
 * destroy. The emulator stops there: it looks an access point up in the caller's account, so a request through an
 * access point of the bucket account from a consumer's account fails in it (HTTP 500, AccessPointNotFound), and it
 * never evaluates access point policies nor the s3:DataAccessPointAccount condition. Requests through the access
 * points and their policies' verdicts are the access proof's (an IAM policy simulator), not this suite's.
 *
 * Needs terraform and moto (scripts/emulator/moto_server.py).
 *
 * Each environment runs as a test file of its own (test/e2e/local-shared*.test.ts), in an emulator of its own, so
 * that Jest runs them side by side.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3";
import { accessPointNames, accessPointsFromEmulator } from "../../scripts/lib/deployed-model";
import { deliveriesOf, followQueueEvent, handlerOnDelivery } from "../../scripts/lib/event-deliveries";
import { expectQueueDelivery } from "../support/queue-events";
import { listedActions, terraformActions, unlistedActions } from "../../scripts/lib/action-log";
import { emulatorClientConfig, roleCredentials, startEmulator, type Emulator } from "../../scripts/lib/emulator";
import {
  accessCases,
  caseSeedKeys,
  consumerEnvironment,
  consumerStackOutputs,
  crossConsumerCases,
  deployedFunction,
  deployRoleArn,
  deployStack,
  destroyStack,
  emulatorTerraformEnv,
  leftovers,
  planIsEmpty,
  runAccessMatrix,
  seedObjects,
  type MatrixRow,
} from "../../scripts/lib/local-run";
import { backendOf, createStateBuckets, stateObjects, stateResources } from "../../scripts/lib/remote-state";
import { PROJECT_ROOT, synthesize, terraformEnv } from "../../scripts/lib/toolchain";
import type { PolicyDocument } from "../../modules/internal";
import { driftBetween, loadSynthesized, recordsOf, type GrantRecord } from "../../modules/proof";
import { eventsPlanOf, queueEventsPlanOf } from "../../modules/record/grant-record";
import { sharedEnvironments } from "../../stacks/environments";
import { granteeOutput } from "../../stacks/shared-bucket-stack";
import { describeWithEmulator } from "../support/tools";

const describeE2E = describeWithEmulator();

jest.setTimeout(180_000);

/** Outputs as `terraform output -json` gives them, by name. */
type Outputs = Record<string, string>;

/** The output names a shared-bucket stack must have: the bucket's two, and each consumer's. */
function expectedOutputNames(name: string): string[] {
  const env = sharedEnvironments[name];
  return [
    "bucket_name",
    "kms_key_arn",
    ...env.grantees.flatMap((c) => [
      granteeOutput(c.name, "lambda_role_arn"),
      granteeOutput(c.name, "lambda_function_name"),
      ...(c.grant.mode === "assume-role" ? [granteeOutput(c.name, "s3_access_role_arn")] : []),
      ...(env.accessPoints === "always" ? [granteeOutput(c.name, "access_point_arn")] : []),
    ]),
  ].sort();
}

/** The synthesized resources of one type in a stack folder, with the KMS key's ARN put where terraform fills it in. */
function synthesized(stackDir: string, type: string, kmsKeyArn: string): Array<Record<string, unknown>> {
  const text = readFileSync(join(stackDir, "cdk.tf.json"), "utf8");
  const stack = JSON.parse(text) as { resource: Record<string, Record<string, Record<string, unknown>>> };
  return Object.values(stack.resource[type] ?? {}).map((r) => {
    const resolved = JSON.stringify(r).replace(/\$\{aws_kms_key\.[^.}]+\.arn\}/g, kmsKeyArn);
    return JSON.parse(resolved) as Record<string, unknown>;
  });
}

/** The shared-bucket environments run end to end, one test file each. */
export type SharedLocalEnvironment = "local-shared" | "local-shared-ap";

/** Declares the end-to-end run of `name`: its stack deployed into an emulator of its own, checked, and destroyed. */
export function sharedEndToEnd(name: SharedLocalEnvironment): void {
  describeE2E(`shared bucket in the local emulator, end to end: ${name}`, () => sharedEndToEndOf(name));
}

function sharedEndToEndOf(selected: SharedLocalEnvironment): void {
  const workDir = mkdtempSync(join(tmpdir(), "cas-e2e-shared-"));
  // Every action the emulator is asked for, by whom (see scripts/lib/action-log.ts).
  const actionLog = join(workDir, "actions.jsonl");
  // Every event a rule delivered to a function (see scripts/lib/event-deliveries.ts).
  const lambdaDeliveries = join(workDir, "deliveries.jsonl");
  let emulator: Emulator;
  let stackDirs: Record<string, string>;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    emulator = await startEmulator({
      ...process.env,
      EMULATOR_ACTION_LOG: actionLog,
      EMULATOR_LAMBDA_DELIVERIES: lambdaDeliveries,
    });
    stackDirs = synthesize(join(workDir, "cdktf.out"), [selected]);
    env = emulatorTerraformEnv(terraformEnv(join(workDir, "terraform")), emulator.endpoint);
    // As the team owning the state account would, once, before any pipeline's first init.
    await createStateBuckets(emulator, Object.values(stackDirs));
  });
  afterAll(async () => {
    await emulator?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  /** Each row as "operation key: handler <verdict>, AWS <verdict>", from the results or from what the grant wants. */
  const verdicts = (rows: readonly MatrixRow[], field: "actual" | "expected") =>
    rows.map((r) => {
      const where = `${r.event.operation} ${r.event.key ?? r.event.prefix}`;
      if (field === "actual") return `${where}: handler ${r.handler}, AWS ${r.aws}`;
      return `${where}: handler ${r.expected === "allowed" ? "allowed" : "refused"}, AWS ${r.expected}`;
    });

  /**
   * The bucket half of the grant to the role `lambdaRoleArn`, as the synthesized stack records it, after checking that
   * its Lambda half declares the same grant.
   */
  function recordedGrantOf(stackName: string, lambdaRoleArn: string): GrantRecord {
    const records = loadSynthesized([stackDirs[stackName]])
      .flatMap(recordsOf)
      .filter((r) => r.lambda.roleArn === lambdaRoleArn);
    const lambda = records.find((r) => r.half === "lambda");
    const bucket = records.find((r) => r.half === "bucket");
    if (!lambda || !bucket) throw new Error(`${stackName} records no complete grant for ${lambdaRoleArn}`);
    expect(driftBetween(lambda, bucket)).toEqual([]);
    return bucket;
  }

  if (selected === "local-shared") describeOneStackManyConsumers();
  else describeAccessPoints();

  // Last, once the stack is destroyed: the log then holds the whole run.
  test("every action Terraform asked a deploy role or the state role for is one the package lists for what the stacks create in that account", () => {
    const asked = terraformActions(actionLog);
    // The log holds the whole run: each account's deploy role created, read and destroyed its half.
    expect([...asked.keys()].sort()).toEqual(
      [...new Set(Object.values(stackDirs).flatMap((dir) => [...listedActions([dir]).keys()]))].sort(),
    );
    expect(unlistedActions(actionLog, Object.values(stackDirs))).toEqual([]);
  });

  function describeOneStackManyConsumers(): void {
    describe("local-shared: three consumers in two accounts on one bucket, one stack", () => {
      const name = "local-shared";
      const shared = sharedEnvironments[name];
      let outputs: Outputs;

      test("terraform deploys the bucket account and both consumer accounts through their aliased providers", async () => {
        outputs = (await deployStack(stackDirs[name], env)) as unknown as Outputs;
        expect(Object.keys(outputs).sort()).toEqual(expectedOutputNames(name));
        expect(outputs.bucket_name).toBe(shared.bucket.bucketName);
        for (const c of shared.grantees) {
          const own = consumerStackOutputs(outputs, c.name);
          expect(own.lambda_role_arn).toBe(`arn:aws:iam::${c.lambda.accountId}:role/${c.lambda.roleName}`);
          expect(own.s3_access_role_arn).toBe(
            c.grant.accessRoleName
              ? `arn:aws:iam::${shared.bucket.accountId}:role/${c.grant.accessRoleName}`
              : undefined,
          );
        }
      });

      describe.each(shared.grantees.map((c) => c.name))("%s", (consumer) => {
        test("with IAM enforced, the handler as this consumer's Lambda role gets its own grant, and AWS denies the rest, other consumers' prefixes included", async () => {
          const view = consumerEnvironment(shared, consumer);
          const own = consumerStackOutputs(outputs, consumer);
          const fn = await deployedFunction(emulator, view, own.lambda_function_name);
          expect(fn.environment).toMatchObject({
            BUCKET_NAME: shared.bucket.bucketName,
            ACCESS_MODE: view.grant.mode,
            GRANTED_PREFIXES: JSON.stringify(
              view.grant.prefixes.map((p) => ({ prefix: p.prefix, access: p.access, delete: p.delete ?? false })),
            ),
          });
          const credentials = await roleCredentials(emulator.endpoint, own.lambda_role_arn, own.lambda_function_name);
          const others = crossConsumerCases(shared, consumer);
          const cases = [...accessCases(view), ...others];
          const rows = await runAccessMatrix(
            emulator,
            view,
            own.bucket_name,
            fn.environment,
            credentials,
            cases,
            caseSeedKeys(cases),
          );
          expect(verdicts(rows, "actual")).toEqual(verdicts(rows, "expected"));
          expect(rows.filter((r) => r.expected === "allowed").length).toBeGreaterThan(0);
          expect(others.length).toBeGreaterThanOrEqual(4);
        });
      });

      test("the cross-consumer cases cover what each consumer must not do", () => {
        const denied = (consumer: string) =>
          [...accessCases(consumerEnvironment(shared, consumer)), ...crossConsumerCases(shared, consumer)]
            .filter((c) => c.expected === "denied")
            .map((c) => `${c.event.operation} ${c.event.key ?? c.event.prefix}`);
        // billing may not write under reference/ nor read incoming/; reporting may not touch incoming/.
        expect(denied("billing")).toEqual(
          expect.arrayContaining(["put reference/from-lambda.txt", "get incoming/seed.txt", "list incoming/"]),
        );
        expect(denied("reporting")).toEqual(
          expect.arrayContaining([
            "put incoming/from-reporting.txt",
            "get incoming/seed.txt",
            "list incoming/",
            "delete incoming/seed.txt",
          ]),
        );
        expect(denied("ingest")).toEqual(expect.arrayContaining(["get reference/seed.txt", "list reference/"]));
      });

      test("an object the bucket owner puts under reference/ reaches both consumers watching it, once each, through each one's own rule in its Lambda account, and each handler, as its consumer's role, reads it; one outside reaches neither", async () => {
        const watching = shared.grantees.filter((c) => c.grant.events && c.grant.events.delivery !== "sqs");
        expect(watching.map((c) => [c.name, c.grant.events!.prefixes])).toEqual([
          ["reporting", ["reference/"]],
          ["billing", ["reference/"]],
        ]);
        const inside = "reference/events/arrived.txt";
        // Under a prefix of the bucket that another consumer is granted, and no consumer watches through EventBridge
        // (ingest watches it through its queue: see the next test).
        const outside = "incoming/events/elsewhere.txt";
        expect(shared.grantees.filter((c) => c.grant.prefixes.some((p) => p.prefix === "incoming/")).length).toBe(1);
        // The bucket owner puts both (every consumer's view names the same bucket account).
        const owner = consumerEnvironment(shared, watching[0].name);
        await seedObjects(emulator, owner, outputs.bucket_name, [inside, outside]);
        await deliveriesOf(lambdaDeliveries, inside, watching.length);
        expect(await deliveriesOf(lambdaDeliveries, outside, 1, 1_000)).toEqual([]);
        // Read again after that wait, so that a further delivery of the object would be seen.
        const found = await deliveriesOf(lambdaDeliveries, inside, watching.length, 0);
        const expected = watching.map((c) => {
          const own = consumerStackOutputs(outputs, c.name);
          const plan = eventsPlanOf(recordedGrantOf(name, own.lambda_role_arn))!;
          return { consumer: c.name, own, function: plan.lambdaAccount.functionArn, rule: plan.lambdaAccount.rule.arn };
        });
        expect(new Set(expected.map((e) => e.rule)).size).toBe(watching.length);
        expect(found.map((d) => `${d.function} through ${d.rule}`).sort()).toEqual(
          expected.map((e) => `${e.function} through ${e.rule}`).sort(),
        );
        for (const e of expected) {
          const delivered = found.find((d) => d.rule === e.rule)!;
          expect(delivered.event).toMatchObject({
            source: "aws.s3",
            "detail-type": "Object Created",
            account: shared.bucket.accountId,
            detail: { bucket: { name: outputs.bucket_name }, object: { key: inside } },
          });
          const view = consumerEnvironment(shared, e.consumer);
          const answers = await handlerOnDelivery(emulator, view, e.own, delivered, outside);
          expect({ consumer: e.consumer, ...answers }).toMatchObject({
            consumer: e.consumer,
            read: { operation: "object-created", bucket: outputs.bucket_name, key: inside },
            refused: "EventNotGrantedError",
          });
        }
      });

      test("an object the bucket owner puts under incoming/ reaches ingest's function through its own queue in its Lambda account, in a batch its mapping takes, and the handler, as ingest's role through its S3 access role, reads it; one outside reaches nothing", async () => {
        const ingest = shared.grantees.find((c) => c.grant.events?.delivery === "sqs")!;
        expect([ingest.name, ingest.grant.events!.prefixes]).toEqual(["ingest", ["incoming/"]]);
        const view = consumerEnvironment(shared, ingest.name);
        const own = consumerStackOutputs(outputs, ingest.name);
        const followed = await followQueueEvent(emulator, view, own, lambdaDeliveries);
        const plan = queueEventsPlanOf(recordedGrantOf(name, own.lambda_role_arn))!;
        expectQueueDelivery(followed, plan, {});
        const { inside } = followed;
        // The EventBridge consumers watch reference/ only: nothing of incoming/ reached them.
        expect(await deliveriesOf(lambdaDeliveries, inside, 1, 0)).toEqual([]);
      });

      test("a second plan, from a fresh working directory that has only the backend, shows no changes", async () => {
        const { empty, plan } = await planIsEmpty(stackDirs[name], env);
        expect(empty ? "" : plan).toBe("");
      });

      test("the stack keeps its state, every account's resources in it, under its own key in the state bucket, none in the repository", async () => {
        expect(await stateObjects(emulator, stackDirs[name])).toEqual([backendOf(stackDirs[name]).key]);
        const resources = await stateResources(emulator, stackDirs[name]);
        expect(resources.filter((r) => r.startsWith("aws_lambda_function.")).length).toBe(shared.grantees.length);
        // The shared bucket and its server access log bucket.
        expect(resources.filter((r) => r.startsWith("aws_s3_bucket.")).length).toBe(2);
        expect(readdirSync(PROJECT_ROOT).filter((f) => /^terraform\..*\.tfstate/.test(f))).toEqual([]);
      });

      test("destroy leaves nothing of any consumer, nor of the bucket, in any account", async () => {
        await destroyStack(stackDirs[name], env);
        const left: string[] = [];
        for (const c of shared.grantees) {
          left.push(
            ...(await leftovers(emulator, consumerEnvironment(shared, c.name), consumerStackOutputs(outputs, c.name))),
          );
        }
        expect([...new Set(left)]).toEqual([]);
      });
    });
  }

  function describeAccessPoints(): void {
    describe("local-shared-ap: every grant in its own access point (creation, policies and plan; no requests through them)", () => {
      const name = "local-shared-ap";
      const shared = sharedEnvironments[name];
      const B = shared.bucket.accountId;
      let outputs: Outputs;

      test("terraform creates the access points in the bucket account (S3 Control through the emulator)", async () => {
        outputs = (await deployStack(stackDirs[name], env)) as unknown as Outputs;
        expect(Object.keys(outputs).sort()).toEqual(expectedOutputNames(name));
        for (const c of shared.grantees) {
          expect(outputs[granteeOutput(c.name, "access_point_arn")]).toBe(
            `arn:aws:s3:${shared.bucket.region}:${B}:accesspoint/${c.name}`,
          );
        }
        expect((await accessPointNames(emulator, B, deployRoleArn)).sort()).toEqual(
          shared.grantees.map((c) => c.name).sort(),
        );
      });

      test("each access point serves the bucket with exactly the synthesized policy, and its function is given its ARN", async () => {
        const expected = synthesized(stackDirs[name], "aws_s3_access_point", outputs.kms_key_arn).map((r) => ({
          name: r.name as string,
          bucket: shared.bucket.bucketName,
          policy: JSON.parse(r.policy as string) as PolicyDocument,
        }));
        expect(expected.map((ap) => ap.name).sort()).toEqual(shared.grantees.map((c) => c.name).sort());
        const deployed = await accessPointsFromEmulator(
          emulator,
          B,
          expected.map((ap) => ap.name),
          deployRoleArn,
        );
        expect(deployed).toEqual(expected);
        for (const c of shared.grantees) {
          const fn = await deployedFunction(
            emulator,
            consumerEnvironment(shared, c.name),
            outputs[granteeOutput(c.name, "lambda_function_name")],
          );
          expect(fn.environment.ACCESS_POINT_ARN).toBe(outputs[granteeOutput(c.name, "access_point_arn")]);
        }
      });

      test("the bucket policy fetched back only delegates to the bucket account's access points", async () => {
        const inB = emulatorClientConfig(
          emulator.endpoint,
          await roleCredentials(emulator.endpoint, deployRoleArn(B), "verify"),
        );
        const { Policy } = await new S3Client(inB).send(new GetBucketPolicyCommand({ Bucket: outputs.bucket_name }));
        const policy = JSON.parse(Policy!) as PolicyDocument;
        // The stack writes two bucket policies: the shared bucket's, and its log bucket's.
        const bucketPolicy = synthesized(stackDirs[name], "aws_s3_bucket_policy", outputs.kms_key_arn).find(
          (p) => !String(p.policy).includes("logging.s3.amazonaws.com"),
        );
        expect(policy).toEqual(JSON.parse(bucketPolicy!.policy as string));
        // Delegation only: every Allow is conditioned on the request coming through an access point of the bucket
        // account, and no consumer account or role is named anywhere in it.
        const allows = policy.Statement.filter((s) => s.Effect === "Allow");
        expect(allows.length).toBeGreaterThan(0);
        for (const s of allows) expect(s.Condition).toEqual({ StringEquals: { "s3:DataAccessPointAccount": B } });
        for (const c of shared.grantees) expect(Policy).not.toContain(c.lambda.accountId);
      });

      test("a second plan, from a fresh working directory that has only the backend, shows no changes", async () => {
        const { empty, plan } = await planIsEmpty(stackDirs[name], env);
        expect(empty ? "" : plan).toBe("");
      });

      test("destroy leaves no access point, consumer or bucket in any account", async () => {
        await destroyStack(stackDirs[name], env);
        const left: string[] = [];
        for (const c of shared.grantees) {
          left.push(
            ...(await leftovers(emulator, consumerEnvironment(shared, c.name), consumerStackOutputs(outputs, c.name))),
          );
        }
        left.push(...(await accessPointNames(emulator, B, deployRoleArn)).map((n) => `access point ${n} in ${B}`));
        expect([...new Set(left)]).toEqual([]);
      });
    });
  }
}
