/**
 * Attaching a grant to a bucket and a key that exist and are managed elsewhere. A bucket has exactly one policy and a
 * key exactly one key policy, and writing either replaces it whole: so the statements they hold today are input, and
 * the policies written are those statements plus the grant's — nothing is silently dropped.
 */
import { KmsKeyPolicy } from "@cdktf/provider-aws/lib/kms-key-policy";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import type { Construct, TerraformProvider } from "../../core/cdktf";
import type { ExistingResources } from "../../declaration/bucket-settings";
import { denyInsecureTransport, denyOtherEncryption } from "../../policy/baseline";

export type { ExistingResources } from "../../declaration/bucket-settings";
import { policyDocument, renderPolicy, type PolicyDocument, type PolicyStatement } from "../../core/policy-document";
import { ConfigurationError, showValue } from "../../core/errors";
import { literalConfig } from "../../core/terraform-text";

/**
 * The existing statements followed by the ones the grant writes. A statement the grant writes whose Sid an existing
 * statement already uses is taken as already there when identical (so copying today's policy back in is harmless);
 * a different statement under that Sid is an error naming it.
 */
export function mergeStatements(
  field: string,
  existing: readonly PolicyStatement[],
  written: readonly PolicyStatement[],
): PolicyStatement[] {
  const bySid = new Map(existing.filter((s) => s.Sid).map((s, i) => [s.Sid!, { s, i }]));
  const problems: string[] = [];
  const added = written.filter((w) => {
    const same = w.Sid ? bySid.get(w.Sid) : undefined;
    if (!same) return true;
    if (JSON.stringify(same.s) !== JSON.stringify(w)) {
      problems.push(
        `${field}[${same.i}].Sid ${showValue(w.Sid)} is also a statement this grant writes, with other content: rename the existing one`,
      );
    }
    return false;
  });
  if (problems.length > 0) throw new ConfigurationError(problems);
  return [...existing, ...added];
}

/** The whole bucket policy and key policy written for an existing bucket and key: existing statements kept. */
export function existingPolicies(args: {
  readonly id: string;
  readonly partition: string;
  readonly bucketName: string;
  readonly existing: ExistingResources;
  readonly bucketPolicyStatements: readonly PolicyStatement[];
  readonly keyPolicyStatements: readonly PolicyStatement[];
}): { bucketPolicy: PolicyDocument; keyPolicy: PolicyDocument } {
  const { id, partition, bucketName, existing } = args;
  const bucketStatements = mergeStatements(`${id}.bucket.existing.bucketPolicyStatements`, existing.bucketPolicyStatements, [
    denyInsecureTransport(partition, bucketName),
    ...denyOtherEncryption(partition, bucketName, existing.keyArn),
    ...args.bucketPolicyStatements,
  ]);
  const keyStatements = mergeStatements(
    `${id}.bucket.existing.keyPolicyStatements`,
    existing.keyPolicyStatements,
    args.keyPolicyStatements,
  );
  return { bucketPolicy: policyDocument(bucketStatements), keyPolicy: policyDocument(keyStatements) };
}

/** The bucket account's policies for an existing bucket and key: both written whole, existing statements kept. */
export function addExistingPolicies(
  scope: Construct,
  provider: TerraformProvider,
  args: Parameters<typeof existingPolicies>[0],
): { bucketPolicy: S3BucketPolicy; keyPolicy: KmsKeyPolicy } {
  const docs = existingPolicies(args);
  const bucketPolicy = new S3BucketPolicy(scope, "bucket-policy", literalConfig({
    provider,
    bucket: args.bucketName,
    policy: renderPolicy(docs.bucketPolicy),
  }));
  const keyPolicy = new KmsKeyPolicy(scope, "key-policy", literalConfig({
    provider,
    keyId: args.existing.keyArn,
    policy: renderPolicy(docs.keyPolicy),
  }));
  return { bucketPolicy, keyPolicy };
}
