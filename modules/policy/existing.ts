/**
 * Attaching a grant to a bucket and a key that exist and are managed elsewhere. A bucket has exactly one policy and a
 * key exactly one key policy, and writing either replaces it whole: so the statements they hold today are input, and
 * the policies written are those statements plus the grant's — nothing is silently dropped.
 */
import type { ExistingResources } from "../declaration/bucket-settings";
import { ConfigurationError, showValue } from "../core/errors";
import { policyDocument, type PolicyDocument, type PolicyStatement } from "../core/policy-document";
import { denyInsecureTransport, denyOtherEncryption } from "./baseline";

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
  const bucketStatements = mergeStatements(
    `${id}.bucket.existing.bucketPolicyStatements`,
    existing.bucketPolicyStatements,
    [
      denyInsecureTransport(partition, bucketName),
      ...denyOtherEncryption(partition, bucketName, existing.keyArn),
      ...args.bucketPolicyStatements,
    ],
  );
  const keyStatements = mergeStatements(
    `${id}.bucket.existing.keyPolicyStatements`,
    existing.keyPolicyStatements,
    args.keyPolicyStatements,
  );
  return { bucketPolicy: policyDocument(bucketStatements), keyPolicy: policyDocument(keyStatements) };
}
