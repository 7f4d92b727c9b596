/**
 * What every environment creates or writes under a name AWS keeps unique — IAM roles, buckets (log buckets too), Lambda functions, KMS
 * aliases, access points — and the deploy roles it reaches its accounts with (the state role among them), checked across all environments. Two
 * environments naming one role would both write its policies, and a grant whose role is the deploy role hands the
 * data grant to the pipeline (in the split layout, the bucket account's half names the role before the Lambda account's
 * half is applied, so nothing fails to warn anyone). Every such collision is refused at synth, naming both places.
 */
import { partitionOf, resolveAccessLogging, showValue } from "../modules/internal";
import type { EnvironmentConfig, SharedEnvironmentConfig } from "./config";

type Kind = "IAM role" | "S3 bucket" | "Lambda function" | "KMS alias" | "S3 access point";

interface Claim {
  readonly kind: Kind;
  /** Where the name must be unique, for messages: `account 111122223333`, `partition aws`. */
  readonly scope: string;
  /** The name as AWS compares it (IAM role names case-insensitively). */
  readonly key: string;
  /** The configuration field, e.g. `environments.dev.lambda.roleName`, and its value. */
  readonly field: string;
  readonly value: string;
  /** The environment the claim comes from; collisions inside one environment are its own schema's to report. */
  readonly environment: string;
  /** A deploy role the environment reaches an account with: shared by environments, never a grant's role. */
  readonly deployRole?: string;
  /** An existing role a grant attaches to: several grants may share it, but never with a deploy role. */
  readonly existing?: boolean;
}

const roleName = (arn: string): string => arn.slice(arn.lastIndexOf("/") + 1);

function role(environment: string, field: string, accountId: string, name: string, deployRole?: string): Claim {
  return {
    kind: "IAM role",
    scope: `account ${accountId}`,
    key: name.toLowerCase(),
    field,
    value: name,
    environment,
    ...(deployRole ? { deployRole } : {}),
  };
}

function deployRole(environment: string, field: string, accountId: string, arn: string): Claim {
  return role(environment, field, accountId, roleName(arn), arn);
}

interface LambdaFields {
  readonly accountId: string;
  readonly region: string;
  readonly functionName?: string;
  readonly roleName?: string;
  readonly rolePath?: string;
  readonly existingRoleArn?: string;
  readonly deployRoleArn: string;
}

/**
 * The claims of one Lambda side: the role it creates (an existing role is its owner's, several grants may use it),
 * the function it creates, and its account's deploy role.
 */
function lambdaClaims(environment: string, at: string, lambda: LambdaFields): Claim[] {
  return [
    ...(lambda.roleName !== undefined ? [role(environment, `${at}.roleName`, lambda.accountId, lambda.roleName)] : []),
    ...(lambda.existingRoleArn !== undefined
      ? [
          {
            ...role(environment, `${at}.existingRoleArn`, lambda.accountId, roleName(lambda.existingRoleArn)),
            existing: true,
            value: lambda.existingRoleArn,
          },
        ]
      : []),
    deployRole(environment, `${at}.deployRoleArn`, lambda.accountId, lambda.deployRoleArn),
    ...(lambda.functionName !== undefined
      ? [
          {
            kind: "Lambda function" as const,
            scope: `account ${lambda.accountId} and ${lambda.region}`,
            key: lambda.functionName,
            field: `${at}.functionName`,
            value: lambda.functionName,
            environment,
          },
        ]
      : []),
  ];
}

/** The log bucket a bucket side creates for its server access logs, as a claim (named, or derived from the bucket's). */
function logBucketClaims(environment: string, at: string, bucket: SharedEnvironmentConfig["bucket"]): Claim[] {
  const logging = resolveAccessLogging(bucket);
  if (!logging.enabled || !logging.created) return [];
  const named = bucket.accessLogging?.bucketName !== undefined;
  return [
    {
      kind: "S3 bucket",
      scope: `partition ${partitionOf(bucket.region).partition}`,
      key: logging.created.bucketName,
      field: `${at}.accessLogging.bucketName${named ? "" : " (the default, from bucketName)"}`,
      value: logging.created.bucketName,
      environment,
    },
  ];
}

/**
 * The claims of the bucket side: the bucket (created or attached to), the log bucket it creates, its key's alias when
 * created, the deploy role.
 */
function bucketClaims(environment: string, at: string, bucket: SharedEnvironmentConfig["bucket"]): Claim[] {
  return [
    {
      kind: "S3 bucket",
      scope: `partition ${partitionOf(bucket.region).partition}`,
      key: bucket.bucketName,
      field: `${at}.bucketName`,
      value: bucket.bucketName,
      environment,
    },
    ...logBucketClaims(environment, at, bucket),
    ...(bucket.existing
      ? []
      : [
          {
            kind: "KMS alias" as const,
            scope: `account ${bucket.accountId} and ${bucket.region}`,
            key: bucket.keyAlias,
            field: `${at}.keyAlias`,
            value: bucket.keyAlias,
            environment,
          },
        ]),
    deployRole(environment, `${at}.deployRoleArn`, bucket.accountId, bucket.deployRoleArn),
  ];
}

function accessRoleClaims(
  environment: string,
  at: string,
  bucketAccountId: string,
  grant: EnvironmentConfig["grant"],
): Claim[] {
  return grant.accessRoleName === undefined
    ? []
    : [role(environment, `${at}.accessRoleName`, bucketAccountId, grant.accessRoleName)];
}

export function environmentClaims(name: string, env: EnvironmentConfig): Claim[] {
  const at = `environments.${name}`;
  return [
    ...lambdaClaims(name, `${at}.lambda`, env.lambda),
    ...bucketClaims(name, `${at}.bucket`, env.bucket),
    ...accessRoleClaims(name, `${at}.grant`, env.bucket.accountId, env.grant),
    deployRole(name, `${at}.state.roleArn`, env.state.accountId, env.state.roleArn),
  ];
}

export function sharedEnvironmentClaims(name: string, env: SharedEnvironmentConfig): Claim[] {
  const at = `sharedEnvironments.${name}`;
  return [
    ...bucketClaims(name, `${at}.bucket`, env.bucket),
    deployRole(name, `${at}.state.roleArn`, env.state.accountId, env.state.roleArn),
    ...env.grantees.flatMap((c, i) => [
      ...lambdaClaims(name, `${at}.grantees[${i}].lambda`, c.lambda),
      ...accessRoleClaims(name, `${at}.grantees[${i}].grant`, env.bucket.accountId, c.grant),
      // Unless access points are ruled out, each grantee may get one named after it (see modules/patterns/shared-bucket.ts).
      ...(env.accessPoints === "never"
        ? []
        : [
            {
              kind: "S3 access point" as const,
              scope: `account ${env.bucket.accountId} and ${env.bucket.region}`,
              key: c.name,
              field: `${at}.grantees[${i}].name`,
              value: c.name,
              environment: name,
            },
          ]),
    ]),
  ];
}

/** One message per name claimed twice: a grant's role that is a deploy role, or a name two environments both take. */
export function claimProblems(claims: readonly Claim[]): string[] {
  const problems: string[] = [];
  const first = new Map<string, Claim>();
  const deployRoles = new Map<string, Claim>();
  for (const claim of claims) {
    if (claim.deployRole) {
      const key = `${claim.scope}\n${claim.key}`;
      if (!deployRoles.has(key)) deployRoles.set(key, claim);
    }
  }
  for (const claim of claims) {
    const key = `${claim.kind}\n${claim.scope}\n${claim.key}`;
    if (claim.deployRole) continue;
    const deploy = claim.kind === "IAM role" ? deployRoles.get(`${claim.scope}\n${claim.key}`) : undefined;
    if (deploy) {
      const caseDiffers = !claim.existing && deploy.value !== claim.value;
      problems.push(
        `${claim.field} ${showValue(claim.value)} is the deploy role ${deploy.deployRole} (${deploy.field}) in ${claim.scope}` +
          `${caseDiffers ? " (IAM role names are case-insensitive)" : ""}: the grant's policies would be attached to the role ` +
          "the pipeline deploys with; give the function its own role",
      );
      continue;
    }
    const earlier = first.get(key);
    if (!earlier) {
      first.set(key, claim);
      continue;
    }
    if (earlier.environment === claim.environment || earlier.existing || claim.existing) continue;
    const caseNote =
      claim.kind === "IAM role" && earlier.value !== claim.value ? " (IAM role names are case-insensitive)" : "";
    problems.push(
      `${claim.field} ${showValue(claim.value)} is the same ${claim.kind} as ${earlier.field} ${showValue(earlier.value)} in ${claim.scope}${caseNote}: ` +
        `both environments would create or write it; give each its own ${claim.kind === "S3 access point" ? "grantee name" : "name"}`,
    );
  }
  return problems;
}
