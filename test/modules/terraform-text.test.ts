/**
 * Every user-given string reaches Terraform literally. Terraform evaluates `${...}` and `%{...}` in every string of a
 * .tf.json file; the library writes each string a team gives escaped (`$${`, `%%{`), keeps the references it makes on
 * purpose, and reads the JSON back the way Terraform does.
 */
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { Testing, TerraformStack } from "cdktf";
import {
  BucketKey,
  ConfigurationError,
  CrossAccountS3Access,
  LambdaGrantee,
  type PolicyStatement,
} from "../../modules/internal";
import { isLiteral, literal, readTemplate, referenceOf, templateParts } from "../../modules/core/terraform-text";
import { accessProps, allResources, twoAccountStack, type SynthJson } from "../support/synth";

describe("literal", () => {
  test.each([
    ["plain text", "plain text"],
    ["${3 * 111111111111}", "$${3 * 111111111111}"],
    ["%{ if true }x%{ endif }", "%%{ if true }x%%{ endif }"],
    ['${file("/etc/hostname")}', '$${file("/etc/hostname")}'],
    ["${aws:username}", "$${aws:username}"],
    ["already $${escaped}", "already $$${escaped}"],
    ["$ and { apart, $ {x}, % {y}", "$ and { apart, $ {x}, % {y}"],
  ])("%j is written %j, which Terraform reads back as the text given", (text, written) => {
    expect(literal(text)).toBe(written);
    expect(readTemplate(written, () => undefined)).toBe(text);
  });

  test("a cdktf token stays a reference; the text around it is escaped", () => {
    const pair = twoAccountStack();
    const role = new IamRole(pair.stack, "role", { provider: pair.lambdaProvider, name: "r", assumeRolePolicy: "{}" });
    const mixed = literal(`\${x} ${role.arn} %{y}`);
    new IamRole(pair.stack, "other", {
      provider: pair.lambdaProvider,
      name: "o",
      assumeRolePolicy: "{}",
      description: mixed,
    });
    const json = JSON.parse(Testing.synth(pair.stack)) as SynthJson;
    const description = Object.values(json.resource.aws_iam_role).find((r) => r.name === "o")!.description;
    expect(description).toBe("$${x} ${aws_iam_role.role.arn} %%{y}");
  });

  test("text that only looks like a cdktf token is refused, rather than swapped for whatever token has that number", () => {
    expect(() => literal("${TfToken[TOKEN.987654]}")).toThrow(ConfigurationError);
    expect(() => literal("${TfToken[TOKEN.987654]}")).toThrow(/looks like a cdktf token and is not one/);
  });
});

describe("reading a string as Terraform does", () => {
  test("escapes, interpolations and directives", () => {
    expect(templateParts("a $${b} ${c.d.e} %{ if x }y%{ endif } %%{z}")).toEqual([
      { kind: "text", text: "a ${b} " },
      { kind: "interpolation", expression: "c.d.e" },
      { kind: "text", text: " " },
      { kind: "directive", expression: "if x" },
      { kind: "text", text: "y" },
      { kind: "directive", expression: "endif" },
      { kind: "text", text: " %{z}" },
    ]);
    expect(templateParts('${lower("}")} tail')).toEqual([
      { kind: "interpolation", expression: 'lower("}")' },
      { kind: "text", text: " tail" },
    ]);
  });

  test("a reference is resolved; any other expression or a directive is refused", () => {
    expect(referenceOf("aws_s3_bucket.data.arn")).toEqual({ type: "aws_s3_bucket", id: "data", attribute: "arn" });
    expect(referenceOf("3 * 111111111111")).toBeUndefined();
    expect(readTemplate("arn ${aws_s3_bucket.data.arn}/*", () => "arn:aws:s3:::data")).toBe("arn arn:aws:s3:::data/*");
    expect(() => readTemplate("${3 * 111111111111}", () => "x")).toThrow(/is evaluated by Terraform/);
    expect(() => readTemplate("%{ if true }x%{ endif }", () => "x")).toThrow(/is evaluated by Terraform/);
    expect(isLiteral("$${aws:username}")).toBe(true);
    expect(isLiteral("${aws:username}")).toBe(false);
  });
});

/** Text with both of Terraform's template sequences, unique per field so each can be found. */
const hostile = (field: string) => `${field} \${3 * 111111111111} %{ if true }x%{ endif } \${aws:username}`;

/** Every string of the JSON, with where it is. */
function strings(value: unknown, path = ""): Array<{ path: string; text: string }> {
  if (typeof value === "string") return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`));
  if (value && typeof value === "object")
    return Object.entries(value).flatMap(([k, v]) => [
      { path: `${path}.${k} (key)`, text: k },
      ...strings(v, `${path}.${k}`),
    ]);
  return [];
}

test("no user text reaches Terraform unescaped: every interpolation left in the JSON is a reference the library makes", () => {
  const pair = twoAccountStack();
  const TEAM_READS: PolicyStatement = {
    Sid: "TeamReadsOwnFolder",
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::222222222222:root" },
    Action: "s3:GetObject",
    Resource: `arn:aws:s3:::shared-data/home/${hostile("bucket-statement")}/*`,
    Condition: { StringEquals: { "aws:PrincipalAccount": hostile("bucket-condition") } },
  };
  const KEY_ADMIN: PolicyStatement = {
    Sid: "Admin",
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::222222222222:root" },
    Action: "kms:*",
    Resource: "*",
  };
  const KEY_TEAM: PolicyStatement = {
    Sid: "Team",
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::222222222222:root" },
    Action: "kms:Decrypt",
    Resource: "*",
    Condition: { StringEquals: { "aws:PrincipalTag/team": hostile("key-condition") } },
  };
  const props = accessProps(pair, { mode: "bucket-policy", prefixes: [{ prefix: "data/", access: "read" }] });
  new CrossAccountS3Access(pair.stack, "access", {
    ...props,
    lambda: { ...props.lambda, environment: { GREETING: hostile("environment") }, description: hostile("description") },
    bucket: {
      ...props.bucket,
      existing: {
        keyArn: "arn:aws:kms:us-east-1:222222222222:key/11111111-2222-4333-8444-555555555555",
        bucketPolicyStatements: [TEAM_READS],
        keyPolicyStatements: [KEY_ADMIN, KEY_TEAM],
      },
    },
  });
  new BucketKey(pair.stack, "key", {
    provider: pair.bucketProvider,
    accountId: "222222222222",
    region: "us-east-1",
    alias: "alias/other",
    description: hostile("key-description"),
  });
  new LambdaGrantee(pair.stack, "grantee", {
    provider: pair.lambdaProvider,
    accountId: "111111111111",
    region: "us-east-1",
    roleName: "other-role",
    functionName: "other",
    environment: { NOTE: hostile("grantee-environment") },
  });
  const json = JSON.parse(Testing.synth(pair.stack)) as SynthJson;
  const addresses = new Set(allResources(json).map(([type, id]) => `${type}.${id}`));
  const found = strings(json.resource);
  const unexpected = found.flatMap(({ path, text }) =>
    templateParts(text).flatMap((part) => {
      if (part.kind === "text") return [];
      const ref = part.kind === "interpolation" ? referenceOf(part.expression) : undefined;
      if (ref && addresses.has(`${ref.type}.${ref.id}`)) return [];
      if (part.kind === "interpolation" && /^filebase64sha256\("assets\/[^"]+"\)$/.test(part.expression)) return [];
      return [`${path}: ${part.kind} ${part.expression}`];
    }),
  );
  expect(unexpected).toEqual([]);
  // Each field's text is there, literally, once Terraform has read it.
  const literalTexts = found.map(({ text }) =>
    templateParts(text)
      .map((p) => (p.kind === "text" ? p.text : ""))
      .join(""),
  );
  for (const field of [
    "bucket-statement",
    "bucket-condition",
    "key-condition",
    "environment",
    "description",
    "key-description",
    "grantee-environment",
  ]) {
    expect(literalTexts.some((t) => t.includes(hostile(field)))).toBe(true);
  }
});

test("an existing statement with an IAM policy variable keeps it, for IAM to evaluate", () => {
  const pair = twoAccountStack();
  const props = accessProps(pair, { mode: "bucket-policy", prefixes: [{ prefix: "data/", access: "read" }] });
  const OWN_FOLDER: PolicyStatement = {
    Sid: "OwnFolder",
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::222222222222:root" },
    Action: "s3:GetObject",
    Resource: "arn:aws:s3:::shared-data/home/${aws:username}/*",
  };
  const access = new CrossAccountS3Access(pair.stack, "access", {
    ...props,
    bucket: {
      ...props.bucket,
      existing: {
        keyArn: "arn:aws:kms:us-east-1:222222222222:key/11111111-2222-4333-8444-555555555555",
        bucketPolicyStatements: [OWN_FOLDER],
        keyPolicyStatements: [
          {
            Sid: "Admin",
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::222222222222:root" },
            Action: "kms:*",
            Resource: "*",
          },
        ],
      },
    },
  });
  expect(access).toBeDefined();
  const json = JSON.parse(Testing.synth(pair.stack)) as SynthJson;
  const policy = Object.values(json.resource.aws_s3_bucket_policy)[0].policy as string;
  expect(policy).toContain("home/$${aws:username}/*");
  expect(readTemplate(policy, () => undefined)).toContain('"arn:aws:s3:::shared-data/home/${aws:username}/*"');
});

test("a stack's own resources keep their references: the key ARN in the bucket policy is still a reference", () => {
  const pair = twoAccountStack();
  new CrossAccountS3Access(
    pair.stack,
    "access",
    accessProps(pair, { mode: "bucket-policy", prefixes: [{ prefix: "data/", access: "read" }] }),
  );
  const json = JSON.parse(Testing.synth(pair.stack)) as SynthJson;
  const policy = Object.values(json.resource.aws_s3_bucket_policy)
    .map((r) => r.policy as string)
    .find((p) => p.includes("DenyOtherKmsKeys"))!;
  expect(policy).toMatch(/\$\{aws_kms_key\.access_key_\w+\.arn\}/);
  expect(TerraformStack.of(pair.stack)).toBe(pair.stack);
});
