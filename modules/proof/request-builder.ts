/**
 * Requests on one grant's bucket, key and access role, as AWS would see them: who asks (a role session with its
 * identity policies), the resource and the policy that governs it, and the request context AWS fills in (the
 * principal's ARN, account and organization, TLS, the VPC endpoint, the access point, the key's service and aliases).
 */
import type { GrantRecord } from "../record/grant-record";
import type { PolicyDocument } from "../core/policy-document";
import { partitionOf } from "../core/regions";
import type { AccessModel, ModelAccessPoint } from "./model";
import { ModelError } from "./model";
import type { Expected, ProofRequest, ResourcePolicyKind } from "./simulate";

/** Who makes a request: a role session, with the identity policies that decide it in its own account. */
export interface Caller {
  readonly principal: string;
  readonly roleArn: string;
  readonly accountId: string;
  readonly who: string;
  readonly identityPolicies: ReadonlyArray<{ name: string; policy: PolicyDocument }>;
  /** Whether the identity policies are a stand-in (an administrator of another account), not the stacks'. */
  readonly standIn?: boolean | undefined;
}

/** A role session: how AWS names the caller when a role (the Lambda role, the S3 access role) makes a request. */
export function session(partition: string, accountId: string, roleName: string, sessionName: string): string {
  return `arn:${partition}:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
}

export const ADMIN_POLICY: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [{ Sid: "Everything", Effect: "Allow", Action: "*", Resource: "*" }],
};

/** An administrator of `accountId`: every action allowed by its own account, so only resource policies stop it. */
export function administrator(
  partition: string,
  accountId: string,
  roleName: string,
  who = `${roleName}@${accountId} (admin)`,
): Caller {
  return {
    principal: session(partition, accountId, roleName, "session"),
    roleArn: `arn:${partition}:iam::${accountId}:role/${roleName}`,
    accountId,
    who,
    identityPolicies: [{ name: "administrator", policy: ADMIN_POLICY }],
    standIn: true,
  };
}

export function missingRole(bucket: string, arn: string): never {
  throw new ModelError(
    `${bucket}: the grant names the role ${arn}, which the stacks neither create nor attach a policy to`,
  );
}

/** A region of the same partition that is not the bucket's: the key may be used through S3 of its region only. */
export function otherRegionOf(partition: string, region: string): string {
  if (partition === "aws-cn") return region === "cn-north-1" ? "cn-northwest-1" : "cn-north-1";
  if (partition === "aws-us-gov") return region === "us-gov-west-1" ? "us-gov-east-1" : "us-gov-west-1";
  return region === "us-west-2" ? "us-east-2" : "us-west-2";
}

/** Changes to a request's context: a value sets a key, undefined removes it. */
export type ContextOverrides = Record<string, string | readonly string[] | undefined>;

/** Builds the requests of one grant against its bucket's model (see the module's comment). */
export class RequestBuilder {
  readonly requests: ProofRequest[] = [];
  readonly partition: string;
  readonly region: string;
  readonly dnsSuffix: string;
  readonly bucketArn: string;
  /** The bucket account. */
  readonly B: string;

  constructor(
    readonly subject: GrantRecord,
    readonly model: AccessModel,
    /** The shared-bucket grantee the requests are for, to group them in the table. */
    readonly grantee: string | undefined,
    /** An account no grant of the environment mentions. */
    readonly outsiderAccount: string,
  ) {
    this.partition = model.partition;
    this.region = model.bucketRegion;
    this.dnsSuffix = partitionOf(model.bucketRegion).dnsSuffix;
    this.bucketArn = model.bucket.arn;
    this.B = model.bucketAccountId;
  }

  /** The role `roleArn` of the model, as a caller whose session is `sessionName`. */
  roleCaller(roleArn: string, sessionName: string): Caller {
    const role = this.model.roles[roleArn] ?? missingRole(this.model.name, roleArn);
    return {
      principal: session(this.partition, role.accountId, role.name, sessionName),
      roleArn,
      accountId: role.accountId,
      who: role.name,
      identityPolicies: Object.entries(role.policies).map(([name, policy]) => ({ name, policy })),
    };
  }

  /** The context AWS fills in for any request of `caller`. */
  baseContext(caller: Caller): Record<string, string> {
    const org = this.subject.grant.principalOrgId;
    return {
      "aws:PrincipalArn": caller.roleArn,
      "aws:PrincipalAccount": caller.accountId,
      "aws:SecureTransport": "true",
      // With an organization condition, the accounts of the grant are in it and the outsider is not.
      ...(org ? { "aws:PrincipalOrgID": caller.accountId === this.outsiderAccount ? "o-outsider0001" : org } : {}),
    };
  }

  /** Adds a request on a resource of the bucket account: the base context, then `context`, then `overrides`. */
  add(
    caller: Caller,
    action: string,
    target: { resource: string; kind: ResourcePolicyKind; policy: PolicyDocument },
    context: Record<string, string | readonly string[]>,
    overrides: ContextOverrides,
    expected: Expected,
    intent: string,
    via: ModelAccessPoint | null,
    operation?: string,
  ): ProofRequest {
    const throughAp: Record<string, string> = via
      ? { "s3:DataAccessPointAccount": via.accountId, "s3:DataAccessPointArn": via.arn }
      : {};
    const merged: Record<string, string | readonly string[]> = {
      ...this.baseContext(caller),
      "aws:ResourceAccount": this.B,
      ...throughAp,
      ...context,
    };
    for (const [k, v] of Object.entries(overrides)) {
      if (v === undefined) delete merged[k];
      else merged[k] = v;
    }
    const bucket = this.bucketArn;
    const request: ProofRequest = {
      ...(this.grantee ? { grantee: this.grantee } : {}),
      ...(operation ? { operation } : {}),
      ...(via
        ? {
            accessPoint: {
              arn: via.arn,
              name: via.name,
              resource:
                target.resource === bucket ? via.arn : `${via.arn}/object/${target.resource.slice(bucket.length + 1)}`,
              policy: via.policy,
            },
          }
        : {}),
      principal: caller.principal,
      who: caller.who,
      identityPolicies: caller.identityPolicies,
      action,
      resource: target.resource,
      resourceAccount: this.B,
      resourcePolicyKind: target.kind,
      resourcePolicy: target.policy,
      context: merged,
      expected,
      intent,
    };
    this.requests.push(request);
    return request;
  }

  /** An S3 request on the bucket or an object (`resource`), straight or through the access point `via`. */
  s3(
    caller: Caller,
    action: string,
    resource: string,
    expected: Expected,
    intent: string,
    overrides: ContextOverrides,
    via: ModelAccessPoint | null,
    operation?: string,
  ): ProofRequest {
    const vpce = this.subject.grant.sourceVpce?.[0];
    const target = { resource, kind: "bucket policy" as const, policy: this.model.bucket.policy };
    return this.add(
      caller,
      action,
      target,
      vpce ? { "aws:SourceVpce": vpce } : {},
      overrides,
      expected,
      intent,
      via,
      operation,
    );
  }

  /** A KMS request on the bucket's key, made through S3 in the bucket's region unless `overrides` say otherwise. */
  kms(
    caller: Caller,
    action: string,
    expected: Expected,
    intent: string,
    overrides: ContextOverrides = {},
  ): ProofRequest {
    const key = this.model.key;
    const context = {
      "kms:ViaService": `s3.${this.region}.${this.dnsSuffix}`,
      "kms:CallerAccount": caller.accountId,
      "kms:ResourceAliases": key.aliases,
    };
    return this.add(
      caller,
      action,
      { resource: key.arn, kind: "key policy", policy: key.policy },
      context,
      overrides,
      expected,
      intent,
      null,
    );
  }

  /** sts:AssumeRole of the role `roleArn` (in the bucket account), with `externalId` when given. */
  sts(
    caller: Caller,
    expected: Expected,
    intent: string,
    externalId: string | undefined,
    roleArn: string,
    overrides: ContextOverrides = {},
  ): ProofRequest {
    const trust = this.model.roles[roleArn]?.trustPolicy ?? missingRole(this.model.name, roleArn);
    const context: Record<string, string> = externalId === undefined ? {} : { "sts:ExternalId": externalId };
    return this.add(
      caller,
      "sts:AssumeRole",
      { resource: roleArn, kind: "trust policy", policy: trust },
      context,
      overrides,
      expected,
      intent,
      null,
    );
  }
}
