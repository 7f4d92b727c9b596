/**
 * Where every stack keeps its Terraform state: an S3 backend per environment, in a state bucket of its own account,
 * reached by assume_role into a role there, encrypted, and locked with Terraform's S3 lock file (`use_lockfile`; no
 * DynamoDB table). Each stack gets a key of its own, `<keyPrefix><stack>.tfstate`, so the two halves of a split
 * layout and each grantee's stack of a shared bucket never share a state or a lock.
 */
import { parseArn } from "../modules/internal";
import { S3Backend, type TerraformStack } from "cdktf";
import { z } from "zod";
import {
  accountIdSchema,
  bucketNameSchema,
  partitionOf,
  regionSchema,
  roleArnSchema,
  showValue,
} from "../modules/internal";

/** What is wrong with a state key prefix, or undefined. */
function keyPrefixProblem(prefix: string): string | undefined {
  if (prefix.length === 0) return 'it is empty (name a folder such as "cross-account-s3/")';
  if (prefix.length > 900)
    return "it is longer than 900 characters (a key, with the stack's name and .tfstate.tflock, must fit 1,024 bytes)";
  if (prefix.startsWith("/")) return 'it must not start with "/" (keys are relative to the bucket root)';
  if (!/^[A-Za-z0-9!_.*'()/-]+$/.test(prefix))
    return "use only letters, digits, / and ! - _ . * ' ( ) (S3's safe key characters)";
  if (prefix.includes("//")) return 'it must not contain an empty folder ("//"), which the S3 backend refuses in a key';
  if (prefix.split("/").some((segment) => segment === "." || segment === ".."))
    return 'it must not have "." or ".." segments';
  if (!prefix.endsWith("/"))
    return `it must end with "/" (each stack's state is <keyPrefix><stack>.tfstate; did you mean "${prefix}/"?)`;
  return undefined;
}

const keyPrefixSchema = z.string({ error: "must be a string" }).superRefine((prefix, ctx) => {
  const problem = keyPrefixProblem(prefix);
  if (problem) ctx.addIssue({ code: "custom", input: prefix, message: `is not a valid state key prefix: ${problem}` });
});

const KMS_KEY_ARN =
  /^arn:aws(-cn|-us-gov)?:kms:[a-z0-9-]+:\d{12}:(key\/(mrk-)?[0-9a-f-]{32,36}|alias\/[a-zA-Z0-9/_-]{1,250})$/;
const kmsKeyArnSchema = z
  .string({ error: "must be a string" })
  .regex(KMS_KEY_ARN, { message: "is not a KMS key ARN or alias ARN (arn:aws:kms:<region>:<account>:key/<key id>)" });

export const stateSchema = z
  .strictObject(
    {
      /** The state bucket (it must exist before the first `terraform init`; the stacks do not create it). */
      bucket: bucketNameSchema,
      /** Folder of the keys in the bucket: each stack's state is `<keyPrefix><stack>.tfstate`, its lock that plus `.tflock`. */
      keyPrefix: keyPrefixSchema,
      /** Region of the state bucket. */
      region: regionSchema,
      /** Account that owns the state bucket. */
      accountId: accountIdSchema,
      /** Role in `accountId` the backend assumes to read and write the state and its lock file. */
      roleArn: roleArnSchema,
      /** Server-side encryption of the state object. @default true */
      encrypt: z.boolean({ error: "must be true or false" }).optional(),
      /** KMS key (ARN, or alias ARN) the state is encrypted with, in the bucket's region. @default the bucket's default encryption */
      kmsKeyArn: kmsKeyArnSchema.optional(),
    },
    {
      error:
        "must be { bucket, keyPrefix, region, accountId, roleArn } (the S3 backend of the environment's Terraform state)",
    },
  )
  .superRefine((state, ctx) => {
    const partition = partitionOf(state.region).partition;
    const { partition: rolePartition, account: roleAccount } = parseArn(state.roleArn) ?? {
      partition: "",
      account: "",
    };
    if (roleAccount !== state.accountId) {
      ctx.addIssue({
        code: "custom",
        path: ["roleArn"],
        input: state.roleArn,
        message: `is in account ${roleAccount}, not in state.accountId ${state.accountId}`,
      });
    } else if (rolePartition !== partition) {
      ctx.addIssue({
        code: "custom",
        path: ["roleArn"],
        input: state.roleArn,
        message: `is in partition ${rolePartition}, but state.region ${state.region} is in partition ${partition} (arn:${partition}:iam::...)`,
      });
    }
    if (state.kmsKeyArn === undefined) return;
    if (state.encrypt === false) {
      ctx.addIssue({
        code: "custom",
        path: ["kmsKeyArn"],
        input: state.kmsKeyArn,
        message: "is only used with encrypt true (the state would not be encrypted with it)",
      });
      return;
    }
    const { partition: keyPartition, region: keyRegion } = parseArn(state.kmsKeyArn) ?? { partition: "", region: "" };
    if (keyRegion !== state.region || keyPartition !== partition) {
      ctx.addIssue({
        code: "custom",
        path: ["kmsKeyArn"],
        input: state.kmsKeyArn,
        message: `is not in the state bucket's region ${state.region} (partition ${partition}): S3 encrypts only with a key of the bucket's region`,
      });
    }
  });

export type StateSettings = z.input<typeof stateSchema>;

/** The key of a stack's state in the state bucket. */
export function stateKeyOf(state: Pick<StateSettings, "keyPrefix">, stackName: string): string {
  return `${state.keyPrefix}${stackName}.tfstate`;
}

/**
 * What is wrong with where an environment keeps its state for the accounts it deploys, or undefined: the backend's
 * role is assumed with the same credentials as the deploy roles, so it must be in their partition.
 */
export function statePartitionProblem(state: Pick<StateSettings, "region">, deployRegion: string): string | undefined {
  const [stateIn, deployIn] = [partitionOf(state.region).partition, partitionOf(deployRegion).partition];
  return stateIn === deployIn
    ? undefined
    : `is in partition ${stateIn}, but the environment deploys in partition ${deployIn} (${deployRegion}): the pipeline's credentials reach one partition; keep the state there`;
}

/** Every place the app grants access to a bucket, for stateBucketProblems. */
export interface GrantedBucket {
  readonly field: string;
  readonly bucketName: string;
  readonly region: string;
}

/**
 * A state bucket that is also a bucket some environment grants access to (or creates): the grant's policies would open
 * the state, which holds every output and secret of the stacks, to the grantee, and a stack would manage the bucket
 * its own state is kept in. One message per such state setting.
 */
export function stateBucketProblems(
  states: ReadonlyArray<{ readonly field: string; readonly state: Pick<StateSettings, "bucket" | "region"> }>,
  granted: readonly GrantedBucket[],
): string[] {
  return states.flatMap(({ field, state }) => {
    const partition = partitionOf(state.region).partition;
    const same = granted.find((b) => b.bucketName === state.bucket && partitionOf(b.region).partition === partition);
    return same
      ? [
          `${field}.bucket ${showValue(state.bucket)} is the bucket ${same.field} grants access to: the grant would open the state ` +
            "(every output and secret of the stacks) to its grantee; keep the state in a bucket of its own",
        ]
      : [];
  });
}

/** Emulator-only backend settings: the emulator serves S3 path-style only (its endpoint comes from AWS_ENDPOINT_URL). */
const LOCAL_EMULATOR_BACKEND = { usePathStyle: true } as const;

/**
 * Makes `stack` keep its state in the environment's S3 backend under its own key, reaching the state bucket by
 * assume_role, locked by the S3 lock file. cdktf 0.21's S3BackendConfig has no `use_lockfile` (Terraform 1.10+): it
 * is added as an override of the backend block.
 */
export function remoteState(
  stack: TerraformStack,
  stackName: string,
  target: string,
  state: z.output<typeof stateSchema>,
): S3Backend {
  const backend = new S3Backend(stack, {
    bucket: state.bucket,
    key: stateKeyOf(state, stackName),
    region: state.region,
    encrypt: state.encrypt ?? true,
    ...(state.kmsKeyArn !== undefined ? { kmsKeyId: state.kmsKeyArn } : {}),
    assumeRole: { roleArn: state.roleArn, sessionName: `cdktf-${stackName}-state`.slice(0, 64) },
    ...(target === "local-emulator" ? LOCAL_EMULATOR_BACKEND : {}),
  });
  backend.addOverride("use_lockfile", true);
  return backend;
}
