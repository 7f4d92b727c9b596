/** One stack per account, each with its own aliased AWS provider, both built from the one ingest declaration. */
import { join } from "node:path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Aspects, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { BucketAccountGrant, LambdaAccountGrant, SecurityRules, type LambdaCode } from "cross-account-s3-lambda";
import { DATALAKE, EXPORTS, INGEST, WORKLOADS, type DeployTarget } from "./ingest-grant";

/** The team's function: functions/ingest, zipped by `npm run build`. */
export const INGEST_CODE: LambdaCode = {
  archive: join(__dirname, "build", "ingest.zip"),
  runtime: "python3.12",
  handler: "app.handler",
  architectures: ["arm64"],
};

/** An AWS provider for one account, under the team's alias, assuming the account's deploy role. */
function accountProvider(scope: Construct, alias: string, target: DeployTarget): AwsProvider {
  return new AwsProvider(scope, alias, {
    alias,
    region: target.region,
    allowedAccountIds: [target.accountId],
    assumeRole: [{ roleArn: target.deployRoleArn, sessionName: `platform-${alias}` }],
  });
}

/**
 * The workloads account's halves: the ingest function on its existing role with the grant's policy on that role, and
 * the exporter's policy (to assume the S3 access role) on its existing role.
 */
export class WorkloadsStack extends TerraformStack {
  public readonly provider: AwsProvider;
  public readonly ingest: LambdaAccountGrant;
  public readonly exports: LambdaAccountGrant;

  constructor(scope: Construct, id: string, code: LambdaCode = INGEST_CODE) {
    super(scope, id);
    this.provider = accountProvider(this, "workloads", WORKLOADS);
    this.ingest = new LambdaAccountGrant(this, "ingest", {
      lambda: { ...INGEST.lambda, provider: this.provider, code },
      bucket: INGEST.bucket,
      grant: INGEST.grant,
      configPath: "INGEST",
    });
    this.exports = new LambdaAccountGrant(this, "exports", {
      lambda: { ...EXPORTS.lambda, provider: this.provider },
      bucket: EXPORTS.bucket,
      grant: EXPORTS.grant,
      configPath: "EXPORTS",
    });
    const fn = this.ingest.grantee.function;
    if (fn) new TerraformOutput(this, "ingest_function_arn", { value: fn.arn });
    Aspects.of(this).add(new SecurityRules());
  }
}

/**
 * The data lake account's halves: for ingest, the bucket, its key, and their policies naming the ingest role; for
 * exports, another bucket and key, and the S3 access role the exporter assumes with the ExternalId.
 */
export class DatalakeStack extends TerraformStack {
  public readonly provider: AwsProvider;
  public readonly ingest: BucketAccountGrant;
  public readonly exports: BucketAccountGrant;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.provider = accountProvider(this, "datalake", DATALAKE);
    this.ingest = new BucketAccountGrant(this, "ingest", {
      lambda: INGEST.lambda,
      bucket: { ...INGEST.bucket, provider: this.provider },
      grant: INGEST.grant,
      configPath: "INGEST",
    });
    this.exports = new BucketAccountGrant(this, "exports", {
      lambda: EXPORTS.lambda,
      bucket: { ...EXPORTS.bucket, provider: this.provider },
      grant: EXPORTS.grant,
      configPath: "EXPORTS",
    });
    new TerraformOutput(this, "bucket_name", { value: this.ingest.bucketName });
    new TerraformOutput(this, "kms_key_arn", { value: this.ingest.kmsKeyArn });
    Aspects.of(this).add(new SecurityRules());
  }
}
