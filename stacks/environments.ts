/**
 * The environments this repository deploys, one stack each, named as the environment (`cdktf deploy dev`).
 * Account IDs, role names and prefixes are plain config, so every ARN is known at synth time.
 */
import type { EnvironmentConfig, SharedEnvironmentConfig } from "./config";
import type { StateSettings } from "./state";

const LOCAL_LAMBDA_ACCOUNT = "111111111111";
const LOCAL_BUCKET_ACCOUNT = "222222222222";
const LOCAL_STATE_ACCOUNT = "888888888888";

/**
 * Where the local stacks keep their Terraform state: a state bucket in the emulator, in an account of its own (the
 * demo and the end-to-end runs create it before the first `terraform init`), reached by assume_role as a pipeline
 * reaches its state bucket. The emulator's endpoint comes from AWS_ENDPOINT_URL, never from here.
 */
const LOCAL_STATE: StateSettings = {
  bucket: `local-tfstate-${LOCAL_STATE_ACCOUNT}`,
  keyPrefix: "cross-account-s3/",
  region: "us-east-1",
  accountId: LOCAL_STATE_ACCOUNT,
  roleArn: `arn:aws:iam::${LOCAL_STATE_ACCOUNT}:role/terraform-state`,
};

/**
 * Example of where real environments keep their state: a state bucket in a tooling account of its own, encrypted
 * with that account's KMS key; each stack under its own key (cross-account-s3/<stack>.tfstate), locked by the S3 lock
 * file. Replace the placeholders.
 */
const PIPELINE_STATE: StateSettings = {
  bucket: "cross-account-s3-tfstate-555566667777",
  keyPrefix: "cross-account-s3/",
  region: "eu-west-1",
  accountId: "555566667777",
  roleArn: "arn:aws:iam::555566667777:role/terraform-state",
  kmsKeyArn: "arn:aws:kms:eu-west-1:555566667777:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
};

/** A Lambda account's side in the local emulator: function and role `local-<name>`, deployed by the account's deploy role. */
const localConsumer = (accountId: string, name: string) => ({
  accountId,
  region: "us-east-1",
  deployRoleArn: `arn:aws:iam::${accountId}:role/deploy`,
  functionName: `local-${name}`,
  roleName: `local-${name}`,
  logRetentionDays: 7 as const,
});

export const environments: Readonly<Record<string, EnvironmentConfig>> = {
  /**
   * Local emulator, bucket-policy mode: read and write under incoming/, read only under reference/, no delete; new
   * objects under incoming/ invoke the function.
   */
  local: {
    target: "local-emulator",
    state: LOCAL_STATE,
    lambda: {
      accountId: LOCAL_LAMBDA_ACCOUNT,
      region: "us-east-1",
      deployRoleArn: `arn:aws:iam::${LOCAL_LAMBDA_ACCOUNT}:role/deploy`,
      functionName: "local-data-consumer",
      roleName: "local-data-consumer",
      logRetentionDays: 7,
    },
    bucket: {
      accountId: LOCAL_BUCKET_ACCOUNT,
      region: "us-east-1",
      deployRoleArn: `arn:aws:iam::${LOCAL_BUCKET_ACCOUNT}:role/deploy`,
      bucketName: "local-shared-data-222222222222",
      keyAlias: "alias/local-shared-data",
      forceDestroy: true,
    },
    grant: {
      mode: "bucket-policy",
      prefixes: [
        { prefix: "incoming/", access: "readWrite" },
        { prefix: "reference/", access: "read" },
      ],
      // New and deleted objects under incoming/ invoke the function, through EventBridge in both accounts.
      events: { prefixes: ["incoming/"], removed: true },
    },
  },

  /** Local emulator, assume-role mode: upload-only under uploads/, through an S3 access role that needs an ExternalId. */
  "local-assume-role": {
    target: "local-emulator",
    state: LOCAL_STATE,
    lambda: {
      accountId: LOCAL_LAMBDA_ACCOUNT,
      region: "us-east-1",
      deployRoleArn: `arn:aws:iam::${LOCAL_LAMBDA_ACCOUNT}:role/deploy`,
      functionName: "local-uploader",
      roleName: "local-uploader",
      logRetentionDays: 7,
    },
    bucket: {
      accountId: LOCAL_BUCKET_ACCOUNT,
      region: "us-east-1",
      deployRoleArn: `arn:aws:iam::${LOCAL_BUCKET_ACCOUNT}:role/deploy`,
      bucketName: "local-shared-uploads-222222222222",
      keyAlias: "alias/local-shared-uploads",
      forceDestroy: true,
    },
    grant: {
      mode: "assume-role",
      accessRoleName: "local-uploader-s3-access",
      externalId: "local-uploader-7d1f0c",
      prefixes: [{ prefix: "uploads/", access: "write" }],
    },
  },

  /**
   * Local emulator, split layout: local-split-bucket and local-split-lambda, each deployed alone (the bucket account's
   * first, before the Lambda role exists); read and write under shared/; new objects under shared/ invoke the function.
   */
  "local-split": {
    target: "local-emulator",
    state: LOCAL_STATE,
    layout: "split",
    lambda: {
      accountId: LOCAL_LAMBDA_ACCOUNT,
      region: "us-east-1",
      deployRoleArn: `arn:aws:iam::${LOCAL_LAMBDA_ACCOUNT}:role/deploy`,
      functionName: "local-split-consumer",
      roleName: "local-split-consumer",
      logRetentionDays: 7,
    },
    bucket: {
      accountId: LOCAL_BUCKET_ACCOUNT,
      region: "us-east-1",
      deployRoleArn: `arn:aws:iam::${LOCAL_BUCKET_ACCOUNT}:role/deploy`,
      bucketName: "local-split-data-222222222222",
      keyAlias: "alias/local-split-data",
      forceDestroy: true,
    },
    grant: {
      mode: "bucket-policy",
      prefixes: [{ prefix: "shared/", access: "readWrite" }],
      // Split by owner: the bucket account's stack forwards new objects under shared/, the Lambda account's invokes.
      events: { prefixes: ["shared/"] },
    },
  },

  /**
   * Local emulator, split layout on the SQS path: local-split-queue-lambda and local-split-queue-bucket. The Lambda
   * account's stack creates the grant's queue and is applied first (the bucket account's stack depends on it): S3
   * checks the queue when the bucket account's stack saves the notification configuration naming it.
   */
  "local-split-queue": {
    target: "local-emulator",
    state: LOCAL_STATE,
    layout: "split",
    lambda: localConsumer(LOCAL_LAMBDA_ACCOUNT, "queue-consumer"),
    bucket: {
      accountId: LOCAL_BUCKET_ACCOUNT,
      region: "us-east-1",
      deployRoleArn: `arn:aws:iam::${LOCAL_BUCKET_ACCOUNT}:role/deploy`,
      bucketName: "local-split-queue-data-222222222222",
      keyAlias: "alias/local-split-queue-data",
      forceDestroy: true,
    },
    grant: {
      mode: "bucket-policy",
      prefixes: [{ prefix: "drop/", access: "readWrite" }],
      events: { delivery: "sqs", prefixes: ["drop/"], removed: true },
    },
  },

  /** Example of a real environment in bucket-policy mode. Replace the placeholder accounts and deploy roles. */
  dev: {
    target: "aws",
    state: PIPELINE_STATE,
    lambda: {
      accountId: "111122223333",
      region: "eu-west-1",
      deployRoleArn: "arn:aws:iam::111122223333:role/terraform-deploy",
      functionName: "dev-report-builder",
      roleName: "dev-report-builder",
    },
    bucket: {
      accountId: "444455556666",
      region: "eu-west-1",
      deployRoleArn: "arn:aws:iam::444455556666:role/terraform-deploy",
      bucketName: "dev-shared-reports-444455556666",
      keyAlias: "alias/dev-shared-reports",
    },
    grant: {
      mode: "bucket-policy",
      prefixes: [
        { prefix: "reports/", access: "readWrite", delete: true },
        { prefix: "reference/", access: "read" },
      ],
      // The function runs in a VPC and reaches S3 through this gateway endpoint only.
      sourceVpce: ["vpce-0a1b2c3d4e5f60718"],
      // Every new or deleted CSV report invokes the function (through EventBridge in both accounts).
      events: { prefixes: ["reports/"], suffix: ".csv", removed: true },
    },
  },

  /**
   * Example of the split layout: two stacks, staging-lambda and staging-bucket, each deployed by the team that owns
   * its account, from this one declaration. Replace the placeholders.
   */
  staging: {
    target: "aws",
    state: PIPELINE_STATE,
    layout: "split",
    lambda: {
      accountId: "111122223333",
      region: "eu-west-1",
      deployRoleArn: "arn:aws:iam::111122223333:role/terraform-deploy",
      functionName: "staging-report-builder",
      roleName: "staging-report-builder",
    },
    bucket: {
      accountId: "444455556666",
      region: "eu-west-1",
      deployRoleArn: "arn:aws:iam::444455556666:role/terraform-deploy",
      bucketName: "staging-shared-reports-444455556666",
      keyAlias: "alias/staging-shared-reports",
    },
    grant: {
      mode: "bucket-policy",
      prefixes: [
        { prefix: "reports/", access: "readWrite" },
        { prefix: "reference/", access: "read" },
      ],
      // Split by owner too: the bucket account's stack forwards the events, the Lambda account's stack receives them.
      events: { prefixes: ["reports/"] },
    },
  },

  /**
   * Example of attaching to a bucket and key that exist and are managed elsewhere: only their policies are written,
   * with the statements they hold today (copied here) kept. Replace the placeholders with the real statements.
   */
  analytics: {
    target: "aws",
    state: PIPELINE_STATE,
    lambda: {
      accountId: "111122223333",
      region: "eu-west-1",
      deployRoleArn: "arn:aws:iam::111122223333:role/terraform-deploy",
      functionName: "analytics-loader",
      roleName: "analytics-loader",
    },
    bucket: {
      accountId: "444455556666",
      region: "eu-west-1",
      deployRoleArn: "arn:aws:iam::444455556666:role/terraform-deploy",
      bucketName: "analytics-lake-444455556666",
      keyAlias: "alias/analytics-lake",
      existing: {
        keyArn: "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        bucketPolicyStatements: [
          {
            Sid: "AnalyticsTeamReads",
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::444455556666:role/analytics-team" },
            Action: "s3:GetObject",
            Resource: "arn:aws:s3:::analytics-lake-444455556666/curated/*",
          },
        ],
        keyPolicyStatements: [
          {
            Sid: "AccountAdministersKey",
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::444455556666:root" },
            Action: "kms:*",
            Resource: "*",
          },
        ],
        // The entries the bucket's notification configuration holds today, written back beside the grant's.
        notification: {
          queues: [
            {
              id: "audit-deletions",
              arn: "arn:aws:sqs:eu-west-1:444455556666:analytics-lake-audit",
              events: ["s3:ObjectRemoved:*"],
            },
          ],
        },
      },
    },
    grant: {
      mode: "bucket-policy",
      prefixes: [
        { prefix: "raw/", access: "write" },
        { prefix: "exports/", access: "read" },
      ],
      // The bucket's owners keep EventBridge off: new exports reach the loader through a queue (the SQS path).
      events: { delivery: "sqs", prefixes: ["exports/"], suffix: ".parquet" },
    },
  },

  /** Example of a real environment in assume-role mode with an ExternalId. Replace the placeholders. */
  prod: {
    target: "aws",
    state: PIPELINE_STATE,
    lambda: {
      accountId: "777788889999",
      region: "eu-west-1",
      deployRoleArn: "arn:aws:iam::777788889999:role/terraform-deploy",
      functionName: "prod-ingest",
      roleName: "prod-ingest",
      logRetentionDays: 365,
    },
    bucket: {
      accountId: "999988887777",
      region: "eu-west-1",
      deployRoleArn: "arn:aws:iam::999988887777:role/terraform-deploy",
      bucketName: "prod-shared-ingest-999988887777",
      keyAlias: "alias/prod-shared-ingest",
      // Server access logs (on by default) kept two years; overwritten or deleted objects recoverable for a year.
      accessLogging: { retentionDays: 731 },
      lifecycle: { noncurrentVersionExpirationDays: 365 },
    },
    grant: {
      mode: "assume-role",
      accessRoleName: "prod-ingest-s3-access",
      externalId: "prod-ingest-5b2e9a41",
      // Both accounts belong to this organization; callers from outside it are refused even with the right role.
      principalOrgId: "o-exampleorg1",
      prefixes: [{ prefix: "ingest/", access: "write" }],
    },
    // Each account's alarms notify its own on-call topic (in the region of the alarms).
    alarms: {
      topicArns: {
        "777788889999": "arn:aws:sns:eu-west-1:777788889999:prod-ingest-alarms",
        "999988887777": "arn:aws:sns:eu-west-1:999988887777:prod-data-alarms",
      },
    },
  },
};

const LOCAL_SECOND_LAMBDA_ACCOUNT = "333333333333";
/**
 * Many grantees on one bucket (see modules/patterns/shared-bucket.ts). Each has its own account, role, prefixes and preset;
 * the bucket account's policies carry them all, merged, or through one access point each.
 */
export const sharedEnvironments: Readonly<Record<string, SharedEnvironmentConfig>> = {
  /**
   * Local emulator: three grantees in two accounts on one bucket. `reporting` and `billing` read the same prefix
   * (their bucket and key policy statements merge into one each), and new objects there invoke both functions;
   * `ingest` uploads through an S3 access role.
   */
  "local-shared": {
    target: "local-emulator",
    state: LOCAL_STATE,
    bucket: {
      accountId: LOCAL_BUCKET_ACCOUNT,
      region: "us-east-1",
      deployRoleArn: `arn:aws:iam::${LOCAL_BUCKET_ACCOUNT}:role/deploy`,
      bucketName: "local-shared-lake-222222222222",
      keyAlias: "alias/local-shared-lake",
      forceDestroy: true,
    },
    grantees: [
      {
        name: "reporting",
        lambda: localConsumer(LOCAL_LAMBDA_ACCOUNT, "reporting"),
        grant: {
          mode: "bucket-policy",
          prefixes: [{ prefix: "reference/", access: "read" }],
          events: { prefixes: ["reference/"] },
        },
      },
      {
        name: "billing",
        lambda: localConsumer(LOCAL_SECOND_LAMBDA_ACCOUNT, "billing"),
        grant: {
          mode: "bucket-policy",
          prefixes: [{ prefix: "reference/", access: "read" }],
          // Both readers of reference/ watch it: each gets its own rule in the bucket account, and its own bus.
          events: { prefixes: ["reference/"] },
        },
      },
      {
        name: "ingest",
        lambda: localConsumer(LOCAL_LAMBDA_ACCOUNT, "ingest"),
        grant: {
          mode: "assume-role",
          accessRoleName: "local-ingest-s3-access",
          externalId: "local-ingest-3c9e1a",
          prefixes: [{ prefix: "incoming/", access: "readWrite", delete: true }],
          // New objects under incoming/ reach ingest's function through a queue of its own (the SQS path).
          events: { delivery: "sqs", prefixes: ["incoming/"] },
        },
      },
    ],
  },

  /**
   * Local emulator, every grantee through its own access point (`accessPoints: "always"`): the bucket policy only
   * delegates to the bucket account's access points, whose policies carry the grants.
   */
  "local-shared-ap": {
    target: "local-emulator",
    state: LOCAL_STATE,
    accessPoints: "always",
    bucket: {
      accountId: LOCAL_BUCKET_ACCOUNT,
      region: "us-east-1",
      deployRoleArn: `arn:aws:iam::${LOCAL_BUCKET_ACCOUNT}:role/deploy`,
      bucketName: "local-shared-points-222222222222",
      keyAlias: "alias/local-shared-points",
      forceDestroy: true,
    },
    grantees: [
      {
        name: "ap-reporting",
        lambda: localConsumer(LOCAL_LAMBDA_ACCOUNT, "ap-reporting"),
        grant: { mode: "bucket-policy", prefixes: [{ prefix: "reference/", access: "read" }] },
      },
      {
        name: "ap-ingest",
        lambda: localConsumer(LOCAL_SECOND_LAMBDA_ACCOUNT, "ap-ingest"),
        grant: {
          mode: "assume-role",
          accessRoleName: "local-ap-ingest-s3-access",
          externalId: "local-ap-ingest-51d0e2",
          prefixes: [{ prefix: "incoming/", access: "readWrite" }],
        },
      },
    ],
  },

  /**
   * Example of a real shared bucket, split by owner: `platform-bucket` for the data account and one stack per
   * grantee. Every grantee goes through its own access point. Replace the placeholders.
   */
  platform: {
    target: "aws",
    state: PIPELINE_STATE,
    layout: "split",
    accessPoints: "always",
    // The data account's alarms notify its topic; the grantee accounts' alarms notify no one here.
    alarms: { topicArns: { "999988887777": "arn:aws:sns:eu-west-1:999988887777:platform-lake-alarms" } },
    bucket: {
      accountId: "999988887777",
      region: "eu-west-1",
      deployRoleArn: "arn:aws:iam::999988887777:role/terraform-deploy",
      bucketName: "platform-lake-999988887777",
      keyAlias: "alias/platform-lake",
    },
    grantees: [
      {
        name: "orders-etl",
        lambda: {
          accountId: "777788889999",
          region: "eu-west-1",
          deployRoleArn: "arn:aws:iam::777788889999:role/terraform-deploy",
          functionName: "orders-etl",
          roleName: "orders-etl",
          logRetentionDays: 90,
        },
        grant: {
          mode: "bucket-policy",
          principalOrgId: "o-exampleorg1",
          prefixes: [
            { prefix: "orders/", access: "readWrite" },
            { prefix: "reference/", access: "read" },
          ],
          events: { prefixes: ["orders/"] },
        },
      },
      {
        name: "finance-reports",
        lambda: {
          accountId: "666677778888",
          region: "eu-west-1",
          deployRoleArn: "arn:aws:iam::666677778888:role/terraform-deploy",
          functionName: "finance-reports",
          roleName: "finance-reports",
          logRetentionDays: 365,
        },
        grant: {
          mode: "bucket-policy",
          principalOrgId: "o-exampleorg1",
          prefixes: [{ prefix: "orders/", access: "read" }],
          // Two grantees watch one prefix: each gets its own rule in the data account, and its own bus.
          events: { prefixes: ["orders/"] },
        },
      },
      {
        name: "partner-drop",
        lambda: {
          accountId: "666677778888",
          region: "eu-west-1",
          deployRoleArn: "arn:aws:iam::666677778888:role/terraform-deploy",
          functionName: "partner-drop",
          roleName: "partner-drop",
          logRetentionDays: 90,
        },
        grant: {
          mode: "assume-role",
          accessRoleName: "partner-drop-s3-access",
          externalId: "partner-drop-8f2c71",
          principalOrgId: "o-exampleorg1",
          prefixes: [{ prefix: "partners/drop/", access: "write" }],
        },
      },
    ],
  },
};
