/**
 * The Lambda account's side of a grant as data: where the grantee is, its role and the function this library creates
 * for it. Validated by lambdaSettingsSchema (schemas.ts); all the bucket account's half needs of the Lambda side.
 */
import { handlerSettingsIssues, HANDLER_ENVIRONMENT } from "../contract";
import { showValue } from "../core/errors";
import { roleArn } from "../core/policy-document";
import { partitionOf } from "../core/regions";

export interface LambdaSettings {
  /** The Lambda account. */
  readonly accountId: string;
  /** The function's region; decides the partition of every ARN on this side. */
  readonly region: string;
  /** The execution role this library creates. Give this or `existingRoleArn`. */
  readonly roleName?: string | undefined;
  /** IAM path of the role this library creates; every ARN naming it carries the path. @default "/" */
  readonly rolePath?: string | undefined;
  /**
   * An existing execution role, path included (`arn:aws:iam::111122223333:role/service-role/worker`): only the
   * grant's identity policy is attached to it. Give this or `roleName`.
   */
  readonly existingRoleArn?: string | undefined;
  /** Create the function (false: the grant is for a role whose function is created elsewhere). @default true */
  readonly createFunction?: boolean | undefined;
  /** Name of the function to create; required unless `createFunction` is false. */
  readonly functionName?: string | undefined;
  /** Days the function's logs are kept. @default 30 */
  readonly logRetentionDays?: number | undefined;
  /** Memory of the function in MB (128-10240). @default 256 */
  readonly memorySize?: number | undefined;
  /** Timeout of the function in seconds (1-900). @default 30 */
  readonly timeoutSeconds?: number | undefined;
  /** The team's own variables of the function; the grant writes its own beside them (see HANDLER_ENVIRONMENT). @default {} */
  readonly environment?: Readonly<Record<string, string>> | undefined;
  /** Lambda layer version ARNs (at most 5). @default none */
  readonly layers?: readonly string[] | undefined;
  /** Run the function in a VPC; a role this library creates may then manage its network interfaces. @default no VPC */
  readonly vpc?: { readonly subnetIds: readonly string[]; readonly securityGroupIds: readonly string[] } | undefined;
  /** Concurrency reserved for the function. @default unreserved */
  readonly reservedConcurrentExecutions?: number | undefined;
  /** The function's description (at most 256 characters). @default none */
  readonly description?: string | undefined;
}

/**
 * The environment variables Lambda reserves: the runtime sets them, and Lambda refuses a function configuration that
 * sets one ("Defined runtime environment variables" in the Lambda Developer Guide). The two the handler reads from the
 * runtime (the contract's LAMBDA_RUNTIME_VARIABLES) are among them.
 */
export const LAMBDA_RESERVED_VARIABLES: readonly string[] = [
  "_HANDLER",
  "_X_AMZN_TRACE_ID",
  "AWS_DEFAULT_REGION",
  "AWS_REGION",
  "AWS_EXECUTION_ENV",
  "AWS_LAMBDA_FUNCTION_NAME",
  "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
  "AWS_LAMBDA_FUNCTION_VERSION",
  "AWS_LAMBDA_INITIALIZATION_TYPE",
  "AWS_LAMBDA_LOG_GROUP_NAME",
  "AWS_LAMBDA_LOG_STREAM_NAME",
  "AWS_ACCESS_KEY",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_LAMBDA_RUNTIME_API",
  "LAMBDA_TASK_ROOT",
  "LAMBDA_RUNTIME_DIR",
];

/** Every setting of LambdaSettings, with the value a function or role is given when it is left out (undefined: none). */
export const LAMBDA_SETTING_DEFAULTS: {
  readonly [K in keyof Required<LambdaSettings>]: LambdaSettings[K] | undefined;
} = {
  accountId: undefined,
  region: undefined,
  roleName: undefined,
  rolePath: "/",
  existingRoleArn: undefined,
  createFunction: true,
  functionName: undefined,
  logRetentionDays: 30,
  memorySize: 256,
  timeoutSeconds: 30,
  environment: {},
  layers: undefined,
  vpc: undefined,
  reservedConcurrentExecutions: undefined,
  description: undefined,
};

/** The grantee's role ARN, path included, from validated settings. */
export function lambdaRoleArnOf(
  lambda: Pick<LambdaSettings, "accountId" | "region" | "roleName" | "rolePath" | "existingRoleArn">,
): string {
  return (
    lambda.existingRoleArn ??
    roleArn(partitionOf(lambda.region).partition, lambda.accountId, lambda.roleName!, lambda.rolePath)
  );
}

/** Lambda's limit on a function's environment: 4 KB for all its variables together. */
export const ENVIRONMENT_LIMIT_BYTES = 4096;

/**
 * The size of a function's environment as Lambda measures it against ENVIRONMENT_LIMIT_BYTES: the UTF-8 bytes of the
 * compact JSON of every variable, names and values (`{"BUCKET_NAME":"data",...}`, quotes escaped), the string Lambda's
 * refusal quotes as "String measured".
 */
export function environmentSize(variables: Readonly<Record<string, string>>): number {
  return Buffer.byteLength(JSON.stringify(variables), "utf8");
}

/**
 * What AWS or the prebuilt handler would refuse in the environment a function is created with (the team's variables
 * with the grant's, as written), each as `<field> <value> <reason>`: an environment over Lambda's 4 KB limit, which
 * Lambda refuses at apply, and, when the function runs the prebuilt handler (`prebuilt`), a setting of the handler it
 * would refuse at every cold start (the contract's handlerSettingsIssues, the check the handler runs). `field` names
 * the environment in the configuration (e.g. `environments.prod.lambda.environment`).
 */
export function functionEnvironmentProblems(
  field: string,
  variables: Readonly<Record<string, string>>,
  prebuilt: boolean,
): string[] {
  const problems: string[] = [];
  const size = environmentSize(variables);
  if (size > ENVIRONMENT_LIMIT_BYTES) {
    const largest = Object.entries(variables)
      .map(([name, value]) => [name, environmentSize({ [name]: value }) - 2] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([name, bytes]) => `${name} ${bytes}`)
      .join(", ");
    problems.push(
      `${field} with the grant's variables is ${size} bytes as Lambda measures it (the JSON of every variable; the largest: ${largest}), ` +
        `over Lambda's limit of ${ENVIRONMENT_LIMIT_BYTES} bytes for a function's environment: grant fewer or shorter prefixes (${HANDLER_ENVIRONMENT.grantedPrefixes} ` +
        "lists them all), or set fewer or shorter variables",
    );
  }
  if (!prebuilt) return problems;
  for (const issue of handlerSettingsIssues(variables)) {
    if (issue.variable === HANDLER_ENVIRONMENT.accessPointArn) {
      // The grant writes the access point; the team's path-style setting is what clashes with it.
      const forcePathStyle = HANDLER_ENVIRONMENT.forcePathStyle;
      problems.push(
        `${field}.${forcePathStyle} ${showValue(variables[forcePathStyle])} would fail every cold start of the prebuilt handler: ` +
          `the grant goes through the access point ${issue.value}, and ${HANDLER_ENVIRONMENT.accessPointArn} ${issue.message}`,
      );
    } else {
      problems.push(
        `${field}.${issue.variable} ${showValue(issue.value)} ${issue.message}: the prebuilt handler would refuse it at every cold start`,
      );
    }
  }
  return problems;
}
