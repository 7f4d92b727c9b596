/**
 * ARNs taken apart in one place: `arn:partition:service:region:account:resource`. Every part a reader needs, by
 * name, instead of a field number of a split.
 */

/** The parts of an ARN; a text that is not one (fewer than six fields, not starting with `arn:`) gives undefined. */
export interface ArnParts {
  readonly partition: string;
  readonly service: string;
  /** Empty for a global service (IAM, S3 buckets). */
  readonly region: string;
  /** Empty where an ARN names no account (an S3 bucket), `aws` for an AWS-managed policy. */
  readonly account: string;
  /** Everything after the account: `role/service-role/worker`, `key/0a1b...`, `accesspoint/reports`. */
  readonly resource: string;
}

/** The parts of `arn`, or undefined when it is not an ARN. */
export function parseArn(arn: string): ArnParts | undefined {
  const fields = arn.split(":");
  if (fields.length < 6 || fields[0] !== "arn") return undefined;
  const [, partition = "", service = "", region = "", account = ""] = fields;
  return { partition, service, region, account, resource: fields.slice(5).join(":") };
}

/** The 12-digit account an ARN names, or undefined when it names none (or is not an ARN). */
export function accountOf(arn: string): string | undefined {
  const account = parseArn(arn)?.account;
  return account !== undefined && /^\d{12}$/.test(account) ? account : undefined;
}
