/**
 * The access model of a stack as deployed: every policy fetched back from the (emulated) accounts after apply, so
 * the access proof can show that what was deployed is what was proven before deployment.
 */
import { lambdaRoleArnOf, roleArnParts } from "../../modules/internal";
import { GetRoleCommand, GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand } from "@aws-sdk/client-iam";
import { GetKeyPolicyCommand, KMSClient, ListAliasesCommand } from "@aws-sdk/client-kms";
import { GetBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3";
import type { PolicyDocument } from "../../modules/internal";
import type { EnvironmentConfig } from "../../stacks/config";
import type { AccessModel, ModelRole } from "./access-model";
import { emulatorClientConfig, roleCredentials, type Emulator } from "./emulator";
import { s3ControlRequest } from "./emulator";

/** The grantee's role name (a role with a path is found by its name). */
const lambdaRoleNameOf = (lambda: Parameters<typeof lambdaRoleArnOf>[0]): string => roleArnParts(lambdaRoleArnOf(lambda)).name;

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
  const lambdaRole = await fetchRole(new IAMClient(inA), A, lambdaRoleNameOf(config.lambda));
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

/** An access point as deployed: the bucket it serves and its policy. */
export interface DeployedAccessPoint {
  readonly name: string;
  readonly bucket: string;
  readonly policy: PolicyDocument;
}

/** The text of each `<tag>` element of an S3 Control XML answer, unescaped. */
const xmlValues = (xml: string, tag: string): string[] =>
  [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, "g"))].map((m) =>
    m[1]!.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16))).replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d))).replace(/&amp;/g, "&"),
  );

/** The names of the access points in `accountId`, as S3 Control ListAccessPoints gives them. */
export async function accessPointNames(emulator: Emulator, accountId: string, deployRoleArn: (accountId: string) => string): Promise<string[]> {
  const credentials = await roleCredentials(emulator.endpoint, deployRoleArn(accountId), "access-points");
  const list = await s3ControlRequest(emulator.endpoint, credentials, accountId, "GET", "/v20180820/accesspoint");
  if (list.status !== 200) throw new Error(`ListAccessPoints in ${accountId}: HTTP ${list.status} ${list.body}`);
  return xmlValues(list.body, "Name");
}

/** Fetches each named access point of `accountId` back: its bucket (GetAccessPoint) and policy (GetAccessPointPolicy). */
export async function accessPointsFromEmulator(
  emulator: Emulator,
  accountId: string,
  names: readonly string[],
  deployRoleArn: (accountId: string) => string,
): Promise<DeployedAccessPoint[]> {
  const credentials = await roleCredentials(emulator.endpoint, deployRoleArn(accountId), "access-points");
  const found: DeployedAccessPoint[] = [];
  for (const name of names) {
    const path = `/v20180820/accesspoint/${encodeURIComponent(name)}`;
    const ap = await s3ControlRequest(emulator.endpoint, credentials, accountId, "GET", path);
    if (ap.status !== 200) throw new Error(`GetAccessPoint ${name} in ${accountId}: HTTP ${ap.status} ${ap.body}`);
    const policy = await s3ControlRequest(emulator.endpoint, credentials, accountId, "GET", `${path}/policy`);
    if (policy.status !== 200) throw new Error(`GetAccessPointPolicy ${name} in ${accountId}: HTTP ${policy.status} ${policy.body}`);
    found.push({
      name,
      bucket: xmlValues(ap.body, "Bucket")[0] ?? "",
      policy: parsePolicy(xmlValues(policy.body, "Policy")[0], `the policy of access point ${name}`),
    });
  }
  return found;
}
