/**
 * Attaching a grant to a bucket and a key that exist and are managed elsewhere. A bucket has exactly one policy and a
 * key exactly one key policy, and writing either replaces it whole: so the statements they hold today are input, and
 * the policies written are those statements plus the grant's — nothing is silently dropped.
 */
import { KmsKeyPolicy } from "@cdktf/provider-aws/lib/kms-key-policy";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import type { Construct, TerraformProvider } from "../../core/cdktf";

export type { ExistingResources } from "../../declaration/bucket-settings";
import { renderPolicy } from "../../core/policy-document";
import { existingPolicies } from "../../policy/existing";
import { literalConfig } from "../../core/terraform-text";

/** The bucket account's policies for an existing bucket and key: both written whole, existing statements kept. */
export function addExistingPolicies(
  scope: Construct,
  provider: TerraformProvider,
  args: Parameters<typeof existingPolicies>[0],
): { bucketPolicy: S3BucketPolicy; keyPolicy: KmsKeyPolicy } {
  const docs = existingPolicies(args);
  const bucketPolicy = new S3BucketPolicy(
    scope,
    "bucket-policy",
    literalConfig({
      provider,
      bucket: args.bucketName,
      policy: renderPolicy(docs.bucketPolicy),
    }),
  );
  const keyPolicy = new KmsKeyPolicy(
    scope,
    "key-policy",
    literalConfig({
      provider,
      keyId: args.existing.keyArn,
      policy: renderPolicy(docs.keyPolicy),
    }),
  );
  return { bucketPolicy, keyPolicy };
}
