/**
 * The one declaration of each grant, imported by both accounts' stacks: who the grantee is, which bucket, which
 * prefixes. Each stack builds its own half from it, so the two halves cannot disagree. Two grants, one per pattern:
 * ingest (bucket-policy mode, with object events) and exports (assume-role mode, through an S3 access role with an
 * ExternalId).
 */
import type { BucketSettings, GrantDeclaration, LambdaSettings } from "cross-account-s3-lambda";

/** An account the platform deploys into, through a deploy role its pipeline assumes. */
export interface DeployTarget {
  readonly accountId: string;
  readonly region: string;
  readonly deployRoleArn: string;
}

/** The workloads account: where the ingest function and its execution role live. */
export const WORKLOADS: DeployTarget = {
  accountId: "111122223333",
  region: "eu-west-1",
  deployRoleArn: "arn:aws:iam::111122223333:role/platform-deploy",
};

/** The data lake account: where the bucket and its KMS key live. */
export const DATALAKE: DeployTarget = {
  accountId: "444455556666",
  region: "eu-west-1",
  deployRoleArn: "arn:aws:iam::444455556666:role/platform-deploy",
};

/** The ingest function's execution role: the team's own, managed elsewhere, under the service-role/ path. */
export const INGEST_ROLE_ARN = "arn:aws:iam::111122223333:role/service-role/ingest-worker";

/** Both halves' settings and the grant: exactly what LambdaAccountGrant and BucketAccountGrant each receive. */
export interface GrantDeclarationSet {
  readonly lambda: LambdaSettings;
  readonly bucket: BucketSettings;
  readonly grant: GrantDeclaration;
}

export const INGEST: GrantDeclarationSet = {
  lambda: {
    accountId: WORKLOADS.accountId,
    region: WORKLOADS.region,
    existingRoleArn: INGEST_ROLE_ARN,
    functionName: "ingest-worker",
    memorySize: 512,
    timeoutSeconds: 60,
    logRetentionDays: 14,
  },
  bucket: {
    accountId: DATALAKE.accountId,
    region: DATALAKE.region,
    bucketName: "datalake-raw-444455556666",
    keyAlias: "alias/datalake-raw",
  },
  grant: {
    mode: "bucket-policy",
    prefixes: [
      { prefix: "landing/ingest/", access: "readWrite" },
      { prefix: "reference/", access: "read" },
    ],
    // A new JSON file under reference/ invokes the ingest worker: EventBridge in the data lake account forwards it
    // to a bus of this grant's own in the workloads account. (Not landing/ingest/: the worker writes there.)
    events: { prefixes: ["reference/"], suffix: ".json" },
  },
};

/** The exporter's execution role: the team's own too, under a deeper path; its function is deployed elsewhere. */
export const EXPORTS_ROLE_ARN = "arn:aws:iam::111122223333:role/teams/reporting/report-exporter";

export const EXPORTS: GrantDeclarationSet = {
  lambda: {
    accountId: WORKLOADS.accountId,
    region: WORKLOADS.region,
    existingRoleArn: EXPORTS_ROLE_ARN,
    createFunction: false,
  },
  bucket: {
    accountId: DATALAKE.accountId,
    region: DATALAKE.region,
    bucketName: "datalake-exports-444455556666",
    keyAlias: "alias/datalake-exports",
  },
  grant: {
    mode: "assume-role",
    accessRoleName: "report-exporter-s3",
    accessRolePath: "/grants/",
    externalId: "report-exporter-2f9c41",
    prefixes: [{ prefix: "exports/reports/", access: "write" }],
  },
};
