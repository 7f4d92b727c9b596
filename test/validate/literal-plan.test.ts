/**
 * What Terraform plans is the text a team gave: a stack whose every kind of free text holds Terraform's template
 * sequences (`${...}`, `%{...}`) is planned with the real AWS provider, and the plan shows each value literally —
 * the existing bucket's and key's statements (an expression, a directive, an IAM policy variable), the function's
 * environment values and description, and the key's description. No AWS account is reached: the providers plan with
 * stand-in credentials and ask no account.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, LocalBackend, TerraformStack } from "cdktf";
import { BucketKey, CrossAccountS3Access, type PolicyStatement } from "../../modules/internal";
import { terraform, terraformEnv } from "../../scripts/lib/toolchain";
import { requireTool } from "../support/tools";

const terraformBin = requireTool(
  "terraform",
  "install Terraform >= 1.5 (https://developer.hashicorp.com/terraform/install)",
);
const describeWithTerraform = terraformBin ? describe : describe.skip;

const KEY_ARN = "arn:aws:kms:us-east-1:222222222222:key/11111111-2222-4333-8444-555555555555";
const TEXT = {
  condition: "${3 * 111111111111}",
  directive: "%{ if true }333333333333%{ endif }",
  policyVariable: "arn:aws:s3:::shared-data/home/${aws:username}/*",
  greeting: "Hello ${name}",
  hostname: '${file("/etc/hostname")}',
  description: "%{ for x in [1] }${x}%{ endfor } described",
  keyDescription: "Key of ${var.team} %{ if true }x%{ endif }",
};

const offline = {
  region: "us-east-1",
  accessKey: "test",
  secretKey: "test",
  skipCredentialsValidation: true,
  skipRequestingAccountId: true,
  skipMetadataApiCheck: "true",
};

/** A stack with every kind of free text a team gives, synthesized into `outdir`; its folder. */
function synthesizeHostileStack(outdir: string): string {
  const app = new App({ outdir });
  const stack = new TerraformStack(app, "literal");
  // Its state beside its output: cdktf's default local backend would put it in the working directory of the run (the
  // repository), where the end-to-end suites check that no state is kept.
  new LocalBackend(stack, { path: join(outdir, "terraform.literal.tfstate") });
  const lambdaProvider = new AwsProvider(stack, "lambda", { alias: "lambda_account", ...offline });
  const bucketProvider = new AwsProvider(stack, "bucket", { alias: "bucket_account", ...offline });
  const partnerReads: PolicyStatement = {
    Sid: "PartnerReads",
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::222222222222:root" },
    Action: "s3:GetObject",
    Resource: TEXT.policyVariable,
    Condition: { StringEquals: { "aws:PrincipalAccount": TEXT.condition, "aws:PrincipalTag/team": TEXT.directive } },
  };
  const admin: PolicyStatement = {
    Sid: "Admin",
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::222222222222:root" },
    Action: "kms:*",
    Resource: "*",
  };
  new CrossAccountS3Access(stack, "access", {
    lambda: {
      provider: lambdaProvider,
      accountId: "111111111111",
      region: "us-east-1",
      roleName: "consumer",
      functionName: "consumer",
      description: TEXT.description,
      environment: { GREETING: TEXT.greeting, HOST: TEXT.hostname },
    },
    bucket: {
      provider: bucketProvider,
      accountId: "222222222222",
      region: "us-east-1",
      bucketName: "shared-data",
      keyAlias: "alias/shared-data",
      existing: {
        keyArn: KEY_ARN,
        bucketPolicyStatements: [partnerReads],
        keyPolicyStatements: [admin, { ...partnerReads, Sid: "PartnerDecrypts", Action: "kms:Decrypt", Resource: "*" }],
      },
    },
    grant: { mode: "bucket-policy", prefixes: [{ prefix: "data/", access: "read" }] },
  });
  new BucketKey(stack, "key", {
    provider: bucketProvider,
    accountId: "222222222222",
    region: "us-east-1",
    alias: "alias/other",
    description: TEXT.keyDescription,
  });
  app.synth();
  return join(outdir, "stacks", "literal");
}

interface PlannedResource {
  readonly type: string;
  readonly values: Record<string, unknown>;
}

describeWithTerraform("terraform plan shows every user-given string literally", () => {
  const workDir = mkdtempSync(join(tmpdir(), "cas-literal-"));
  let planned: PlannedResource[] = [];

  beforeAll(async () => {
    const env = terraformEnv(join(workDir, "terraform"));
    const dir = synthesizeHostileStack(join(workDir, "cdktf.out"));
    for (const args of [
      ["init", "-input=false", "-no-color"],
      ["plan", "-input=false", "-no-color", "-out=plan"],
    ]) {
      const run = await terraform(args, dir, env);
      if (run.code !== 0) throw new Error(`terraform ${args[0]} failed in ${dir}:\n${run.stderr}\n${run.stdout}`);
    }
    const show = await terraform(["show", "-json", "plan"], dir, env);
    planned = (JSON.parse(show.stdout) as { planned_values: { root_module: { resources: PlannedResource[] } } })
      .planned_values.root_module.resources;
  });
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  const only = (type: string) => {
    const found = planned.filter((r) => r.type === type);
    expect(found).toHaveLength(1);
    return found[0].values;
  };
  const statement = (policy: unknown, sid: string) =>
    (JSON.parse(String(policy)) as { Statement: Array<Record<string, unknown>> }).Statement.find((s) => s.Sid === sid);

  test("the function's environment values and description", () => {
    const fn = only("aws_lambda_function");
    expect((fn.environment as Array<{ variables: Record<string, string> }>)[0].variables).toMatchObject({
      GREETING: TEXT.greeting,
      HOST: TEXT.hostname,
    });
    expect(fn.description).toBe(TEXT.description);
  });

  test("the existing bucket's statements: an expression, a directive and an IAM policy variable", () => {
    expect(statement(only("aws_s3_bucket_policy").policy, "PartnerReads")).toEqual({
      Sid: "PartnerReads",
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::222222222222:root" },
      Action: "s3:GetObject",
      Resource: TEXT.policyVariable,
      Condition: { StringEquals: { "aws:PrincipalAccount": TEXT.condition, "aws:PrincipalTag/team": TEXT.directive } },
    });
  });

  test("the existing key's statements", () => {
    const decrypts = statement(only("aws_kms_key_policy").policy, "PartnerDecrypts");
    expect(decrypts?.Condition).toEqual({
      StringEquals: { "aws:PrincipalAccount": TEXT.condition, "aws:PrincipalTag/team": TEXT.directive },
    });
  });

  test("a building block's description", () => {
    expect(only("aws_kms_key").description).toBe(TEXT.keyDescription);
  });
});
