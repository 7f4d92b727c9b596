/**
 * Scale benchmark (run on demand: npm run bench:scale). For N = 1, 10, 100 and 1,000 grantees of one bucket, prints
 * the size of every policy the shared bucket writes against its AWS limit, and the synth time of the bucket account's
 * stack (every grant's policies, access points and access roles) and of the combined stack (plus every grantee's
 * Lambda side), medians of alternating runs in this process after a warm-up. Goal: N = 1,000 fits every limit and
 * the bucket account's stack synthesizes in at most 3x the time of N = 1.
 *
 * The grantees: spread over 50 accounts, each with a prefix of its own (read and write) plus a shared reference
 * prefix (read); every third in assume-role mode with an ExternalId.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import type { SharedEnvironmentConfig } from "../stacks/config";
import type { CrossAccountStackOptions } from "../stacks/cross-account-stack";
import { SharedBucketAccountStack, SharedBucketStack } from "../stacks/shared-bucket-stack";

const SIZES = (process.env.BENCH_SIZES ?? "1,10,100,1000").split(",").map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** The stacks' defaults: every function gets the prebuilt handler (lambda/function.zip). */
const OPTIONS: CrossAccountStackOptions = {};

function environment(n: number): SharedEnvironmentConfig {
  return {
    target: "aws",
    state: {
      bucket: "platform-tfstate-999988887777",
      keyPrefix: "bench/",
      region: "eu-west-1",
      accountId: "999988887777",
      roleArn: "arn:aws:iam::999988887777:role/terraform-state",
    },
    bucket: {
      accountId: "999988887777",
      region: "eu-west-1",
      deployRoleArn: "arn:aws:iam::999988887777:role/terraform-deploy",
      bucketName: "platform-lake-999988887777",
      keyAlias: "alias/platform-lake",
    },
    grantees: Array.from({ length: n }, (_, i) => {
      const accountId = String(100000000000 + (i % 50));
      const name = `team-${String(i).padStart(4, "0")}`;
      const assumeRole = i % 3 === 2;
      return {
        name,
        lambda: {
          accountId,
          region: "eu-west-1",
          deployRoleArn: `arn:aws:iam::${accountId}:role/terraform-deploy`,
          functionName: name,
          roleName: `${name}-fn`,
          logRetentionDays: 30,
        },
        grant: {
          mode: assumeRole ? ("assume-role" as const) : ("bucket-policy" as const),
          ...(assumeRole ? { accessRoleName: `${name}-s3-access`, externalId: `${name}-ext-7f3a` } : {}),
          prefixes: [
            { prefix: `teams/${name}/`, access: "readWrite" as const },
            { prefix: "reference/", access: "read" as const },
          ],
        },
      };
    }),
  };
}

/** Time of constructing and synthesizing one app (stack written to disk, security rules run), in ms. */
function timeSynth(build: (app: App) => void): number {
  const outdir = mkdtempSync(join(tmpdir(), "cas-bench-scale-"));
  try {
    const started = process.hrtime.bigint();
    const app = new App({ outdir });
    build(app);
    app.synth();
    return Number(process.hrtime.bigint() - started) / 1e6;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The kind of a measured policy, from its description (see planSharedBucket). */
function kindOf(what: string): string {
  if (what.includes("bucket policy")) return "bucket policy";
  if (what.includes("key policy")) return "key policy";
  if (what.includes("access point")) return "access point policy";
  if (what.includes("inline policies")) return "Lambda role's inline policies";
  if (what.includes("trust policy")) return "S3 access role's trust policy";
  return "S3 access role's inline policy";
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const n = (x: number) => x.toLocaleString("en-US");

// Warm-up: module loading and first-use costs are not what scales with N.
timeSynth((app) => new SharedBucketStack(app, "warm", environment(1), OPTIONS));

const bucketTimes = new Map<number, number[]>(SIZES.map((s) => [s, []]));
const combinedTimes = new Map<number, number[]>(SIZES.map((s) => [s, []]));
for (let run = 0; run < RUNS; run++) {
  for (const size of SIZES) {
    bucketTimes
      .get(size)!
      .push(timeSynth((app) => new SharedBucketAccountStack(app, "platform-bucket", environment(size))));
    combinedTimes
      .get(size)!
      .push(timeSynth((app) => new SharedBucketStack(app, "platform", environment(size), OPTIONS)));
  }
}

console.log(
  `scale benchmark: ${RUNS} alternating runs per size, medians (this machine: ${process.version}, shared and noisy)`,
);
const base = median(bucketTimes.get(SIZES[0])!);
const baseCombined = median(combinedTimes.get(SIZES[0])!);
for (const size of SIZES) {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), "cas-bench-plan-")) });
  const stack = new SharedBucketAccountStack(app, "platform-bucket", environment(size));
  const plan = stack.grants.plan;
  const b = median(bucketTimes.get(size)!);
  const c = median(combinedTimes.get(size)!);
  console.log(
    `\nN = ${n(size)} grantees: ${plan.usesAccessPoints ? "one access point each" : "merged into the bucket policy"}, key names grantees by ${plan.keyPrincipals === "roles" ? "role" : "account"}`,
  );
  console.log(
    `  synth, bucket account's stack: ${b.toFixed(0)} ms (${(b / base).toFixed(2)}x N = ${SIZES[0]}; goal <= 3x)`,
  );
  console.log(
    `  synth, combined stack with every Lambda side: ${c.toFixed(0)} ms (${(c / baseCombined).toFixed(2)}x N = ${SIZES[0]})`,
  );
  const largest = new Map<string, { what: string; size: number; limit: number }>();
  for (const m of plan.measures) {
    const prev = largest.get(kindOf(m.what));
    if (!prev || m.size > prev.size) largest.set(kindOf(m.what), m);
  }
  for (const [kind, m] of largest) {
    const count = plan.measures.filter((x) => kindOf(x.what) === kind).length;
    const label = count > 1 ? `${kind} (largest of ${n(count)})` : kind;
    console.log(
      `  ${label.padEnd(44)} ${n(m.size).padStart(7)} / ${n(m.limit).padStart(6)} characters (${((100 * m.size) / m.limit).toFixed(1)}%)`,
    );
  }
  rmSync(app.outdir, { recursive: true, force: true });
}
