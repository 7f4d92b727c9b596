/**
 * The access model of a grant as deployed: every policy fetched back from the (emulated) accounts after apply, in the
 * shape of the proof's model (modules/proof/model.ts), so the same requests (grantRequests) prove that what was
 * deployed is what was proven before deployment.
 */
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from "@aws-sdk/client-iam";
import { GetKeyPolicyCommand, KMSClient, ListAliasesCommand } from "@aws-sdk/client-kms";
import { GetBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3";
import { roleArnParts, type PolicyDocument } from "../../modules/internal";
import type { GrantRecord } from "../../modules/proof";
import type { AccessModel, ModelAccessPoint, ModelRole } from "../../modules/proof/model";
import { emulatorClientConfig, roleCredentials, type Emulator } from "./emulator";
import { s3ControlRequest } from "./emulator";

export interface DeployedNames {
  readonly bucketName: string;
  readonly kmsKeyArn: string;
}

/** IAM returns policy documents URL-encoded. */
export const parsePolicy = (text: string | undefined, what: string): PolicyDocument => {
  if (!text) throw new Error(`deployed model: ${what} is missing`);
  return JSON.parse(
    text.startsWith("%7B") || text.startsWith("%7b") ? decodeURIComponent(text) : text,
  ) as PolicyDocument;
};

/** A role as deployed: its trust, its inline policies by name and its attached managed policies by `managed <arn>`. */
export async function fetchRole(iam: IAMClient, arn: string): Promise<ModelRole> {
  const { accountId, name } = roleArnParts(arn);
  const { Role } = await iam.send(new GetRoleCommand({ RoleName: name }));
  if (Role?.Arn !== arn)
    throw new Error(`deployed model: the grant names the role ${arn}, IAM has ${Role?.Arn ?? "no such role"}`);
  const policies: Record<string, PolicyDocument> = {};
  for (const policyName of (await iam.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames ?? []) {
    const { PolicyDocument: doc } = await iam.send(
      new GetRolePolicyCommand({ RoleName: name, PolicyName: policyName }),
    );
    policies[policyName] = parsePolicy(doc, `policy ${policyName} of ${name}`);
  }
  for (const attached of (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }))).AttachedPolicies ??
    []) {
    const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: attached.PolicyArn }));
    const { PolicyVersion } = await iam.send(
      new GetPolicyVersionCommand({ PolicyArn: attached.PolicyArn, VersionId: Policy?.DefaultVersionId }),
    );
    policies[`managed ${attached.PolicyArn}`] = parsePolicy(
      PolicyVersion?.Document,
      `managed policy ${attached.PolicyArn} of ${name}`,
    );
  }
  return {
    arn,
    name,
    accountId,
    trustPolicy: parsePolicy(Role.AssumeRolePolicyDocument, `the trust policy of ${name}`),
    policies,
    created: true,
  };
}

/**
 * Fetches back the deployed policies of one grant, as its record names them: the Lambda role, the S3 access role,
 * the bucket policy, the key policy and aliases, and the access point; acting in each account through
 * `deployRoleArn`.
 */
export async function modelFromEmulator(
  emulator: Emulator,
  record: GrantRecord,
  deployed: DeployedNames,
  deployRoleArn: (accountId: string) => string,
): Promise<AccessModel> {
  const A = record.lambda.accountId;
  const B = record.bucket.accountId;
  const inA = emulatorClientConfig(
    emulator.endpoint,
    await roleCredentials(emulator.endpoint, deployRoleArn(A), "proof"),
  );
  const inB = emulatorClientConfig(
    emulator.endpoint,
    await roleCredentials(emulator.endpoint, deployRoleArn(B), "proof"),
  );
  const roles: Record<string, ModelRole> = {};
  roles[record.lambda.roleArn] = await fetchRole(new IAMClient(inA), record.lambda.roleArn);
  if (record.accessRoleArn) roles[record.accessRoleArn] = await fetchRole(new IAMClient(inB), record.accessRoleArn);
  const { Policy: bucketPolicy } = await new S3Client(inB).send(
    new GetBucketPolicyCommand({ Bucket: deployed.bucketName }),
  );
  const kms = new KMSClient(inB);
  const { Policy: keyPolicy } = await kms.send(
    new GetKeyPolicyCommand({ KeyId: deployed.kmsKeyArn, PolicyName: "default" }),
  );
  const keyId = deployed.kmsKeyArn.split("/").pop();
  const aliases = ((await kms.send(new ListAliasesCommand({ KeyId: keyId }))).Aliases ?? [])
    .filter((a) => a.TargetKeyId === keyId)
    .map((a) => a.AliasName ?? "");
  const accessPoints: Record<string, ModelAccessPoint> = {};
  if (record.accessPoint) {
    const [point] = await accessPointsFromEmulator(emulator, B, [record.accessPoint.name], deployRoleArn);
    if (point?.bucket !== deployed.bucketName)
      throw new Error(
        `deployed model: access point ${record.accessPoint.name} serves ${point?.bucket ?? "nothing"}, not ${deployed.bucketName}`,
      );
    const { arn, name } = record.accessPoint;
    accessPoints[arn] = { arn, name, accountId: B, region: record.bucket.region, policy: point.policy };
  }
  return {
    name: deployed.bucketName,
    partition: record.partition,
    bucketAccountId: B,
    bucketRegion: record.bucket.region,
    roles,
    bucket: {
      name: deployed.bucketName,
      arn: `arn:${record.partition}:s3:::${deployed.bucketName}`,
      accountId: B,
      policy: parsePolicy(bucketPolicy, "the bucket policy"),
    },
    key: { arn: deployed.kmsKeyArn, accountId: B, aliases, policy: parsePolicy(keyPolicy, "the key policy") },
    accessPoints,
    unseen: [],
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
    m[1]
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
      .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
      .replace(/&amp;/g, "&"),
  );

/** The names of the access points in `accountId`, as S3 Control ListAccessPoints gives them. */
export async function accessPointNames(
  emulator: Emulator,
  accountId: string,
  deployRoleArn: (accountId: string) => string,
): Promise<string[]> {
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
    if (policy.status !== 200)
      throw new Error(`GetAccessPointPolicy ${name} in ${accountId}: HTTP ${policy.status} ${policy.body}`);
    found.push({
      name,
      bucket: xmlValues(ap.body, "Bucket")[0] ?? "",
      policy: parsePolicy(xmlValues(policy.body, "Policy")[0], `the policy of access point ${name}`),
    });
  }
  return found;
}
