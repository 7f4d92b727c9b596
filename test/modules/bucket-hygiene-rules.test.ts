/**
 * CAS-S3-8 (server access logging), CAS-S3-9 (lifecycle) and CAS-S3-10 (a log bucket's baseline), each judged on the
 * whole stack's Terraform JSON: every resource of the kind that configures a bucket, by reference or by name.
 */
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketLoggingA } from "@cdktf/provider-aws/lib/s3-bucket-logging";
import { Aspects, Testing, TerraformResource, TerraformStack } from "cdktf";
import type { IConstruct } from "constructs";
import {
  BUCKET_HYGIENE_RULES,
  CrossAccountS3Access,
  isAccessLogBucket,
  SECURITY_RULES,
  SecurityRules,
  suppressRules,
  type BucketSettings,
  type GrantDeclaration,
  type HygieneStackJson,
} from "../../modules/internal";
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

const GRANT: GrantDeclaration = { mode: "bucket-policy", prefixes: [{ prefix: "data/", access: "readWrite" }] };
const BUCKET = "test/access/bucket/bucket";
const LOG_BUCKET = "test/access/access-logs/bucket";
const LOG_POLICY = "test/access/access-logs/policy";

/** A grant checked by every rule; `tamper` changes the stack before synth. */
function fixture(
  tamper: (access: CrossAccountS3Access, stack: TerraformStack) => void = () => undefined,
  bucket: Partial<BucketSettings> = {},
) {
  const pair = twoAccountStack();
  const access = new CrossAccountS3Access(pair.stack, "access", accessProps(pair, GRANT, { bucket }));
  Aspects.of(pair.stack).add(new SecurityRules());
  tamper(access, pair.stack);
  return { stack: pair.stack, access };
}

/** The findings as `level rule path: message` (without the rule's title and reason). */
function found(stack: TerraformStack): string[] {
  return findings(stack).map((f) => {
    const rule = f.message.slice(1, f.message.indexOf("]"));
    const title = SECURITY_RULES.find((r) => r.id === rule)!.title;
    const message = f.message.replace(`[${rule}] ${title}: `, "").replace(/ Why: .*$/, "");
    return `${f.level} ${rule} ${f.path}: ${message}`;
  });
}

const override = (resource: IConstruct, path: string, value: unknown) =>
  (resource as TerraformResource).addOverride(path, value);
const logBucket = (a: CrossAccountS3Access) => a.bucketAccount.accessLogBucket!;
const lifecycleOf = (a: CrossAccountS3Access) => a.bucketAccount.bucket!.lifecycle;
const policyDoc = (resource: TerraformResource) => {
  const json = TerraformStack.of(resource).toTerraform() as {
    resource: Record<string, Record<string, { policy: string }>>;
  };
  return JSON.parse(json.resource[resource.terraformResourceType][resource.friendlyUniqueId].policy) as {
    Statement: Array<Record<string, unknown>>;
  };
};
const withStatements = (
  resource: TerraformResource,
  change: (statements: Array<Record<string, unknown>>) => unknown[],
) =>
  resource.addOverride(
    "policy",
    JSON.stringify({ Version: "2012-10-17", Statement: change(policyDoc(resource).Statement) }),
  );

test("three rules, each with an ID, a title and a rationale", () => {
  expect(BUCKET_HYGIENE_RULES.map((r) => r.id)).toEqual(["CAS-S3-8", "CAS-S3-9", "CAS-S3-10"]);
  for (const rule of BUCKET_HYGIENE_RULES) {
    expect(rule.title.length).toBeGreaterThan(10);
    expect(rule.rationale.length).toBeGreaterThan(20);
  }
});

test("a grant with its defaults breaks none of them, and neither do the log bucket's SSE-S3, missing versioning and plain policy break the data buckets' rules", () => {
  expect(found(fixture().stack)).toEqual([]);
  expect(found(fixture(undefined, { accessLogging: { versioning: true, retentionDays: 30 } }).stack)).toEqual([]);
});

describe("CAS-S3-8: server access logging on", () => {
  test("a bucket whose logging configuration is gone is caught, naming the setting", () => {
    const { stack } = fixture((a) => a.bucketAccount.bucket!.node.tryRemoveChild("access-logging"));
    // The log bucket is no longer any bucket's log target: it is judged as any other bucket (not shown here).
    expect(found(stack).filter((f) => f.includes(` ${BUCKET}: `))).toEqual([
      `error CAS-S3-8 ${BUCKET}: has no server access logging (aws_s3_bucket_logging): no record says who touched which object; ` +
        "configured by access.bucket.accessLogging (keep the logging configuration this library writes, or set enabled to false to go without).",
    ]);
  });

  test("logging turned off in the declaration is accepted: the bucket account's record says so", () => {
    expect(found(fixture(undefined, { accessLogging: { enabled: false } }).stack)).toEqual([]);
  });

  test("a bucket of the app without logging, which no declaration turned off, is caught", () => {
    const { stack } = fixture((a, s) => {
      const other = new S3Bucket(s, "app-bucket", {
        provider: a.bucketAccount.bucket!.bucket.provider,
        bucket: "app-bucket",
      });
      suppressRules(
        other,
        ["CAS-S3-1", "CAS-S3-2", "CAS-S3-3", "CAS-S3-4", "CAS-S3-5", "CAS-S3-6", "CAS-S3-9"],
        "an app bucket in a test of the logging rule alone",
      );
    });
    expect(found(stack).filter((f) => f.startsWith("error"))).toEqual([
      "error CAS-S3-8 test/app-bucket: has no server access logging (aws_s3_bucket_logging): no record says who touched which object.",
    ]);
  });

  test("a second logging configuration, by the bucket's name, is caught: S3 keeps one", () => {
    const { stack } = fixture((a, s) => {
      new S3BucketLoggingA(s, "second-logging", {
        provider: a.bucketAccount.bucket!.bucket.provider,
        bucket: "shared-data",
        targetBucket: "elsewhere-logs",
        targetPrefix: "x/",
      });
    });
    // CAS-TF-2 refuses the second resource too, on both of them.
    expect(found(stack)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^error CAS-S3-8 ${BUCKET}: has 2 logging configurations \\(aws_s3_bucket_logging\\.access_bucket_access-logging_[0-9A-F]{8}, aws_s3_bucket_logging\\.second-logging\\): S3 keeps one, whichever is applied last;`,
        ),
      ),
      expect.stringMatching(
        /^error CAS-TF-2 test\/access\/bucket\/access-logging: .* all set the logging of bucket shared-data/,
      ),
      expect.stringMatching(/^error CAS-TF-2 test\/second-logging: .* all set the logging of bucket shared-data/),
    ]);
  });

  test("logging into the bucket itself is caught, and the bucket, now a log target, is still held to a log bucket's baseline", () => {
    const { stack } = fixture((a) => override(a.bucketAccount.bucket!.accessLogging!, "target_bucket", "shared-data"));
    const errors = found(stack);
    expect(errors).toContainEqual(expect.stringContaining(`error CAS-S3-8 ${BUCKET}: aws_s3_bucket_logging.`));
    expect(errors).toContainEqual(
      expect.stringContaining("delivers its logs into the bucket itself: each delivery would be logged in turn"),
    );
    expect(errors).toContainEqual(
      expect.stringContaining(
        `error CAS-S3-10 ${BUCKET}: log bucket aws_s3_bucket_server_side_encryption_configuration.`,
      ),
    );
  });

  test.each<[string, (statements: Array<Record<string, unknown>>) => unknown[]]>([
    ["the delivery statement removed", (st) => st.filter((s) => s.Sid !== "S3ServerAccessLogDelivery")],
    [
      "delivery for another source bucket",
      (st) =>
        st.map((s) =>
          s.Sid === "S3ServerAccessLogDelivery"
            ? {
                ...s,
                Condition: {
                  ArnEquals: { "aws:SourceArn": "arn:aws:s3:::other" },
                  StringEquals: { "aws:SourceAccount": "222222222222" },
                },
              }
            : s,
        ),
    ],
    [
      "delivery under another prefix",
      (st) =>
        st.map((s) =>
          s.Sid === "S3ServerAccessLogDelivery"
            ? { ...s, Resource: "arn:aws:s3:::shared-data-access-logs/other/*" }
            : s,
        ),
    ],
  ])(
    "a log bucket whose policy does not let S3 deliver the bucket's logs is caught on the bucket: %s",
    (_name, change) => {
      const messages = found(fixture((a) => withStatements(logBucket(a).policy, change)).stack);
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatch(
        new RegExp(
          `^error CAS-S3-8 ${BUCKET}: aws_s3_bucket_logging\\.access_bucket_access-logging_[0-9A-F]{8} delivers to shared-data-access-logs, ` +
            "whose policy does not let logging\\.s3\\.amazonaws\\.com put objects under shared-data/ for this bucket: S3 would drop the logs",
        ),
      );
    },
  );

  test("an existing log bucket managed elsewhere is the owner's to open to S3's delivery", () => {
    expect(
      found(fixture(undefined, { accessLogging: { existingTargetBucket: "org-logs-222222222222" } }).stack),
    ).toEqual([]);
  });
});

describe("CAS-S3-9: lifecycle aborts incomplete multipart uploads and expires noncurrent versions", () => {
  test("a bucket without a lifecycle is caught, naming the setting", () => {
    const { stack } = fixture((a) => a.bucketAccount.bucket!.node.tryRemoveChild("lifecycle"));
    expect(found(stack)).toEqual([
      `error CAS-S3-9 ${BUCKET}: has no lifecycle configuration: incomplete multipart uploads and noncurrent versions are kept, and billed, forever; configured by access.bucket.lifecycle.`,
    ]);
  });

  test.each<[string, (a: CrossAccountS3Access) => void, string]>([
    [
      "the abort limited to a prefix",
      (a) => override(lifecycleOf(a), "rule.0.filter.0.prefix", "tmp/"),
      "aborts incomplete multipart uploads",
    ],
    [
      "the abort limited to large objects",
      (a) => override(lifecycleOf(a), "rule.0.filter.0.object_size_greater_than", 1048576),
      "aborts incomplete multipart uploads",
    ],
    [
      "the abort rule disabled",
      (a) => override(lifecycleOf(a), "rule.0.status", "Disabled"),
      "aborts incomplete multipart uploads",
    ],
    [
      "the abort rule with a legacy prefix",
      (a) => override(lifecycleOf(a), "rule.0.prefix", "tmp/"),
      "aborts incomplete multipart uploads",
    ],
    [
      "the noncurrent expiry removed",
      (a) => override(lifecycleOf(a), "rule.1.noncurrent_version_expiration", null),
      "expires noncurrent versions, and the bucket is versioned",
    ],
    [
      "the noncurrent expiry limited to a prefix",
      (a) => override(lifecycleOf(a), "rule.1.filter.0.prefix", "tmp/"),
      "expires noncurrent versions, and the bucket is versioned",
    ],
  ])("%s is caught", (_name, tamper, problem) => {
    const messages = found(fixture(tamper).stack);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(
      new RegExp(
        `^error CAS-S3-9 ${BUCKET}: aws_s3_bucket_lifecycle_configuration\\.access_bucket_lifecycle_[0-9A-F]{8} has no enabled rule on the whole bucket that ${problem}`,
      ),
    );
  });

  test("a second, complete lifecycle configuration by the bucket's name does not hide an incomplete one: both are judged, and two are reported", () => {
    const { stack } = fixture((a, s) => {
      override(lifecycleOf(a), "rule.0.status", "Disabled");
      new S3BucketLifecycleConfiguration(s, "second-lifecycle", {
        provider: a.bucketAccount.bucket!.bucket.provider,
        bucket: "shared-data",
        rule: [
          {
            id: "abort",
            status: "Enabled",
            filter: [{}],
            abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
          },
          { id: "noncurrent", status: "Enabled", filter: [{}], noncurrentVersionExpiration: [{ noncurrentDays: 1 }] },
        ],
      });
    });
    const [message, ...more] = found(stack);
    // CAS-TF-2 refuses the second resource too, on both of them.
    expect(more).toEqual([
      expect.stringMatching(
        /^error CAS-TF-2 test\/access\/bucket\/lifecycle: .* all set the lifecycle of bucket shared-data/,
      ),
      expect.stringMatching(/^error CAS-TF-2 test\/second-lifecycle: .* all set the lifecycle of bucket shared-data/),
    ]);
    expect(message).toContain("has 2 lifecycle configurations (");
    expect(message).toContain(
      "aws_s3_bucket_lifecycle_configuration.second-lifecycle): S3 keeps one, whichever is applied last",
    );
    expect(message).toMatch(
      /aws_s3_bucket_lifecycle_configuration\.access_bucket_lifecycle_[0-9A-F]{8} has no enabled rule on the whole bucket that aborts incomplete multipart uploads/,
    );
  });

  test("an unversioned bucket needs only the abort", () => {
    const { stack } = fixture((a) => {
      a.bucketAccount.bucket!.node.tryRemoveChild("versioning");
      override(lifecycleOf(a), "depends_on", []);
      override(lifecycleOf(a), "rule.1.status", "Disabled");
    });
    // No CAS-S3-9; CAS-S3-3 still wants the versioning back.
    expect(found(stack)).toEqual([`error CAS-S3-3 ${BUCKET}: versioning is not configured.`]);
  });

  test("the log bucket's lifecycle needs the abort too", () => {
    const { stack } = fixture((a) => override(logBucket(a).node.findChild("lifecycle"), "rule.1.status", "Disabled"));
    expect(found(stack)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^error CAS-S3-9 ${LOG_BUCKET}: aws_s3_bucket_lifecycle_configuration\\.access_access-logs_lifecycle_[0-9A-F]{8} has no enabled rule on the whole bucket that aborts incomplete multipart uploads; configured by access\\.bucket\\.accessLogging\\.$`,
        ),
      ),
    ]);
  });
});

describe("CAS-S3-10: a log bucket is judged by its own baseline", () => {
  test("SSE-KMS on it is caught by this rule, and CAS-S3-4 leaves it alone", () => {
    const { stack } = fixture((a) => {
      override(
        logBucket(a).node.findChild("encryption"),
        "rule.0.apply_server_side_encryption_by_default.sse_algorithm",
        "aws:kms",
      );
    });
    expect(found(stack)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^error CAS-S3-10 ${LOG_BUCKET}: log bucket aws_s3_bucket_server_side_encryption_configuration\\.access_access-logs_encryption_[0-9A-F]{8} sets aws:kms: S3 delivers server access logs only to a bucket whose default encryption is SSE-S3 \\(AES256\\); configured by access\\.bucket\\.accessLogging\\.$`,
        ),
      ),
    ]);
  });

  test("a log bucket whose logs are never expired is caught", () => {
    const { stack } = fixture((a) => override(logBucket(a).node.findChild("lifecycle"), "rule.0.expiration", null));
    expect(found(stack)).toEqual([
      `error CAS-S3-10 ${LOG_BUCKET}: log bucket keeps its logs forever: no enabled lifecycle rule on the whole bucket expires them after a number of days; configured by access.bucket.accessLogging.`,
    ]);
  });

  test("delivery without aws:SourceAccount is caught on the statement", () => {
    const { stack } = fixture((a) =>
      withStatements(logBucket(a).policy, (st) =>
        st.map((s) =>
          s.Sid === "S3ServerAccessLogDelivery"
            ? { ...s, Condition: { ArnEquals: { "aws:SourceArn": "arn:aws:s3:::shared-data" } } }
            : s,
        ),
      ),
    );
    expect(found(stack)).toEqual([
      `error CAS-S3-10 ${LOG_POLICY}: statement S3ServerAccessLogDelivery lets logging.s3.amazonaws.com write into shared-data-access-logs without aws:SourceAccount: any bucket, of any account, could deliver its logs there; configured by access.bucket.accessLogging.`,
    ]);
  });

  test("another principal let into the log bucket is caught on the statement", () => {
    const reader = {
      Sid: "SiemReads",
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::333333333333:root" },
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::shared-data-access-logs/*",
    };
    const { stack } = fixture((a) => withStatements(logBucket(a).policy, (st) => [...st, reader]));
    expect(found(stack)).toEqual([
      `error CAS-S3-10 ${LOG_POLICY}: statement SiemReads of the log bucket shared-data-access-logs allows another principal than logging.s3.amazonaws.com: a log bucket takes only S3's log deliveries; configured by access.bucket.accessLogging.`,
    ]);
  });

  test("making the grant's bucket the log target of another bucket does not take it past the data buckets' rules: its KMS key and its grant are reported", () => {
    const { stack } = fixture((a, s) => {
      const provider = a.bucketAccount.bucket!.bucket.provider;
      const other = new S3Bucket(s, "app-bucket", { provider, bucket: "app-bucket" });
      new S3BucketLoggingA(s, "app-logging", {
        provider,
        bucket: other.id,
        targetBucket: "shared-data",
        targetPrefix: "app/",
      });
      suppressRules(
        other,
        ["CAS-S3-1", "CAS-S3-2", "CAS-S3-3", "CAS-S3-4", "CAS-S3-5", "CAS-S3-6", "CAS-S3-8", "CAS-S3-9"],
        "an app bucket in a test of the log bucket rule alone",
      );
    });
    const errors = found(stack).filter((f) => f.startsWith("error"));
    expect(errors).toContainEqual(
      expect.stringContaining(
        `error CAS-S3-10 ${BUCKET}: log bucket aws_s3_bucket_server_side_encryption_configuration.`,
      ),
    );
    expect(errors).toContainEqual(
      expect.stringContaining(
        "error CAS-S3-10 test/access/bucket/policy: statement GrantAbortMultipartUploadGetObjectPutObject of the log bucket shared-data allows another principal",
      ),
    );
  });

  test("a suppression with a reason turns a finding into a warning", () => {
    const { stack } = fixture((a) => {
      override(logBucket(a).node.findChild("lifecycle"), "rule.0.expiration", null);
      suppressRules(logBucket(a), "CAS-S3-10", "logs are kept for seven years by the audit archive's own rules");
    });
    expect(found(stack)).toEqual([expect.stringMatching(new RegExp(`^warn CAS-S3-10 ${LOG_BUCKET}: `))]);
  });
});

describe("isAccessLogBucket: a log bucket is known by its role in the stack", () => {
  const stack = (logging: Record<string, unknown>): HygieneStackJson => ({
    resource: {
      aws_s3_bucket: { data: { bucket: "data" }, logs: { bucket: "logs" } },
      aws_s3_bucket_logging: { one: { bucket: "${aws_s3_bucket.data.id}", ...logging } },
    },
  });

  test.each([
    ["by reference to its id", { target_bucket: "${aws_s3_bucket.logs.id}" }],
    ["by reference to its name", { target_bucket: "${aws_s3_bucket.logs.bucket}" }],
    ["by its literal name", { target_bucket: "logs" }],
  ])("%s", (_name, logging) => {
    expect(isAccessLogBucket(stack(logging), "logs")).toBe(true);
    expect(isAccessLogBucket(stack(logging), "arn:aws:s3:::logs")).toBe(true);
    expect(isAccessLogBucket(stack(logging), "data")).toBe(false);
  });

  test("not by its name alone", () => {
    expect(isAccessLogBucket(stack({ target_bucket: "elsewhere" }), "logs")).toBe(false);
  });
});
