/**
 * Where each half deploys is held to its declaration at synth: a provider that reaches another account or region is
 * refused, naming both values, before anything is created; one that does not say is pinned to the declaration.
 */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Testing, TerraformStack } from "cdktf";
import { CrossAccountS3Access, SharedBucketAccess, type GrantDeclaration } from "../../modules/internal";
import { accessProps, configurationError, synthJson, twoAccountStack } from "../support/synth";

const GRANT: GrantDeclaration = { mode: "bucket-policy", prefixes: [{ prefix: "data/", access: "read" }] };

/** A stack whose two providers are configured by `lambda` and `bucket`. */
function stackWith(lambda: Record<string, unknown>, bucket: Record<string, unknown>) {
  const stack = new TerraformStack(Testing.app(), "test");
  const lambdaProvider = new AwsProvider(stack, "lambda", { alias: "lambda_account", region: "us-east-1", ...lambda });
  const bucketProvider = new AwsProvider(stack, "bucket", { alias: "bucket_account", region: "us-east-1", ...bucket });
  return { stack, lambdaProvider, bucketProvider };
}

const resourcesIn = (stack: TerraformStack) =>
  Object.keys((JSON.parse(Testing.synth(stack)) as { resource?: object }).resource ?? {});

test.each([
  [
    "a 12-digit typo in lambda.accountId, while the provider assumes a role in the real account",
    { assumeRole: [{ roleArn: "arn:aws:iam::111111111112:role/deploy" }] },
    {},
    'access.lambda.provider (aws.lambda_account) assumes arn:aws:iam::111111111112:role/deploy in account 111111111112, but access.lambda.accountId is "111111111111"',
  ],
  [
    "a bucket provider whose assume_role reaches another account",
    {},
    { assumeRole: [{ roleArn: "arn:aws:iam::999999999999:role/deploy" }] },
    'access.bucket.provider (aws.bucket_account) assumes arn:aws:iam::999999999999:role/deploy in account 999999999999, but access.bucket.accountId is "222222222222"',
  ],
  [
    "a bucket provider in eu-west-1 while bucket.region says us-east-1",
    {},
    { region: "eu-west-1" },
    'access.bucket.provider (aws.bucket_account) deploys into region "eu-west-1", but access.bucket.region is "us-east-1": give the half a provider of that region, or declare the region it deploys into',
  ],
  [
    "allowed_account_ids without the declared account",
    { allowedAccountIds: ["333333333333"] },
    {},
    'access.lambda.provider (aws.lambda_account) allows only account(s) 333333333333 (allowed_account_ids), but access.lambda.accountId is "111111111111"',
  ],
  [
    "forbidden_account_ids naming the declared account",
    {},
    { forbiddenAccountIds: ["222222222222"] },
    "access.bucket.provider (aws.bucket_account) forbids account 222222222222 (forbidden_account_ids), which access.bucket.accountId declares",
  ],
])("%s is refused at synth, naming both values, and nothing is created", (_name, lambda, bucket, message) => {
  const pair = stackWith(lambda, bucket);
  expect(
    configurationError(() => new CrossAccountS3Access(pair.stack, "access", accessProps(pair, GRANT))).problems,
  ).toContain(message);
  expect(resourcesIn(pair.stack)).toEqual([]);
});

test("one provider for both halves of two accounts is refused", () => {
  const pair = twoAccountStack();
  const props = accessProps(pair, GRANT);
  const error = configurationError(
    () =>
      new CrossAccountS3Access(pair.stack, "access", {
        ...props,
        bucket: { ...props.bucket, provider: pair.lambdaProvider },
      }),
  );
  expect(error.problems).toContainEqual(expect.stringContaining("one provider reaches one account and region"));
});

test("a provider that does not say its account is pinned to the declared one (Terraform then refuses other credentials)", () => {
  const pair = twoAccountStack();
  new CrossAccountS3Access(pair.stack, "access", accessProps(pair, GRANT));
  const providers = synthJson(pair.stack).provider!.aws!;
  expect(providers.find((p) => p.alias === "lambda_account")).toMatchObject({
    allowed_account_ids: ["111111111111"],
    region: "us-east-1",
  });
  expect(providers.find((p) => p.alias === "bucket_account")).toMatchObject({
    allowed_account_ids: ["222222222222"],
    region: "us-east-1",
  });
});

test("a provider without a region gets the declared one", () => {
  const stack = new TerraformStack(Testing.app(), "test");
  const lambdaProvider = new AwsProvider(stack, "lambda", { alias: "lambda_account" });
  const bucketProvider = new AwsProvider(stack, "bucket", { alias: "bucket_account" });
  new CrossAccountS3Access(
    stack,
    "access",
    accessProps({ stack, lambdaProvider, bucketProvider }, GRANT, { bucket: { region: "eu-central-1" } }),
  );
  const providers = synthJson(stack).provider!.aws!;
  expect(providers.find((p) => p.alias === "bucket_account")!.region).toBe("eu-central-1");
});

test("a second grant declaring another account on an already pinned provider is refused, naming the first", () => {
  const pair = twoAccountStack();
  new CrossAccountS3Access(pair.stack, "first", accessProps(pair, GRANT));
  const second = accessProps(pair, GRANT, {
    lambda: { accountId: "444444444444", roleName: "other-role", functionName: "other" },
    bucket: { bucketName: "other-bucket", keyAlias: "alias/other" },
  });
  const error = configurationError(() => new CrossAccountS3Access(pair.stack, "second", second));
  expect(error.problems).toEqual([
    "second.lambda.provider (aws.lambda_account) also builds first.lambda, declared in account 111111111111 and region us-east-1, while second.lambda declares 444444444444 and us-east-1: one provider reaches one account and region",
  ]);
});

test("a shared bucket's grantee whose provider reaches another account is refused before any grantee is built", () => {
  const { stack, lambdaProvider, bucketProvider } = stackWith({}, {});
  const wrong = new AwsProvider(stack, "wrong", {
    alias: "wrong",
    region: "us-east-1",
    assumeRole: [{ roleArn: "arn:aws:iam::555555555555:role/deploy" }],
  });
  const grantee = (name: string, accountId: string, provider: AwsProvider) => ({
    name,
    lambda: { provider, accountId, region: "us-east-1", roleName: name, functionName: name },
    grant: GRANT,
  });
  const error = configurationError(
    () =>
      new SharedBucketAccess(stack, "shared", {
        bucket: {
          provider: bucketProvider,
          accountId: "222222222222",
          region: "us-east-1",
          bucketName: "shared-lake",
          keyAlias: "alias/shared-lake",
        },
        grantees: [grantee("first", "111111111111", lambdaProvider), grantee("second", "444444444444", wrong)],
      }),
  );
  expect(error.problems).toEqual([
    'shared.grantees[1].lambda.provider (aws.wrong) assumes arn:aws:iam::555555555555:role/deploy in account 555555555555, but shared.grantees[1].lambda.accountId is "444444444444"',
  ]);
  expect(resourcesIn(stack)).toEqual([]);
});
