import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { AssetType, Construct, Fn, TerraformAsset, type TerraformProvider } from "./cdktf";
import { libraryConstruct } from "./compatibility";
import { z } from "zod";
import { LOGS_WRITE_ACTIONS } from "./actions";
import { policyDocument, renderPolicy, type PolicyDocument } from "./policy-document";
import {
  accountIdSchema,
  ConfigurationError,
  functionNameSchema,
  logRetentionSchema,
  parseOrThrow,
  partitionOf,
  regionSchema,
  roleNameSchema,
  showValue,
} from "./schema";

/** A whole number in [min, max]; anything else (a string, NaN, Infinity, a fraction) gets the one `message`. */
const wholeNumber = (min: number, max: number, message: string) =>
  z.number({ error: message }).int({ message }).min(min, { message }).max(max, { message });

/** The data settings of the Lambda side (account A); shared with the environment config. */
export const lambdaSettingsSchema = z.strictObject({
  accountId: accountIdSchema,
  region: regionSchema,
  functionName: functionNameSchema,
  roleName: roleNameSchema,
  logRetentionDays: logRetentionSchema.optional(),
  memorySize: wholeNumber(128, 10240, "must be 128-10240 MB").optional(),
  timeoutSeconds: wholeNumber(1, 900, "must be 1-900 seconds").optional(),
});

/** Resolves the handler bundle folder, or throws naming `field` when it holds no built `index.js`. */
export function checkBundleDir(dir: string, field: string): string {
  const resolved = resolve(dir);
  if (!existsSync(join(resolved, "index.js"))) {
    throw new ConfigurationError([
      `${field} ${showValue(dir)} holds no index.js: build the handler first (npm run build:lambda)`,
    ]);
  }
  return resolved;
}

/** Resolves a prebuilt deployment archive, or throws naming `field` when it is missing or not a zip. */
export function checkCodeArchive(file: string, field: string): string {
  const resolved = resolve(file);
  if (!resolved.endsWith(".zip") || !existsSync(resolved) || !statSync(resolved).isFile()) {
    throw new ConfigurationError([
      `${field} ${showValue(file)} is not a zip file: build the handler first (npm run build:lambda)`,
    ]);
  }
  return resolved;
}

/** The execution role's logging permission: writing to its own function's log group only. */
export function loggingPolicy(region: string, accountId: string, functionName: string): PolicyDocument {
  const { partition } = partitionOf(region);
  const logGroupArn = `arn:${partition}:logs:${region}:${accountId}:log-group:/aws/lambda/${functionName}`;
  return policyDocument([
    { Sid: "WriteOwnLogs", Effect: "Allow", Action: [...LOGS_WRITE_ACTIONS], Resource: `${logGroupArn}:*` },
  ]);
}

export interface LambdaConsumerProps {
  /** The aliased AWS provider of the Lambda account (A); every resource is created through it. */
  readonly provider: TerraformProvider;
  /** Account A's ID; scopes the logging permission. */
  readonly accountId: string;
  /** Account A's region; scopes the logging permission. */
  readonly region: string;
  /** Name of the Lambda function. */
  readonly functionName: string;
  /** Name of the Lambda execution role. */
  readonly roleName: string;
  /** Folder holding the bundled handler (`index.js` exporting `handler`), packaged as the function's code. */
  readonly bundleDir: string;
  /**
   * A zip of the bundle made at build time (`npm run build:lambda` writes lambda/function.zip), deployed as it is:
   * faster to synthesize and byte-for-byte reproducible, so an unchanged handler never shows as a change.
   * @default the bundle folder is zipped at synth
   */
  readonly codeArchive?: string;
  /** Environment variables of the function. @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** Days the function's logs are kept. @default 30 */
  readonly logRetentionDays?: number;
  /** Memory of the function in MB. @default 256 */
  readonly memorySize?: number;
  /** Timeout of the function in seconds. @default 30 */
  readonly timeoutSeconds?: number;
}

/**
 * Account A: the Lambda execution role (trusted by lambda.amazonaws.com), logging scoped to the function's own log
 * group, the log group with a retention, and the function packaged from the handler bundle.
 */
export class LambdaConsumer extends Construct {
  public readonly role: IamRole;
  public readonly function: LambdaFunction;
  public readonly logGroup: CloudwatchLogGroup;
  /** ARN of the execution role, computed from config so the bucket account can name it before it exists. */
  public readonly roleArn: string;

  constructor(scope: Construct, id: string, props: LambdaConsumerProps) {
    super(scope, id);
    libraryConstruct(this, id, { provider: props.provider });
    const settings = parseOrThrow(
      lambdaSettingsSchema,
      {
        accountId: props.accountId,
        region: props.region,
        functionName: props.functionName,
        roleName: props.roleName,
        logRetentionDays: props.logRetentionDays,
        memorySize: props.memorySize,
        timeoutSeconds: props.timeoutSeconds,
      },
      id,
    );
    const bundleDir = checkBundleDir(props.bundleDir, `${id}.bundleDir`);
    if (props.codeArchive !== undefined) checkCodeArchive(props.codeArchive, `${id}.codeArchive`);
    const { partition } = partitionOf(settings.region);
    const provider = props.provider;
    this.roleArn = `arn:${partition}:iam::${settings.accountId}:role/${settings.roleName}`;

    this.logGroup = new CloudwatchLogGroup(this, "log-group", {
      provider,
      name: `/aws/lambda/${settings.functionName}`,
      retentionInDays: settings.logRetentionDays ?? 30,
    });

    this.role = new IamRole(this, "role", {
      provider,
      name: settings.roleName,
      description: `Execution role of the Lambda function ${settings.functionName}`,
      assumeRolePolicy: renderPolicy(
        policyDocument([
          {
            Sid: "LambdaServiceAssumesRole",
            Effect: "Allow",
            Principal: { Service: "lambda.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": settings.accountId } },
          },
        ]),
      ),
    });

    const logging = new IamRolePolicy(this, "logging", {
      provider,
      name: "write-own-logs",
      role: this.role.name,
      policy: renderPolicy(loggingPolicy(settings.region, settings.accountId, settings.functionName)),
    });

    const code = props.codeArchive
      ? new TerraformAsset(this, "bundle", {
          path: checkCodeArchive(props.codeArchive, `${id}.codeArchive`),
          type: AssetType.FILE,
        })
      : new TerraformAsset(this, "bundle", { path: bundleDir, type: AssetType.ARCHIVE });
    this.function = new LambdaFunction(this, "function", {
      provider,
      functionName: settings.functionName,
      role: this.role.arn,
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      handler: "index.handler",
      filename: code.path,
      sourceCodeHash: Fn.filebase64sha256(code.path),
      memorySize: settings.memorySize ?? 256,
      timeout: settings.timeoutSeconds ?? 30,
      environment: { variables: { ...(props.environment ?? {}) } },
      dependsOn: [this.logGroup, logging],
    });
  }
}
