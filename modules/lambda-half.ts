/** Account A's side of a grant: the function, its role and logging, and the grant's identity policy. */
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { Construct, TerraformProvider } from "./cdktf";
import type { z } from "zod";
import type { GrantPlan, grantSchema } from "./grant";
import { checkBundleDir, checkCodeArchive, LambdaConsumer, type lambdaSettingsSchema } from "./lambda-consumer";
import { renderPolicy } from "./policy-document";

export type LambdaSettings = z.input<typeof lambdaSettingsSchema>;

/** The Lambda side of a grant as its half needs it: its settings plus what builds the function. */
export type LambdaSide = LambdaSettings & {
  /** The aliased provider of account A. */
  readonly provider: TerraformProvider;
  /** Folder holding the bundled handler (`index.js`). */
  readonly bundleDir: string;
  /** Prebuilt zip of the bundle (see LambdaConsumerProps.codeArchive). @default zipped at synth */
  readonly codeArchive?: string;
  /** Extra environment variables for the function (e.g. S3_FORCE_PATH_STYLE for an emulator). @default {} */
  readonly extraEnvironment?: Readonly<Record<string, string>>;
};

/** The validated settings one consumer's half is built from. */
export interface ConsumerSettings {
  readonly lambda: z.output<typeof lambdaSettingsSchema>;
  readonly bucket: { readonly bucketName: string; readonly region: string };
  readonly grant: z.output<typeof grantSchema>;
}

/** Refuses, naming the field, a Lambda side whose bundle or archive is missing. */
export function checkCode(id: string, lambda: LambdaSide): void {
  checkBundleDir(lambda.bundleDir, `${id}.lambda.bundleDir`);
  if (lambda.codeArchive !== undefined) checkCodeArchive(lambda.codeArchive, `${id}.lambda.codeArchive`);
}

/** Account A's half, built into `scope`: the function, its role and logging, and the grant's identity policy. */
export function addLambdaHalf(scope: Construct, lambda: LambdaSide, settings: ConsumerSettings, plan: GrantPlan): LambdaConsumer {
  const environment: Record<string, string> = {
    ...(lambda.extraEnvironment ?? {}),
    BUCKET_NAME: settings.bucket.bucketName,
    BUCKET_REGION: settings.bucket.region,
    ACCESS_MODE: settings.grant.mode,
    // The handler refuses requests outside the grant before calling AWS.
    GRANTED_PREFIXES: JSON.stringify(
      settings.grant.prefixes.map((p) => ({ prefix: p.prefix, access: p.access, delete: p.delete ?? false })),
    ),
    ...(plan.accessRoleArn ? { S3_ACCESS_ROLE_ARN: plan.accessRoleArn } : {}),
    ...(settings.grant.externalId ? { EXTERNAL_ID: settings.grant.externalId } : {}),
    // The grant goes through the consumer's access point: every request names it instead of the bucket.
    ...(plan.accessPoint ? { ACCESS_POINT_ARN: plan.accessPoint.arn } : {}),
  };
  const consumer = new LambdaConsumer(scope, "lambda", {
    provider: lambda.provider,
    ...settings.lambda,
    bundleDir: lambda.bundleDir,
    codeArchive: lambda.codeArchive,
    environment,
  });
  new IamRolePolicy(scope, "lambda-grant-policy", {
    provider: lambda.provider,
    name: plan.accessRoleArn ? "assume-s3-access-role" : "cross-account-s3-access",
    role: consumer.role.name,
    policy: renderPolicy(plan.consumerPolicy),
  });
  return consumer;
}
