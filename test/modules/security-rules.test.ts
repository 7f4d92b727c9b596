import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Aspects, Testing, TerraformResource, TerraformStack } from "cdktf";
import type { IConstruct } from "constructs";
import {
  ConfigurationError,
  CrossAccountS3Access,
  SECURITY_RULES,
  SecurityRules,
  SharedBucketAccess,
  suppressRules,
  type AlarmSettings,
  type GrantDeclaration,
} from "../../modules/internal";
import { environmentStacks } from "../../stacks/cross-account-stack";
import { environments, sharedEnvironments } from "../../stacks/environments";
import { sharedEnvironmentStacks } from "../../stacks/shared-bucket-stack";
import { accessProps, twoAccountStack } from "../support/synth";

interface Finding {
  readonly level: "error" | "warn";
  readonly path: string;
  readonly message: string;
}

/** Runs the stack's aspects (as synth does) and returns the error and warning annotations. */
function findings(stack: TerraformStack): Finding[] {
  Testing.synth(stack);
  return stack.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === "@cdktf/error" || m.type === "@cdktf/warn")
      .map((m) => ({
        level: m.type === "@cdktf/error" ? ("error" as const) : ("warn" as const),
        path: c.node.path,
        message: String(m.data),
      })),
  );
}

const ruleIds = (list: Finding[]) =>
  list.map((f) => `${f.level} ${f.message.slice(1, f.message.indexOf("]"))} ${f.path}`);

const GRANT: GrantDeclaration = { mode: "bucket-policy", prefixes: [{ prefix: "data/", access: "readWrite" }] };

/** A stack holding one grant, checked by the rules; `tamper` breaks it before synth. */
function fixture(
  tamper: (access: CrossAccountS3Access, stack: TerraformStack) => void = () => undefined,
  grant: GrantDeclaration = GRANT,
) {
  const pair = twoAccountStack();
  const stack = pair.stack;
  const access = new CrossAccountS3Access(stack, "access", accessProps(pair, grant));
  Aspects.of(stack).add(new SecurityRules());
  tamper(access, stack);
  return { stack, access };
}

const override = (resource: IConstruct, path: string, value: unknown) =>
  (resource as TerraformResource).addOverride(path, value);
/** A policy argument as it will be written (tokens resolved to Terraform references), parsed. */
const policyDoc = (resource: TerraformResource) => {
  const json = TerraformStack.of(resource).toTerraform() as {
    resource: Record<string, Record<string, { policy: string }>>;
  };
  return JSON.parse(json.resource[resource.terraformResourceType][resource.friendlyUniqueId].policy) as {
    Statement: Array<{ Sid?: string; Condition?: unknown }>;
  };
};
const policyWithout = (resource: TerraformResource, sid: string): string => {
  const doc = policyDoc(resource);
  return JSON.stringify({ ...doc, Statement: doc.Statement.filter((s) => s.Sid !== sid) });
};

test("24 rules, each with an ID, a title and a rationale", () => {
  expect(SECURITY_RULES.map((r) => r.id)).toEqual([
    "CAS-S3-1",
    "CAS-S3-2",
    "CAS-S3-3",
    "CAS-S3-4",
    "CAS-S3-5",
    "CAS-S3-6",
    "CAS-S3-7",
    "CAS-S3-8",
    "CAS-S3-9",
    "CAS-S3-10",
    "CAS-KMS-1",
    "CAS-KMS-2",
    "CAS-IAM-1",
    "CAS-IAM-2",
    "CAS-IAM-3",
    "CAS-EVT-1",
    "CAS-EVT-2",
    "CAS-EVT-3",
    "CAS-EVT-4",
    "CAS-EVT-5",
    "CAS-MON-1",
    "CAS-LOG-1",
    "CAS-TF-1",
    "CAS-TF-2",
  ]);
  for (const rule of SECURITY_RULES) {
    expect(rule.title.length).toBeGreaterThan(10);
    expect(rule.rationale.length).toBeGreaterThan(20);
  }
});

test.each(Object.keys(environments))("the shipped environment %s breaks no rule, in every stack", (name) => {
  const stacks = environmentStacks(Testing.app(), name, environments[name], {});
  expect(stacks.length).toBe(environments[name].layout === "split" ? 2 : 1);
  for (const stack of stacks) expect(findings(stack)).toEqual([]);
});

test.each(Object.keys(sharedEnvironments))(
  "the shipped shared-bucket environment %s breaks no rule, in every stack",
  (name) => {
    const config = sharedEnvironments[name];
    const stacks = sharedEnvironmentStacks(Testing.app(), name, config, {});
    expect(stacks.length).toBe(config.layout === "split" ? config.grantees.length + 1 : 1);
    for (const stack of stacks) expect(findings(stack)).toEqual([]);
  },
);

test("a clean grant in either mode breaks no rule", () => {
  expect(findings(fixture().stack)).toEqual([]);
  const assumeRole: GrantDeclaration = {
    mode: "assume-role",
    accessRoleName: "s3-access",
    externalId: "ext-0001",
    prefixes: [{ prefix: "in/", access: "write" }],
  };
  expect(findings(fixture(undefined, assumeRole).stack)).toEqual([]);
});

describe("each rule catches its violation, on the offending resource", () => {
  const cases: Array<[string, (a: CrossAccountS3Access, s: TerraformStack) => void, string[], GrantDeclaration]> = [
    [
      "CAS-S3-1",
      (a) => override(a.bucketAccount.bucket!.node.findChild("public-access-block"), "restrict_public_buckets", false),
      ["error CAS-S3-1 test/access/bucket/bucket"],
      GRANT,
    ],
    [
      "CAS-S3-2",
      (a) => override(a.bucketAccount.bucket!.node.findChild("ownership"), "rule.object_ownership", "ObjectWriter"),
      ["error CAS-S3-2 test/access/bucket/bucket"],
      GRANT,
    ],
    [
      "CAS-S3-3",
      (a) =>
        override(a.bucketAccount.bucket!.node.findChild("versioning"), "versioning_configuration.status", "Suspended"),
      ["error CAS-S3-3 test/access/bucket/bucket"],
      GRANT,
    ],
    [
      "CAS-S3-4 (AES256)",
      (a) =>
        override(
          a.bucketAccount.bucket!.node.findChild("encryption"),
          "rule.0.apply_server_side_encryption_by_default.sse_algorithm",
          "AES256",
        ),
      ["error CAS-S3-4 test/access/bucket/bucket"],
      GRANT,
    ],
    [
      "CAS-S3-4 (AWS managed key)",
      (a) =>
        override(
          a.bucketAccount.bucket!.node.findChild("encryption"),
          "rule.0.apply_server_side_encryption_by_default.kms_master_key_id",
          "alias/aws/s3",
        ),
      ["error CAS-S3-4 test/access/bucket/bucket"],
      GRANT,
    ],
    [
      "CAS-S3-4 (no bucket key)",
      (a) => override(a.bucketAccount.bucket!.node.findChild("encryption"), "rule.0.bucket_key_enabled", false),
      ["error CAS-S3-4 test/access/bucket/bucket"],
      GRANT,
    ],
    [
      "CAS-S3-5",
      (a) =>
        a.bucketAccount.bucket!.policy.addOverride(
          "policy",
          policyWithout(a.bucketAccount.bucket!.policy, "DenyInsecureTransport"),
        ),
      ["error CAS-S3-5 test/access/bucket/bucket"],
      GRANT,
    ],
    [
      "CAS-S3-6",
      (a) =>
        a.bucketAccount.bucket!.policy.addOverride(
          "policy",
          policyWithout(a.bucketAccount.bucket!.policy, "DenyOtherKmsKeys"),
        ),
      ["error CAS-S3-6 test/access/bucket/bucket"],
      GRANT,
    ],
    [
      "CAS-S3-7",
      (a, s) =>
        new IamRolePolicy(s, "broad-list", {
          provider: a.lambdaAccount.grantee.role!.provider,
          role: a.lambdaAccount.grantee.role!.name,
          policy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              { Sid: "ListAll", Effect: "Allow", Action: "s3:ListBucket", Resource: "arn:aws:s3:::shared-data" },
            ],
          }),
        }),
      ["error CAS-S3-7 test/broad-list"],
      GRANT,
    ],
    [
      "CAS-KMS-1",
      (a) => a.bucketAccount.key!.key.addOverride("enable_key_rotation", false),
      ["error CAS-KMS-1 test/access/key/key"],
      GRANT,
    ],
    [
      "CAS-KMS-2",
      (a) => {
        const doc = policyDoc(a.bucketAccount.key!.key);
        const loose = doc.Statement.map((s) =>
          s.Sid === "GranteeUsesKeyThroughS3"
            ? { ...s, Condition: { StringEquals: { "kms:CallerAccount": "111111111111" } } }
            : s,
        );
        a.bucketAccount.key!.key.addOverride("policy", JSON.stringify({ ...doc, Statement: loose }));
      },
      ["error CAS-KMS-2 test/access/key/key"],
      GRANT,
    ],
    [
      "CAS-IAM-1",
      (a, s) =>
        new IamRolePolicy(s, "admin", {
          provider: a.lambdaAccount.grantee.role!.provider,
          role: a.lambdaAccount.grantee.role!.name,
          policy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Sid: "All", Effect: "Allow", Action: ["s3:*", "kms:*"], Resource: "*" }],
          }),
        }),
      // s3:* takes in s3:ListBucket, with no s3:prefix condition.
      ["error CAS-S3-7 test/admin", "error CAS-IAM-1 test/admin"],
      GRANT,
    ],
    [
      "CAS-IAM-2",
      (a) => {
        const doc = policyDoc(a.bucketAccount.bucket!.policy);
        const open = {
          Sid: "PublicRead",
          Effect: "Allow",
          Principal: "*",
          Action: "s3:GetObject",
          Resource: "arn:aws:s3:::shared-data/*",
        };
        a.bucketAccount.bucket!.policy.addOverride(
          "policy",
          JSON.stringify({ ...doc, Statement: [...doc.Statement, open] }),
        );
      },
      ["error CAS-IAM-2 test/access/bucket/policy"],
      GRANT,
    ],
    [
      "CAS-IAM-3",
      () => undefined,
      ["error CAS-IAM-3 test/access/access-role/role"],
      { mode: "assume-role", accessRoleName: "s3-access", prefixes: [{ prefix: "in/", access: "write" }] },
    ],
    [
      "CAS-LOG-1",
      (a) => a.lambdaAccount.grantee.logGroup!.addOverride("retention_in_days", 0),
      ["error CAS-LOG-1 test/access/lambda/log-group"],
      GRANT,
    ],
  ];

  test.each(cases)("%s", (_name, tamper, expected, grant) => {
    expect(ruleIds(findings(fixture(tamper, grant).stack))).toEqual(expected);
  });
});

describe("CAS-S3-6 judges every upload encryption, in bucket and access point policies", () => {
  const messageOf = (stack: TerraformStack) =>
    findings(stack).map((f) => `${f.path}: ${f.message.replace(/ Why: .*$/, "")}`);
  const prefix = "test/access/bucket/bucket: [CAS-S3-6] Uploads only under the bucket's key: bucket policy";

  test.each([
    // SSE-S3 sends no key ID either, so DenyKmsWithoutBucketKey still refuses it.
    ["DenyOtherEncryption", "DSSE-KMS with the bucket's key"],
    ["DenyKmsWithoutBucketKey", "aws:kms without a key ID"],
    ["DenyOtherKmsKeys", "aws:kms with another key"],
    ["DenyCustomerKeys", "SSE-C (a customer-provided key)"],
  ])("without %s the bucket policy lets through uploads with %s", (sid, what) => {
    const { stack } = fixture((a) =>
      a.bucketAccount.bucket!.policy.addOverride("policy", policyWithout(a.bucketAccount.bucket!.policy, sid)),
    );
    expect(messageOf(stack)).toEqual([`${prefix} lets through uploads with ${what}.`]);
  });

  test("a policy that refuses uploads relying on the bucket's default encryption is caught too", () => {
    const { stack } = fixture((a) => {
      const doc = policyDoc(a.bucketAccount.bucket!.policy);
      const requireHeader = {
        Sid: "RequireEncryptionHeader",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: "arn:aws:s3:::shared-data/*",
        Condition: { Null: { "s3:x-amz-server-side-encryption": "true" } },
      };
      a.bucketAccount.bucket!.policy.addOverride(
        "policy",
        JSON.stringify({ ...doc, Statement: [...doc.Statement, requireHeader] }),
      );
    });
    expect(messageOf(stack)).toEqual([
      `${prefix} refuses uploads with no encryption header, which keep the bucket's key.`,
    ]);
  });

  test("a denial limited to one prefix does not cover the bucket", () => {
    const { stack } = fixture((a) => {
      const doc = policyDoc(a.bucketAccount.bucket!.policy);
      const narrowed = doc.Statement.map((s) =>
        s.Sid === "DenyCustomerKeys" ? { ...s, Resource: "arn:aws:s3:::shared-data/data/*" } : s,
      );
      a.bucketAccount.bucket!.policy.addOverride("policy", JSON.stringify({ ...doc, Statement: narrowed }));
    });
    expect(messageOf(stack)).toEqual([`${prefix} lets through uploads with SSE-C (a customer-provided key).`]);
  });

  test("an access point policy without the denials is caught on the access point", () => {
    const pair = twoAccountStack();
    const shared = new SharedBucketAccess(pair.stack, "shared", {
      bucket: {
        provider: pair.bucketProvider,
        accountId: "222222222222",
        region: "us-east-1",
        bucketName: "shared-lake",
        keyAlias: "alias/shared-lake",
      },
      accessPoints: "always",
      grantees: [
        {
          name: "ingest",
          lambda: {
            provider: pair.lambdaProvider,
            accountId: "111111111111",
            region: "us-east-1",
            functionName: "ingest",
            roleName: "ingest",
          },
          grant: { mode: "bucket-policy", prefixes: [{ prefix: "in/", access: "write" }] },
        },
      ],
    });
    Aspects.of(pair.stack).add(new SecurityRules());
    expect(findings(pair.stack)).toEqual([]);
    const ap = shared.bucketAccount.half.accessPoints.get("ingest")!;
    const doc = policyDoc(ap);
    ap.addOverride(
      "policy",
      JSON.stringify({ ...doc, Statement: doc.Statement.filter((s) => !s.Sid?.startsWith("Deny")) }),
    );
    expect(messageOf(pair.stack)).toEqual([
      "test/shared/bucket-side/access-point-ingest: [CAS-S3-6] Uploads only under the bucket's key: access point policy lets through uploads with " +
        "SSE-C (a customer-provided key), SSE-S3 (AES256), DSSE-KMS with the bucket's key, aws:kms without a key ID, aws:kms with another key.",
    ]);
  });
});

describe("CAS-MON-1 fails a grant with no alarm while its alarms are on, on the resource the missing alarm watches", () => {
  const TOPICS = {
    "111111111111": "arn:aws:sns:us-east-1:111111111111:lambda-alarms",
    "222222222222": "arn:aws:sns:us-east-1:222222222222:data-alarms",
  };
  /** A grant with alarms on, notifying both accounts' topics; `tamper` breaks it before synth. */
  function alarmed(tamper: (access: CrossAccountS3Access) => void, alarms: AlarmSettings = { topicArns: TOPICS }) {
    const pair = twoAccountStack();
    const access = new CrossAccountS3Access(pair.stack, "access", { ...accessProps(pair, GRANT), alarms });
    Aspects.of(pair.stack).add(new SecurityRules());
    tamper(access);
    return findings(pair.stack).filter((f) => f.message.startsWith("[CAS-MON-1]"));
  }
  const lambdaAlarms = (a: CrossAccountS3Access) => a.lambdaAccount.alarms!;
  const bucketAlarms = (a: CrossAccountS3Access) => a.bucketAccount.alarms!;
  const FUNCTION = "test/access/lambda/function";
  const BUCKET = "test/access/bucket/bucket";

  test("a grant with every alarm in place, each notifying its account's topic, passes", () => {
    expect(alarmed(() => undefined)).toEqual([]);
  });

  const cases: Array<[string, (a: CrossAccountS3Access) => void, string, string]> = [
    [
      "the function's alarms removed from the tree",
      (a) => a.node.tryRemoveChild("lambda-alarms"),
      FUNCTION,
      'no CloudWatch Logs metric filter on /aws/lambda/consumer with the pattern { $.errorType = "AccessDeniedError" }; no alarm on AWS/Lambda Errors of consumer',
    ],
    [
      "the filter selecting another value than the contract's",
      (a) => override(lambdaAlarms(a).accessDeniedFilter, "pattern", '{ $.errorType = "AccessDenied" }'),
      FUNCTION,
      "no CloudWatch Logs metric filter on /aws/lambda/consumer",
    ],
    [
      "the filter on another log group",
      (a) => override(lambdaAlarms(a).accessDeniedFilter, "log_group_name", "/aws/lambda/other"),
      FUNCTION,
      "no CloudWatch Logs metric filter on /aws/lambda/consumer",
    ],
    [
      "the access-denied alarm on another metric",
      (a) => override(lambdaAlarms(a).accessDeniedAlarm, "metric_name", "Other"),
      FUNCTION,
      "no alarm on the metric of its access-denied filter (CrossAccountS3Lambda/AccessDenied-consumer)",
    ],
    [
      "the Errors alarm on another function",
      (a) => override(lambdaAlarms(a).errorsAlarm, "dimensions.FunctionName", "other"),
      FUNCTION,
      "no alarm on AWS/Lambda Errors of consumer",
    ],
    [
      "the Errors alarm created in the bucket account",
      (a) => override(lambdaAlarms(a).errorsAlarm, "provider", "aws.bucket_account"),
      FUNCTION,
      "no alarm on AWS/Lambda Errors of consumer",
    ],
    [
      "the Errors alarm notifying no one",
      (a) => override(lambdaAlarms(a).errorsAlarm, "alarm_actions", null),
      FUNCTION,
      `does not notify ${TOPICS["111111111111"]}`,
    ],
    [
      "the request metrics filtered to another prefix",
      (a) => override(bucketAlarms(a).requestMetrics.get("data/")!, "filter.prefix", "other/"),
      BUCKET,
      "no S3 request metrics of shared-data filtered to the prefix data/",
    ],
    [
      "the 4xxErrors alarm on another filter",
      (a) => override(bucketAlarms(a).clientErrorsAlarms.get("data/")!, "dimensions.FilterId", "other"),
      BUCKET,
      "no alarm on AWS/S3 4xxErrors of shared-data for the request metrics grant-data (data/)",
    ],
    [
      "the 4xxErrors alarm created in the Lambda account",
      (a) => override(bucketAlarms(a).clientErrorsAlarms.get("data/")!, "provider", "aws.lambda_account"),
      BUCKET,
      "no alarm on AWS/S3 4xxErrors",
    ],
    [
      "the 4xxErrors alarm with its actions disabled",
      (a) => override(bucketAlarms(a).clientErrorsAlarms.get("data/")!, "actions_enabled", false),
      BUCKET,
      `does not notify ${TOPICS["222222222222"]}`,
    ],
    [
      "the bucket's alarms removed from the tree",
      (a) => a.node.tryRemoveChild("bucket-alarms"),
      BUCKET,
      "no S3 request metrics of shared-data filtered to the prefix data/",
    ],
  ];

  test.each(cases)("%s", (_name, tamper, path, problem) => {
    const found = alarmed(tamper);
    expect(found.map((f) => `${f.level} ${f.path}`)).toEqual([`error ${path}`]);
    expect(found[0].message).toContain(problem);
    expect(found[0].message).toContain(
      "configured by access.alarms (keep the alarms the grant's constructs create, or set enabled to false to go without)",
    );
  });

  test("a grant whose alarms are off asks for none, and records that they are off", () => {
    const pair = twoAccountStack();
    new CrossAccountS3Access(pair.stack, "access", { ...accessProps(pair, GRANT), alarms: { enabled: false } });
    Aspects.of(pair.stack).add(new SecurityRules());
    expect(findings(pair.stack)).toEqual([]);
    const records = (
      pair.stack.toTerraform() as { "//": Record<string, { grants: Array<{ alarms: { enabled: boolean } }> }> }
    )["//"]["cross-account-s3-lambda"].grants;
    expect(records.map((r) => r.alarms.enabled)).toEqual([false, false]);
  });

  test("a grant whose function is created elsewhere asks the Lambda account for none", () => {
    const pair = twoAccountStack();
    const props = accessProps(pair, GRANT, { lambda: { createFunction: false, functionName: undefined } });
    new CrossAccountS3Access(pair.stack, "access", props);
    Aspects.of(pair.stack).add(new SecurityRules());
    expect(findings(pair.stack)).toEqual([]);
  });

  test("the shipped shared bucket: each grantee's half is judged on its own prefixes", () => {
    const [stack] = sharedEnvironmentStacks(Testing.app(), "local-shared", sharedEnvironments["local-shared"], {});
    const shared = (stack as unknown as { access: SharedBucketAccess }).access;
    override(shared.bucketAccount.alarms!.requestMetrics.get("incoming/")!, "filter.prefix", "elsewhere/");
    const found = findings(stack).filter((f) => f.message.startsWith("[CAS-MON-1]"));
    // Only ingest grants incoming/: reporting and billing (reference/) keep their alarms.
    expect(found.map((f) => f.path)).toEqual(["local-shared/shared/bucket-side/bucket/bucket"]);
    expect(found[0].message).toContain(
      "the grant sharedEnvironments.local-shared has its alarms on, but no S3 request metrics of local-shared-lake-222222222222 filtered to the prefix incoming/",
    );
  });
});

describe("a finding that comes from configuration names the field to change", () => {
  const errorsOf = (stacks: TerraformStack[]) =>
    stacks
      .flatMap((stack) => findings(stack))
      .filter((f) => f.level === "error")
      .map((f) => `${f.path}: ${f.message.replace(/ Why: .*$/, "")}`);

  test("assume-role without an ExternalId or organization: the grant's externalId", () => {
    const { externalId: _dropped, ...grant } = environments.prod.grant;
    const stacks = environmentStacks(
      Testing.app(),
      "prod",
      { ...environments.prod, grant: { ...grant, principalOrgId: undefined } },
      {},
    );
    expect(errorsOf(stacks)).toEqual([
      "prod/access/access-role/role: [CAS-IAM-3] Cross-account trust guarded by sts:ExternalId or aws:PrincipalOrgID: trust statement TrustLambdaRole lets another account " +
        "assume the role without sts:ExternalId or aws:PrincipalOrgID; configured by environments.prod.grant.externalId (set it, or grant.principalOrgId).",
    ]);
  });

  test("a shared bucket's grantee: its own grant, by index", () => {
    const config = sharedEnvironments["local-shared"];
    const grantees = config.grantees.map((c) =>
      c.grant.mode === "assume-role" ? { ...c, grant: { ...c.grant, externalId: undefined } } : c,
    );
    const stacks = sharedEnvironmentStacks(Testing.app(), "local-shared", { ...config, grantees }, {});
    expect(errorsOf(stacks)).toEqual([
      expect.stringContaining(
        "configured by sharedEnvironments.local-shared.grantees[2].grant.externalId (set it, or grantees[2].grant.principalOrgId).",
      ),
    ]);
  });

  test("an existing bucket's statement the rules refuse: that statement of bucket.existing", () => {
    const existing = environments.analytics.bucket.existing!;
    const listAll = {
      Sid: "TeamLists",
      Effect: "Allow" as const,
      Principal: { AWS: "arn:aws:iam::444455556666:role/analytics-team" },
      Action: "s3:ListBucket",
      Resource: "arn:aws:s3:::analytics-lake-444455556666",
    };
    const config = {
      ...environments.analytics,
      bucket: {
        ...environments.analytics.bucket,
        existing: { ...existing, bucketPolicyStatements: [...existing.bucketPolicyStatements, listAll] },
      },
    };
    const stacks = environmentStacks(Testing.app(), "analytics", config, {});
    expect(errorsOf(stacks)).toEqual([
      "analytics/access/bucket-policy: [CAS-S3-7] ListBucket limited by s3:prefix: statement TeamLists allows s3:ListBucket without an s3:prefix condition; " +
        "configured by environments.analytics.bucket.existing.bucketPolicyStatements[1].",
    ]);
  });
});

test("a rule error names the rule, the problem and why the rule exists", () => {
  const [finding] = findings(fixture((a) => a.bucketAccount.key!.key.addOverride("enable_key_rotation", false)).stack);
  expect(finding.message).toBe(
    "[CAS-KMS-1] Key rotation enabled: key rotation is not enabled. Why: key material is replaced yearly without re-encrypting objects.",
  );
});

test("a violation fails synth", () => {
  const { stack } = fixture((a) => a.bucketAccount.key!.key.addOverride("enable_key_rotation", false));
  expect(() => Testing.fullSynth(stack)).toThrow(/Encountered Annotations with level "ERROR"[\s\S]*\[CAS-KMS-1\]/);
});

describe("suppressions", () => {
  test("a suppression with a written reason turns the error into a warning that shows in the synth output", () => {
    const { stack } = fixture((a) => {
      a.bucketAccount.key!.key.addOverride("enable_key_rotation", false);
      suppressRules(a.bucketAccount.key!, "CAS-KMS-1", "imported key material cannot be rotated automatically");
    });
    expect(findings(stack)).toEqual([
      {
        level: "warn",
        path: "test/access/key/key",
        message:
          "[CAS-KMS-1] suppressed: imported key material cannot be rotated automatically (key rotation is not enabled)",
      },
    ]);
  });

  test("a suppression applies only below the construct it is placed on", () => {
    const { stack } = fixture((a) => {
      a.bucketAccount.key!.key.addOverride("enable_key_rotation", false);
      suppressRules(a.bucketAccount.bucket!, "CAS-KMS-1", "placed on the bucket, so it does not cover the key");
    });
    expect(ruleIds(findings(stack))).toEqual(["error CAS-KMS-1 test/access/key/key"]);
  });

  test("several rules are suppressed in one call, each shown with the reason", () => {
    const { stack } = fixture((a) => {
      a.bucketAccount.key!.key.addOverride("enable_key_rotation", false);
      override(a.bucketAccount.bucket!.node.findChild("versioning"), "versioning_configuration.status", "Suspended");
      suppressRules(a, ["CAS-KMS-1", "CAS-S3-3"], "an archive bucket written once, with imported key material");
    });
    expect(
      findings(stack)
        .map((f) => `${f.level} ${f.message.slice(1, f.message.indexOf("]"))}`)
        .sort(),
    ).toEqual(["warn CAS-KMS-1", "warn CAS-S3-3"]);
  });

  test("an unknown rule among several is refused, naming it, and nothing is suppressed", () => {
    const { access } = fixture();
    expect(() => suppressRules(access, ["CAS-KMS-1", "CAS-NOPE"], "a long enough reason for this")).toThrow(
      'ruleId "CAS-NOPE" is not a security rule',
    );
  });

  test("a suppression needs a reason of at least 20 characters and a known rule", () => {
    const { access } = fixture();
    expect(() => suppressRules(access, "CAS-KMS-1", "because")).toThrow(
      'reason "because" is too short: suppressing CAS-KMS-1 needs a written reason of at least 20 characters',
    );
    expect(() => suppressRules(access, "CAS-XYZ", "a long enough reason for this")).toThrow(ConfigurationError);
    expect(() => suppressRules(access, "CAS-XYZ", "a long enough reason for this")).toThrow(
      'ruleId "CAS-XYZ" is not a security rule',
    );
  });
});

test("the rules read what would deploy: a raw log group without retention is caught too", () => {
  const { stack } = fixture(
    (a, s) => new CloudwatchLogGroup(s, "raw-logs", { provider: a.lambdaAccount.grantee.role!.provider, name: "/raw" }),
  );
  expect(ruleIds(findings(stack))).toEqual(["error CAS-LOG-1 test/raw-logs"]);
});
