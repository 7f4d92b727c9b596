/**
 * End to end in the local AWS emulator: both local stacks deployed with terraform into two accounts, the real handler
 * run as the Lambda role with IAM enforced — refusing what the grant does not cover, while the same requests sent
 * straight to AWS with its credentials are allowed and denied by the policies —, every operation the grant allows
 * tried across the accounts, every upload encryption case sent as the grantee (only the bucket's own key may be
 * asked for), each side of the grant broken on purpose to show the check notices, the bucket's server access logging
 * and both buckets' lifecycles read back, a new object under an event prefix followed through both accounts' rules to
 * the handler, an empty second plan from a fresh working directory, and nothing left after destroy. Every stack keeps
 * its state in the S3 backend it synthesizes, in a state bucket of the emulator in an account of its own; a run
 * holding a stack's lock refuses a concurrent run.
 * Needs terraform and moto (scripts/emulator/moto_server.py).
 *
 * Each local environment runs as a test file of its own (test/e2e/local*.test.ts), in an emulator of its own, so that
 * Jest runs them side by side: most of a deploy is the AWS provider waiting for S3 to settle, not work.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLoggingCommand,
  GetBucketPolicyCommand,
  ListMultipartUploadsCommand,
  type MultipartUpload,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { UPLOAD_ENCRYPTION_CASES, type UploadOperation } from "../../modules/policy/upload-encryption";
import { accessLogBucketName } from "../../modules/declaration/access-logging";
import { driftBetween, loadSynthesized, proveSynthesized, recordsOf, type GrantRecord } from "../../modules/proof";
import { eventsPlanOf, queueEventsPlanOf } from "../../modules/record/grant-record";
import type { EventsPlan } from "../../modules/policy/plan-events";
import { followEvent, followQueueEvent, s3RecordsOf } from "../../scripts/lib/event-deliveries";
import { queueEventsModelFromEmulator } from "../../scripts/lib/deployed-queue-events";
import { queueEventRequestsOf } from "../../modules/proof/queue-events";
import { expectQueueDelivery } from "../support/queue-events";
import { eventsModelFromEmulator } from "../../scripts/lib/deployed-events";
import { eventRequestsOf } from "../../modules/proof/events";
import { outsiderFor } from "../../modules/proof/requests";
import { grantProofRequests } from "../../modules/proof/prove";
import { actionsInModel } from "../../modules/proof/model";
import { prove, unknownActions } from "../../modules/proof/simulate";
import { modelFromEmulator } from "../../scripts/lib/deployed-model";
import { listedActions, terraformActions, unlistedActions } from "../../scripts/lib/action-log";
import { emulatorClientConfig, roleCredentials, startEmulator, type Emulator } from "../../scripts/lib/emulator";
import {
  accessCases,
  builtCodeSha256,
  deployedFunction,
  deployRoleArn,
  deployStack,
  destroyStack,
  emulatorTerraformEnv,
  enforced,
  leftovers,
  planIsEmpty,
  runAccessMatrix,
  runHandlerCases,
  runOperationChecks,
  seedObjects,
  withHandler,
  type AccessCase,
  type MatrixRow,
  type StackOutputs,
} from "../../scripts/lib/local-run";
import {
  backendOf,
  createStateBuckets,
  holdStateLock,
  initializedFreshDirectory,
  stateObjects,
  stateResources,
} from "../../scripts/lib/remote-state";
import { PROJECT_ROOT, synthesize, terraform, terraformEnv } from "../../scripts/lib/toolchain";
import { environments } from "../../stacks/environments";
import { CloudWatchLogsClient, DescribeMetricFiltersCommand } from "@aws-sdk/client-cloudwatch-logs";
import { accessDeniedFilterPattern, requestMetricsIds } from "../../modules/declaration/alarm-settings";
import { deployedAlarms, type DeployedAlarms } from "../../scripts/lib/deployed-alarms";
import type { EnvironmentConfig } from "../../stacks/config";
import { matchesFilterPattern } from "../support/filter-pattern";
import { describeMismatch } from "../support/proof";
import { describeWithEmulator } from "../support/tools";

const describeE2E = describeWithEmulator();

/** The alarms an environment's grant deploys (alarms on, no topics), as deployedAlarms reads them back. */
function expectedAlarms(config: EnvironmentConfig, bucketName: string): DeployedAlarms {
  const fn = config.lambda.functionName!;
  const ids = [...requestMetricsIds(config.grant.prefixes.map((p) => p.prefix))];
  return {
    metricFilters: [`access-denied ${accessDeniedFilterPattern()} CrossAccountS3Lambda/AccessDenied-${fn}`],
    lambdaAlarms: [
      `${fn}-access-denied CrossAccountS3Lambda/AccessDenied-${fn}`,
      `${fn}-errors AWS/Lambda/Errors FunctionName=${fn}`,
    ],
    requestMetrics: ids.map(([prefix, id]) => `${id} ${prefix}`),
    bucketAlarms: ids
      .map(([, id]) => `${bucketName}-${id}-4xx-errors AWS/S3/4xxErrors BucketName=${bucketName},FilterId=${id}`)
      .sort(),
    misplaced: [],
    actions: Object.fromEntries(
      [`${fn}-access-denied`, `${fn}-errors`, ...ids.map(([, id]) => `${bucketName}-${id}-4xx-errors`)].map((name) => [
        name,
        [],
      ]),
    ),
  };
}

jest.setTimeout(180_000);

/** The local environments run end to end, one test file each. */
export type LocalEnvironment = "local" | "local-assume-role" | "local-split" | "local-split-queue";

/** Declares the end-to-end run of `name`: its stacks deployed into an emulator of its own, checked, and destroyed. */
export function endToEnd(name: LocalEnvironment): void {
  describeE2E(`local emulator, end to end: ${name}`, () => endToEndOf(name));
}

function endToEndOf(selected: LocalEnvironment): void {
  const workDir = mkdtempSync(join(tmpdir(), "cas-e2e-"));
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

  /** Runs cases with IAM enforcement on, as the Lambda role with the function's deployed configuration. */
  async function runAsLambda(name: string, outputs: StackOutputs, cases: readonly AccessCase[]) {
    const fn = await deployedFunction(emulator, environments[name], outputs.lambda_function_name);
    const credentials = await roleCredentials(emulator.endpoint, outputs.lambda_role_arn, outputs.lambda_function_name);
    await emulator.setEnforcement(true);
    try {
      return await runHandlerCases(emulator.endpoint, fn.environment, credentials, cases);
    } finally {
      await emulator.setEnforcement(false);
    }
  }

  /**
   * The grant the synthesized stacks record, as the access proof reads them: the bucket account's half, after checking
   * that the Lambda account's half declares the same grant.
   */
  function recordedGrant(...stackNames: string[]): GrantRecord {
    const records = loadSynthesized(stackNames.map((n) => stackDirs[n])).flatMap(recordsOf);
    const lambda = records.find((r) => r.half === "lambda");
    const bucket = records.find((r) => r.half === "bucket");
    if (!lambda || !bucket)
      throw new Error(
        `${stackNames.join(", ")} record no complete grant: ${records.map((r) => `${r.key} (${r.half})`).join(", ")}`,
      );
    expect(driftBetween(lambda, bucket)).toEqual([]);
    return bucket;
  }

  /**
   * The access proof of the policies fetched back from both accounts, with the requests the synthesized stacks are
   * proven with before deployment (grantProofRequests on the grant's record): what it gets wrong, and how many it proved.
   */
  async function proveDeployed(record: GrantRecord, outputs: StackOutputs) {
    const model = await modelFromEmulator(
      emulator,
      record,
      { bucketName: outputs.bucket_name, kmsKeyArn: outputs.kms_key_arn },
      deployRoleArn,
    );
    // The events' hops too, with the policies of their sending role, bus, function and queues fetched back.
    const events = await eventsModelFromEmulator(emulator, record, deployRoleArn);
    // On the SQS path, the queue's and its key's policies, and the queue and mapping as deployed.
    const queueEvents = await queueEventsModelFromEmulator(emulator, record, deployRoleArn);
    const outsider = outsiderFor([record.bucket.accountId, record.lambda.accountId]);
    const rolePolicies = model.roles[record.lambda.roleArn]?.policies ?? {};
    const eventRequests = [
      ...(events ? eventRequestsOf(events, record, outsider) : []),
      ...(queueEvents ? queueEventRequestsOf(queueEvents, record, outsider, rolePolicies) : []),
    ];
    const results = await prove([...(await grantProofRequests(record, model)), ...eventRequests]);
    return {
      mismatches: [...results.filter((r) => !r.ok).map(describeMismatch), ...(queueEvents?.problems ?? [])],
      unknownActions: await unknownActions(actionsInModel(model)),
      requests: results.length,
      eventRequests: eventRequests.length,
    };
  }

  /**
   * Proves the policies fetched back from both accounts (see proveDeployed) with the requests the stacks `stackNames`
   * are proven with before deployment, the events' hops included: none may go wrong, and they must be as many.
   * Returns how many requests the deployed policies were proven with.
   */
  async function expectDeployedProvenAsSynthesized(outputs: StackOutputs, ...stackNames: string[]): Promise<number> {
    const before = await proveSynthesized(loadSynthesized(stackNames.map((n) => stackDirs[n])));
    const record = recordedGrant(...stackNames);
    const deployed = await proveDeployed(record, outputs);
    expect(deployed.mismatches).toEqual([]);
    expect(deployed.unknownActions).toEqual([]);
    expect(deployed.requests).toBe(before.requests);
    expect(deployed.eventRequests > 0).toBe(record.grant.events !== undefined);
    return deployed.requests;
  }

  /**
   * The bucket owner puts an object under the grant's first event prefix, and one outside every event prefix (under
   * another granted prefix, else the ungranted one). The first must reach the function once, through the Lambda
   * account's rule of the events planned from the grant's record, as S3 sent it from the bucket account; the second
   * nothing. The handler, as the function's role with IAM enforced, reads the first and refuses the second.
   */
  /**
   * The SQS path's expectEventDelivered: the object under the event prefix reaches the function once, in a batch the
   * grant's mapping took from the grant's queue in the Lambda account, as S3 sent it from the bucket account; the one
   * outside, nothing. The handler, as the function's role with IAM enforced, reads the first and reports the same
   * batch naming the outside key as failed.
   */
  async function expectQueueEventDelivered(config: EnvironmentConfig, outputs: StackOutputs, record: GrantRecord) {
    const followed = await followQueueEvent(emulator, config, outputs, lambdaDeliveries);
    const { inside, removal } = followed;
    const plan = queueEventsPlanOf(record)!;
    const message = expectQueueDelivery(followed, plan, { bucket: outputs.bucket_name });
    expect(s3RecordsOf(message.body)).toEqual([
      { eventName: "ObjectCreated:Put", bucket: outputs.bucket_name, key: inside },
    ]);
    expect(removal === undefined).toBe(!config.grant.events?.removed);
    if (removal) {
      // Deleted by the bucket owner in the versioned bucket: a delete marker, told through the same queue.
      expect(removal.delivered.map((d) => d.eventSourceArn)).toEqual([plan.lambdaAccount.queue.arn]);
      const told = removal.answer as { batchItemFailures: unknown[]; results: Array<{ objects: unknown[] }> };
      expect(told.batchItemFailures).toEqual([]);
      expect(told.results.flatMap((r) => r.objects)).toEqual([
        {
          operation: "object-removed",
          bucket: outputs.bucket_name,
          key: inside,
          deletionType: "Delete Marker Created",
        },
      ]);
    }
    return plan;
  }

  async function expectEventDelivered(
    config: EnvironmentConfig,
    outputs: StackOutputs,
    record: GrantRecord,
  ): Promise<EventsPlan> {
    const {
      inside,
      delivered: found,
      deliveredOutside,
      answers,
      removal,
    } = await followEvent(emulator, config, outputs, lambdaDeliveries);
    expect(deliveredOutside).toEqual([]);
    const plan = eventsPlanOf(record)!;
    expect(found.map((d) => d.rule)).toEqual([plan.lambdaAccount.rule.arn]);
    expect(found[0]).toMatchObject({
      function: plan.lambdaAccount.functionArn,
      event: { source: "aws.s3", "detail-type": "Object Created", account: config.bucket.accountId },
    });
    expect(answers?.read).toMatchObject({ operation: "object-created", bucket: outputs.bucket_name, key: inside });
    expect(answers?.refused).toBe("EventNotGrantedError");
    if (config.grant.events?.removed) {
      // Deleted by the bucket owner in the versioned bucket: a delete marker, told through the same rules.
      expect(removal?.delivered.map((d) => d.rule)).toEqual([plan.lambdaAccount.rule.arn]);
      expect(removal?.answer).toEqual({
        operation: "object-removed",
        bucket: outputs.bucket_name,
        key: inside,
        deletionType: "Delete Marker Created",
      });
    } else {
      expect(removal).toBeUndefined();
    }
    return plan;
  }

  /** Each row as "operation key: handler <verdict>, AWS <verdict>", from the results or from what the grant wants. */
  const verdicts = (rows: readonly MatrixRow[], field: "actual" | "expected") =>
    rows.map((r) => {
      const where = `${r.event.operation} ${r.event.key ?? r.event.prefix}`;
      if (field === "actual") return `${where}: handler ${r.handler}, AWS ${r.aws}`;
      return `${where}: handler ${r.expected === "allowed" ? "allowed" : "refused"}, AWS ${r.expected}`;
    });

  /** The operations tried across the accounts in each stack, as their checks name them. */
  const OPERATION_CHECKS: Record<string, string[]> = {
    local: [
      "put incoming/ops/put.txt with its SHA-256, get it back",
      "presign-put incoming/ops/via-url.bin for 7 days, capped at PRESIGN_MAX_EXPIRES_SECONDS; upload with fetch",
      "list incoming/ops/ two keys a page, with a continuation token",
      "presign-get incoming/ops/put.txt, download with fetch",
      "copy reference/ops-source.bin (12 MiB) to incoming/ops/copied.bin through a multipart upload",
    ],
    // Upload-only: the function may neither read nor list, so there is nothing to get, list or copy from.
    "local-assume-role": [
      "put uploads/ops/put.txt with its SHA-256, the bucket owner reads it",
      "presign-put uploads/ops/via-url.bin for 7 days, capped at the session's life; upload with fetch",
    ],
  };

  /** An S3 client that adds exactly `headers` to every request, before signing, so they are signed as sent. */
  function s3Sending(
    clientConfig: ReturnType<typeof emulatorClientConfig>,
    headers: Readonly<Record<string, string>>,
  ): S3Client {
    const s3 = new S3Client(clientConfig);
    s3.middlewareStack.add(
      (next) => async (args) => {
        Object.assign((args.request as { headers: Record<string, string> }).headers, headers);
        return next(args);
      },
      { step: "build", name: "uploadEncryptionHeaders" },
    );
    return s3;
  }

  /** "Allowed", "Denied" (403 AccessDenied), or what else S3 answered. */
  async function uploadVerdict(send: () => Promise<unknown>): Promise<string> {
    try {
      await send();
      return "Allowed";
    } catch (err) {
      const e = err as Error & { $metadata?: { httpStatusCode?: number } };
      return e.name === "AccessDenied" && e.$metadata?.httpStatusCode === 403
        ? "Denied"
        : `${e.name} (HTTP ${e.$metadata?.httpStatusCode}): ${e.message}`;
    }
  }

  /**
   * Sends one upload as `operation` straight to S3 with `headers` added, and aborts any multipart upload it opened.
   * An UploadPart goes to an upload created with no encryption header, so only the part's headers are judged.
   */
  async function sendUpload(
    clientConfig: ReturnType<typeof emulatorClientConfig>,
    target: { bucket: string; key: string; sourceKey: string },
    operation: UploadOperation,
    headers: Readonly<Record<string, string>>,
  ): Promise<string> {
    const { bucket: Bucket, key: Key, sourceKey } = target;
    const Body = `uploaded as ${operation} with ${JSON.stringify(headers)}`;
    const plain = new S3Client(clientConfig);
    const s3 = s3Sending(clientConfig, headers);
    const abort = async (UploadId: string | undefined) => {
      if (UploadId) await plain.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }));
    };
    try {
      switch (operation) {
        case "PutObject":
          return await uploadVerdict(() => s3.send(new PutObjectCommand({ Bucket, Key, Body })));
        case "CreateMultipartUpload":
          return await uploadVerdict(async () =>
            abort((await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }))).UploadId),
          );
        case "UploadPart": {
          const { UploadId } = await plain.send(new CreateMultipartUploadCommand({ Bucket, Key }));
          try {
            return await uploadVerdict(() =>
              s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body })),
            );
          } finally {
            await abort(UploadId);
          }
        }
        case "CopyObject":
          return await uploadVerdict(() =>
            s3.send(new CopyObjectCommand({ Bucket, Key, CopySource: `${Bucket}/${sourceKey}` })),
          );
      }
    } finally {
      plain.destroy();
      s3.destroy();
    }
  }

  if (selected === "local-split") describeSplitLayout();
  else if (selected === "local-split-queue") describeQueueSplitLayout();
  else describeOneStack(selected);
  // Last, once the stacks are destroyed: the log then holds the whole run.
  test("every action Terraform asked a deploy role or the state role for is one the package lists for what the stacks create in that account", () => {
    const asked = terraformActions(actionLog);
    // The log holds the whole run: each account's deploy role created, read and destroyed its half.
    expect([...asked.keys()].sort()).toEqual(
      [...new Set(Object.values(stackDirs).flatMap((dir) => [...listedActions([dir]).keys()]))].sort(),
    );
    expect(unlistedActions(actionLog, Object.values(stackDirs))).toEqual([]);
  });

  function describeOneStack(name: "local" | "local-assume-role"): void {
    describe(name, () => {
      const config = environments[name];
      let outputs: StackOutputs;

      test("terraform deploys both accounts through their aliased providers", async () => {
        outputs = await deployStack(stackDirs[name], env);
        expect(outputs.lambda_role_arn).toBe(`arn:aws:iam::${config.lambda.accountId}:role/${config.lambda.roleName}`);
        expect(outputs.kms_key_arn).toMatch(new RegExp(`^arn:aws:kms:us-east-1:${config.bucket.accountId}:key/`));
        expect(outputs.bucket_name).toBe(config.bucket.bucketName);
        expect(outputs.s3_access_role_arn).toBe(
          config.grant.accessRoleName
            ? `arn:aws:iam::${config.bucket.accountId}:role/${config.grant.accessRoleName}`
            : undefined,
        );
      });

      test("the function exists in the Lambda account with the code hash of the archive built here", async () => {
        const fn = await deployedFunction(emulator, config, outputs.lambda_function_name);
        expect(fn.codeSha256).toBe(builtCodeSha256());
        expect(fn.environment).toMatchObject({
          BUCKET_NAME: config.bucket.bucketName,
          ACCESS_MODE: config.grant.mode,
          GRANTED_PREFIXES: JSON.stringify(
            config.grant.prefixes.map((p) => ({ prefix: p.prefix, access: p.access, delete: p.delete ?? false })),
          ),
        });
      });

      test("the alarms exist in the account that owns what each watches: the function's in the Lambda account, the prefixes' in the bucket account", async () => {
        const deployed = await deployedAlarms(emulator, config, outputs.bucket_name);
        expect(deployed).toEqual(expectedAlarms(config, outputs.bucket_name));
      });

      test("S3 server access logs of the bucket go to its log bucket (SSE-S3, open to S3's log delivery only), and both buckets' lifecycles are in place", async () => {
        const logBucket = accessLogBucketName(outputs.bucket_name);
        const s3 = new S3Client(
          emulatorClientConfig(
            emulator.endpoint,
            await roleCredentials(emulator.endpoint, deployRoleArn(config.bucket.accountId), "access-logs"),
          ),
        );
        try {
          const { LoggingEnabled } = await s3.send(new GetBucketLoggingCommand({ Bucket: outputs.bucket_name }));
          expect(LoggingEnabled).toMatchObject({ TargetBucket: logBucket, TargetPrefix: `${outputs.bucket_name}/` });
          const encryption = await s3.send(new GetBucketEncryptionCommand({ Bucket: logBucket }));
          expect(
            encryption.ServerSideEncryptionConfiguration?.Rules?.map(
              (r) => r.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
            ),
          ).toEqual(["AES256"]);
          const policy = JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket: logBucket }))).Policy!) as {
            Statement: Array<{ Sid: string; Principal: unknown; Condition?: unknown }>;
          };
          expect(policy.Statement.map((st) => [st.Sid, st.Principal])).toEqual([
            ["DenyInsecureTransport", "*"],
            ["S3ServerAccessLogDelivery", { Service: "logging.s3.amazonaws.com" }],
          ]);
          const rules = async (Bucket: string) =>
            ((await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))).Rules ?? []).map((r) => ({
              id: r.ID,
              status: r.Status,
              abortAfter: r.AbortIncompleteMultipartUpload?.DaysAfterInitiation,
              noncurrentAfter: r.NoncurrentVersionExpiration?.NoncurrentDays,
              expireAfter: r.Expiration?.Days,
            }));
          expect(await rules(outputs.bucket_name)).toEqual([
            {
              id: "abort-incomplete-multipart-uploads",
              status: "Enabled",
              abortAfter: 7,
              noncurrentAfter: undefined,
              expireAfter: undefined,
            },
            {
              id: "expire-noncurrent-versions",
              status: "Enabled",
              abortAfter: undefined,
              noncurrentAfter: 90,
              expireAfter: undefined,
            },
          ]);
          expect(await rules(logBucket)).toEqual([
            {
              id: "expire-access-logs",
              status: "Enabled",
              abortAfter: undefined,
              noncurrentAfter: undefined,
              expireAfter: 365,
            },
            {
              id: "abort-incomplete-multipart-uploads",
              status: "Enabled",
              abortAfter: 7,
              noncurrentAfter: undefined,
              expireAfter: undefined,
            },
          ]);
        } finally {
          s3.destroy();
        }
      });

      test("with IAM enforced, the handler refuses what the grant does not cover, and AWS denies the same requests sent with its credentials", async () => {
        const fn = await deployedFunction(emulator, config, outputs.lambda_function_name);
        const credentials = await roleCredentials(
          emulator.endpoint,
          outputs.lambda_role_arn,
          outputs.lambda_function_name,
        );
        const rows = await runAccessMatrix(
          emulator,
          config,
          outputs.bucket_name,
          fn.environment,
          credentials,
          accessCases(config),
        );
        expect(verdicts(rows, "actual")).toEqual(verdicts(rows, "expected"));
        expect(rows.filter((r) => r.expected === "allowed").length).toBeGreaterThan(0);
        expect(rows.filter((r) => r.expected === "denied").length).toBeGreaterThan(3);
      });

      test("every operation the grant allows works across the accounts, with IAM enforced", async () => {
        const fn = await deployedFunction(emulator, config, outputs.lambda_function_name);
        const credentials = await roleCredentials(
          emulator.endpoint,
          outputs.lambda_role_arn,
          outputs.lambda_function_name,
        );
        const checks = await runOperationChecks(emulator, config, outputs.bucket_name, fn.environment, credentials);
        expect(checks.map((c) => `${c.name}: ${c.ok ? "ok" : c.detail}`)).toEqual(
          OPERATION_CHECKS[name].map((n) => `${n}: ok`),
        );
      });

      if (config.grant.events) {
        test("an object the bucket account puts under an event prefix reaches the function through both accounts' rules, and the handler, as the function's role, reads it; one outside reaches nothing; its deletion is told too when the grant declares removals", async () => {
          if (config.grant.events?.delivery === "sqs")
            await expectQueueEventDelivered(config, outputs, recordedGrant(name));
          else await expectEventDelivered(config, outputs, recordedGrant(name));
        });
      }

      // The grantee is the principal the bucket policy grants: the Lambda role in bucket-policy mode, the S3 access role
      // in assume-role mode. Each case goes out with exactly its headers and the SDK's default request checksums
      // (CRC32 on PutObject and UploadPart). The handler's own put and multipart copy, which send no encryption header,
      // pass the same denials in the operation checks above. moto does not authorize a copy's source (AWS also needs
      // s3:GetObject on it, which the write-only grant of local-assume-role lacks), so a copy here shows the verdict on
      // the destination only.
      test("with IAM enforced, S3 lets through exactly the upload encryptions the bucket policy allows, for every upload operation", async () => {
        const prefix = config.grant.prefixes.find((p) => p.access !== "read")!.prefix;
        const sourceKey = `${prefix}encryption/source.txt`;
        const otherKeyArn = `arn:aws:kms:us-east-1:${config.bucket.accountId}:key/00000000-0000-4000-8000-000000000000`;
        await seedObjects(emulator, config, outputs.bucket_name, [sourceKey]);
        const grantee = outputs.s3_access_role_arn ?? outputs.lambda_role_arn;
        const asGrantee = emulatorClientConfig(
          emulator.endpoint,
          await roleCredentials(emulator.endpoint, grantee, "upload-encryption"),
        );
        const owner = new S3Client(
          emulatorClientConfig(
            emulator.endpoint,
            await roleCredentials(emulator.endpoint, deployRoleArn(config.bucket.accountId), "uploads"),
          ),
        );
        const expected: string[] = [];
        const actual: string[] = [];
        let left: MultipartUpload[] = [];
        try {
          await enforced(emulator, async () => {
            for (const c of UPLOAD_ENCRYPTION_CASES) {
              for (const operation of c.operations) {
                const target = {
                  bucket: outputs.bucket_name,
                  key: `${prefix}encryption/${c.id}-${operation}.txt`,
                  sourceKey,
                };
                actual.push(
                  `${c.id} ${operation}: ${await sendUpload(asGrantee, target, operation, c.headers(outputs.kms_key_arn, otherKeyArn))}`,
                );
                expected.push(`${c.id} ${operation}: ${c.expected}`);
              }
            }
          });
        } finally {
          // Whatever happened, no multipart upload may outlive the test (destroy would not see it).
          left = (await owner.send(new ListMultipartUploadsCommand({ Bucket: outputs.bucket_name }))).Uploads ?? [];
          for (const u of left)
            await owner.send(
              new AbortMultipartUploadCommand({ Bucket: outputs.bucket_name, Key: u.Key, UploadId: u.UploadId }),
            );
          owner.destroy();
        }
        expect(actual).toEqual(expected);
        expect(expected.filter((e) => e.endsWith(": Denied")).length).toBeGreaterThan(10);
        expect(left.map((u) => `${u.Key} ${u.UploadId}`)).toEqual([]);
      });

      test("the policies fetched back from both accounts pass the same access proof as before deployment, the events' hops included", async () => {
        expect(await expectDeployedProvenAsSynthesized(outputs, name)).toBeGreaterThan(30);
      });

      test("a second plan, from a fresh working directory that has only the backend, shows no changes", async () => {
        const { empty, plan } = await planIsEmpty(stackDirs[name], env);
        expect(empty ? "" : plan).toBe("");
      });

      test("breaking one side of the grant makes the allowed request fail", async () => {
        const put = accessCases(config).find((c) => c.event.operation === "put" && c.expected === "allowed")!;
        const inA = emulatorClientConfig(
          emulator.endpoint,
          await roleCredentials(emulator.endpoint, deployRoleArn(config.lambda.accountId), "break"),
        );
        const inB = emulatorClientConfig(
          emulator.endpoint,
          await roleCredentials(emulator.endpoint, deployRoleArn(config.bucket.accountId), "break"),
        );
        const iamA = new IAMClient(inA);
        const iamB = new IAMClient(inB);
        const s3B = new S3Client(inB);
        const breakages: Array<[string, () => Promise<() => Promise<unknown>>]> =
          config.grant.mode === "bucket-policy"
            ? [
                [
                  "the bucket policy names another prefix",
                  async () => {
                    const { Policy } = await s3B.send(new GetBucketPolicyCommand({ Bucket: outputs.bucket_name }));
                    const granted = config.grant.prefixes[0].prefix;
                    await s3B.send(
                      new PutBucketPolicyCommand({
                        Bucket: outputs.bucket_name,
                        Policy: Policy!.split(`/${granted}*`).join(`/x-${granted}*`),
                      }),
                    );
                    return () => s3B.send(new PutBucketPolicyCommand({ Bucket: outputs.bucket_name, Policy: Policy! }));
                  },
                ],
                [
                  "the Lambda role's identity policy loses s3:PutObject",
                  async () => {
                    const args = { RoleName: config.lambda.roleName, PolicyName: "cross-account-s3-access" };
                    const { PolicyDocument } = await iamA.send(new GetRolePolicyCommand(args));
                    const original = decodeURIComponent(PolicyDocument!);
                    await iamA.send(
                      new PutRolePolicyCommand({
                        ...args,
                        PolicyDocument: original.replace('"s3:PutObject"', '"s3:GetObjectTagging"'),
                      }),
                    );
                    return () => iamA.send(new PutRolePolicyCommand({ ...args, PolicyDocument: original }));
                  },
                ],
              ]
            : [
                [
                  "the S3 access role's trust wants another ExternalId",
                  async () => {
                    const roleName = config.grant.accessRoleName!;
                    const { Role } = await iamB.send(new GetRoleCommand({ RoleName: roleName }));
                    const original = decodeURIComponent(Role!.AssumeRolePolicyDocument!);
                    await iamB.send(
                      new UpdateAssumeRolePolicyCommand({
                        RoleName: roleName,
                        PolicyDocument: original.replace(config.grant.externalId!, "another-external-id"),
                      }),
                    );
                    return () =>
                      iamB.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: original }));
                  },
                ],
                [
                  "the Lambda role's identity policy loses sts:AssumeRole",
                  async () => {
                    const args = { RoleName: config.lambda.roleName, PolicyName: "assume-s3-access-role" };
                    const { PolicyDocument } = await iamA.send(new GetRolePolicyCommand(args));
                    const original = decodeURIComponent(PolicyDocument!);
                    await iamA.send(
                      new PutRolePolicyCommand({
                        ...args,
                        PolicyDocument: original.replace('"sts:AssumeRole"', '"sts:TagSession"'),
                      }),
                    );
                    return () => iamA.send(new PutRolePolicyCommand({ ...args, PolicyDocument: original }));
                  },
                ],
              ];
        for (const [breakage, apply] of breakages) {
          const restore = await apply();
          const [broken] = await runAsLambda(name, outputs, [put]);
          await restore();
          expect(`${breakage}: ${broken.actual}`).toBe(`${breakage}: denied`);
        }
        const [again] = await runAsLambda(name, outputs, [put]);
        expect(again.actual).toBe("allowed");
      });

      // moto's TestMetricFilter answers HTTP 500 and moto publishes no metric from a filter: the pattern is judged here
      // against the line the handler wrote for a call the emulator denied, by the evaluator the contract tests use.
      test("the handler's log line of a call AWS denied is what the deployed access-denied metric filter counts, and only that line", async () => {
        const fn = await deployedFunction(emulator, config, outputs.lambda_function_name);
        const inA = emulatorClientConfig(
          emulator.endpoint,
          await roleCredentials(emulator.endpoint, deployRoleArn(config.lambda.accountId), "log-line"),
        );
        const logs = new CloudWatchLogsClient(inA);
        const iamA = new IAMClient(inA);
        const [filter] =
          (
            await logs.send(
              new DescribeMetricFiltersCommand({ logGroupName: `/aws/lambda/${outputs.lambda_function_name}` }),
            )
          ).metricFilters ?? [];
        const put = accessCases(config).find((c) => c.event.operation === "put" && c.expected === "allowed")!;
        // The Lambda role loses the one action the upload needs of it: AWS (or STS, in assume-role mode) then denies it.
        const [policyName, needed] =
          config.grant.mode === "bucket-policy"
            ? ["cross-account-s3-access", "s3:PutObject"]
            : ["assume-s3-access-role", "sts:AssumeRole"];
        const args = { RoleName: config.lambda.roleName, PolicyName: policyName };
        const original = decodeURIComponent((await iamA.send(new GetRolePolicyCommand(args))).PolicyDocument!);
        const credentials = await roleCredentials(
          emulator.endpoint,
          outputs.lambda_role_arn,
          outputs.lambda_function_name,
        );
        const lines = await withHandler(emulator.endpoint, fn.environment, credentials, async (invoke, logLines) => {
          await iamA.send(
            new PutRolePolicyCommand({
              ...args,
              PolicyDocument: original.replace(`"${needed}"`, '"s3:GetObjectTagging"'),
            }),
          );
          try {
            await expect(enforced(emulator, () => invoke(put.event))).rejects.toMatchObject({
              name: "AccessDeniedError",
            });
          } finally {
            await iamA.send(new PutRolePolicyCommand({ ...args, PolicyDocument: original }));
          }
          await enforced(emulator, () => invoke(put.event));
          return [...logLines];
        });
        logs.destroy();
        iamA.destroy();
        expect(filter?.filterPattern).toBe(accessDeniedFilterPattern());
        expect(lines.map((line) => matchesFilterPattern(filter.filterPattern!, line))).toEqual([true, false]);
      });

      test("destroy leaves nothing of the stack in either account", async () => {
        await destroyStack(stackDirs[name], env);
        expect(await leftovers(emulator, config, outputs)).toEqual([]);
      });
    });
  }

  /** The resources of `type` the synthesized stack `name` creates, by logical ID. */
  function synthesizedResources(name: string, type: string): Record<string, { name?: string }> {
    const json = JSON.parse(readFileSync(join(stackDirs[name], "cdk.tf.json"), "utf8")) as {
      resource: Record<string, Record<string, { name?: string }>>;
    };
    return json.resource[type] ?? {};
  }

  /** A second plan of each stack, from a fresh working directory that has only the backend, shows no changes. */
  async function expectEmptySecondPlans(names: readonly string[]): Promise<void> {
    for (const name of names) {
      const { empty, plan } = await planIsEmpty(stackDirs[name], env);
      expect(empty ? `${name}: no changes` : plan).toBe(`${name}: no changes`);
    }
  }

  function describeSplitLayout(): void {
    describe("local-split: each account's half deployed as its own stack, the bucket account's first", () => {
      const name = "local-split";
      const config = environments[name];
      const halves = ["local-split-bucket", "local-split-lambda"];
      let outputs: StackOutputs;
      /** The names of the EventBridge rules a half's synthesized stack creates. */
      const eventRuleNames = (half: string) =>
        Object.values(synthesizedResources(half, "aws_cloudwatch_event_rule")).map((r) => r.name);

      test("the bucket account's stack deploys alone, before the Lambda role exists; then the Lambda account's", async () => {
        const bucketSide = await deployStack(stackDirs["local-split-bucket"], env);
        expect(Object.keys(bucketSide).sort()).toEqual(["bucket_name", "kms_key_arn"]);
        const lambdaSide = await deployStack(stackDirs["local-split-lambda"], env);
        expect(Object.keys(lambdaSide).sort()).toEqual(["lambda_function_name", "lambda_role_arn"]);
        outputs = { ...bucketSide, ...lambdaSide };
      });

      test("each half deployed its own account's alarms", async () => {
        expect(await deployedAlarms(emulator, config, outputs.bucket_name)).toEqual(
          expectedAlarms(config, outputs.bucket_name),
        );
      });

      test("with IAM enforced, the two halves grant exactly what the one declaration says", async () => {
        const fn = await deployedFunction(emulator, config, outputs.lambda_function_name);
        const credentials = await roleCredentials(
          emulator.endpoint,
          outputs.lambda_role_arn,
          outputs.lambda_function_name,
        );
        const rows = await runAccessMatrix(
          emulator,
          config,
          outputs.bucket_name,
          fn.environment,
          credentials,
          accessCases(config),
        );
        expect(verdicts(rows, "actual")).toEqual(verdicts(rows, "expected"));
        expect(rows.filter((r) => r.expected === "allowed").length).toBeGreaterThan(0);
      });

      test("an object the bucket account puts under the event prefix reaches the function through the bucket account's stack's rule, then the rule the Lambda account's stack creates, and the handler, as the function's role, reads it; one outside reaches nothing", async () => {
        const plan = await expectEventDelivered(config, outputs, recordedGrant(...halves));
        // The rule that invoked the function (rule/<grant bus>/<name> in the Lambda account) is the Lambda account's
        // stack's; the one forwarding from the default bus is the bucket account's.
        expect(eventRuleNames("local-split-lambda")).toEqual([plan.lambdaAccount.rule.name]);
        expect(eventRuleNames("local-split-bucket")).toEqual([plan.bucketAccount.rule.name]);
        expect(plan.lambdaAccount.rule.arn).toBe(
          `arn:aws:events:us-east-1:${config.lambda.accountId}:rule/${plan.lambdaAccount.bus.name}/${plan.lambdaAccount.rule.name}`,
        );
      });

      test("the policies fetched back from both accounts pass the access proof as a pair, the events' hops included", async () => {
        await expectDeployedProvenAsSynthesized(outputs, ...halves);
      });

      test("a second plan of each half, from a fresh working directory that has only the backend, shows no changes", async () => {
        await expectEmptySecondPlans(halves);
      });

      test("each half keeps its state under its own key in the state bucket, none in its working directory nor in the repository", async () => {
        const keys = halves.map((half) => backendOf(stackDirs[half]).key);
        expect(new Set(keys).size).toBe(2);
        for (const half of halves) {
          expect(await stateObjects(emulator, stackDirs[half])).toEqual([backendOf(stackDirs[half]).key]);
          expect(existsSync(join(stackDirs[half], "terraform.tfstate"))).toBe(false);
        }
        // Each state holds its own account's resources only.
        expect(await stateResources(emulator, stackDirs["local-split-bucket"])).toEqual(
          expect.arrayContaining([expect.stringMatching(/^aws_s3_bucket\./), expect.stringMatching(/^aws_kms_key\./)]),
        );
        expect(
          (await stateResources(emulator, stackDirs["local-split-bucket"])).filter((r) =>
            r.startsWith("aws_lambda_function."),
          ),
        ).toEqual([]);
        expect(await stateResources(emulator, stackDirs["local-split-lambda"])).toEqual(
          expect.arrayContaining([expect.stringMatching(/^aws_lambda_function\./)]),
        );
        expect(readdirSync(PROJECT_ROOT).filter((f) => /^terraform\..*\.tfstate/.test(f))).toEqual([]);
      });

      test("a run holding one half's state lock refuses a concurrent run of that half but not of the other; once it ends, the refused run goes through", async () => {
        const [locked, other] = [stackDirs["local-split-bucket"], stackDirs["local-split-lambda"]];
        const backend = backendOf(locked);
        // Without a refresh: what is tested here is the lock, which plan takes all the same (the drift check is the test above).
        const plan = (dir: string) =>
          terraform(
            ["plan", "-refresh=false", "-lock-timeout=0s", "-detailed-exitcode", "-input=false", "-no-color"],
            dir,
            env,
          );
        const second = await initializedFreshDirectory(locked, env);
        const otherHalf = await initializedFreshDirectory(other, env);
        try {
          const held = await holdStateLock(emulator, locked, env);
          let whileHeld: string[];
          let refused: Awaited<ReturnType<typeof plan>>;
          let unaffected: Awaited<ReturnType<typeof plan>>;
          try {
            whileHeld = await stateObjects(emulator, locked);
            refused = await plan(second);
            unaffected = await plan(otherHalf);
          } finally {
            expect((await held.release()).code).toBe(0);
          }
          expect(whileHeld).toEqual([backend.key, held.lockKey]);
          expect(refused.code).toBe(1);
          expect(refused.stderr).toContain("Error acquiring the state lock");
          // The lock file exists, so S3 refuses the conditional write (If-None-Match) that would create it.
          expect(refused.stderr).toContain("PreconditionFailed");
          expect(/Path:\s+(\S+)/.exec(refused.stderr)?.[1]).toBe(`${backend.bucket}/${backend.key}`);
          expect(unaffected.code).toBe(0);
          expect(await stateObjects(emulator, locked)).toEqual([backend.key]);
          const again = await plan(second);
          expect(again.code === 0 ? "no changes" : again.stderr || again.stdout).toBe("no changes");
        } finally {
          rmSync(second, { recursive: true, force: true });
          rmSync(otherHalf, { recursive: true, force: true });
        }
      });

      test("destroying both halves leaves nothing in either account", async () => {
        await destroyStack(stackDirs["local-split-lambda"], env);
        await destroyStack(stackDirs["local-split-bucket"], env);
        expect(await leftovers(emulator, config, outputs)).toEqual([]);
      });
    });
  }

  function describeQueueSplitLayout(): void {
    describe("local-split-queue: the split layout on the SQS path, the Lambda account's half first", () => {
      const name = "local-split-queue";
      const config = environments[name];
      const halves = ["local-split-queue-bucket", "local-split-queue-lambda"];
      let outputs: StackOutputs;
      /** The names of the resources of `type` a half's synthesized stack creates. */
      const stackResources = (half: string, type: string) =>
        Object.values(synthesizedResources(half, type)).map((r) => r.name);

      test("the bucket account's stack applied first is refused by S3, whose notification configuration names a queue that does not exist yet; once the Lambda account's stack is applied, it goes through", async () => {
        expect(config.grant.events?.delivery).toBe("sqs");
        await expect(deployStack(stackDirs["local-split-queue-bucket"], env)).rejects.toThrow(
          /Unable to validate the following destination configurations/,
        );
        const lambdaSide = await deployStack(stackDirs["local-split-queue-lambda"], env);
        expect(Object.keys(lambdaSide).sort()).toEqual(["lambda_function_name", "lambda_role_arn"]);
        const bucketSide = await deployStack(stackDirs["local-split-queue-bucket"], env);
        expect(Object.keys(bucketSide).sort()).toEqual(["bucket_name", "kms_key_arn"]);
        outputs = { ...bucketSide, ...lambdaSide };
      });

      test("each half deployed its own account's alarms", async () => {
        expect(await deployedAlarms(emulator, config, outputs.bucket_name)).toEqual(
          expectedAlarms(config, outputs.bucket_name),
        );
      });

      test("an object the bucket account puts under the event prefix reaches the queue the Lambda account's stack creates, through the entry the bucket account's stack writes, and the handler, as the function's role, reads it from the batch; one outside reaches nothing; its deletion is told too", async () => {
        const plan = await expectQueueEventDelivered(config, outputs, recordedGrant(...halves));
        // The queue is the Lambda account's stack's; the entry naming it is the bucket account's, and neither stack
        // has an EventBridge rule.
        expect(stackResources("local-split-queue-lambda", "aws_sqs_queue")).toContain(plan.lambdaAccount.queue.name);
        const [notification] = Object.values(
          synthesizedResources("local-split-queue-bucket", "aws_s3_bucket_notification"),
        );
        expect((notification as { queue: Array<{ queue_arn: string }> }).queue.map((q) => q.queue_arn)).toEqual([
          plan.lambdaAccount.queue.arn,
        ]);
        expect([...halves.flatMap((h) => stackResources(h, "aws_cloudwatch_event_rule"))]).toEqual([]);
      });

      test("the policies fetched back from both accounts pass the access proof as a pair, the events' hops included", async () => {
        await expectDeployedProvenAsSynthesized(outputs, ...halves);
      });

      test("a second plan of each half, from a fresh working directory that has only the backend, shows no changes", async () => {
        await expectEmptySecondPlans(halves);
      });

      test("destroying both halves, the bucket account's first, leaves nothing in either account", async () => {
        await destroyStack(stackDirs["local-split-queue-bucket"], env);
        await destroyStack(stackDirs["local-split-queue-lambda"], env);
        expect(await leftovers(emulator, config, outputs)).toEqual([]);
      });
    });
  }
}
