/**
 * One grant declaration, both halves. `planGrant` turns a grant into every policy document of both accounts: the
 * identity policy of the Lambda role (A), the bucket policy and key policy (B), and in assume-role mode the S3 access
 * role's trust and identity policies (B). All of them come from the same statements, so they cannot disagree.
 */
import { z } from "zod";
import {
  ACCESS_PRESETS,
  actionsFor,
  STS_ASSUME_ROLE_ACTIONS,
  S3_LIST_BUCKET_ACTIONS,
  unique,
  type AccessPreset,
} from "./actions";
import {
  accountRootArn,
  bucketArn as toBucketArn,
  policyDocument,
  roleArn,
  type PolicyDocument,
  type PolicyPrincipal,
  type PolicyStatement,
} from "./policy-document";
import { externalIdSchema, partitionOf, prefixSchema, roleNameSchema } from "./schema";

export const ACCESS_MODES = ["bucket-policy", "assume-role"] as const;
/**
 * `bucket-policy`: the Lambda role in A holds the S3/KMS permissions and B's bucket and key policies name it.
 * `assume-role`: a role in B holds them and trusts A's Lambda role, which may only call sts:AssumeRole on it.
 */
export type AccessMode = (typeof ACCESS_MODES)[number];

/** Access to one prefix of the bucket. */
export interface PrefixGrant {
  /** Key prefix relative to the bucket root, ending with "/" (e.g. "incoming/"). */
  readonly prefix: string;
  /** What the grantee may do under the prefix. `write` is upload-only. */
  readonly access: AccessPreset;
  /**
   * Also allow deleting objects under the prefix.
   * @default false
   */
  readonly delete?: boolean;
}

/** What the Lambda function may do in the bucket, and how the access is wired. */
export interface GrantDeclaration {
  /** How the cross-account access is wired (see AccessMode). */
  readonly mode: AccessMode;
  /** The prefixes and what may be done under each; at least one. */
  readonly prefixes: readonly PrefixGrant[];
  /** Name of the S3 access role created in the bucket account. Required in assume-role mode, refused otherwise. */
  readonly accessRoleName?: string;
  /**
   * sts:ExternalId the trust policy requires and the handler sends (assume-role mode only).
   * @default no ExternalId condition
   */
  readonly externalId?: string;
}

export const grantSchema = z
  .strictObject({
    mode: z.enum(ACCESS_MODES, { error: `is not an access mode (${ACCESS_MODES.join(", ")})` }),
    prefixes: z
      .array(
        z.strictObject({
          prefix: prefixSchema,
          access: z.enum(ACCESS_PRESETS, { error: `is not an access preset (${ACCESS_PRESETS.join(", ")})` }),
          delete: z.boolean({ error: "must be true or false" }).optional(),
        }),
        { error: "must be a list of { prefix, access, delete? }" },
      )
      .min(1, { message: "is empty: a grant needs at least one prefix" }),
    accessRoleName: roleNameSchema.optional(),
    externalId: externalIdSchema.optional(),
  })
  .superRefine((grant, ctx) => {
    if (grant.mode === "assume-role" && grant.accessRoleName === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["accessRoleName"],
        input: grant.accessRoleName,
        message: "is required in assume-role mode: name the S3 access role to create in the bucket account",
      });
    }
    if (grant.mode === "bucket-policy") {
      for (const field of ["accessRoleName", "externalId"] as const) {
        if (grant[field] !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: [field],
            input: grant[field],
            message: 'is only used in assume-role mode; remove it or set mode "assume-role"',
          });
        }
      }
    }
    const seen = new Set<string>();
    grant.prefixes.forEach((p, i) => {
      if (seen.has(p.prefix)) {
        ctx.addIssue({
          code: "custom",
          path: ["prefixes", i, "prefix"],
          input: p.prefix,
          message: "is granted twice; merge the two entries",
        });
      }
      seen.add(p.prefix);
    });
  });

/** Everything about both accounts that the policies need; all of it known at synth time except the key ARN. */
export interface GrantContext {
  readonly grant: GrantDeclaration;
  readonly consumerAccountId: string;
  readonly consumerRoleName: string;
  readonly ownerAccountId: string;
  /** Region of the bucket and its key (kms:ViaService names it). */
  readonly ownerRegion: string;
  readonly bucketName: string;
  /** ARN of the bucket's KMS key; may be a Terraform token. */
  readonly keyArn: string;
}

/** Every policy document of both accounts for one grant. */
export interface GrantPlan {
  readonly consumerRoleArn: string;
  /** The principal S3 and KMS see: the Lambda role, or the S3 access role in assume-role mode. */
  readonly granteeArn: string;
  /** The S3 access role (assume-role mode only). */
  readonly accessRoleArn?: string;
  /** Identity policy for the Lambda role in A. */
  readonly consumerPolicy: PolicyDocument;
  /** Statements the grant adds to the bucket policy in B (none in assume-role mode: B's own role needs none). */
  readonly bucketPolicyStatements: readonly PolicyStatement[];
  /** Statements the grant adds to the key policy in B. */
  readonly keyPolicyStatements: readonly PolicyStatement[];
  /** Trust policy of the S3 access role (assume-role mode only). */
  readonly accessRoleTrustPolicy?: PolicyDocument;
  /** Identity policy of the S3 access role (assume-role mode only). */
  readonly accessRolePolicy?: PolicyDocument;
}

interface DataStatements {
  /** S3 statements without principal; `withPrincipal` adds one for a bucket policy. */
  readonly s3: readonly PolicyStatement[];
  readonly kmsActions: readonly string[];
  readonly kmsConditions: PolicyStatement["Condition"];
}

/** Builds the S3 and KMS statements a grantee in `granteeAccountId` needs for the grant. */
function dataStatements(ctx: GrantContext, granteeAccountId: string): DataStatements {
  const { partition, dnsSuffix } = partitionOf(ctx.ownerRegion);
  const bucket = toBucketArn(partition, ctx.bucketName);

  // Collect, per action, the object ARNs it applies to; then merge actions that share the same resources.
  const resourcesByAction = new Map<string, string[]>();
  const listPrefixes: string[] = [];
  const kmsActions: string[] = [];
  for (const p of ctx.grant.prefixes) {
    const actions = actionsFor(p.access, p.delete ?? false);
    for (const action of actions.object) {
      resourcesByAction.set(action, [...(resourcesByAction.get(action) ?? []), `${bucket}/${p.prefix}*`]);
    }
    if (actions.list) listPrefixes.push(`${p.prefix}*`);
    kmsActions.push(...actions.kms);
  }
  const groups = new Map<string, { resources: string[]; actions: string[] }>();
  for (const [action, resources] of resourcesByAction) {
    const sorted = unique(resources);
    const key = sorted.join("\n");
    const group = groups.get(key) ?? { resources: sorted, actions: [] };
    group.actions.push(action);
    groups.set(key, group);
  }
  const s3: PolicyStatement[] = [...groups.values()]
    .map(({ actions, resources }) => ({ actions: unique(actions), resources }))
    .sort((a, b) => a.actions.join().localeCompare(b.actions.join()))
    .map(({ actions, resources }) => ({
      Sid: actions.map((a) => a.replace(/^s3:/, "")).join(""),
      Effect: "Allow" as const,
      Action: actions,
      Resource: resources,
    }));
  if (listPrefixes.length > 0) {
    s3.push({
      Sid: "ListGrantedPrefixes",
      Effect: "Allow",
      Action: [...S3_LIST_BUCKET_ACTIONS],
      Resource: bucket,
      Condition: { StringLike: { "s3:prefix": unique(listPrefixes) } },
    });
  }
  return {
    s3,
    kmsActions: unique(kmsActions),
    // Key use only through S3 in the bucket's region, by the grantee's account. (A further limit to this bucket's
    // encryption context, kms:EncryptionContext:aws:s3:arn, is left out: the access proof's simulator cannot
    // evaluate that key, and every condition shipped here is one the proof evaluates.)
    kmsConditions: {
      StringEquals: {
        "kms:ViaService": `s3.${ctx.ownerRegion}.${dnsSuffix}`,
        "kms:CallerAccount": granteeAccountId,
      },
    },
  };
}

function withPrincipal(statement: PolicyStatement, principal: PolicyPrincipal): PolicyStatement {
  const { Sid, ...rest } = statement;
  return { Sid: `Grant${Sid}`, ...rest, Principal: principal };
}

/** Computes both accounts' halves of a grant. The grant is assumed valid (see `grantSchema`). */
export function planGrant(ctx: GrantContext): GrantPlan {
  const { partition } = partitionOf(ctx.ownerRegion);
  const consumerRoleArn = roleArn(partition, ctx.consumerAccountId, ctx.consumerRoleName);
  const assumeRole = ctx.grant.mode === "assume-role";
  const accessRoleArn = assumeRole ? roleArn(partition, ctx.ownerAccountId, ctx.grant.accessRoleName!) : undefined;
  const granteeArn = accessRoleArn ?? consumerRoleArn;
  const granteeAccountId = assumeRole ? ctx.ownerAccountId : ctx.consumerAccountId;

  const data = dataStatements(ctx, granteeAccountId);
  const identityStatements: PolicyStatement[] = [
    ...data.s3,
    {
      Sid: "UseBucketKeyThroughS3",
      Effect: "Allow",
      Action: data.kmsActions,
      Resource: ctx.keyArn,
      Condition: data.kmsConditions,
    },
  ];
  const keyPolicyStatements: PolicyStatement[] = [
    {
      Sid: "GranteeUsesKeyThroughS3",
      Effect: "Allow",
      Principal: { AWS: granteeArn },
      Action: data.kmsActions,
      Resource: "*",
      Condition: data.kmsConditions,
    },
  ];

  if (!assumeRole) {
    return {
      consumerRoleArn,
      granteeArn,
      consumerPolicy: policyDocument(identityStatements),
      bucketPolicyStatements: data.s3.map((s) => withPrincipal(s, { AWS: consumerRoleArn })),
      keyPolicyStatements,
    };
  }

  const trustCondition = ctx.grant.externalId
    ? { Condition: { StringEquals: { "sts:ExternalId": ctx.grant.externalId } } }
    : {};
  return {
    consumerRoleArn,
    granteeArn,
    accessRoleArn,
    consumerPolicy: policyDocument([
      { Sid: "AssumeS3AccessRole", Effect: "Allow", Action: [...STS_ASSUME_ROLE_ACTIONS], Resource: accessRoleArn! },
    ]),
    bucketPolicyStatements: [],
    keyPolicyStatements,
    accessRoleTrustPolicy: policyDocument([
      {
        Sid: "TrustLambdaRole",
        Effect: "Allow",
        Principal: { AWS: consumerRoleArn },
        Action: [...STS_ASSUME_ROLE_ACTIONS],
        ...trustCondition,
      },
    ]),
    accessRolePolicy: policyDocument(identityStatements),
  };
}

/** The statement every bucket policy starts with: no request without TLS. */
export function denyInsecureTransport(partition: string, bucketName: string): PolicyStatement {
  const bucket = toBucketArn(partition, bucketName);
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucket, `${bucket}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/** The statement every key policy starts with: the owning account administers its key through IAM. */
export function accountAdministersKey(partition: string, accountId: string): PolicyStatement {
  return {
    Sid: "AccountAdministersKey",
    Effect: "Allow",
    Principal: { AWS: accountRootArn(partition, accountId) },
    Action: "kms:*",
    Resource: "*",
  };
}
