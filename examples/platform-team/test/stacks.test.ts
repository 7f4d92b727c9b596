import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { HANDLER_ENVIRONMENT } from "cross-account-s3-lambda";
import { DATALAKE, EXPORTS, EXPORTS_ROLE_ARN, INGEST, INGEST_ROLE_ARN, WORKLOADS } from "../ingest-grant";
import { INGEST_CODE } from "../stacks";
import { ofGrant, only, platformApp, resources, statementsOf, synthesize, type Statement } from "./synth";

const { workloads, datalake } = platformApp();
const lambdaSide = synthesize(workloads);
const bucketSide = synthesize(datalake);

/** The role ARN without its path: what a policy would name if the path were dropped somewhere. */
const PATHLESS_ROLE_ARN = `arn:aws:iam::${WORKLOADS.accountId}:role/ingest-worker`;

describe("providers", () => {
  test.each([
    ["workloads", lambdaSide, WORKLOADS],
    ["datalake", bucketSide, DATALAKE],
  ] as const)("the %s stack has exactly its own aliased provider, assuming its deploy role", (alias, side, target) => {
    expect(side.json.provider).toEqual({
      aws: [
        {
          alias,
          region: target.region,
          allowed_account_ids: [target.accountId],
          assume_role: [{ role_arn: target.deployRoleArn, session_name: `platform-${alias}` }],
        },
      ],
    });
  });

  test.each([
    ["workloads", lambdaSide],
    ["datalake", bucketSide],
  ] as const)("every resource of the %s stack is created through that provider", (alias, side) => {
    const all = resources(side.json);
    expect(all.length).toBeGreaterThan(0);
    expect(all.filter(([, , block]) => block.provider !== `aws.${alias}`)).toEqual([]);
  });
});

describe("the workloads account's half, on the existing role", () => {
  test("creates no IAM role, only the grants' policies, the log group, the function, its alarms and the events' bus", () => {
    expect(lambdaSide.json.resource.aws_iam_role).toBeUndefined();
    expect(Object.keys(lambdaSide.json.resource).sort()).toEqual([
      "aws_cloudwatch_event_bus",
      "aws_cloudwatch_event_bus_policy",
      "aws_cloudwatch_event_rule",
      "aws_cloudwatch_event_target",
      "aws_cloudwatch_log_group",
      "aws_cloudwatch_log_metric_filter",
      "aws_cloudwatch_metric_alarm",
      "aws_iam_role_policy",
      "aws_lambda_function",
      "aws_lambda_permission",
      "aws_sqs_queue",
    ]);
  });

  test("a new JSON file under reference/ invokes the ingest worker, through the grant's rule alone", () => {
    const permission = only(lambdaSide.json, "aws_lambda_permission");
    expect(permission).toMatchObject({
      principal: "events.amazonaws.com",
      function_name: expect.stringMatching(/:function:ingest-worker$/),
    });
    const rule = only(lambdaSide.json, "aws_cloudwatch_event_rule");
    expect(JSON.parse(String(rule.event_pattern))).toMatchObject({
      account: [DATALAKE.accountId],
      detail: { object: { key: [{ wildcard: "reference/*.json" }] } },
    });
    expect(permission.source_arn).toMatch(new RegExp(`:rule/.*/${String(rule.name)}$`));
  });

  test("the grant's identity policy is attached to ingest-worker (the role's name, its path is not part of it)", () => {
    const policy = ofGrant(lambdaSide.json, "aws_iam_role_policy", "ingest");
    expect(policy.role).toBe("ingest-worker");
    expect(policy.name).toBe("cross-account-s3-access");
    const objectResources = statementsOf(policy).flatMap((s) => ([] as string[]).concat(s.Resource ?? []));
    expect(objectResources).toEqual(
      expect.arrayContaining([
        `arn:aws:s3:::${INGEST.bucket.bucketName}/landing/ingest/*`,
        `arn:aws:s3:::${INGEST.bucket.bucketName}/reference/*`,
      ]),
    );
  });

  test("the function runs the team's Python code with the existing role, path included", () => {
    const fn = only(lambdaSide.json, "aws_lambda_function");
    expect(fn).toMatchObject({
      function_name: "ingest-worker",
      runtime: "python3.12",
      handler: "app.handler",
      architectures: ["arm64"],
      role: INGEST_ROLE_ARN,
      memory_size: 512,
      timeout: 60,
    });
    expect(fn.filename).toMatch(/ingest\.zip$/);
    expect(workloads.ingest.grantee.roleArn).toBe(INGEST_ROLE_ARN);
  });

  test("the function's environment holds the contract's variables, written from the declaration", () => {
    const variables = (
      only(lambdaSide.json, "aws_lambda_function").environment as { variables: Record<string, string> }
    ).variables;
    expect(variables[HANDLER_ENVIRONMENT.bucketName]).toBe(INGEST.bucket.bucketName);
    expect(JSON.parse(variables[HANDLER_ENVIRONMENT.grantedPrefixes]!)).toEqual([
      { prefix: "landing/ingest/", access: "readWrite", delete: false },
      { prefix: "reference/", access: "read", delete: false },
    ]);
  });

  test("the team's handler reads that environment as the library writes it", () => {
    const variables = (
      only(lambdaSide.json, "aws_lambda_function").environment as { variables: Record<string, string> }
    ).variables;
    const script = [
      "import json, os, grant_config",
      "c = grant_config.load(os.environ)",
      "print(json.dumps({'bucket': c.bucket_name, 'writable': c.writable_prefix('landing/ingest/a.json'), 'outside': c.writable_prefix('reference/a.json'), 'readable': c.readable_prefix('reference/a.json')}))",
    ].join("\n");
    const output = execFileSync("python3", ["-c", script], {
      env: { PATH: process.env.PATH ?? "", PYTHONPATH: join(__dirname, "..", "functions", "ingest"), ...variables },
      encoding: "utf8",
    });
    expect(JSON.parse(output)).toEqual({
      bucket: INGEST.bucket.bucketName,
      writable: true,
      outside: false,
      readable: true,
    });
  });

  test("the archive built by npm run build holds the handler at its root", () => {
    const names = execFileSync("python3", ["-m", "zipfile", "-l", INGEST_CODE.archive!], { encoding: "utf8" });
    expect(names).toMatch(/^app\.py\s/m);
    expect(names).toMatch(/^grant_config\.py\s/m);
  });
});

describe("the data lake account's half, from the same declaration", () => {
  const bucketPolicy = statementsOf(ofGrant(bucketSide.json, "aws_s3_bucket_policy", "ingest_bucket"));
  const keyPolicy = statementsOf(ofGrant(bucketSide.json, "aws_kms_key", "ingest"));
  /** The statements that let the Lambda account in: they name its account, and the role through aws:PrincipalArn. */
  const granting = (statements: Statement[]) =>
    statements.filter((s) => s.Effect === "Allow" && JSON.stringify(s.Principal).includes(WORKLOADS.accountId));

  test("creates the bucket and the key, and no IAM role but the one its events are sent with (bucket-policy mode)", () => {
    expect(
      Object.keys(bucketSide.json.resource.aws_iam_role ?? {}).filter((name) => name.startsWith("ingest_")),
    ).toEqual([expect.stringMatching(/^ingest_bucket-events_role_/)]);
    expect(only(bucketSide.json, "aws_s3_bucket_notification")).toMatchObject({ eventbridge: true });
    expect(ofGrant(bucketSide.json, "aws_s3_bucket", "ingest_bucket").bucket).toBe(INGEST.bucket.bucketName);
    expect(ofGrant(bucketSide.json, "aws_kms_alias", "ingest").name).toBe(INGEST.bucket.keyAlias);
  });

  test.each([
    ["bucket policy", bucketPolicy],
    ["key policy", keyPolicy],
  ])("the %s names exactly the role ARN with its path, by aws:PrincipalArn", (_name, statements) => {
    const grants = granting(statements);
    expect(grants.length).toBeGreaterThan(0);
    for (const statement of grants) {
      expect(statement.Principal).toEqual({ AWS: `arn:aws:iam::${WORKLOADS.accountId}:root` });
      expect(
        statement.Condition?.StringEquals?.["aws:PrincipalArn"] ?? statement.Condition?.ArnEquals?.["aws:PrincipalArn"],
      ).toBe(INGEST_ROLE_ARN);
    }
  });

  test("no policy of the stack names a role without its path, or any other role of the workloads account", () => {
    const roleArns = [
      ...bucketSide.text.matchAll(new RegExp(`arn:aws:iam::${WORKLOADS.accountId}:role/[^"\\\\]*`, "g")),
    ].map((m) => m[0]);
    expect(roleArns.length).toBeGreaterThan(0);
    expect(new Set(roleArns)).toEqual(new Set([INGEST_ROLE_ARN, EXPORTS_ROLE_ARN]));
    // Not a substring of the ARN with its path (that has ":role/service-role/" after the account).
    expect(bucketSide.text).not.toContain(PATHLESS_ROLE_ARN);
    expect(bucketSide.text).not.toContain(`arn:aws:iam::${WORKLOADS.accountId}:role/report-exporter`);
  });

  test("the bucket account's half names the role its own stack never creates: the halves agree on the ARN", () => {
    expect(datalake.ingest.plan.lambdaRolePolicy).toEqual(workloads.ingest.plan.lambdaRolePolicy);
    expect(datalake.ingest.plan.bucketPolicyStatements).toEqual(workloads.ingest.plan.bucketPolicyStatements);
  });
});

describe("the exports grant, in assume-role mode", () => {
  const ACCESS_ROLE_ARN = `arn:aws:iam::${DATALAKE.accountId}:role/grants/${EXPORTS.grant.mode === "assume-role" ? "report-exporter-s3" : ""}`;

  test("the workloads account's half lets report-exporter assume the S3 access role, and nothing else", () => {
    const policy = ofGrant(lambdaSide.json, "aws_iam_role_policy", "exports");
    expect(policy.role).toBe("report-exporter");
    const statements = statementsOf(policy);
    expect(
      statements.filter(
        (s) => s.Action === "sts:AssumeRole" || (Array.isArray(s.Action) && s.Action.includes("sts:AssumeRole")),
      ),
    ).toEqual([expect.objectContaining({ Effect: "Allow", Resource: ACCESS_ROLE_ARN })]);
    expect(JSON.stringify(statements)).not.toContain("s3:PutObject");
  });

  test("the data lake's S3 access role, under its path, trusts the exporter's role with its path and requires the ExternalId", () => {
    const role = ofGrant(bucketSide.json, "aws_iam_role", "exports");
    expect(role).toMatchObject({ name: "report-exporter-s3", path: "/grants/" });
    const trust = JSON.parse(String(role.assume_role_policy)) as { Statement: Statement[] };
    expect(trust.Statement).toEqual([
      expect.objectContaining({
        Effect: "Allow",
        Action: ["sts:AssumeRole"],
        Principal: { AWS: `arn:aws:iam::${WORKLOADS.accountId}:root` },
        Condition: {
          StringEquals: { "aws:PrincipalArn": EXPORTS_ROLE_ARN, "sts:ExternalId": "report-exporter-2f9c41" },
        },
      }),
    ]);
  });

  test("its own bucket and key", () => {
    expect(ofGrant(bucketSide.json, "aws_s3_bucket", "exports_bucket").bucket).toBe(EXPORTS.bucket.bucketName);
    expect(ofGrant(bucketSide.json, "aws_kms_alias", "exports").name).toBe(EXPORTS.bucket.keyAlias);
  });
});

describe("security rules", () => {
  test.each([
    ["workloads", lambdaSide],
    ["datalake", bucketSide],
  ] as const)("the %s stack breaks no rule", (_name, side) => {
    expect(side.findings).toEqual([]);
  });

  test("the rules do run in this app: a wildcard policy added to the ingest role is an error on it", () => {
    const { workloads: broken } = platformApp();
    new IamRolePolicy(broken, "too-broad", {
      provider: broken.provider,
      role: "ingest-worker",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }],
      }),
    });
    const errors = synthesize(broken).findings.filter((f) => f.level === "error");
    expect(errors.map((f) => [f.path, f.message.slice(0, f.message.indexOf("]") + 1)])).toContainEqual([
      "workloads/too-broad",
      "[CAS-IAM-1]",
    ]);
  });
});
