import { parseArn } from "./arn";
/** IAM policy document types and ARN helpers shared by the policy builders. */

export type ConditionBlock = Record<string, Record<string, string | readonly string[]>>;

export interface PolicyPrincipal {
  readonly AWS?: string | readonly string[] | undefined;
  readonly Service?: string | readonly string[] | undefined;
}

// A type alias (not an interface) so that a statement also fits a loosely typed record of fields.
export type PolicyStatement = {
  readonly Sid?: string | undefined;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: "*" | PolicyPrincipal | undefined;
  readonly Action: string | readonly string[];
  /** Absent only in trust policies, where the role itself is the resource. */
  readonly Resource?: string | readonly string[] | undefined;
  readonly Condition?: ConditionBlock | undefined;
};

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly PolicyStatement[];
}

export function policyDocument(statements: readonly PolicyStatement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}

/** Serializes a policy for a Terraform `policy` argument. Tokens inside stay tokens and resolve at synth. */
export function renderPolicy(doc: PolicyDocument): string {
  return JSON.stringify(doc);
}

/** A role's ARN: the path (default "/") comes between `role` and the name, as AWS writes it and aws:PrincipalArn holds it. */
export function roleArn(partition: string, accountId: string, roleName: string, path = "/"): string {
  return `arn:${partition}:iam::${accountId}:role${path}${roleName}`;
}

/** A role ARN's parts: its account, path and name (`arn:aws:iam::111122223333:role/service-role/worker`). */
export function roleArnParts(arn: string): {
  readonly accountId: string;
  readonly path: string;
  readonly name: string;
} {
  const { account: accountId, resource } = parseArn(arn) ?? { account: "", resource: "" };
  const rolePath = resource.slice("role".length);
  const cut = rolePath.lastIndexOf("/") + 1;
  return { accountId, path: rolePath.slice(0, cut), name: rolePath.slice(cut) };
}

export function accountRootArn(partition: string, accountId: string): string {
  return `arn:${partition}:iam::${accountId}:root`;
}

export function bucketArn(partition: string, bucketName: string): string {
  return `arn:${partition}:s3:::${bucketName}`;
}

/** IAM's wildcard match, as in Action, Resource and StringLike: `*` any run of characters, `?` one character. */
export function matchesWildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${source}$`, ignoreCase ? "is" : "s").test(value);
}

/**
 * The first character IAM refuses in a policy document (it accepts tab, LF, CR and U+0020-U+00FF; KMS key policies
 * and S3 bucket policies the same), as `"数" (U+6570) at index 0`; undefined when there is none. A lone surrogate
 * counts as a character IAM refuses.
 */
export function policyCharacterProblem(text: string): string | undefined {
  let index = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    const allowed = code === 0x09 || code === 0x0a || code === 0x0d || (code >= 0x20 && code <= 0xff);
    if (!allowed) {
      const hex = code.toString(16).toUpperCase().padStart(4, "0");
      const shown = code >= 0xd800 && code <= 0xdfff ? "a lone surrogate" : JSON.stringify(ch);
      return `${shown} (U+${hex}) at index ${index}`;
    }
    index += ch.length;
  }
  return undefined;
}

/** The characters IAM accepts in a policy document, for messages. */
export const POLICY_CHARACTERS = "tab, LF, CR and U+0020-U+00FF";
