/**
 * The package's Jest matchers type-check and run when a test takes `expect` from `@jest/globals` rather than from the
 * global namespace (a team's lint rule often asks for it).
 */
import { describe, expect, test } from "@jest/globals";
import { Testing, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { CrossAccountS3Access } from "../../modules/internal";
import { matchers } from "../../modules/testing";
import { accessProps } from "../support/synth";

expect.extend(matchers);

describe("the matchers on @jest/globals' expect", () => {
  test("toPassSecurityRules and toProveGrants", async () => {
    const stack = new TerraformStack(Testing.app(), "globals");
    const lambdaProvider = new AwsProvider(stack, "lambda", { alias: "lambda_account", region: "us-east-1" });
    const bucketProvider = new AwsProvider(stack, "bucket", { alias: "bucket_account", region: "us-east-1" });
    new CrossAccountS3Access(
      stack,
      "access",
      accessProps(
        { stack, lambdaProvider, bucketProvider },
        { mode: "bucket-policy", prefixes: [{ prefix: "data/", access: "read" }] },
      ),
    );
    expect(stack).toPassSecurityRules();
    await expect([stack]).toProveGrants();
  });
});
