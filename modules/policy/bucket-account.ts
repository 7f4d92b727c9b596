/**
 * What the bucket account writes for its grants, planned beforehand, and its policies as written: the bucket policy,
 * the key policy and each access point's policy, whether the bucket and key are created or exist already.
 */
import type { BucketSettings } from "../declaration/bucket-settings";
import type { GrantDeclaration } from "../declaration/grant";
import type { GrantPlan } from "./plan-grant";
import type { EventsPlan } from "./plan-events";
import type { QueueEventsPlan } from "./plan-queue-events";
import { policyDocument, type PolicyDocument, type PolicyStatement } from "../core/policy-document";
import { partitionOf } from "../core/regions";
import { bucketKeyPolicy, secureBucketPolicy } from "./baseline";
import { existingPolicies } from "./existing";
import { denyOtherUploadEncryption } from "./upload-encryption";

/** What account B writes for its grants, planned beforehand (by bucketAccountPlan, for one grant or many). */
export interface BucketAccountPlan {
  /** The grants' statements of the bucket policy (after its TLS and encryption denies). */
  readonly bucketPolicyStatements: readonly PolicyStatement[];
  /** The grants' statements of the key policy (after the account's administration statement). */
  readonly keyPolicyStatements: readonly PolicyStatement[];
  /**
   * S3 access roles (assume-role mode), each for the grantee it names; `grantField` is where the grantee's grant is
   * in the declaration (`grant`, `grantees[2].grant`), for rule findings.
   */
  readonly accessRoles: ReadonlyArray<{
    id: string;
    roleName: string;
    /** @default "/" */
    path?: string | undefined;
    trustPolicy: PolicyDocument;
    policy: PolicyDocument;
    /** The key of the grant it serves (see PlannedBucketGrant.key). */
    grantee: string;
    grantField: string;
  }>;
  /** Access points carrying grantees' grants: each one's ARN and the grant statements of its policy. */
  readonly accessPoints: ReadonlyArray<{
    id: string;
    name: string;
    arn: string;
    statements: readonly PolicyStatement[];
  }>;
  /**
   * Grantees whose grantee the bucket account's policies name by role ARN: IAM, S3 and KMS refuse a policy naming a
   * role that does not exist yet, so those policies wait for it when it is in the same stack.
   */
  readonly roleArnGrantees: readonly string[];
  /** The grants that declare events: each one's forwarding rule and role (see planEvents), for the grant it serves. */
  readonly events: ReadonlyArray<{ id: string; plan: EventsPlan; grantee: string; grantField: string }>;
  /** The grants that declare events on the SQS path: each one's entries in the bucket's notification configuration. */
  readonly queueEvents: ReadonlyArray<{ plan: QueueEventsPlan; grantee: string; grantField: string }>;
}

/** One grant on the bucket, as the bucket account's plan takes it. */
export interface PlannedBucketGrant {
  /** What identifies the grant among the bucket's: the grantee's name on a shared bucket, its role ARN for one grant. */
  readonly key: string;
  /** Where the grant is in the declaration (`grant`, `grantees[2].grant`), for rule findings. */
  readonly field: string;
  readonly grant: GrantDeclaration;
  readonly plan: GrantPlan;
  /** The construct IDs of its S3 access role and access point: part of each resource's Terraform address. */
  readonly ids: {
    readonly accessRole: string;
    readonly accessPoint?: string | undefined;
    /** Its events' resources in the bucket account. */
    readonly events: string;
  };
  /** Its access point's name, when the grant goes through one. */
  readonly accessPointName?: string | undefined;
}

/**
 * The bucket account's plan for its grants, one or many: the bucket and key policies' grant statements (merged by the
 * shared planner, or one grant's as they are), and each grant's S3 access role, access point and principal style.
 */
export function bucketAccountPlan(
  grants: readonly PlannedBucketGrant[],
  statements: {
    readonly bucketPolicyStatements: readonly PolicyStatement[];
    readonly keyPolicyStatements: readonly PolicyStatement[];
  },
): BucketAccountPlan {
  return {
    ...statements,
    accessRoles: grants.flatMap(({ key, field, grant, plan, ids }) =>
      plan.accessRoleTrustPolicy && plan.accessRolePolicy
        ? [
            {
              id: ids.accessRole,
              roleName: grant.accessRoleName!,
              path: grant.accessRolePath,
              trustPolicy: plan.accessRoleTrustPolicy,
              policy: plan.accessRolePolicy,
              grantee: key,
              grantField: field,
            },
          ]
        : [],
    ),
    accessPoints: grants.flatMap(({ plan, ids, accessPointName }) =>
      accessPointName && plan.accessPoint && ids.accessPoint
        ? [
            {
              id: ids.accessPoint,
              name: accessPointName,
              arn: plan.accessPoint.arn,
              statements: plan.accessPoint.policyStatements,
            },
          ]
        : [],
    ),
    roleArnGrantees: grants.filter((g) => g.plan.principalStyle === "role-arn").map((g) => g.key),
    events: grants.flatMap(({ key, field, plan, ids }) =>
      plan.events ? [{ id: ids.events, plan: plan.events, grantee: key, grantField: `${field}.events` }] : [],
    ),
    queueEvents: grants.flatMap(({ key, field, plan }) =>
      plan.queueEvents ? [{ plan: plan.queueEvents, grantee: key, grantField: `${field}.events` }] : [],
    ),
  };
}

/** The bucket policy as written: the secure bucket's, or an existing bucket's statements plus the grants'. */
export function bucketPolicyDocument(
  field: string,
  bucket: BucketSettings,
  kmsKeyArn: string,
  statements: readonly PolicyStatement[],
): PolicyDocument {
  const { partition } = partitionOf(bucket.region);
  return bucket.existing
    ? existingPolicies({
        id: field,
        partition,
        bucketName: bucket.bucketName,
        existing: bucket.existing,
        bucketPolicyStatements: statements,
        keyPolicyStatements: [],
      }).bucketPolicy
    : secureBucketPolicy(partition, bucket.bucketName, kmsKeyArn, statements);
}

/**
 * An access point's policy as written: the same upload-encryption denials as the bucket policy (on the access point's
 * objects, so the policy holds them on its own), then the grant's statements.
 */
export function accessPointPolicy(
  arn: string,
  kmsKeyArn: string,
  statements: readonly PolicyStatement[],
): PolicyDocument {
  return policyDocument([...denyOtherUploadEncryption(`${arn}/object/*`, kmsKeyArn), ...statements]);
}

/** The key policy as written: the bucket key's, or an existing key's statements plus the grants'. */
export function keyPolicyDocument(
  field: string,
  bucket: BucketSettings,
  statements: readonly PolicyStatement[],
): PolicyDocument {
  const { partition } = partitionOf(bucket.region);
  return bucket.existing
    ? existingPolicies({
        id: field,
        partition,
        bucketName: bucket.bucketName,
        existing: bucket.existing,
        bucketPolicyStatements: [],
        keyPolicyStatements: statements,
      }).keyPolicy
    : bucketKeyPolicy(partition, bucket.accountId, statements);
}
