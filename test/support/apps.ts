/**
 * Apps as a platform team would write them, for the proof's tests: their own provider aliases, an existing role with a
 * path, the two halves of a grant in two apps, other partitions. Each is built in memory and can be written out as a
 * cdktf output folder, which is what the command reads.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, TerraformStack } from "cdktf";
import {
  BucketAccountGrant,
  CrossAccountS3Access,
  LambdaAccountGrant,
  type BucketSettings,
  type GrantDeclaration,
  type LambdaSettings,
} from "../../modules/internal";

export const WORKLOADS = { accountId: "111111111111", region: "eu-west-1" };
export const DATALAKE = { accountId: "222222222222", region: "eu-west-1" };
/** The team's own execution role, with a path, created outside the app. */
export const INGEST_ROLE_ARN = `arn:aws:iam::${WORKLOADS.accountId}:role/teams/ingest/ingest-worker`;

export const INGEST_GRANT: GrantDeclaration = {
  mode: "bucket-policy",
  prefixes: [
    { prefix: "landing/ingest/", access: "readWrite" },
    { prefix: "reference/", access: "read" },
  ],
};

export const INGEST_LAMBDA: LambdaSettings = { ...WORKLOADS, existingRoleArn: INGEST_ROLE_ARN, createFunction: false };
export const INGEST_BUCKET: BucketSettings = {
  ...DATALAKE,
  bucketName: "datalake-ingest",
  keyAlias: "alias/datalake-ingest",
};

/** A stack with one provider of the team's own alias, deploying into `target` through an assumed deploy role. */
export function accountStack(
  app: App,
  name: string,
  alias: string,
  target: { accountId: string; region: string },
  partition = "aws",
) {
  const stack = new TerraformStack(app, name);
  const provider = new AwsProvider(stack, alias, {
    alias,
    region: target.region,
    allowedAccountIds: [target.accountId],
    assumeRole: [{ roleArn: `arn:${partition}:iam::${target.accountId}:role/deploy` }],
  });
  return { stack, provider };
}

export interface SplitDeclarations {
  readonly lambda?: Partial<LambdaSettings>;
  readonly bucket?: Partial<BucketSettings>;
  /** The grant as the Lambda account's app declares it. */
  readonly lambdaGrant?: GrantDeclaration;
  /** The grant as the bucket account's app declares it. */
  readonly bucketGrant?: GrantDeclaration;
}

/**
 * The two halves of the ingest grant in two apps, as two teams deploy them: the workloads app (alias "workloads") and
 * the data lake app (alias "datalake"). Each app may declare the grant differently (to test drift).
 */
export function splitApps(declared: SplitDeclarations = {}, outdirs: { lambda?: string; bucket?: string } = {}) {
  const lambdaApp = new App({ outdir: outdirs.lambda ?? mkdtempSync(join(tmpdir(), "cas-workloads-")) });
  const bucketApp = new App({ outdir: outdirs.bucket ?? mkdtempSync(join(tmpdir(), "cas-datalake-")) });
  const workloads = accountStack(lambdaApp, "workloads", "workloads", WORKLOADS);
  const datalake = accountStack(bucketApp, "datalake", "datalake", DATALAKE);
  const lambda = { ...INGEST_LAMBDA, ...declared.lambda };
  const bucket = { ...INGEST_BUCKET, ...declared.bucket };
  new LambdaAccountGrant(workloads.stack, "ingest", {
    lambda: { ...lambda, provider: workloads.provider },
    bucket,
    grant: declared.lambdaGrant ?? INGEST_GRANT,
  });
  new BucketAccountGrant(datalake.stack, "ingest", {
    lambda,
    bucket: { ...bucket, provider: datalake.provider },
    grant: declared.bucketGrant ?? declared.lambdaGrant ?? INGEST_GRANT,
  });
  return { lambdaApp, bucketApp, lambdaStack: workloads.stack, bucketStack: datalake.stack };
}

/** One app holding both halves on two aliased providers, in the accounts and regions given (any partition). */
export function oneApp(
  lambdaTarget: { accountId: string; region: string },
  bucketTarget: { accountId: string; region: string },
  grant: GrantDeclaration,
  partition = "aws",
  lambda: Partial<LambdaSettings> = {},
) {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), "cas-one-")) });
  const stack = new TerraformStack(app, "grant");
  const provider = (alias: string, target: { accountId: string; region: string }) =>
    new AwsProvider(stack, alias, {
      alias,
      region: target.region,
      allowedAccountIds: [target.accountId],
      assumeRole: [{ roleArn: `arn:${partition}:iam::${target.accountId}:role/deploy` }],
    });
  const access = new CrossAccountS3Access(stack, "reports", {
    lambda: {
      ...lambdaTarget,
      provider: provider("apps", lambdaTarget),
      roleName: "report-builder",
      createFunction: false,
      ...lambda,
    },
    bucket: {
      ...bucketTarget,
      provider: provider("data", bucketTarget),
      bucketName: "shared-reports",
      keyAlias: "alias/shared-reports",
    },
    grant,
  });
  return { app, stack, access };
}

/** Writes an app's cdktf output (manifest.json and each stack's cdk.tf.json) and returns its folder. */
export function synthOut(app: App): string {
  app.synth();
  return app.outdir;
}

/** A copy of a cdktf output folder, for breaking on purpose. */
export function copyOut(outdir: string): string {
  const copy = join(mkdtempSync(join(tmpdir(), "cas-broken-")), "cdktf.out");
  cpSync(outdir, copy, { recursive: true });
  return copy;
}

type Json = { resource: Record<string, Record<string, Record<string, unknown>>>; "//"?: Record<string, unknown> };

/** Edits the synthesized JSON of one stack of a cdktf output folder in place. */
export function editStack(outdir: string, stack: string, edit: (json: Json) => void): void {
  const file = join(outdir, "stacks", stack, "cdk.tf.json");
  const json = JSON.parse(readFileSync(file, "utf8")) as Json;
  edit(json);
  writeFileSync(file, JSON.stringify(json, null, 2));
}

/** Every resource of a type in a stack's JSON. */
export const resourcesOfType = (json: Json, type: string) => Object.values(json.resource[type] ?? {});

/** Replaces text in the policy arguments of every resource of the given types. */
export function replaceInPolicies(json: Json, types: readonly string[], from: string, to: string): number {
  let count = 0;
  for (const type of types) {
    for (const r of resourcesOfType(json, type)) {
      for (const argument of ["policy", "assume_role_policy"]) {
        const text = r[argument];
        if (typeof text === "string" && text.includes(from)) {
          r[argument] = text.split(from).join(to);
          count++;
        }
      }
    }
  }
  return count;
}
