/**
 * Field schemas shared by every construct and by the environment config, and the one function that turns schema
 * issues into an error naming each field and the value it received. Validation happens before any resource is
 * created, so bad input leaves nothing half-built.
 */
import { z } from "zod";
import { brokenPrefixRule, PREFIX_RULES } from "../contract";
import { policyCharacterProblem, POLICY_CHARACTERS } from "../core/policy-document";
import { ALL_REGIONS } from "../core/regions";

export { ALL_REGIONS, PARTITIONS, partitionOf, partitionOfArn, REGIONS, type Partition } from "../core/regions";
export { policyCharacterProblem, POLICY_CHARACTERS } from "../core/policy-document";

const pattern = (re: RegExp, message: string) => z.string({ error: "must be a string" }).regex(re, { message });

/** A 12-digit AWS account ID. */
export const accountIdSchema = pattern(/^\d{12}$/, "is not an AWS account ID (12 digits)");

/** A region of the aws, aws-cn or aws-us-gov partition that the AWS provider 5.100.0 knows. */
export const regionSchema = z.string({ error: "must be a string" }).superRefine((region, ctx) => {
  if (ALL_REGIONS.includes(region)) return;
  const near = region
    .trim()
    .toLowerCase()
    .replace(/[_\s]+/g, "-");
  const hint = ALL_REGIONS.includes(near) && near !== region ? `; did you mean "${near}"?` : "";
  ctx.addIssue({
    code: "custom",
    input: region,
    message: `is not an AWS region name the AWS provider 5.100.0 knows (e.g. us-east-1${hint})`,
  });
});

/** An IAM role name. */
export const roleNameSchema = pattern(
  /^[\w+=,.@-]{1,64}$/,
  "is not a valid IAM role name (1-64 of letters, digits and + = , . @ _ -)",
);

/**
 * An IAM path, as roles are created under one (`/`, `/service-role/`): 1-512 characters, beginning and ending with
 * "/", each segment of the characters role names use.
 */
export const rolePathSchema = pattern(
  /^\/([\w+=,.@-]+\/)*$/,
  'is not an IAM path ("/" or "/<segment>/.../", each segment of letters, digits and + = , . @ _ -)',
).refine((path) => path.length <= 512, { message: "is longer than 512 characters (IAM's limit for a path)" });

/** A Lambda function name. */
export const functionNameSchema = pattern(
  /^[a-zA-Z0-9_-]{1,64}$/,
  "is not a valid Lambda function name (1-64 of letters, digits, hyphens and underscores)",
);

/** An IAM role ARN; the account it names is checked against the account it is meant for by the caller. */
export const roleArnSchema = pattern(
  /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/,
  "is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)",
);

/** An S3 bucket name under the general-purpose bucket naming rules. */
export const bucketNameSchema = z.string({ error: "must be a string" }).superRefine((name, ctx) => {
  const problem = bucketNameProblem(name);
  if (problem) ctx.addIssue({ code: "custom", message: `is not a valid S3 bucket name: ${problem}`, input: name });
});

function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return "it must be 3 to 63 characters long";
  if (!/^[a-z0-9.-]+$/.test(name)) return "use only lowercase letters, digits, dots and hyphens";
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return "it must begin and end with a letter or digit";
  if (name.includes("..")) return "it must not contain two adjacent dots";
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return "it must not be formatted as an IP address";
  const prefix = /^(xn--|sthree-|amzn-s3-demo-)/.exec(name)?.[1];
  if (prefix) return `it must not start with the reserved prefix ${prefix} (reserved: xn--, sthree-, amzn-s3-demo-)`;
  const suffix = /(-s3alias|--ol-s3|--x-s3|--table-s3|\.mrap)$/.exec(name)?.[1];
  if (suffix)
    return `it must not end with the reserved suffix ${suffix} (reserved: -s3alias, --ol-s3, --x-s3, --table-s3, .mrap)`;
  return undefined;
}

/** A KMS alias such as alias/data-bucket; the reserved alias/aws/ namespace is refused. */
export const keyAliasSchema = pattern(
  /^alias\/(?!aws\/)[a-zA-Z0-9/_-]{1,250}$/,
  "is not a valid KMS alias (alias/<letters, digits, / _ ->, not under alias/aws/)",
);

/** An sts:ExternalId value as AWS accepts it. */
export const externalIdSchema = pattern(
  /^[\w+=,.@:/-]{2,1224}$/,
  "is not a valid ExternalId (2-1224 of letters, digits and + = , . @ : / _ -)",
);

/**
 * An object key prefix a grant applies to: relative to the bucket root, ending with "/" so that `data/` can never
 * match `data-private/`, and free of the IAM wildcards `*` and `?` that would widen it.
 */
export const prefixSchema = z.string({ error: "must be a string" }).superRefine((prefix, ctx) => {
  const problem = prefixProblem(prefix);
  if (problem) ctx.addIssue({ code: "custom", message: `is not a valid prefix: ${problem}`, input: prefix });
});

/** What is wrong with a prefix, by the contract's PREFIX_RULES (the handler keeps the same), with the rule's advice. */
function prefixProblem(prefix: string): string | undefined {
  const broken = brokenPrefixRule(prefix);
  if (!broken) return undefined;
  const character = policyCharacterProblem(prefix);
  if (broken.breaks === PREFIX_RULES.find((r) => r.rule.includes("IAM refuses"))?.breaks && character) {
    return `it contains ${character}, which IAM refuses in a policy document (allowed: ${POLICY_CHARACTERS})`;
  }
  const advice = broken.advice?.(prefix);
  return `it ${broken.says ?? broken.rule}${advice ? ` (${advice})` : ""}`;
}

/** CloudWatch Logs retention values the API accepts. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const logRetentionSchema = z
  .number({ error: "must be a number" })
  .refine((n) => (LOG_RETENTION_DAYS as readonly number[]).includes(n), {
    message: `is not a CloudWatch Logs retention (one of ${LOG_RETENTION_DAYS.join(", ")})`,
  });
