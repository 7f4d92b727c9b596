/**
 * Account B's side of one or many grants: the S3 access roles, the key and the bucket (or only the policies of an
 * existing bucket and key), and the grantees' access points, all from planned policy statements.
 */
import { S3AccessPoint } from "@cdktf/provider-aws/lib/s3-access-point";
import { type Construct, type ITerraformDependable, type TerraformProvider, dependable } from "./cdktf";
import { z } from "zod";
import { BucketKey, bucketKeyPolicy } from "./bucket-key";
import { addExistingPolicies, existingPolicies, existingResourcesSchema } from "./existing-resources";
import { accountRootArn, matchesWildcard, policyDocument, renderPolicy, type PolicyDocument, type PolicyStatement } from "./policy-document";
import { recordConfigSource } from "./rules/config-source";
import { S3AccessRole } from "./s3-access-role";
import { accountIdSchema, bucketNameSchema, keyAliasSchema, partitionOf, regionSchema } from "./schema";
import { SecureBucket, secureBucketPolicy } from "./secure-bucket";
import { denyOtherUploadEncryption } from "./upload-encryption";

/** The data settings of the bucket side (account B); shared with the environment config. */
export const bucketSettingsSchema = z
  .strictObject({
    accountId: accountIdSchema,
    region: regionSchema,
    bucketName: bucketNameSchema,
    keyAlias: keyAliasSchema,
    forceDestroy: z.boolean({ error: "must be true or false" }).optional(),
    /**
     * The bucket and its key exist and are managed elsewhere: only their policies are written, with the statements
     * they hold today kept (see existing-resources.ts). `keyAlias` must name an alias of the existing key.
     */
    existing: existingResourcesSchema.optional(),
  })
  .superRefine((b, ctx) => {
    if (!b.existing) return;
    if (b.forceDestroy !== undefined) {
      ctx.addIssue({ code: "custom", path: ["forceDestroy"], input: b.forceDestroy, message: "applies only to a bucket this stack creates, not to an existing one" });
    }
    const [, partition, , region, account] = b.existing.keyArn.split(":");
    const wellFormed = existingResourcesSchema.shape.keyArn.safeParse(b.existing.keyArn).success;
    if (wellFormed && (account !== b.accountId || region !== b.region || partition !== partitionOf(b.region).partition)) {
      ctx.addIssue({
        code: "custom",
        path: ["existing", "keyArn"],
        input: b.existing.keyArn,
        message: `is not a key of the bucket's account and region (${b.accountId}, ${b.region}, partition ${partitionOf(b.region).partition})`,
      });
    }
    // An empty list is already refused by the schema; the lockout is about the statements given.
    const lockout = b.existing.keyPolicyStatements.length === 0 ? undefined : keyLockoutProblem(b.existing.keyPolicyStatements, partitionOf(b.region).partition, b.accountId);
    if (lockout) ctx.addIssue({ code: "custom", path: ["existing", "keyPolicyStatements"], input: b.existing.keyPolicyStatements, message: lockout });
  });

/**
 * KMS refuses a key policy that would lock its account out (PutKeyPolicy's lockout safety check), and a key whose
 * policy no longer lets its account administer it can only be recovered through AWS Support. Since the key policy
 * is written whole, the existing statements must keep an unconditioned Allow of kms:PutKeyPolicy for the bucket
 * account's root (which delegates key administration to the account's IAM, the deploy role included), and no Deny
 * may take it away.
 */
function keyLockoutProblem(statements: readonly PolicyStatement[], partition: string, accountId: string): string | undefined {
  const root = accountRootArn(partition, accountId);
  const namesRoot = (s: PolicyStatement, orAnyone: boolean) => {
    const principals = s.Principal === "*" ? ["*"] : ([] as string[]).concat(s.Principal?.AWS ?? []);
    return principals.some((p) => p === root || p === accountId || (orAnyone && p === "*"));
  };
  const putKeyPolicy = (s: PolicyStatement) => ([] as string[]).concat(s.Action ?? []).some((a) => matchesWildcard(a, "kms:PutKeyPolicy", true));
  const administers = statements.some((s) => s.Effect === "Allow" && s.Condition === undefined && namesRoot(s, false) && putKeyPolicy(s));
  const denied = statements.find((s) => s.Effect === "Deny" && s.Condition === undefined && namesRoot(s, true) && putKeyPolicy(s));
  if (administers && !denied) return undefined;
  return (
    `${denied ? `denies kms:PutKeyPolicy to the bucket account (statement ${denied.Sid ?? "without Sid"})` : `has no statement letting the bucket account (${root}) administer the key`}: ` +
    `KMS refuses a key policy that locks out its own account; keep an Allow of kms:* (or kms:PutKeyPolicy) for ${root} without conditions`
  );
}

export type BucketSettings = z.input<typeof bucketSettingsSchema>;
export type ValidBucketSettings = z.output<typeof bucketSettingsSchema>;

/**
 * Refuses a grant whose two sides are in different partitions (aws, aws-cn, aws-us-gov): no IAM principal of one
 * partition can be granted access in another. Shared by the constructs and the environment config.
 */
export function partitionProblem(lambdaRegion: string, bucketRegion: string): string | undefined {
  const [lambda, bucket] = [partitionOf(lambdaRegion).partition, partitionOf(bucketRegion).partition];
  return lambda === bucket
    ? undefined
    : `is in partition ${bucket}, the Lambda function's region ${lambdaRegion} in partition ${lambda}: ` +
        "a role of one partition cannot be granted access in another (put both sides in one partition)";
}

/** Refuses a grant whose two sides are the same account; shared by the constructs and the environment config. */
export function sameAccountProblem(lambdaAccountId: string, bucketAccountId: string): string | undefined {
  return lambdaAccountId === bucketAccountId
    ? `is ${bucketAccountId}, the same account as lambda.accountId: this module wires cross-account access ` +
        "(for one account, give the role an identity policy and leave the bucket policy alone)"
    : undefined;
}

/** What account B writes for its grants, planned beforehand. */
export interface BucketSide {
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
    grantee: string;
    grantField: string;
  }>;
  /** Access points carrying grantees' grants: each one's ARN and the grant statements of its policy. */
  readonly accessPoints: ReadonlyArray<{ id: string; name: string; arn: string; statements: readonly PolicyStatement[] }>;
  /**
   * Grantees whose grantee the bucket account's policies name by role ARN: IAM, S3 and KMS refuse a policy naming a
   * role that does not exist yet, so those policies wait for it when it is in the same stack.
   */
  readonly roleArnGrantees: readonly string[];
}

/** The bucket policy as written: the secure bucket's, or an existing bucket's statements plus the grants'. */
export function bucketPolicyDocument(
  field: string,
  bucket: ValidBucketSettings,
  kmsKeyArn: string,
  statements: readonly PolicyStatement[],
): PolicyDocument {
  const { partition } = partitionOf(bucket.region);
  return bucket.existing
    ? existingPolicies({ id: field, partition, bucketName: bucket.bucketName, existing: bucket.existing, bucketPolicyStatements: statements, keyPolicyStatements: [] }).bucketPolicy
    : secureBucketPolicy(partition, bucket.bucketName, kmsKeyArn, statements);
}

/**
 * An access point's policy as written: the same upload-encryption denials as the bucket policy (on the access point's
 * objects, so the policy holds them on its own), then the grant's statements.
 */
export function accessPointPolicy(arn: string, kmsKeyArn: string, statements: readonly PolicyStatement[]): PolicyDocument {
  return policyDocument([...denyOtherUploadEncryption(`${arn}/object/*`, kmsKeyArn), ...statements]);
}

/** The key policy as written: the bucket key's, or an existing key's statements plus the grants'. */
export function keyPolicyDocument(field: string, bucket: ValidBucketSettings, statements: readonly PolicyStatement[]): PolicyDocument {
  const { partition } = partitionOf(bucket.region);
  return bucket.existing
    ? existingPolicies({ id: field, partition, bucketName: bucket.bucketName, existing: bucket.existing, bucketPolicyStatements: [], keyPolicyStatements: statements }).keyPolicy
    : bucketKeyPolicy(partition, bucket.accountId, statements);
}

export interface BucketHalf {
  /** The bucket and key this stack creates; undefined when attaching to existing ones. */
  readonly bucket?: SecureBucket | undefined;
  readonly key?: BucketKey | undefined;
  readonly bucketName: string;
  /** ARN of the bucket's key (a reference when this stack creates it). */
  readonly kmsKeyArn: string;
  /** Access roles by grantee. */
  readonly accessRoles: ReadonlyMap<string, S3AccessRole>;
  /** Access points by name. */
  readonly accessPoints: ReadonlyMap<string, S3AccessPoint>;
}

/**
 * Builds account B's side into `scope`. `id` names the declaration in messages and rule findings (its configuration
 * path, or the construct's id). `granteeRoles` are the grantees' Lambda roles when they are in the same stack: with
 * the role-arn principal style, B's resources naming them wait for them.
 */
export function addBucketSide(
  scope: Construct,
  id: string,
  provider: TerraformProvider,
  bucket: ValidBucketSettings,
  side: BucketSide,
  granteeRoles: ReadonlyMap<string, ITerraformDependable> = new Map(),
): BucketHalf {
  const byArn = new Set(side.roleArnGrantees);
  const accessRoles = new Map<string, S3AccessRole>();
  for (const r of side.accessRoles) {
    const granteeRole = byArn.has(r.grantee) ? granteeRoles.get(r.grantee) : undefined;
    const role = new S3AccessRole(scope, r.id, {
      provider,
      roleName: r.roleName,
      ...(r.path !== undefined ? { path: r.path } : {}),
      trustPolicy: r.trustPolicy,
      policy: r.policy,
      dependsOn: granteeRole ? [granteeRole] : [],
    });
    // The trust's guard across accounts is the grant's ExternalId (or organization): what CAS-IAM-3 asks for.
    recordConfigSource(role.role, { field: `${id}.${r.grantField}.externalId`, rules: ["CAS-IAM-3"], advice: `set it, or ${r.grantField}.principalOrgId` });
    accessRoles.set(r.grantee, role);
  }
  const waitFor: ITerraformDependable[] = side.roleArnGrantees.flatMap((c) => {
    const grantee = accessRoles.get(c)?.role ?? granteeRoles.get(c);
    return grantee ? [grantee] : [];
  });
  const { partition } = partitionOf(bucket.region);

  let half: Omit<BucketHalf, "accessPoints" | "accessRoles">;
  let bucketId: string;
  if (bucket.existing) {
    const { bucketPolicy, keyPolicy } = addExistingPolicies(scope, provider, {
      id,
      partition,
      bucketName: bucket.bucketName,
      existing: bucket.existing,
      bucketPolicyStatements: side.bucketPolicyStatements,
      keyPolicyStatements: side.keyPolicyStatements,
    });
    for (const policy of [bucketPolicy, keyPolicy]) {
      if (waitFor.length > 0) policy.dependsOn = waitFor.map((d) => dependable(d));
    }
    // The existing statements come first in each policy: a rule finding on one of them names its field.
    recordConfigSource(bucketPolicy, { field: `${id}.bucket.existing.bucketPolicyStatements`, statements: { first: 0, count: bucket.existing.bucketPolicyStatements.length } });
    recordConfigSource(keyPolicy, { field: `${id}.bucket.existing.keyPolicyStatements`, statements: { first: 0, count: bucket.existing.keyPolicyStatements.length } });
    half = { bucketName: bucket.bucketName, kmsKeyArn: bucket.existing.keyArn };
    bucketId = bucket.bucketName;
  } else {
    const key = new BucketKey(scope, "key", {
      provider,
      accountId: bucket.accountId,
      region: bucket.region,
      alias: bucket.keyAlias,
      description: `Encrypts objects of s3://${bucket.bucketName}`,
      policyStatements: side.keyPolicyStatements,
      dependsOn: waitFor,
    });
    const secure = new SecureBucket(scope, "bucket", {
      provider,
      bucketName: bucket.bucketName,
      region: bucket.region,
      kmsKeyArn: key.keyArn,
      forceDestroy: bucket.forceDestroy,
      policyStatements: side.bucketPolicyStatements,
      policyDependsOn: waitFor,
    });
    half = { bucket: secure, key, bucketName: bucket.bucketName, kmsKeyArn: key.keyArn };
    bucketId = secure.bucket.id;
  }
  const accessPoints = new Map<string, S3AccessPoint>();
  for (const ap of side.accessPoints) {
    accessPoints.set(
      ap.name,
      new S3AccessPoint(scope, ap.id, {
        provider,
        bucket: bucketId,
        accountId: bucket.accountId,
        name: ap.name,
        policy: renderPolicy(accessPointPolicy(ap.arn, half.kmsKeyArn, ap.statements)),
        publicAccessBlockConfiguration: {
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        },
        ...(waitFor.length > 0 ? { dependsOn: waitFor } : {}),
      }),
    );
  }
  return { ...half, accessRoles, accessPoints };
}
