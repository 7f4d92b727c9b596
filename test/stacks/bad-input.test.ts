/**
 * Malformed and adversarial environment configurations, each refused at synth — by the schema, by a construct, or by
 * the checks across environments — before anything is created, with a message that names the field and the value.
 */
import { Testing } from "cdktf";
import { ConfigurationError } from "../../modules/internal";
import { validateApp, type EnvironmentConfig, type SharedEnvironmentConfig } from "../../stacks/config";
import { environmentStacks } from "../../stacks/cross-account-stack";
import { environments, sharedEnvironments } from "../../stacks/environments";
import { sharedEnvironmentStacks } from "../../stacks/shared-bucket-stack";

/**
 * The local environment without its events: most cases below change its prefixes, bucket or function, and each is
 * to show its own refusal. The event declaration's refusals are cases of their own, on the environment as shipped.
 */
const { events: _events, ...plainGrant } = environments.local.grant;
const local: EnvironmentConfig = { ...environments.local, grant: plainGrant };
const withEvents = environments.local;
const assumeRole = environments["local-assume-role"];
type Tweak = (c: EnvironmentConfig) => unknown;
const lambda =
  (patch: Record<string, unknown>): Tweak =>
  (c) => ({ ...c, lambda: { ...c.lambda, ...patch } });
const bucket =
  (patch: Record<string, unknown>): Tweak =>
  (c) => ({ ...c, bucket: { ...c.bucket, ...patch } });
const grant =
  (patch: Record<string, unknown>): Tweak =>
  (c) => ({ ...c, grant: { ...c.grant, ...patch } });
const prefix0 = (patch: Record<string, unknown>): Tweak =>
  grant({ prefixes: [{ ...local.grant.prefixes[0], ...patch }] });
const state =
  (patch: Record<string, unknown>): Tweak =>
  (c) => ({ ...c, state: { ...c.state, ...patch } });
const alarms =
  (patch: Record<string, unknown>): Tweak =>
  (c) => ({ ...c, alarms: { ...c.alarms, ...patch } });

/** A case on the environment as shipped, with its events. */
const onShipped =
  (tweak: Tweak): Tweak =>
  () =>
    tweak(withEvents);

const CASES: Array<[string, Tweak, string]> = [
  [
    "an event prefix outside every readable prefix",
    onShipped(grant({ events: { prefixes: ["private/"] } })),
    'environments.e.grant.events.prefixes[0] "private/" lies under no prefix the grant lets the grantee read',
  ],
  [
    "an event suffix with a wildcard",
    onShipped(grant({ events: { prefixes: ["incoming/"], suffix: "*.csv" } })),
    'environments.e.grant.events.suffix "*.csv" is not a key suffix',
  ],
  [
    "an event delivery that is not offered",
    onShipped(grant({ events: { prefixes: ["incoming/"], delivery: "lambda" } })),
    'environments.e.grant.events.delivery "lambda" is not an event delivery (eventbridge, sqs)',
  ],
  [
    "events on the SQS path with the function in another region than the bucket",
    (c) =>
      lambda({ region: "us-west-2" })(
        grant({ events: { delivery: "sqs", prefixes: ["incoming/"] } })(c) as EnvironmentConfig,
      ),
    `environments.e.grant.events.delivery "sqs" needs the function in the bucket's region us-east-1, not us-west-2: S3 sends notifications only to a queue in its own region`,
  ],
  [
    "events on the SQS path overlapping an entry the existing bucket holds",
    (c) =>
      grant({ events: { delivery: "sqs", prefixes: ["incoming/"], suffix: ".csv" } })(
        bucket({
          existing: {
            keyArn: "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            bucketPolicyStatements: [],
            keyPolicyStatements: [],
            notification: {
              queues: [
                { id: "audit", arn: "arn:aws:sqs:us-east-1:222222222222:audit", events: ["s3:ObjectCreated:Put"] },
              ],
            },
          },
        })(c) as EnvironmentConfig,
      ),
    'environments.e.grant.events.prefixes[0] "incoming/" (s3:ObjectCreated:* ending ".csv") overlaps bucket.existing.notification.queues[0] (s3:ObjectCreated:Put on every key): S3 refuses a notification configuration whose destinations could both be sent one event of one key',
  ],
  [
    "events without a function to invoke",
    onShipped(lambda({ functionName: undefined, createFunction: false })),
    "environments.e.lambda.functionName is required with grant.events: the events invoke the function it names",
  ],
  [
    "lambda.accountId too short",
    lambda({ accountId: "12345" }),
    'environments.e.lambda.accountId "12345" is not an AWS account ID (12 digits)',
  ],
  [
    "lambda.accountId as a number",
    lambda({ accountId: 111111111111 }),
    "environments.e.lambda.accountId 111111111111 must be a string",
  ],
  [
    "bucket.accountId with letters",
    bucket({ accountId: "abcdefghijkl" }),
    'environments.e.bucket.accountId "abcdefghijkl" is not an AWS account ID',
  ],
  [
    "lambda.region in capitals",
    lambda({ region: "US-EAST-1" }),
    'environments.e.lambda.region "US-EAST-1" is not an AWS region name',
  ],
  [
    "bucket.region without its number",
    bucket({ region: "eu-west" }),
    'environments.e.bucket.region "eu-west" is not an AWS region name',
  ],
  [
    "lambda.functionName with a space",
    lambda({ functionName: "my function" }),
    'environments.e.lambda.functionName "my function" is not a valid Lambda function name',
  ],
  [
    "lambda.functionName too long",
    lambda({ functionName: "f".repeat(65) }),
    `environments.e.lambda.functionName "${"f".repeat(65)}" is not a valid Lambda function name`,
  ],
  [
    "lambda.roleName with a slash",
    lambda({ roleName: "team/reader" }),
    'environments.e.lambda.roleName "team/reader" is not a valid IAM role name',
  ],
  [
    "lambda.logRetentionDays not offered by CloudWatch",
    lambda({ logRetentionDays: 10 }),
    "environments.e.lambda.logRetentionDays 10 is not a CloudWatch Logs retention",
  ],
  [
    "lambda.memorySize below 128 MB",
    lambda({ memorySize: 64 }),
    "environments.e.lambda.memorySize 64 must be 128-10240 MB",
  ],
  [
    "lambda.timeoutSeconds over 15 minutes",
    lambda({ timeoutSeconds: 901 }),
    "environments.e.lambda.timeoutSeconds 901 must be 1-900 seconds",
  ],
  [
    "lambda.deployRoleArn naming a user",
    lambda({ deployRoleArn: "arn:aws:iam::111111111111:user/deploy" }),
    'environments.e.lambda.deployRoleArn "arn:aws:iam::111111111111:user/deploy" is not an IAM role ARN',
  ],
  [
    "bucket.deployRoleArn in the other account",
    bucket({ deployRoleArn: "arn:aws:iam::111111111111:role/deploy" }),
    'environments.e.bucket.deployRoleArn "arn:aws:iam::111111111111:role/deploy" is in account 111111111111, not in bucket.accountId 222222222222',
  ],
  [
    "bucket.bucketName with capitals and underscore",
    bucket({ bucketName: "My_Bucket" }),
    'environments.e.bucket.bucketName "My_Bucket" is not a valid S3 bucket name: use only lowercase letters, digits, dots and hyphens',
  ],
  [
    "bucket.bucketName too short",
    bucket({ bucketName: "ab" }),
    'environments.e.bucket.bucketName "ab" is not a valid S3 bucket name: it must be 3 to 63 characters long',
  ],
  [
    "bucket.bucketName shaped as an IP address",
    bucket({ bucketName: "192.168.0.1" }),
    'environments.e.bucket.bucketName "192.168.0.1" is not a valid S3 bucket name: it must not be formatted as an IP address',
  ],
  [
    "bucket.bucketName with a reserved suffix",
    bucket({ bucketName: "data-s3alias" }),
    'environments.e.bucket.bucketName "data-s3alias" is not a valid S3 bucket name: it must not end with the reserved suffix -s3alias',
  ],
  [
    "bucket.keyAlias in the AWS namespace",
    bucket({ keyAlias: "alias/aws/s3" }),
    'environments.e.bucket.keyAlias "alias/aws/s3" is not a valid KMS alias',
  ],
  [
    "bucket.keyAlias without alias/",
    bucket({ keyAlias: "shared-data" }),
    'environments.e.bucket.keyAlias "shared-data" is not a valid KMS alias',
  ],
  [
    "bucket.forceDestroy as a string",
    bucket({ forceDestroy: "yes" }),
    'environments.e.bucket.forceDestroy "yes" must be true or false',
  ],
  [
    "the same account on both sides",
    bucket({ accountId: "111111111111", deployRoleArn: "arn:aws:iam::111111111111:role/d" }),
    'environments.e.bucket.accountId "111111111111" is 111111111111, the same account as lambda.accountId',
  ],
  [
    "grant.mode unknown",
    grant({ mode: "direct" }),
    'environments.e.grant.mode "direct" is not an access mode (bucket-policy, assume-role)',
  ],
  [
    "an empty grant",
    grant({ prefixes: [] }),
    "environments.e.grant.prefixes [] is empty: a grant needs at least one prefix",
  ],
  [
    "a prefix with a leading slash",
    prefix0({ prefix: "/incoming/" }),
    'environments.e.grant.prefixes[0].prefix "/incoming/" is not a valid prefix: it must not start with "/"',
  ],
  [
    "a prefix with a wildcard",
    prefix0({ prefix: "incoming/*" }),
    'environments.e.grant.prefixes[0].prefix "incoming/*" is not a valid prefix: it must not contain the wildcards * or ?',
  ],
  [
    "a prefix without its trailing slash",
    prefix0({ prefix: "incoming" }),
    'environments.e.grant.prefixes[0].prefix "incoming" is not a valid prefix: it must end with "/" (did you mean "incoming/"?)',
  ],
  [
    "a prefix with a policy variable",
    prefix0({ prefix: "${aws:username}/" }),
    'environments.e.grant.prefixes[0].prefix "${aws:username}/" is not a valid prefix: it must not contain "${" or "%{"',
  ],
  [
    "an unknown preset",
    prefix0({ access: "admin" }),
    'environments.e.grant.prefixes[0].access "admin" is not an access preset (read, write, readWrite)',
  ],
  [
    "delete as a string",
    prefix0({ delete: "yes" }),
    'environments.e.grant.prefixes[0].delete "yes" must be true or false',
  ],
  [
    "the same prefix twice",
    grant({ prefixes: [local.grant.prefixes[0], local.grant.prefixes[0]] }),
    'environments.e.grant.prefixes[1].prefix "incoming/" is granted twice',
  ],
  [
    "assume-role mode without a role name",
    grant({ mode: "assume-role" }),
    "environments.e.grant.accessRoleName is required in assume-role mode",
  ],
  [
    "an ExternalId too short",
    (c) => ({ ...assumeRole, lambda: c.lambda, grant: { ...assumeRole.grant, externalId: "x" } }),
    'environments.e.grant.externalId "x" is not a valid ExternalId',
  ],
  [
    "an ExternalId in bucket-policy mode",
    grant({ externalId: "ext-12345" }),
    'environments.e.grant.externalId "ext-12345" is only used in assume-role mode',
  ],
  [
    "an access role name in bucket-policy mode",
    grant({ accessRoleName: "s3-access" }),
    'environments.e.grant.accessRoleName "s3-access" is only used in assume-role mode',
  ],
  [
    "an organization ID of the wrong shape",
    grant({ principalOrgId: "org-1" }),
    'environments.e.grant.principalOrgId "org-1" is not an AWS Organization ID',
  ],
  [
    "a VPC ID where an endpoint ID belongs",
    grant({ sourceVpce: ["vpc-0123abcd"] }),
    'environments.e.grant.sourceVpce[0] "vpc-0123abcd" is not a VPC endpoint ID',
  ],
  [
    "an unknown principal style",
    grant({ principalStyle: "arn" }),
    'environments.e.grant.principalStyle "arn" is not a principal style (account-and-arn, role-arn)',
  ],
  [
    "an unknown target",
    (c) => ({ ...c, target: "staging" }),
    'environments.e.target "staging" is not a target (aws, local-emulator)',
  ],
  ["an unknown field", lambda({ vpcId: "vpc-1" }), 'environments.e.lambda has unknown field(s) "vpcId"'],
  ["alarms.enabled as a string", alarms({ enabled: "no" }), 'environments.e.alarms.enabled "no" must be true or false'],
  [
    "an alarm topic that is a queue",
    alarms({ topicArns: { "222222222222": "arn:aws:sqs:us-east-1:222222222222:alarms" } }),
    'environments.e.alarms.topicArns.222222222222 "arn:aws:sqs:us-east-1:222222222222:alarms" is not an SNS topic ARN',
  ],
  [
    "an alarm topic of the other account",
    alarms({ topicArns: { "111111111111": "arn:aws:sns:us-east-1:222222222222:alarms" } }),
    'environments.e.alarms.topicArns["111111111111"] "arn:aws:sns:us-east-1:222222222222:alarms" is a topic of account 222222222222, not of the Lambda account 111111111111',
  ],
  [
    "a missing bucket name",
    (c) => ({ ...c, bucket: { ...c.bucket, bucketName: undefined } }),
    "environments.e.bucket.bucketName is required",
  ],
  ["no state setting", (c) => ({ ...c, state: undefined }), "environments.e.state is required"],
  [
    "state as a URL",
    (c) => ({ ...c, state: "s3://local-tfstate-888888888888/local.tfstate" }),
    'environments.e.state "s3://local-tfstate-888888888888/local.tfstate" must be { bucket, keyPrefix, region, accountId, roleArn }',
  ],
  [
    "state.bucket with capitals and underscore",
    state({ bucket: "My_State" }),
    'environments.e.state.bucket "My_State" is not a valid S3 bucket name: use only lowercase letters, digits, dots and hyphens',
  ],
  ["state.bucket missing", state({ bucket: undefined }), "environments.e.state.bucket is required"],
  [
    "state.keyPrefix without its trailing slash",
    state({ keyPrefix: "tfstate" }),
    'environments.e.state.keyPrefix "tfstate" is not a valid state key prefix: it must end with "/" (each stack\'s state is <keyPrefix><stack>.tfstate; did you mean "tfstate/"?)',
  ],
  [
    "state.keyPrefix with a leading slash",
    state({ keyPrefix: "/tfstate/" }),
    'environments.e.state.keyPrefix "/tfstate/" is not a valid state key prefix: it must not start with "/"',
  ],
  [
    "state.keyPrefix with an empty folder",
    state({ keyPrefix: "teams//data/" }),
    'environments.e.state.keyPrefix "teams//data/" is not a valid state key prefix: it must not contain an empty folder ("//")',
  ],
  [
    "state.keyPrefix with a .. segment",
    state({ keyPrefix: "teams/../data/" }),
    'environments.e.state.keyPrefix "teams/../data/" is not a valid state key prefix: it must not have "." or ".." segments',
  ],
  [
    "state.keyPrefix under Terraform's workspace prefix env:",
    state({ keyPrefix: "env:/prod/" }),
    'environments.e.state.keyPrefix "env:/prod/" is not a valid state key prefix: use only letters, digits, / and ! - _ . * \' ( )',
  ],
  [
    "state.keyPrefix empty",
    state({ keyPrefix: "" }),
    'environments.e.state.keyPrefix "" is not a valid state key prefix: it is empty',
  ],
  [
    "state.region that does not exist",
    state({ region: "us-east-9" }),
    'environments.e.state.region "us-east-9" is not an AWS region name the AWS provider 5.100.0 knows',
  ],
  [
    "state.accountId too short",
    state({ accountId: "8888" }),
    'environments.e.state.accountId "8888" is not an AWS account ID (12 digits)',
  ],
  [
    "state.roleArn naming a user",
    state({ roleArn: "arn:aws:iam::888888888888:user/terraform" }),
    'environments.e.state.roleArn "arn:aws:iam::888888888888:user/terraform" is not an IAM role ARN',
  ],
  [
    "state.roleArn in another account than the state bucket's",
    state({ roleArn: "arn:aws:iam::111111111111:role/terraform-state" }),
    'environments.e.state.roleArn "arn:aws:iam::111111111111:role/terraform-state" is in account 111111111111, not in state.accountId 888888888888',
  ],
  [
    "state.roleArn in another partition than state.region",
    state({ roleArn: "arn:aws-cn:iam::888888888888:role/terraform-state" }),
    'environments.e.state.roleArn "arn:aws-cn:iam::888888888888:role/terraform-state" is in partition aws-cn, but state.region us-east-1 is in partition aws',
  ],
  ["state.encrypt as a string", state({ encrypt: "yes" }), 'environments.e.state.encrypt "yes" must be true or false'],
  [
    "state.kmsKeyArn as a bare key ID",
    state({ kmsKeyArn: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" }),
    'environments.e.state.kmsKeyArn "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" is not a KMS key ARN or alias ARN',
  ],
  [
    "state.kmsKeyArn in another region than the state bucket",
    state({ kmsKeyArn: "arn:aws:kms:eu-west-1:888888888888:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" }),
    'environments.e.state.kmsKeyArn "arn:aws:kms:eu-west-1:888888888888:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" is not in the state bucket\'s region us-east-1 (partition aws)',
  ],
  [
    "state.kmsKeyArn with encrypt false",
    state({ encrypt: false, kmsKeyArn: "arn:aws:kms:us-east-1:888888888888:alias/tfstate" }),
    'environments.e.state.kmsKeyArn "arn:aws:kms:us-east-1:888888888888:alias/tfstate" is only used with encrypt true',
  ],
  [
    "state locked with a DynamoDB table",
    state({ dynamodbTable: "terraform-locks" }),
    'environments.e.state has unknown field(s) "dynamodbTable"',
  ],
];

const analytics = environments.analytics;
const adminStatement = {
  ...analytics.bucket.existing!.keyPolicyStatements[0],
  Principal: { AWS: "arn:aws:iam::222222222222:root" },
};
const existing =
  (patch: Record<string, unknown>): Tweak =>
  (c) => ({
    ...c,
    bucket: {
      ...c.bucket,
      forceDestroy: undefined,
      existing: {
        keyArn: "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        bucketPolicyStatements: [],
        keyPolicyStatements: [adminStatement],
        ...patch,
      },
    },
  });
const filler = (sid: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    Sid: `${sid}${i}`,
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::222222222222:root" },
    Action: "s3:GetObject",
    Resource: `arn:aws:s3:::local-shared-data-222222222222/team-${"x".repeat(60)}-${i}/*`,
  }));

/** Configurations that grant something else than declared, or that AWS would refuse at apply: refused at synth. */
const ADVERSARIAL: Array<[string, Tweak, string]> = [
  [
    "an inner prefix granting less than the prefix it lies under",
    grant({
      prefixes: [
        { prefix: "a/", access: "readWrite", delete: true },
        { prefix: "a/b/", access: "read" },
      ],
    }),
    'environments.e.grant.prefixes[1].prefix "a/b/" (read) lies under prefixes[0].prefix "a/" (readWrite + delete): IAM grants the union, so keys under "a/b/" would be readWrite + delete, not read',
  ],
  [
    "the same overlap declared in the other order",
    grant({
      prefixes: [
        { prefix: "a/b/", access: "read" },
        { prefix: "a/", access: "readWrite", delete: true },
      ],
    }),
    'environments.e.grant.prefixes[0].prefix "a/b/" (read) lies under prefixes[1].prefix "a/" (readWrite + delete)',
  ],
  [
    "an upload-only prefix under a readable one",
    grant({
      prefixes: [
        { prefix: "data/", access: "read" },
        { prefix: "data/out/", access: "write" },
      ],
    }),
    'environments.e.grant.prefixes[1].prefix "data/out/" (write) lies under prefixes[0].prefix "data/" (read): IAM grants the union, so keys under "data/out/" would be readWrite, not write',
  ],
  [
    "a prefix in CJK characters",
    prefix0({ prefix: "数据/" }),
    'environments.e.grant.prefixes[0].prefix "数据/" is not a valid prefix: it contains "数" (U+6570) at index 0, which IAM refuses in a policy document (allowed: tab, LF, CR and U+0020-U+00FF)',
  ],
  [
    "a prefix in full-width letters",
    prefix0({ prefix: "ｄａｔａ/" }),
    'it contains "ｄ" (U+FF44) at index 0, which IAM refuses in a policy document',
  ],
  [
    "a prefix with a line separator",
    prefix0({ prefix: "a\u2028b/" }),
    'it contains "\u2028" (U+2028) at index 1, which IAM refuses in a policy document',
  ],
  [
    "a prefix with a lone surrogate",
    prefix0({ prefix: "a\ud800/" }),
    "it contains a lone surrogate (U+D800) at index 1, which IAM refuses in a policy document",
  ],
  [
    "a prefix with a .. segment",
    prefix0({ prefix: "a/../b/" }),
    'environments.e.grant.prefixes[0].prefix "a/../b/" is not a valid prefix: it must not have "." or ".." segments',
  ],
  [
    "a prefix that is a . segment",
    prefix0({ prefix: "./" }),
    'environments.e.grant.prefixes[0].prefix "./" is not a valid prefix: it must not have "." or ".." segments',
  ],
  [
    "a Lambda in China and a bucket in the aws partition",
    lambda({ region: "cn-north-1", deployRoleArn: "arn:aws-cn:iam::111111111111:role/deploy" }),
    'environments.e.bucket.region "us-east-1" is in partition aws, the Lambda function\'s region cn-north-1 in partition aws-cn',
  ],
  [
    "a deploy role ARN in another partition than its region",
    lambda({ region: "us-gov-west-1" }),
    'environments.e.lambda.deployRoleArn "arn:aws:iam::111111111111:role/deploy" is in partition aws, but region us-gov-west-1 is in partition aws-us-gov',
  ],
  [
    "a region that does not exist",
    bucket({ region: "eu-fake-9" }),
    'environments.e.bucket.region "eu-fake-9" is not an AWS region name the AWS provider 5.100.0 knows',
  ],
  [
    "a region the provider does not know yet",
    lambda({ region: "ap-southeast-6" }),
    'environments.e.lambda.region "ap-southeast-6" is not an AWS region name the AWS provider 5.100.0 knows',
  ],
  ["memorySize NaN", lambda({ memorySize: Number.NaN }), "environments.e.lambda.memorySize NaN must be 128-10240 MB"],
  [
    "timeoutSeconds Infinity",
    lambda({ timeoutSeconds: Number.POSITIVE_INFINITY }),
    "environments.e.lambda.timeoutSeconds Infinity must be 1-900 seconds",
  ],
  [
    "a layer of another region than the function's",
    lambda({ layers: ["arn:aws:lambda:eu-west-1:111111111111:layer:tools:3"] }),
    'environments.e.lambda.layers[0] "arn:aws:lambda:eu-west-1:111111111111:layer:tools:3" is in region eu-west-1, not the function\'s region us-east-1',
  ],
  [
    "a layer of another partition than the function's",
    lambda({ layers: ["arn:aws-us-gov:lambda:us-gov-west-1:111111111111:layer:tools:3"] }),
    'environments.e.lambda.layers[0] "arn:aws-us-gov:lambda:us-gov-west-1:111111111111:layer:tools:3" is in partition aws-us-gov, not the function\'s partition aws',
  ],
  [
    "a layer ARN over 140 characters",
    lambda({ layers: [`arn:aws:lambda:us-east-1:111111111111:layer:${"x".repeat(100)}:1`] }),
    "is longer than 140 characters (Lambda's limit for a layer version ARN)",
  ],
  [
    "17 subnets",
    lambda({
      vpc: {
        subnetIds: Array.from({ length: 17 }, (_, i) => `subnet-${String(i).padStart(8, "0")}`),
        securityGroupIds: ["sg-00000001"],
      },
    }),
    "has more than 16 subnets (Lambda's limit)",
  ],
  [
    "6 security groups",
    lambda({
      vpc: {
        subnetIds: ["subnet-00000001"],
        securityGroupIds: Array.from({ length: 6 }, (_, i) => `sg-${String(i).padStart(8, "0")}`),
      },
    }),
    "has more than 5 security groups (Lambda's limit)",
  ],
  [
    "a variable Lambda reserves",
    lambda({ environment: { AWS_DEFAULT_REGION: "eu-west-1" } }),
    'environments.e.lambda.environment.AWS_DEFAULT_REGION "eu-west-1" is a variable Lambda reserves',
  ],
  [
    "a variable name Lambda refuses",
    lambda({ environment: { "log-level": "debug" } }),
    'environments.e.lambda.environment.log-level "debug" is not an environment variable name',
  ],
  [
    "a response cap the prebuilt handler refuses",
    lambda({ environment: { MAX_RESPONSE_BYTES: "5MB" } }),
    'environments.e.lambda.environment.MAX_RESPONSE_BYTES "5MB" must be a whole number of bytes from 1024 to 6000000 (below Lambda\'s 6 MB response limit): the prebuilt handler would refuse it at every cold start',
  ],
  [
    "path-style addressing the prebuilt handler refuses",
    lambda({ environment: { S3_FORCE_PATH_STYLE: "yes" } }),
    'environments.e.lambda.environment.S3_FORCE_PATH_STYLE "yes" must be "true" or "false"',
  ],
  [
    "an environment over Lambda's 4 KB",
    lambda({ environment: { NOTES: "n".repeat(4000) } }),
    "environments.e.lambda.environment with the grant's variables is 4",
  ],
  [
    "the Lambda role named as the account's deploy role",
    lambda({ roleName: "deploy" }),
    'environments.e.lambda.roleName "deploy" is the deploy role arn:aws:iam::111111111111:role/deploy (environments.e.lambda.deployRoleArn) in account 111111111111: the grant\'s policies would be attached to the role the pipeline deploys with',
  ],
  [
    "the Lambda role named as the deploy role in other letter case",
    lambda({ roleName: "Deploy" }),
    'environments.e.lambda.roleName "Deploy" is the deploy role arn:aws:iam::111111111111:role/deploy (environments.e.lambda.deployRoleArn) in account 111111111111 (IAM role names are case-insensitive)',
  ],
  [
    "the S3 access role named as the bucket account's deploy role",
    () => ({ ...assumeRole, grant: { ...assumeRole.grant, accessRoleName: "deploy" } }),
    'environments.e.grant.accessRoleName "deploy" is the deploy role arn:aws:iam::222222222222:role/deploy (environments.e.bucket.deployRoleArn) in account 222222222222',
  ],
  [
    "an existing bucket policy that, with the grant, is over 20,480 characters",
    existing({ bucketPolicyStatements: filler("Team", 100) }),
    "environments.e.bucket.existing.bucketPolicyStatements (100 statements) and environments.e.grant (2 prefixes): the bucket policy of local-shared-data-222222222222 would be",
  ],
  [
    "an existing key policy that, with the grant, is over 32,768 characters",
    existing({ keyPolicyStatements: [adminStatement, ...filler("Key", 160)] }),
    "environments.e.bucket.existing.keyPolicyStatements (161 statements) and environments.e.grant (2 prefixes): the key policy of alias/local-shared-data would be",
  ],
  [
    "an existing key policy that no longer lets the bucket account administer the key",
    existing({
      keyPolicyStatements: [{ ...adminStatement, Principal: { AWS: "arn:aws:iam::222222222222:role/key-admin" } }],
    }),
    "environments.e.bucket.existing.keyPolicyStatements",
  ],
  [
    "an existing key policy that denies the account PutKeyPolicy",
    existing({
      keyPolicyStatements: [
        adminStatement,
        { Sid: "Freeze", Effect: "Deny", Principal: "*", Action: "kms:PutKeyPolicy", Resource: "*" },
      ],
    }),
    "denies kms:PutKeyPolicy to the bucket account (statement Freeze): KMS refuses a key policy that locks out its own account",
  ],
  [
    "an existing key ARN in another partition",
    existing({ keyArn: "arn:aws-cn:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab" }),
    'environments.e.bucket.existing.keyArn "arn:aws-cn:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab" is not a key of the bucket\'s account and region (222222222222, us-east-1, partition aws)',
  ],
  [
    "an existing statement with a character a policy may not hold",
    existing({
      bucketPolicyStatements: [
        {
          Sid: "Team",
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::222222222222:root" },
          Action: "s3:GetObject",
          Resource: "arn:aws:s3:::local-shared-data-222222222222/报告/*",
        },
      ],
      keyPolicyStatements: [adminStatement],
    }),
    'environments.e.bucket.existing.bucketPolicyStatements[0].Resource "arn:aws:s3:::local-shared-data-222222222222/报告/*" contains "报" (U+62A5) at index 44',
  ],
  [
    "the state in another partition than the accounts it deploys",
    state({ region: "cn-north-1", roleArn: "arn:aws-cn:iam::888888888888:role/terraform-state" }),
    'environments.e.state.region "cn-north-1" is in partition aws-cn, but the environment deploys in partition aws (us-east-1)',
  ],
  [
    "the state kept in the bucket the grant opens to the Lambda",
    state({ bucket: "local-shared-data-222222222222" }),
    'environments.e.state.bucket "local-shared-data-222222222222" is the bucket environments.e.bucket.bucketName grants access to: the grant would open the state',
  ],
  [
    "the Lambda role named as the state role",
    (c) => ({
      ...c,
      lambda: { ...c.lambda, roleName: "terraform-state" },
      state: { ...c.state, accountId: "111111111111", roleArn: "arn:aws:iam::111111111111:role/terraform-state" },
    }),
    'environments.e.lambda.roleName "terraform-state" is the deploy role arn:aws:iam::111111111111:role/terraform-state (environments.e.state.roleArn) in account 111111111111',
  ],
];

const CONFIG_CASES = [...CASES, ...ADVERSARIAL];

/** Validates and builds an app as main.ts does; the ConfigurationError it throws, if any. */
function refusal(
  single: Record<string, EnvironmentConfig>,
  shared: Record<string, SharedEnvironmentConfig> = {},
): ConfigurationError | undefined {
  try {
    validateApp(single, shared);
    const app = Testing.app();
    const options = {};
    for (const [name, config] of Object.entries(single)) environmentStacks(app, name, config, options);
    for (const [name, config] of Object.entries(shared)) sharedEnvironmentStacks(app, name, config, options);
    return undefined;
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
}

test(`${CONFIG_CASES.length} distinct malformed configurations, at least 60`, () => {
  expect(CONFIG_CASES.length).toBeGreaterThanOrEqual(60);
  expect(new Set(CONFIG_CASES.map(([name]) => name)).size).toBe(CONFIG_CASES.length);
});

test.each(CONFIG_CASES)("%s is refused at synth, naming the field and the value", (_name, tweak, message) => {
  const error = refusal({ e: tweak(local) as EnvironmentConfig });
  expect(error).toBeInstanceOf(ConfigurationError);
  // Exactly the expected problem, besides any it implies (a changed account also mismatches its deploy role).
  expect(error!.problems).toEqual(expect.arrayContaining([expect.stringContaining(message)]));
});

test("two grantees of a shared bucket whose SQS entries overlap are refused, naming both", () => {
  const onQueue = (g: (typeof sharedLocal.grantees)[number]) => ({
    ...g,
    grant: { ...g.grant, events: { delivery: "sqs" as const, prefixes: ["reference/"] } },
  });
  const [reporting, billing, ...rest] = sharedLocal.grantees;
  const error = refusal({}, { lake: { ...sharedLocal, grantees: [onQueue(reporting), onQueue(billing), ...rest] } });
  expect(error).toBeInstanceOf(ConfigurationError);
  expect(error!.problems).toEqual([
    'sharedEnvironments.lake.grantees[1].grant.events.prefixes[0] "reference/" (s3:ObjectCreated:*) overlaps grantees[0].grant.events.prefixes[0] (s3:ObjectCreated:* on "reference/"): S3 refuses a notification configuration whose destinations could both be sent one event of one key',
  ]);
});

test("SQS entries apart by prefix, by suffix or by event are accepted", () => {
  const [reporting, billing, ...rest] = sharedLocal.grantees;
  const withEvents = (g: (typeof sharedLocal.grantees)[number], events: Record<string, unknown>) => ({
    ...g,
    grant: { ...g.grant, prefixes: [{ prefix: "reference/", access: "read" as const }], events },
  });
  const apart = [
    [{ prefixes: ["reference/a/"] }, { prefixes: ["reference/b/"] }],
    [
      { prefixes: ["reference/"], suffix: ".csv" },
      { prefixes: ["reference/"], suffix: ".json" },
    ],
  ];
  for (const [a, b] of apart) {
    const grantees = [
      withEvents(reporting, { delivery: "sqs", ...a }),
      withEvents(billing, { delivery: "sqs", ...b }),
      ...rest,
    ];
    expect(refusal({}, { lake: { ...sharedLocal, grantees } as SharedEnvironmentConfig })).toBeUndefined();
  }
});

test("an inner prefix that grants more than the one it lies under is exact and accepted", () => {
  expect(
    refusal({
      e: grant({
        prefixes: [
          { prefix: "data/", access: "read" },
          { prefix: "data/out/", access: "readWrite", delete: true },
        ],
      })(local) as EnvironmentConfig,
    }),
  ).toBeUndefined();
});

const sharedLocal = sharedEnvironments["local-shared"];
const consumer0 = sharedLocal.grantees[0];
const renamed = (env: EnvironmentConfig, suffix: string): EnvironmentConfig => ({
  ...env,
  lambda: {
    ...env.lambda,
    functionName: `${env.lambda.functionName}-${suffix}`,
    roleName: `${env.lambda.roleName}-${suffix}`,
  },
  bucket: {
    ...env.bucket,
    bucketName: `${env.bucket.bucketName.slice(0, 40)}-${suffix}`,
    keyAlias: `${env.bucket.keyAlias}-${suffix}`,
  },
});

/** What several environments must not share, each refused naming both places. */
const ACROSS: Array<[string, Record<string, EnvironmentConfig>, Record<string, SharedEnvironmentConfig>, string]> = [
  [
    "an environment named as the Lambda stack of a split one",
    { staging: { ...environments["local-split"] }, "staging-lambda": renamed(local, "b") },
    {},
    'environments["staging-lambda"] gives the stack "staging-lambda" (its stack), which environments.staging.layout "split" gives too (the Lambda account\'s stack): rename one of them',
  ],
  [
    "a consumer named bucket in a split shared environment",
    {},
    { lake: { ...sharedLocal, layout: "split", grantees: [{ ...consumer0, name: "bucket" }] } },
    'sharedEnvironments.lake.grantees[0].name "bucket" gives the stack "lake-bucket" (the grantee\'s stack), which sharedEnvironments.lake.layout "split" gives too (the bucket account\'s stack)',
  ],
  [
    "two environments naming one Lambda role, in other letter case",
    {
      a: local,
      b: { ...renamed(local, "b"), lambda: { ...renamed(local, "b").lambda, roleName: "Local-Data-Consumer" } },
    },
    {},
    'environments.b.lambda.roleName "Local-Data-Consumer" is the same IAM role as environments.a.lambda.roleName "local-data-consumer" in account 111111111111 (IAM role names are case-insensitive)',
  ],
  [
    "two environments naming one S3 access role",
    { a: assumeRole, b: { ...renamed(assumeRole, "b"), grant: assumeRole.grant } },
    {},
    'environments.b.grant.accessRoleName "local-uploader-s3-access" is the same IAM role as environments.a.grant.accessRoleName "local-uploader-s3-access" in account 222222222222',
  ],
  [
    "two environments on one bucket",
    {
      a: local,
      b: { ...renamed(local, "b"), bucket: { ...renamed(local, "b").bucket, bucketName: local.bucket.bucketName } },
    },
    {},
    'environments.b.bucket.bucketName "local-shared-data-222222222222" is the same S3 bucket as environments.a.bucket.bucketName "local-shared-data-222222222222" in partition aws',
  ],
  [
    "two environments naming one Lambda function in one account and region",
    {
      a: local,
      b: { ...renamed(local, "b"), lambda: { ...renamed(local, "b").lambda, functionName: local.lambda.functionName } },
    },
    {},
    'environments.b.lambda.functionName "local-data-consumer" is the same Lambda function as environments.a.lambda.functionName "local-data-consumer" in account 111111111111 and us-east-1',
  ],
  [
    "two environments naming one KMS alias",
    {
      a: local,
      b: { ...renamed(local, "b"), bucket: { ...renamed(local, "b").bucket, keyAlias: local.bucket.keyAlias } },
    },
    {},
    'environments.b.bucket.keyAlias "alias/local-shared-data" is the same KMS alias as environments.a.bucket.keyAlias "alias/local-shared-data" in account 222222222222 and us-east-1',
  ],
  [
    "an environment's Lambda role named as another environment's deploy role",
    {
      a: local,
      b: {
        ...renamed(local, "b"),
        lambda: {
          ...renamed(local, "b").lambda,
          roleName: "DEPLOY",
          deployRoleArn: "arn:aws:iam::111111111111:role/ci/pipeline",
        },
      },
    },
    {},
    'environments.b.lambda.roleName "DEPLOY" is the deploy role arn:aws:iam::111111111111:role/deploy (environments.a.lambda.deployRoleArn) in account 111111111111 (IAM role names are case-insensitive)',
  ],
  [
    "two shared buckets whose consumers would get access points of one name",
    {},
    {
      one: sharedLocal,
      two: {
        ...sharedLocal,
        bucket: {
          ...sharedLocal.bucket,
          bucketName: "local-second-lake-222222222222",
          keyAlias: "alias/local-second-lake",
        },
        grantees: [
          {
            ...consumer0,
            lambda: { ...consumer0.lambda, functionName: "second-reporting", roleName: "second-reporting" },
          },
        ],
      },
    },
    'sharedEnvironments.two.grantees[0].name "reporting" is the same S3 access point as sharedEnvironments.one.grantees[0].name "reporting" in account 222222222222 and us-east-1',
  ],
  [
    "a consumer name that access points reserve",
    {},
    { lake: { ...sharedLocal, grantees: [{ ...consumer0, name: "reports-s3alias" }] } },
    'sharedEnvironments.lake.grantees[0].name "reports-s3alias" is not a grantee name: it names the grantee\'s access point, and access point names must not end with -s3alias or -ext-s3alias',
  ],
  [
    "a consumer in another partition than the bucket",
    {},
    {
      lake: {
        ...sharedLocal,
        grantees: [
          {
            ...consumer0,
            lambda: {
              ...consumer0.lambda,
              region: "cn-north-1",
              deployRoleArn: "arn:aws-cn:iam::111111111111:role/deploy",
            },
          },
        ],
      },
    },
    'sharedEnvironments.lake.grantees[0].lambda.region "cn-north-1" is in partition aws-cn, the bucket\'s region us-east-1 in aws',
  ],
  [
    "two consumers of one bucket naming one role in other letter case",
    {},
    {
      lake: {
        ...sharedLocal,
        grantees: [
          sharedLocal.grantees[0],
          { ...sharedLocal.grantees[2], lambda: { ...sharedLocal.grantees[2].lambda, roleName: "LOCAL-REPORTING" } },
        ],
      },
    },
    'sharedEnvironments.lake.grantees[1].lambda.roleName "LOCAL-REPORTING" is also the role of grantees[0] in account 111111111111 (IAM role names are case-insensitive)',
  ],
  [
    "an environment keeping its state in the bucket another environment grants access to",
    { a: local, b: { ...renamed(local, "b"), state: { ...local.state, bucket: local.bucket.bucketName } } },
    {},
    'environments.b.state.bucket "local-shared-data-222222222222" is the bucket environments.a.bucket.bucketName grants access to',
  ],
  [
    "a shared bucket that also holds the state",
    {},
    { lake: { ...sharedLocal, state: { ...sharedLocal.state, bucket: sharedLocal.bucket.bucketName } } },
    'sharedEnvironments.lake.state.bucket "local-shared-lake-222222222222" is the bucket sharedEnvironments.lake.bucket.bucketName grants access to',
  ],
  [
    "a shared bucket's grantee role named as the state role",
    {},
    {
      lake: {
        ...sharedLocal,
        state: {
          ...sharedLocal.state,
          accountId: "333333333333",
          roleArn: "arn:aws:iam::333333333333:role/local-billing",
        },
      },
    },
    'sharedEnvironments.lake.grantees[1].lambda.roleName "local-billing" is the deploy role arn:aws:iam::333333333333:role/local-billing (sharedEnvironments.lake.state.roleArn) in account 333333333333',
  ],
];

test.each(ACROSS)("%s is refused at synth, naming both places", (_name, single, shared, message) => {
  const error = refusal(single, shared);
  expect(error).toBeInstanceOf(ConfigurationError);
  expect(error!.problems).toEqual(expect.arrayContaining([expect.stringContaining(message)]));
});

/**
 * What the stacks would write into a function that Lambda or the prebuilt handler refuses: the config validation says
 * so before any stack exists, and the stacks' constructs say so too (they name a shared grantee's Lambda side without
 * its place in the list).
 */
const apShared = sharedEnvironments["local-shared-ap"];
const apConsumer = apShared.grantees[0];
const ENVIRONMENT_REFUSALS: Array<
  [string, Record<string, EnvironmentConfig>, Record<string, SharedEnvironmentConfig>, string, string]
> = [
  [
    "a response cap of 0 bytes",
    { e: lambda({ environment: { MAX_RESPONSE_BYTES: "0" } })(local) as EnvironmentConfig },
    {},
    'environments.e.lambda.environment.MAX_RESPONSE_BYTES "0" must be a whole number of bytes',
    'environments.e.lambda.environment.MAX_RESPONSE_BYTES "0" must be a whole number of bytes',
  ],
  [
    "the grant's 60 prefixes of 24 characters",
    {
      e: grant({
        prefixes: Array.from({ length: 60 }, (_, i) => ({ prefix: `${String(i).padStart(23, "0")}/`, access: "read" })),
      })(local) as EnvironmentConfig,
    },
    {},
    "environments.e.lambda.environment with the grant's variables is 4",
    "environments.e.lambda.environment with the grant's variables is 4",
  ],
  [
    "path-style addressing for a grantee that goes through an access point",
    {},
    {
      lake: {
        ...apShared,
        grantees: [{ ...apConsumer, lambda: { ...apConsumer.lambda, environment: { S3_FORCE_PATH_STYLE: "true" } } }],
      },
    },
    'sharedEnvironments.lake.grantees[0].lambda.environment.S3_FORCE_PATH_STYLE "true" would fail every cold start of the prebuilt handler: the grant goes through the access point arn:aws:s3:us-east-1:222222222222:accesspoint/ap-reporting',
    'sharedEnvironments.lake.lambda.environment.S3_FORCE_PATH_STYLE "true" would fail every cold start of the prebuilt handler',
  ],
  [
    "a shared grantee's environment over Lambda's 4 KB",
    {},
    {
      lake: {
        ...sharedLocal,
        grantees: [{ ...consumer0, lambda: { ...consumer0.lambda, environment: { NOTES: "n".repeat(4000) } } }],
      },
    },
    "sharedEnvironments.lake.grantees[0].lambda.environment with the grant's variables is 4",
    "sharedEnvironments.lake.lambda.environment with the grant's variables is 4",
  ],
];

test.each(ENVIRONMENT_REFUSALS)(
  "%s: refused by the config validation alone, before any stack exists",
  (_name, single, shared, message) => {
    let error: unknown;
    try {
      validateApp(single, shared);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).problems).toEqual(expect.arrayContaining([expect.stringContaining(message)]));
  },
);

test.each(ENVIRONMENT_REFUSALS)(
  "%s: refused by the stacks too, without the config validation",
  (_name, single, shared, _message, constructMessage) => {
    const app = Testing.app();
    const build = () => {
      for (const [name, config] of Object.entries(single)) environmentStacks(app, name, config, {});
      for (const [name, config] of Object.entries(shared)) sharedEnvironmentStacks(app, name, config, {});
    };
    expect(build).toThrow(constructMessage);
  },
);

test("every shipped environment together passes the checks across environments", () => {
  expect(validateApp(environments, sharedEnvironments).names).toHaveLength(
    Object.keys(environments).length + Object.keys(sharedEnvironments).length,
  );
});

test("every problem of every environment is listed at once", () => {
  const error = refusal({
    a: lambda({ region: "eu-fake-9" })(local) as EnvironmentConfig,
    b: bucket({ bucketName: "Bad_Name" })(renamed(local, "b")) as EnvironmentConfig,
  });
  expect(error!.problems.map((p) => p.split(" ")[0])).toEqual(
    expect.arrayContaining(["environments.a.lambda.region", "environments.b.bucket.bucketName"]),
  );
});
