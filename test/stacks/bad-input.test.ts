/**
 * Malformed environment configurations, each refused by the schema before anything is created, with a message that
 * names the field and the value received.
 */
import { ConfigurationError } from "../../modules";
import { validateEnvironments, type EnvironmentConfig } from "../../stacks/config";
import { environments } from "../../stacks/environments";

const local = environments.local;
const assumeRole = environments["local-assume-role"];
type Tweak = (c: EnvironmentConfig) => unknown;
const lambda = (patch: Record<string, unknown>): Tweak => (c) => ({ ...c, lambda: { ...c.lambda, ...patch } });
const bucket = (patch: Record<string, unknown>): Tweak => (c) => ({ ...c, bucket: { ...c.bucket, ...patch } });
const grant = (patch: Record<string, unknown>): Tweak => (c) => ({ ...c, grant: { ...c.grant, ...patch } });
const prefix0 = (patch: Record<string, unknown>): Tweak => grant({ prefixes: [{ ...local.grant.prefixes[0], ...patch }] });

const CASES: Array<[string, Tweak, string]> = [
  ["lambda.accountId too short", lambda({ accountId: "12345" }), 'environments.e.lambda.accountId "12345" is not an AWS account ID (12 digits)'],
  ["lambda.accountId as a number", lambda({ accountId: 111111111111 }), "environments.e.lambda.accountId 111111111111 must be a string"],
  ["bucket.accountId with letters", bucket({ accountId: "abcdefghijkl" }), 'environments.e.bucket.accountId "abcdefghijkl" is not an AWS account ID'],
  ["lambda.region in capitals", lambda({ region: "US-EAST-1" }), 'environments.e.lambda.region "US-EAST-1" is not an AWS region name'],
  ["bucket.region without its number", bucket({ region: "eu-west" }), 'environments.e.bucket.region "eu-west" is not an AWS region name'],
  ["lambda.functionName with a space", lambda({ functionName: "my function" }), 'environments.e.lambda.functionName "my function" is not a valid Lambda function name'],
  ["lambda.functionName too long", lambda({ functionName: "f".repeat(65) }), `environments.e.lambda.functionName "${"f".repeat(65)}" is not a valid Lambda function name`],
  ["lambda.roleName with a slash", lambda({ roleName: "team/reader" }), 'environments.e.lambda.roleName "team/reader" is not a valid IAM role name'],
  ["lambda.logRetentionDays not offered by CloudWatch", lambda({ logRetentionDays: 10 }), "environments.e.lambda.logRetentionDays 10 is not a CloudWatch Logs retention"],
  ["lambda.memorySize below 128 MB", lambda({ memorySize: 64 }), "environments.e.lambda.memorySize 64 must be 128-10240 MB"],
  ["lambda.timeoutSeconds over 15 minutes", lambda({ timeoutSeconds: 901 }), "environments.e.lambda.timeoutSeconds 901 must be 1-900 seconds"],
  ["lambda.deployRoleArn naming a user", lambda({ deployRoleArn: "arn:aws:iam::111111111111:user/deploy" }), 'environments.e.lambda.deployRoleArn "arn:aws:iam::111111111111:user/deploy" is not an IAM role ARN'],
  ["bucket.deployRoleArn in the other account", bucket({ deployRoleArn: "arn:aws:iam::111111111111:role/deploy" }), 'environments.e.bucket.deployRoleArn "arn:aws:iam::111111111111:role/deploy" is in account 111111111111, not in bucket.accountId 222222222222'],
  ["bucket.bucketName with capitals and underscore", bucket({ bucketName: "My_Bucket" }), 'environments.e.bucket.bucketName "My_Bucket" is not a valid S3 bucket name: use only lowercase letters, digits, dots and hyphens'],
  ["bucket.bucketName too short", bucket({ bucketName: "ab" }), 'environments.e.bucket.bucketName "ab" is not a valid S3 bucket name: it must be 3 to 63 characters long'],
  ["bucket.bucketName shaped as an IP address", bucket({ bucketName: "192.168.0.1" }), 'environments.e.bucket.bucketName "192.168.0.1" is not a valid S3 bucket name: it must not be formatted as an IP address'],
  ["bucket.bucketName with a reserved suffix", bucket({ bucketName: "data-s3alias" }), 'environments.e.bucket.bucketName "data-s3alias" is not a valid S3 bucket name: it must not end with a reserved suffix'],
  ["bucket.keyAlias in the AWS namespace", bucket({ keyAlias: "alias/aws/s3" }), 'environments.e.bucket.keyAlias "alias/aws/s3" is not a valid KMS alias'],
  ["bucket.keyAlias without alias/", bucket({ keyAlias: "shared-data" }), 'environments.e.bucket.keyAlias "shared-data" is not a valid KMS alias'],
  ["bucket.forceDestroy as a string", bucket({ forceDestroy: "yes" }), 'environments.e.bucket.forceDestroy "yes" must be true or false'],
  ["the same account on both sides", bucket({ accountId: "111111111111", deployRoleArn: "arn:aws:iam::111111111111:role/d" }), 'environments.e.bucket.accountId "111111111111" is 111111111111, the same account as lambda.accountId'],
  ["grant.mode unknown", grant({ mode: "direct" }), 'environments.e.grant.mode "direct" is not an access mode (bucket-policy, assume-role)'],
  ["an empty grant", grant({ prefixes: [] }), "environments.e.grant.prefixes [] is empty: a grant needs at least one prefix"],
  ["a prefix with a leading slash", prefix0({ prefix: "/incoming/" }), 'environments.e.grant.prefixes[0].prefix "/incoming/" is not a valid prefix: it must not start with "/"'],
  ["a prefix with a wildcard", prefix0({ prefix: "incoming/*" }), 'environments.e.grant.prefixes[0].prefix "incoming/*" is not a valid prefix: it must not contain the wildcards * or ?'],
  ["a prefix without its trailing slash", prefix0({ prefix: "incoming" }), 'environments.e.grant.prefixes[0].prefix "incoming" is not a valid prefix: it must end with "/" (did you mean "incoming/"?)'],
  ["a prefix with a policy variable", prefix0({ prefix: "${aws:username}/" }), 'environments.e.grant.prefixes[0].prefix "${aws:username}/" is not a valid prefix: it must not contain "${" or "%{"'],
  ["an unknown preset", prefix0({ access: "admin" }), 'environments.e.grant.prefixes[0].access "admin" is not an access preset (read, write, readWrite)'],
  ["delete as a string", prefix0({ delete: "yes" }), 'environments.e.grant.prefixes[0].delete "yes" must be true or false'],
  ["the same prefix twice", grant({ prefixes: [local.grant.prefixes[0], local.grant.prefixes[0]] }), 'environments.e.grant.prefixes[1].prefix "incoming/" is granted twice'],
  ["assume-role mode without a role name", grant({ mode: "assume-role" }), "environments.e.grant.accessRoleName is required in assume-role mode"],
  ["an ExternalId too short", (c) => ({ ...assumeRole, lambda: c.lambda, grant: { ...assumeRole.grant, externalId: "x" } }), 'environments.e.grant.externalId "x" is not a valid ExternalId'],
  ["an ExternalId in bucket-policy mode", grant({ externalId: "ext-12345" }), 'environments.e.grant.externalId "ext-12345" is only used in assume-role mode'],
  ["an access role name in bucket-policy mode", grant({ accessRoleName: "s3-access" }), 'environments.e.grant.accessRoleName "s3-access" is only used in assume-role mode'],
  ["an organization ID of the wrong shape", grant({ principalOrgId: "org-1" }), 'environments.e.grant.principalOrgId "org-1" is not an AWS Organization ID'],
  ["a VPC ID where an endpoint ID belongs", grant({ sourceVpce: ["vpc-0123abcd"] }), 'environments.e.grant.sourceVpce[0] "vpc-0123abcd" is not a VPC endpoint ID'],
  ["an unknown principal style", grant({ principalStyle: "arn" }), 'environments.e.grant.principalStyle "arn" is not a principal style (account-and-arn, role-arn)'],
  ["an unknown target", (c) => ({ ...c, target: "staging" }), 'environments.e.target "staging" is not a target (aws, local-emulator)'],
  ["an unknown field", lambda({ vpcId: "vpc-1" }), 'environments.e.lambda has unknown field(s) "vpcId"'],
  ["a missing bucket name", (c) => ({ ...c, bucket: { ...c.bucket, bucketName: undefined } }), "environments.e.bucket.bucketName is required"],
];

test(`${CASES.length} distinct malformed configurations, at least 30`, () => {
  expect(CASES.length).toBeGreaterThanOrEqual(30);
  expect(new Set(CASES.map(([name]) => name)).size).toBe(CASES.length);
});

test.each(CASES)("%s is refused, naming the field and the value", (_name, tweak, message) => {
  const config = tweak(local) as EnvironmentConfig;
  let error: unknown;
  try {
    validateEnvironments({ e: config });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigurationError);
  // Exactly the expected problem, besides any it implies (a changed account also mismatches its deploy role).
  expect((error as ConfigurationError).problems).toEqual(expect.arrayContaining([expect.stringContaining(message)]));
});
