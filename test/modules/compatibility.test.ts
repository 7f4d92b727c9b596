/**
 * Inside someone else's app: a second copy of cdktf is refused loudly (with two copies, aspects added through one are
 * never run by the other, so the rules would check nothing), and so are providers that are not AWS providers of the
 * bindings the library is built with.
 */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { Aspects, Testing, TerraformStack } from "cdktf";
import { CrossAccountS3Access, SecureBucket, SecurityRules } from "../../modules/internal";
import { accessProps, twoAccountStack } from "../support/synth";

const GRANT = { mode: "bucket-policy", prefixes: [{ prefix: "data/", access: "readWrite" }] } as const;

/** cdktf loaded a second time, as a nested node_modules copy would be. */
function secondCdktf(): typeof import("cdktf") {
  let copy: typeof import("cdktf") | undefined;
  jest.isolateModules(() => {
    copy = require("cdktf") as typeof import("cdktf");
  });
  return copy!;
}

test("a construct tree of another copy of cdktf is refused, naming both copies", () => {
  const other = secondCdktf();
  expect(other.App).not.toBe((require("cdktf") as typeof import("cdktf")).App);
  const stack = new other.TerraformStack(other.Testing.app(), "app-stack");
  const provider = new AwsProvider(stack, "bucket", { alias: "bucket_account", region: "us-east-1" });
  expect(
    () =>
      new SecureBucket(stack as never, "store", {
        provider,
        bucketName: "shared-data",
        region: "us-east-1",
        kmsKeyArn: "arn:aws:kms:us-east-1:222222222222:key/k",
      }),
  ).toThrow(
    /store: the app's cdktf \(.*\) is not the copy cross-account-s3-lambda loads \(.*node_modules\/cdktf\)\. With two copies, aspects added through one are never run by the other/,
  );
});

test("the security rules refuse to run under another copy of cdktf instead of checking nothing", () => {
  const other = secondCdktf();
  const stack = new other.TerraformStack(other.Testing.app(), "app-stack");
  new other.TerraformOutput(stack, "x", { value: "y" });
  other.Aspects.of(stack).add(new SecurityRules());
  expect(() => other.Testing.synth(stack)).toThrow(
    /SecurityRules: the app's cdktf .* is not the copy cross-account-s3-lambda loads/,
  );
});

test("a provider that is not an AWS provider, or of other bindings, is refused naming the field", () => {
  const pair = twoAccountStack();
  const notAws = { terraformResourceType: "google" } as never;
  expect(
    () =>
      new CrossAccountS3Access(pair.stack, "a", {
        ...accessProps(pair, GRANT),
        bucket: { ...accessProps(pair, GRANT).bucket, provider: notAws },
      }),
  ).toThrow('a.bucket.provider "google" is not an AWS provider');
  const newer = new AwsProvider(pair.stack, "newer", { alias: "newer", region: "us-east-1" });
  (newer as { terraformGeneratorMetadata: unknown }).terraformGeneratorMetadata = {
    providerName: "aws",
    providerVersion: "6.0.0",
  };
  expect(
    () =>
      new CrossAccountS3Access(pair.stack, "b", {
        ...accessProps(pair, GRANT),
        lambda: { ...accessProps(pair, GRANT).lambda, provider: newer },
      }),
  ).toThrow(
    "b.lambda.provider comes from bindings for AWS provider 6.0.0, but cross-account-s3-lambda is built and validated with 5.100.0",
  );
});

describe("rules added to any scope check what is under it", () => {
  function stackWithUnrelatedBucket() {
    const pair = twoAccountStack();
    const access = new CrossAccountS3Access(pair.stack, "access", accessProps(pair, GRANT));
    // An app's own bucket that breaks several rules.
    new S3Bucket(pair.stack, "app-bucket", { provider: pair.bucketProvider, bucket: "app-logs" });
    return { ...pair, access };
  }
  const errorsOf = (stack: TerraformStack) => {
    Testing.synth(stack);
    return stack.node
      .findAll()
      .flatMap((c) =>
        c.node.metadata
          .filter((m) => m.type === "@cdktf/error")
          .map((m) => `${c.node.path} ${String(m.data).slice(1, String(m.data).indexOf("]"))}`),
      );
  };

  test("on the stack, every resource is checked: the app's bucket breaks eight rules", () => {
    const { stack } = stackWithUnrelatedBucket();
    Aspects.of(stack).add(new SecurityRules());
    expect(errorsOf(stack).sort()).toEqual(
      ["CAS-S3-1", "CAS-S3-2", "CAS-S3-3", "CAS-S3-4", "CAS-S3-5", "CAS-S3-6", "CAS-S3-8", "CAS-S3-9"].map(
        (id) => `test/app-bucket ${id}`,
      ),
    );
  });

  test("on the stack with resources: library, only what the library creates", () => {
    const { stack } = stackWithUnrelatedBucket();
    Aspects.of(stack).add(new SecurityRules({ resources: "library" }));
    expect(errorsOf(stack)).toEqual([]);
  });

  test("on the library's construct, only what is under it; a violation there is still caught", () => {
    const { stack, access } = stackWithUnrelatedBucket();
    access.bucketAccount.key!.key.addOverride("enable_key_rotation", false);
    Aspects.of(access).add(new SecurityRules());
    expect(errorsOf(stack)).toEqual(["test/access/key/key CAS-KMS-1"]);
  });
});
