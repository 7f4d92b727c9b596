/**
 * Attaching a grant to a bucket and a key that exist and are managed elsewhere. A bucket has exactly one policy and a
 * key exactly one key policy, and writing either replaces it whole: so the statements they hold today are input, and
 * the policies written are those statements plus the grant's — nothing is silently dropped.
 */
import { KmsKeyPolicy } from "@cdktf/provider-aws/lib/kms-key-policy";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import type { Construct, TerraformProvider } from "./cdktf";
import { z } from "zod";
import { denyInsecureTransport, denyOtherEncryption } from "./grant";
import { policyDocument, renderPolicy, type PolicyDocument, type PolicyStatement } from "./policy-document";
import { ConfigurationError, policyCharacterProblem, POLICY_CHARACTERS, showValue } from "./schema";

/** Every string in a JSON-like value (keys included), with where it is. */
function stringsOf(value: unknown, path: Array<string | number> = []): Array<{ path: Array<string | number>; text: string }> {
  if (typeof value === "string") return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringsOf(v, [...path, i]));
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => [{ path: [...path, k], text: k }, ...stringsOf(v, [...path, k])]);
  }
  return [];
}

/**
 * A statement of an existing policy: its Sid and Effect are checked here, and that it holds only characters a policy
 * document may hold; the rest is kept as given.
 */
const statementSchema = z
  .looseObject({
    Sid: z.string({ error: "must be a string" }).regex(/^[A-Za-z0-9]*$/, { message: "is not a valid Sid (letters and digits)" }).optional(),
    Effect: z.enum(["Allow", "Deny"], { error: "is not Allow or Deny" }),
  })
  .superRefine((statement, ctx) => {
    for (const { path, text } of stringsOf(statement)) {
      const problem = policyCharacterProblem(text);
      if (problem) {
        ctx.addIssue({ code: "custom", path, input: text, message: `contains ${problem}, which a policy document may not hold (allowed: ${POLICY_CHARACTERS})` });
      }
    }
  })
  .transform((statement) => statement as unknown as PolicyStatement);

/** The bucket and key a grant attaches to, with the statements their policies hold today. */
export const existingResourcesSchema = z.strictObject({
  /** ARN of the key that encrypts the bucket; `keyAlias` must name an alias of it. */
  keyArn: z
    .string({ error: "must be a string" })
    .regex(/^arn:aws(-cn|-us-gov)?:kms:[a-z0-9-]+:\d{12}:key\/(mrk-)?[0-9a-f-]{32,36}$/, { message: "is not a KMS key ARN" }),
  /** Every statement of the bucket's current policy ([] when it has none). */
  bucketPolicyStatements: z.array(statementSchema, { error: "must be the list of the bucket policy's current statements ([] for none)" }),
  /** Every statement of the key's current policy: a key policy is replaced whole, and one without them locks the key. */
  keyPolicyStatements: z
    .array(statementSchema, { error: "must be the list of the key policy's current statements" })
    .min(1, { message: "is empty: give the key policy's current statements (a key policy is replaced whole)" }),
});

export type ExistingResources = z.input<typeof existingResourcesSchema>;

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
  readonly existing: z.output<typeof existingResourcesSchema>;
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
  const bucketPolicy = new S3BucketPolicy(scope, "bucket-policy", {
    provider,
    bucket: args.bucketName,
    policy: renderPolicy(docs.bucketPolicy),
  });
  const keyPolicy = new KmsKeyPolicy(scope, "key-policy", {
    provider,
    keyId: args.existing.keyArn,
    policy: renderPolicy(docs.keyPolicy),
  });
  return { bucketPolicy, keyPolicy };
}
