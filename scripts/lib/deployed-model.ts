/**
 * The access model of a stack as deployed: every policy fetched back from the (emulated) accounts after apply, so
 * the access proof can show that what was deployed is what was proven before deployment.
 */
import { GetRoleCommand, GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand } from "@aws-sdk/client-iam";
import { GetKeyPolicyCommand, KMSClient, ListAliasesCommand } from "@aws-sdk/client-kms";
import { GetBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3";
import type { PolicyDocument } from "../../modules";
import type { EnvironmentConfig } from "../../stacks/config";
import type { AccessModel, ModelRole } from "./access-model";
import { emulatorClientConfig, roleCredentials, type Emulator } from "./emulator";

export interface DeployedNames {
  readonly bucketName: string;
  readonly kmsKeyArn: string;
}

/** IAM returns policy documents URL-encoded. */
const parsePolicy = (text: string | undefined, what: string): PolicyDocument => {
  if (!text) throw new Error(`deployed model: ${what} is missing`);
  return JSON.parse(text.startsWith("%7B") || text.startsWith("%7b") ? decodeURIComponent(text) : text) as PolicyDocument;
};

async function fetchRole(iam: IAMClient, accountId: string, roleName: string): Promise<ModelRole> {
  const { Role } = await iam.send(new GetRoleCommand({ RoleName: roleName }));
  const names = (await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
  const policies: Record<string, PolicyDocument> = {};
  for (const name of names) {
    const { PolicyDocument: doc } = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }));
    policies[name] = parsePolicy(doc, `policy ${name} of ${roleName}`);
  }
  return {
    arn: `arn:aws:iam::${accountId}:role/${roleName}`,
    name: roleName,
    accountId,
    trustPolicy: parsePolicy(Role?.AssumeRolePolicyDocument, `the trust policy of ${roleName}`),
    policies,
  };
}

/** Fetches the deployed policies of an environment's stack, acting in each account through `deployRoleArn`. */
export async function modelFromEmulator(
  emulator: Emulator,
  stack: string,
  config: EnvironmentConfig,
  deployed: DeployedNames,
  deployRoleArn: (accountId: string) => string,
): Promise<AccessModel> {
  const A = config.lambda.accountId;
  const B = config.bucket.accountId;
  const inA = emulatorClientConfig(emulator.endpoint, await roleCredentials(emulator.endpoint, deployRoleArn(A), "proof"));
  const inB = emulatorClientConfig(emulator.endpoint, await roleCredentials(emulator.endpoint, deployRoleArn(B), "proof"));
  const roles: Record<string, ModelRole> = {};
  const lambdaRole = await fetchRole(new IAMClient(inA), A, config.lambda.roleName);
  roles[lambdaRole.arn] = lambdaRole;
  if (config.grant.accessRoleName) {
    const accessRole = await fetchRole(new IAMClient(inB), B, config.grant.accessRoleName);
    roles[accessRole.arn] = accessRole;
  }
  const { Policy: bucketPolicy } = await new S3Client(inB).send(new GetBucketPolicyCommand({ Bucket: deployed.bucketName }));
  const kms = new KMSClient(inB);
  const { Policy: keyPolicy } = await kms.send(new GetKeyPolicyCommand({ KeyId: deployed.kmsKeyArn, PolicyName: "default" }));
  const keyId = deployed.kmsKeyArn.split("/").pop();
  const aliases = ((await kms.send(new ListAliasesCommand({ KeyId: keyId }))).Aliases ?? [])
    .filter((a) => a.TargetKeyId === keyId)
    .map((a) => a.AliasName ?? "");
  return {
    stack,
    lambdaAccountId: A,
    bucketAccountId: B,
    bucketRegion: config.bucket.region,
    roles,
    bucket: { name: deployed.bucketName, arn: `arn:aws:s3:::${deployed.bucketName}`, accountId: B, policy: parsePolicy(bucketPolicy, "the bucket policy") },
    key: { arn: deployed.kmsKeyArn, accountId: B, aliases, policy: parsePolicy(keyPolicy, "the key policy") },
  };
}
