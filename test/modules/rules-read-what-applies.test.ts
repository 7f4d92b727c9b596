/**
 * The rules judge what Terraform applies: every resource that sets something on the grant's bucket, key or roles,
 * however it names its target; every shape of policy IAM accepts; IAM's wildcards; and text read as Terraform reads
 * it. Each case below passed the rules before they read the whole stack this way.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { KmsGrant } from "@cdktf/provider-aws/lib/kms-grant";
import { KmsKeyPolicy } from "@cdktf/provider-aws/lib/kms-key-policy";
import { S3AccessPoint } from "@cdktf/provider-aws/lib/s3-access-point";
import { S3BucketAcl } from "@cdktf/provider-aws/lib/s3-bucket-acl";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Aspects, Testing, TerraformStack, type IAspect, type TerraformResource } from "cdktf";
import type { IConstruct } from "constructs";
import { CHECKS_AFTER_ASPECTS } from "../../modules/core/after-aspects";
import { CrossAccountS3Access, SecurityRules, type GrantDeclaration } from "../../modules/internal";
import { accessProps, twoAccountStack } from "../support/synth";

const GRANT: GrantDeclaration = { mode: "bucket-policy", prefixes: [{ prefix: "data/", access: "read" }] };

/** A stack with one clean grant, checked by the rules, and what `tamper` adds to it. */
function fixture(
  tamper: (
    access: CrossAccountS3Access,
    stack: TerraformStack,
    bucketProvider: ReturnType<typeof twoAccountStack>["bucketProvider"],
  ) => void,
) {
  const pair = twoAccountStack();
  const access = new CrossAccountS3Access(pair.stack, "access", accessProps(pair, GRANT));
  Aspects.of(pair.stack).add(new SecurityRules());
  tamper(access, pair.stack, pair.bucketProvider);
  return pair.stack;
}

/** The error annotations synth adds, as `RULE construct-path: message`. */
function errors(stack: TerraformStack): string[] {
  Testing.synth(stack);
  return stack.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === "@cdktf/error")
      .map((m) => {
        const text = String(m.data);
        return `${text.slice(1, text.indexOf("]"))} ${c.node.path}: ${text}`;
      }),
  );
}

const ids = (list: string[]) => [...new Set(list.map((e) => e.slice(0, e.indexOf(":"))))].sort();

const PUBLIC_READ = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "Anyone",
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::333333333333:root" },
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::shared-data/*",
    },
  ],
});

/** Adds an identity policy holding `statement` to the grantee's role. */
const rolePolicy = (statement: unknown) => (a: CrossAccountS3Access, s: TerraformStack) =>
  new IamRolePolicy(s, "extra", {
    provider: a.lambdaAccount.grantee.role!.provider,
    role: a.lambdaAccount.grantee.role!.name,
    policy: JSON.stringify({ Version: "2012-10-17", Statement: statement }),
  });

test("the clean grant breaks no rule", () => {
  expect(errors(fixture(() => undefined))).toEqual([]);
});

describe("a second resource on the grant's bucket or key is judged, and two resources setting one thing are refused", () => {
  test("a second bucket policy, naming the bucket by its literal name", () => {
    const found = errors(
      fixture(
        (_a, s, provider) =>
          new S3BucketPolicy(s, "extra-policy", { provider, bucket: "shared-data", policy: PUBLIC_READ }),
      ),
    );
    expect(ids(found)).toEqual(
      expect.arrayContaining([
        "CAS-S3-5 test/access/bucket/bucket",
        "CAS-TF-2 test/extra-policy",
        "CAS-TF-2 test/access/bucket/policy",
      ]),
    );
    expect(found.find((e) => e.startsWith("CAS-TF-2 test/extra-policy"))).toMatch(
      /aws_s3_bucket_policy\.access_bucket_policy_\w+ and aws_s3_bucket_policy\.extra-policy all set the policy of bucket shared-data/,
    );
  });

  test("a key policy resource on the grant's key", () => {
    const found = errors(
      fixture(
        (a, s, provider) =>
          new KmsKeyPolicy(s, "key-policy", {
            provider,
            keyId: a.bucketAccount.key!.key.keyId,
            policy: PUBLIC_READ.replace("s3:GetObject", "kms:Decrypt").replace("arn:aws:s3:::shared-data/*", "*"),
          }),
      ),
    );
    expect(ids(found)).toEqual(
      expect.arrayContaining(["CAS-KMS-2 test/key-policy", "CAS-TF-2 test/key-policy", "CAS-TF-2 test/access/key/key"]),
    );
  });

  test("a KMS grant on the grant's key", () => {
    const found = errors(
      fixture(
        (a, s, provider) =>
          new KmsGrant(s, "grant", {
            provider,
            keyId: a.bucketAccount.key!.key.keyId,
            granteePrincipal: "arn:aws:iam::333333333333:root",
            operations: ["Decrypt"],
          }),
      ),
    );
    expect(found.find((e) => e.startsWith("CAS-KMS-2 test/grant"))).toMatch(
      /KMS grant gives arn:aws:iam::333333333333:root Decrypt on aws_kms_key\.\S+ outside its key policy/,
    );
  });

  test("another access point on the bucket, without the upload denials", () => {
    const found = errors(
      fixture(
        (a, s, provider) =>
          new S3AccessPoint(s, "side-door", {
            provider,
            bucket: a.bucketAccount.bucket!.bucket.id,
            accountId: "222222222222",
            name: "side-door",
            policy: PUBLIC_READ.replace(
              "arn:aws:s3:::shared-data/*",
              "arn:aws:s3:us-east-1:222222222222:accesspoint/side-door/object/*",
            ),
          }),
      ),
    );
    expect(ids(found)).toContain("CAS-S3-6 test/side-door");
  });

  test("a second public access block that turns the blocks off", () => {
    const found = errors(
      fixture(
        (_a, s, provider) =>
          new S3BucketPublicAccessBlock(s, "open", {
            provider,
            bucket: "shared-data",
            blockPublicAcls: false,
            blockPublicPolicy: false,
            ignorePublicAcls: false,
            restrictPublicBuckets: false,
          }),
      ),
    );
    expect(ids(found)).toEqual(expect.arrayContaining(["CAS-S3-1 test/access/bucket/bucket", "CAS-TF-2 test/open"]));
    expect(found.find((e) => e.startsWith("CAS-S3-1"))).toMatch(
      /leaves block_public_acls, block_public_policy, ignore_public_acls, restrict_public_buckets off \(aws_s3_bucket_public_access_block\.open\)/,
    );
  });

  test("versioning Suspended by a second resource", () => {
    const found = errors(
      fixture(
        (a, s, provider) =>
          new S3BucketVersioningA(s, "suspend", {
            provider,
            bucket: a.bucketAccount.bucket!.bucket.bucket,
            versioningConfiguration: { status: "Suspended" },
          }),
      ),
    );
    expect(ids(found)).toEqual(expect.arrayContaining(["CAS-S3-3 test/access/bucket/bucket", "CAS-TF-2 test/suspend"]));
  });

  test("AES256 default encryption by a second resource", () => {
    const found = errors(
      fixture(
        (_a, s, provider) =>
          new S3BucketServerSideEncryptionConfigurationA(s, "sse-s3", {
            provider,
            bucket: "shared-data",
            rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
          }),
      ),
    );
    expect(ids(found)).toEqual(expect.arrayContaining(["CAS-S3-4 test/access/bucket/bucket", "CAS-TF-2 test/sse-s3"]));
  });

  test("a public-read ACL", () => {
    const found = errors(
      fixture((_a, s, provider) => new S3BucketAcl(s, "acl", { provider, bucket: "shared-data", acl: "public-read" })),
    );
    expect(found.find((e) => e.startsWith("CAS-S3-2"))).toMatch(/has the ACL public-read \(aws_s3_bucket_acl\.acl\)/);
  });

  test("a bucket policy written inline on a bucket resource named like the grant's", () => {
    const found = errors(
      fixture((a) => (a.bucketAccount.bucket!.bucket as TerraformResource).addOverride("policy", PUBLIC_READ)),
    );
    expect(ids(found)).toEqual(
      expect.arrayContaining(["CAS-TF-2 test/access/bucket/bucket", "CAS-TF-2 test/access/bucket/policy"]),
    );
  });
});

describe("what Terraform creates: count and for_each", () => {
  const publicAccessBlock = (a: CrossAccountS3Access) =>
    a.bucketAccount
      .bucket!.node.findAll()
      .find(
        (c) => (c as TerraformResource).terraformResourceType === "aws_s3_bucket_public_access_block",
      ) as TerraformResource;

  test("count 0 on the bucket's public access block: there is none", () => {
    const found = errors(fixture((a) => publicAccessBlock(a).addOverride("count", 0)));
    expect(found.find((e) => e.startsWith("CAS-S3-1"))).toMatch(/has no public access block/);
  });

  test("several instances, or ones Terraform decides at plan, are refused", () => {
    const found = errors(
      fixture((a) => {
        publicAccessBlock(a).addOverride("count", 2);
        (a.bucketAccount.bucket!.policy as TerraformResource).addOverride("for_each", '${toset(["a"])}');
      }),
    );
    expect(found.filter((e) => e.startsWith("CAS-TF-1")).map((e) => e.slice(e.indexOf("]") + 2))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/count 2 makes several instances/),
        expect.stringMatching(/for_each makes instances Terraform decides at plan/),
      ]),
    );
  });
});

describe("IAM's own wildcard semantics and every policy shape", () => {
  test("s3:PutBucketAc? is a wildcard action", () => {
    const found = errors(
      fixture(rolePolicy([{ Sid: "Acl", Effect: "Allow", Action: "s3:PutBucketAc?", Resource: "*" }])),
    );
    expect(found.find((e) => e.startsWith("CAS-IAM-1"))).toMatch(/statement Acl allows s3:PutBucketAc\?/);
  });

  test("an Allow with NotAction is read, and refused", () => {
    const found = errors(fixture(rolePolicy([{ Sid: "AllBut", Effect: "Allow", NotAction: "iam:*", Resource: "*" }])));
    expect(found.find((e) => e.startsWith("CAS-IAM-1"))).toMatch(/allows every action but iam:\* \(NotAction\)/);
    // NotAction takes in s3:ListBucket.
    expect(ids(found)).toContain("CAS-S3-7 test/extra");
  });

  test("a single statement given as an object (valid IAM) is read, not skipped or crashed on", () => {
    const found = errors(fixture(rolePolicy({ Sid: "One", Effect: "Allow", Action: "s3:*", Resource: "*" })));
    expect(ids(found)).toEqual(["CAS-IAM-1 test/extra", "CAS-S3-7 test/extra"]);
  });

  test("an action named in another case is the same action", () => {
    const found = errors(
      fixture(
        rolePolicy([{ Sid: "List", Effect: "Allow", Action: "S3:LISTBUCKET", Resource: "arn:aws:s3:::shared-data" }]),
      ),
    );
    expect(ids(found)).toEqual(["CAS-S3-7 test/extra"]);
  });
});

describe("text is judged as Terraform reads it", () => {
  test("a policy holding a Terraform expression is refused, naming it", () => {
    const found = errors(
      fixture((a) =>
        (a.bucketAccount.bucket!.policy as TerraformResource).addOverride(
          "policy",
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "X",
                Effect: "Allow",
                Principal: "*",
                Action: "s3:GetObject",
                Resource: "*",
                Condition: { StringEquals: { "aws:PrincipalAccount": "${3 * 111111111111}" } },
              },
            ],
          }),
        ),
      ),
    );
    expect(found.find((e) => e.startsWith("CAS-TF-1"))).toMatch(
      /is evaluated by Terraform \(\$\{3 \* 111111111111\}\)/,
    );
  });

  test("a setting's target given as an expression is refused: the rules cannot tell which bucket it configures", () => {
    const found = errors(
      fixture(
        (_a, s, provider) =>
          new S3BucketPolicy(s, "hidden", { provider, bucket: '${lower("SHARED-DATA")}', policy: PUBLIC_READ }),
      ),
    );
    expect(found.find((e) => e.startsWith("CAS-TF-1 test/hidden"))).toMatch(
      /bucket is evaluated by Terraform \(\$\{lower\("SHARED-DATA"\)\}\)/,
    );
  });

  test("an escaped IAM policy variable is literal text, and passes", () => {
    const found = errors(
      fixture(
        rolePolicy([
          {
            Sid: "Own",
            Effect: "Allow",
            Action: "s3:GetObject",
            Resource: "arn:aws:s3:::shared-data/data/$${aws:username}/*",
          },
        ]),
      ),
    );
    expect(found).toEqual([]);
  });
});

describe("rules added to the App, as teams coming from AWS CDK add aspects, check every stack that holds a grant", () => {
  /** A grant whose key rotation an override turns off, in a stack of an App that carries the rules. */
  function appWithBrokenGrant() {
    const pair = twoAccountStack();
    const app = pair.stack.node.scope as import("cdktf").App;
    const access = new CrossAccountS3Access(pair.stack, "access", accessProps(pair, GRANT));
    (access.bucketAccount.key!.key as TerraformResource).addOverride("enable_key_rotation", false);
    Aspects.of(app).add(new SecurityRules());
    return { app, stack: pair.stack };
  }

  test("Testing.synth of the stack reports the violation", () => {
    expect(ids(errors(appWithBrokenGrant().stack))).toEqual(["CAS-KMS-1 test/access/key/key"]);
  });

  test("synth of the App fails on it", () => {
    const { app } = appWithBrokenGrant();
    expect(() => app.synth()).toThrow(/CAS-KMS-1/);
  });

  test("rules added both to the App and to the stack report once", () => {
    const { stack } = appWithBrokenGrant();
    const rules = Aspects.of(stack.node.scope!).all[0];
    Aspects.of(stack).add(rules);
    expect(errors(stack).filter((e) => e.startsWith("CAS-KMS-1"))).toHaveLength(1);
  });
});

describe("the rules judge a stack as the aspects leave it: after every aspect has visited every construct", () => {
  /** An aspect, as a team or a shared platform library would add one, that rewrites every bucket policy it visits. */
  class RewriteBucketPolicies implements IAspect {
    visit(node: IConstruct): void {
      if (node instanceof S3BucketPolicy) node.addOverride("policy", PUBLIC_READ);
    }
  }

  /** A clean grant, with the rules on `rulesOn` and the aspect added by `addAspect`, before or after the rules. */
  function grantWithAspect(rulesOn: "stack" | "app", order: "before" | "after", aspectOn: "stack" | "access") {
    const pair = twoAccountStack();
    const access = new CrossAccountS3Access(pair.stack, "access", accessProps(pair, GRANT));
    const addAspect = () => Aspects.of(aspectOn === "stack" ? pair.stack : access).add(new RewriteBucketPolicies());
    if (order === "before") addAspect();
    Aspects.of(rulesOn === "stack" ? pair.stack : pair.stack.node.scope!).add(new SecurityRules());
    if (order === "after") addAspect();
    return pair.stack;
  }

  /** What the rules report on the same rewrite made by an override in the app's own code. */
  function rewrittenDirectly(): string[] {
    return errors(
      fixture((access) =>
        access.node
          .findAll()
          .filter((c): c is S3BucketPolicy => c instanceof S3BucketPolicy)
          .forEach((policy) => policy.addOverride("policy", PUBLIC_READ)),
      ),
    );
  }

  test.each([
    ["added to the stack after the rules", "stack", "after", "stack"],
    ["added to the stack before the rules", "stack", "before", "stack"],
    ["added to a construct below the rules' scope", "stack", "after", "access"],
    ["of the stack, with the rules on the App", "app", "after", "stack"],
  ] as const)(
    "a policy rewritten by an aspect %s is judged as the same rewrite made directly",
    (_, rulesOn, order, on) => {
      const direct = rewrittenDirectly();
      expect(ids(direct)).toEqual(
        expect.arrayContaining(["CAS-S3-5 test/access/bucket/bucket", "CAS-S3-6 test/access/bucket/bucket"]),
      );
      expect(errors(grantWithAspect(rulesOn, order, on))).toEqual(direct);
    },
  );

  test("the construct that runs them holds no Terraform element, and stays one, last, over several synths", () => {
    const stack = fixture(() => undefined);
    const first = Testing.synth(stack);
    expect(Testing.synth(stack)).toBe(first);
    expect(stack.node.children.map((c) => c.node.id)).toEqual(["lambda", "bucket", "access", CHECKS_AFTER_ASPECTS]);
    const unchecked = twoAccountStack();
    new CrossAccountS3Access(unchecked.stack, "access", accessProps(unchecked, GRANT));
    expect(Testing.synth(unchecked.stack)).toBe(first);
  });
});

describe("what synth writes is the JSON the rules judged", () => {
  test("a change made after the checks (here by a validation) is neither judged nor written", () => {
    const pair = twoAccountStack();
    const access = new CrossAccountS3Access(pair.stack, "access", accessProps(pair, GRANT));
    Aspects.of(pair.stack).add(new SecurityRules());
    const policy = access.node.findAll().find((c): c is S3BucketPolicy => c instanceof S3BucketPolicy)!;
    policy.node.addValidation({
      validate: () => {
        policy.addOverride("policy", PUBLIC_READ);
        return [];
      },
    });
    const app = pair.stack.node.scope as import("cdktf").App;
    app.synth();
    const written = readFileSync(join(app.outdir, "stacks", "test", "cdk.tf.json"), "utf8");
    expect(written).toContain('"aws_s3_bucket_policy"');
    expect(written).not.toContain("333333333333");
    // Rendered anew afterwards, the stack shows the change: only the synthesis it was made in is held to the judged JSON.
    expect(JSON.stringify(pair.stack.toTerraform())).toContain("333333333333");
  });

  test("the stack is rendered once for every check of a synthesis, with rules on the stack and on the App", () => {
    const pair = twoAccountStack();
    new CrossAccountS3Access(pair.stack, "access", accessProps(pair, GRANT));
    Aspects.of(pair.stack).add(new SecurityRules());
    Aspects.of(pair.stack.node.scope!).add(new SecurityRules());
    const render = jest.spyOn(TerraformStack.prototype, "toTerraform");
    try {
      Testing.synth(pair.stack);
      expect(render.mock.contexts.filter((stack) => stack === pair.stack)).toHaveLength(1);
    } finally {
      render.mockRestore();
    }
  });
});
