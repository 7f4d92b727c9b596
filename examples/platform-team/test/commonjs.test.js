/**
 * The package from plain CommonJS, as a JavaScript app (or a tool) loads it: no TypeScript, no transform.
 */
const { dirname } = require("node:path");
const { App, Testing, TerraformStack } = require("cdktf");
const { AwsProvider } = require("@cdktf/provider-aws/lib/provider");
const lib = require("cross-account-s3-lambda");

test("the public surface loads, with its classes and constants", () => {
  for (const name of [
    "CrossAccountS3Access",
    "LambdaAccountGrant",
    "BucketAccountGrant",
    "SecurityRules",
    "planGrant",
    "suppressRules",
    "defaultHandlerCode",
  ]) {
    expect(typeof lib[name]).toBe("function");
  }
  expect(lib.HANDLER_ENVIRONMENT.bucketName).toBe("BUCKET_NAME");
  expect(lib.HANDLER_ENVIRONMENT.grantedPrefixes).toBe("GRANTED_PREFIXES");
  expect(lib.AWS_PROVIDER_VERSION).toBe("5.100.0");
});

test("it resolves to the installed package's compiled code, with the same cdktf and constructs as the app", () => {
  const entry = require.resolve("cross-account-s3-lambda");
  expect(entry).toMatch(/node_modules\/cross-account-s3-lambda\/dist\/index\.js$/);
  const from = { paths: [dirname(entry)] };
  expect(require.resolve("cdktf", from)).toBe(require.resolve("cdktf"));
  expect(require.resolve("constructs", from)).toBe(require.resolve("constructs"));
  expect(require.resolve("@cdktf/provider-aws/lib/provider", from)).toBe(
    require.resolve("@cdktf/provider-aws/lib/provider"),
  );
});

test("only the package root (and its package.json) is importable: internals are not", () => {
  expect(require("cross-account-s3-lambda/package.json").name).toBe("cross-account-s3-lambda");
  expect(() => require("cross-account-s3-lambda/dist/grant")).toThrow();
  expect(() => require("cross-account-s3-lambda/dist/internal")).toThrow();
});

test("the prebuilt handler ships in the package", () => {
  const code = lib.defaultHandlerCode();
  expect(code).toMatchObject({ runtime: "nodejs22.x", handler: "index.handler" });
  expect(code.archive).toMatch(/node_modules\/cross-account-s3-lambda\/lambda\/function\.zip$/);
  expect(require("node:fs").statSync(code.archive).size).toBeGreaterThan(1024);
});

test("a bucket account's half builds from JavaScript and keeps to the rules", () => {
  const app = Testing.app();
  expect(app).toBeInstanceOf(App);
  const stack = new TerraformStack(app, "lake");
  const provider = new AwsProvider(stack, "lake", { alias: "lake", region: "eu-west-1" });
  new lib.BucketAccountGrant(stack, "reports", {
    lambda: {
      accountId: "111122223333",
      region: "eu-west-1",
      existingRoleArn: "arn:aws:iam::111122223333:role/reports",
      createFunction: false,
    },
    bucket: {
      provider,
      accountId: "444455556666",
      region: "eu-west-1",
      bucketName: "reports-444455556666",
      keyAlias: "alias/reports",
    },
    grant: { mode: "bucket-policy", prefixes: [{ prefix: "reports/", access: "read" }] },
  });
  require("cdktf").Aspects.of(stack).add(new lib.SecurityRules());
  const json = JSON.parse(Testing.synth(stack));
  // The data bucket, and the log bucket of its server access logs.
  expect(
    Object.values(json.resource.aws_s3_bucket)
      .map((b) => b.bucket)
      .sort(),
  ).toEqual(["reports-444455556666", "reports-444455556666-access-logs"]);
  const errors = stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === "@cdktf/error"));
  expect(errors).toEqual([]);
});

test("a declaration error is the package's ConfigurationError, naming the field and the value", () => {
  const stack = new TerraformStack(Testing.app(), "bad");
  const provider = new AwsProvider(stack, "lake", { alias: "lake", region: "eu-west-1" });
  let error;
  try {
    new lib.BucketAccountGrant(stack, "reports", {
      lambda: {
        accountId: "111122223333",
        region: "eu-west-1",
        existingRoleArn: "arn:aws:iam::111122223333:role/reports",
        createFunction: false,
      },
      bucket: {
        provider,
        accountId: "444455556666",
        region: "eu-west-1",
        bucketName: "Reports_Bucket",
        keyAlias: "alias/reports",
      },
      grant: { mode: "bucket-policy", prefixes: [{ prefix: "reports/", access: "read" }] },
    });
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(lib.ConfigurationError);
  expect(error.message).toMatch(/bucketName "Reports_Bucket"/);
});
