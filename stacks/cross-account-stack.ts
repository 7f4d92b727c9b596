import { AwsProvider, type AwsProviderConfig } from "@cdktf/provider-aws/lib/provider";
import { Aspects, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { CrossAccountS3Access, parseOrThrow, SecurityRules } from "../modules";
import { environmentSchema, type EnvironmentConfig } from "./config";

/** Provider aliases of every stack: the Lambda account (A) and the bucket account (B). */
export const LAMBDA_PROVIDER_ALIAS = "lambda_account";
export const BUCKET_PROVIDER_ALIAS = "bucket_account";

export interface CrossAccountStackOptions {
  /** Folder holding the bundled handler (`index.js`). */
  readonly bundleDir: string;
  /** The bundle's prebuilt deployment zip. @default the folder is zipped at synth */
  readonly codeArchive?: string;
}

/**
 * One environment: two aliased AWS providers, each reaching its account by assume_role into that account's deploy
 * role, and the cross-account grant between them.
 */
export class CrossAccountStack extends TerraformStack {
  public readonly access: CrossAccountS3Access;

  constructor(scope: Construct, name: string, config: EnvironmentConfig, options: CrossAccountStackOptions) {
    super(scope, name);
    const env = parseOrThrow(environmentSchema, config, `environments.${name}`);

    const providerFor = (alias: string, side: "lambda" | "bucket") =>
      new AwsProvider(this, alias, {
        alias,
        region: env[side].region,
        assumeRole: [{ roleArn: env[side].deployRoleArn, sessionName: `cdktf-${name}-${side}`.slice(0, 64) }],
        defaultTags: [{ tags: { "managed-by": "cdktf", environment: name } }],
        ...(env.target === "local-emulator" ? LOCAL_EMULATOR_SETTINGS : {}),
      });
    const lambdaProvider = providerFor(LAMBDA_PROVIDER_ALIAS, "lambda");
    const bucketProvider = providerFor(BUCKET_PROVIDER_ALIAS, "bucket");

    const { deployRoleArn: _lambdaDeployRole, ...lambda } = env.lambda;
    const { deployRoleArn: _bucketDeployRole, ...bucket } = env.bucket;
    this.access = new CrossAccountS3Access(this, "access", {
      lambda: {
        ...lambda,
        provider: lambdaProvider,
        bundleDir: options.bundleDir,
        codeArchive: options.codeArchive,
        extraEnvironment: env.target === "local-emulator" ? { S3_FORCE_PATH_STYLE: "true" } : {},
      },
      bucket: { ...bucket, provider: bucketProvider },
      grant: env.grant,
    });

    new TerraformOutput(this, "lambda_role_arn", { value: this.access.consumer.role.arn });
    new TerraformOutput(this, "lambda_function_name", { value: this.access.consumer.function.functionName });
    new TerraformOutput(this, "bucket_name", { value: this.access.bucket.bucket.bucket });
    new TerraformOutput(this, "kms_key_arn", { value: this.access.key.keyArn });
    if (this.access.accessRole) {
      new TerraformOutput(this, "s3_access_role_arn", { value: this.access.accessRole.role.arn });
    }

    // Every stack is checked against the project's security rules at synth; a violation fails synth.
    Aspects.of(this).add(new SecurityRules());
  }
}

/**
 * An AWS emulator: endpoints come from the standard AWS_ENDPOINT_URL variable (nothing is baked in), S3 is reached
 * path-style, and the emulator's credentials are not checked against real AWS.
 */
const LOCAL_EMULATOR_SETTINGS: Partial<AwsProviderConfig> = {
  s3UsePathStyle: true,
  skipCredentialsValidation: true,
  skipMetadataApiCheck: "true",
  skipRegionValidation: true,
};
