/**
 * The grantee in the Lambda account: the execution role (one this library creates, or the team's own) and the
 * function that runs with it (from the prebuilt handler or the team's own code, or none at all).
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import {
  AssetType,
  Construct,
  Fn,
  TerraformAsset,
  Token,
  type TerraformProvider,
  type ITerraformDependable,
} from "../core/cdktf";
import { libraryConstruct } from "../core/compatibility";
import { defaultHandlerCode, LAMBDA_ARCHITECTURES, type LambdaCode } from "./default-handler";
import { renderPolicy, roleArn, roleArnParts } from "../core/policy-document";
import { lambdaServiceTrust, loggingPolicy, vpcAccessPolicy } from "../policy/lambda-role";
import { ConfigurationError, showValue } from "../core/errors";
import { functionEnvironmentProblems, lambdaRoleArnOf, type LambdaSettings } from "../declaration/lambda-settings";
import { partitionOf } from "../core/regions";
import { parseOrThrow, schemas } from "../declaration/validate";
import { literalConfig } from "../core/terraform-text";

export { lambdaRoleArnOf, type LambdaSettings } from "../declaration/lambda-settings";
export { loggingPolicy, vpcAccessPolicy } from "../policy/lambda-role";

/** The Lambda account's side of a grant as the constructs build it: its settings, and what builds its resources. */
export type LambdaAccountOptions = LambdaSettings & {
  /** The aliased provider of the Lambda account; every resource there is created through it. */
  readonly provider: TerraformProvider;
  /**
   * An existing role of this stack, instead of `existingRoleArn`: it must have a literal name (and path, if any),
   * from which its ARN is known at synth.
   */
  readonly existingRole?: IamRole | undefined;
  /** The function's code. @default the prebuilt handler (defaultHandlerCode) */
  readonly code?: LambdaCode | undefined;
};

/**
 * The settings of a Lambda side, with an existing role given as a construct turned into its ARN (the bucket account's
 * half, and the proof, need it literally).
 */
export function lambdaSettingsOf(id: string, side: LambdaAccountOptions): LambdaSettings {
  const { provider: _provider, existingRole, code: _code, ...settings } = side;
  if (!existingRole) return settings;
  const name = existingRole.nameInput;
  const path = existingRole.pathInput ?? "/";
  if (typeof name !== "string" || Token.isUnresolved(name) || Token.isUnresolved(path)) {
    throw new ConfigurationError([
      `${id}.lambda.existingRole ${existingRole.node.path} has no literal name and path: give the role a name (not a name prefix), or pass its ARN as existingRoleArn`,
    ]);
  }
  if (settings.roleName !== undefined || settings.existingRoleArn !== undefined) {
    throw new ConfigurationError([
      `${id}.lambda.existingRole is given with ${settings.roleName !== undefined ? "roleName" : "existingRoleArn"}: name the grantee's role once`,
    ]);
  }
  return {
    ...settings,
    existingRoleArn: roleArn(partitionOf(settings.region).partition, settings.accountId, name, path),
  };
}

/** Checks a function's code, naming `field`; the code. `prebuilt` says it is the default handler (built or not). */
function checkCode(code: LambdaCode, field: string, prebuilt: boolean): LambdaCode {
  const problems: string[] = [];
  const file = code.archive ?? code.directory;
  if (code.archive !== undefined && code.directory !== undefined)
    problems.push(`${field} gives both archive and directory: give one`);
  else if (file === undefined) problems.push(`${field} gives neither archive (a .zip file) nor directory`);
  else if (
    code.archive !== undefined &&
    (!code.archive.endsWith(".zip") || !existsSync(resolve(code.archive)) || !statSync(resolve(code.archive)).isFile())
  ) {
    problems.push(
      `${field}.archive ${showValue(code.archive)} is not a zip file${prebuilt ? ": build the handler first (npm run build:lambda)" : ""}`,
    );
  } else if (
    code.directory !== undefined &&
    (!existsSync(resolve(code.directory)) || !statSync(resolve(code.directory)).isDirectory())
  ) {
    problems.push(`${field}.directory ${showValue(code.directory)} is not a folder`);
  }
  if (typeof code.runtime !== "string" || !/^[a-z][a-z0-9.]*$/.test(code.runtime))
    problems.push(`${field}.runtime ${showValue(code.runtime)} is not a Lambda runtime (e.g. python3.12)`);
  if (typeof code.handler !== "string" || code.handler.length === 0 || code.handler.length > 128)
    problems.push(`${field}.handler ${showValue(code.handler)} is not a handler (e.g. app.handler)`);
  for (const arch of code.architectures ?? []) {
    if (!(LAMBDA_ARCHITECTURES as readonly string[]).includes(arch))
      problems.push(`${field}.architectures ${showValue(arch)} is not ${LAMBDA_ARCHITECTURES.join(" or ")}`);
  }
  if ((code.architectures?.length ?? 1) !== 1)
    problems.push(`${field}.architectures ${showValue(code.architectures)} must name one architecture`);
  if (problems.length > 0) throw new ConfigurationError(problems);
  return code;
}

export type LambdaGranteeProps = LambdaAccountOptions & {
  /**
   * The variables a grant writes into the function's environment (see HANDLER_ENVIRONMENT), beside the team's own
   * `environment`, which may not set them. The halves of a grant set this.
   * @default {}
   */
  readonly grantVariables?: Readonly<Record<string, string>> | undefined;
  /** Where the settings come from in your configuration (e.g. `environments.prod.lambda`), for messages. @default the construct's id */
  readonly configPath?: string | undefined;
};

/**
 * Account A: the grantee's execution role — created (trusted by lambda.amazonaws.com for this account only, logging
 * limited to its own function's log group) or the team's own — and, unless `createFunction` is false, the function
 * with its log group, from the prebuilt handler or the team's code.
 */
export class LambdaGrantee extends Construct {
  /** The role this construct created; undefined for an existing one. */
  public readonly role?: IamRole | undefined;
  /** The role's ARN, path included, known at synth: the bucket account's policies name it. */
  public readonly roleArn: string;
  /** The role's name, as policies attach to it (a reference when the role is in this stack). */
  public readonly roleName: string;
  public readonly function?: LambdaFunction | undefined;
  public readonly logGroup?: CloudwatchLogGroup | undefined;

  constructor(scope: Construct, id: string, props: LambdaGranteeProps) {
    super(scope, id);
    const label = props.configPath ?? id;
    libraryConstruct(this, label, { provider: props.provider });
    const { settings, code, variables } = checkedInputs(label, props);
    this.roleArn = lambdaRoleArnOf(settings);
    this.role = settings.roleName !== undefined ? executionRole(this, props.provider, settings) : undefined;
    this.roleName = this.role?.name ?? props.existingRole?.name ?? roleArnParts(this.roleArn).name;
    if (!code) return;
    this.logGroup = new CloudwatchLogGroup(
      this,
      "log-group",
      literalConfig({
        provider: props.provider,
        name: `/aws/lambda/${settings.functionName!}`,
        retentionInDays: settings.logRetentionDays ?? 30,
      }),
    );
    const rolePolicies = this.role ? ownRolePolicies(this, props.provider, this.role, settings) : [];
    this.function = lambdaFunction(this, props.provider, {
      settings,
      code,
      variables,
      roleArn: this.role?.arn ?? this.roleArn,
      dependsOn: [this.logGroup, ...rolePolicies],
    });
  }
}

/**
 * The grantee's settings validated, its code checked, and its environment as written (the team's variables with the
 * grant's) checked as Lambda and the prebuilt handler will: all before anything is created.
 */
function checkedInputs(
  label: string,
  props: LambdaGranteeProps,
): { settings: LambdaSettings; code: LambdaCode | undefined; variables: Record<string, string> } {
  const { grantVariables: _variables, configPath: _path, ...side } = props;
  const settings = parseOrThrow(schemas().lambdaSettingsSchema, lambdaSettingsOf(label, side), label);
  const code =
    settings.createFunction === false
      ? undefined
      : checkCode(props.code ?? defaultHandlerCode(), `${label}.code`, props.code === undefined);
  const variables = { ...(settings.environment ?? {}), ...(props.grantVariables ?? {}) };
  if (code) {
    const prebuilt =
      props.code === undefined ||
      (props.code.archive !== undefined && resolve(props.code.archive) === resolve(defaultHandlerCode().archive!));
    const problems = functionEnvironmentProblems(`${label}.environment`, variables, prebuilt);
    if (problems.length > 0) throw new ConfigurationError(problems);
  }
  return { settings, code, variables };
}

/** The execution role this construct creates: trusted by the Lambda service of its account only. */
function executionRole(scope: Construct, provider: TerraformProvider, settings: LambdaSettings): IamRole {
  return new IamRole(
    scope,
    "role",
    literalConfig({
      provider,
      name: settings.roleName!,
      ...(settings.rolePath !== undefined ? { path: settings.rolePath } : {}),
      description: settings.functionName
        ? `Execution role of the Lambda function ${settings.functionName}`
        : "Execution role of a Lambda function",
      assumeRolePolicy: renderPolicy(lambdaServiceTrust(settings.accountId)),
    }),
  );
}

/**
 * What a role created here gets for its function, exactly: its own log group, and in a VPC its network interfaces.
 * (A role the team owns keeps its own permissions.)
 */
function ownRolePolicies(
  scope: Construct,
  provider: TerraformProvider,
  role: IamRole,
  settings: LambdaSettings,
): IamRolePolicy[] {
  const logging = renderPolicy(loggingPolicy(settings.region, settings.accountId, settings.functionName!));
  return [
    new IamRolePolicy(
      scope,
      "logging",
      literalConfig({ provider, name: "write-own-logs", role: role.name, policy: logging }),
    ),
    ...(settings.vpc
      ? [
          new IamRolePolicy(
            scope,
            "vpc-access",
            literalConfig({
              provider,
              name: "vpc-network-interfaces",
              role: role.name,
              policy: renderPolicy(vpcAccessPolicy()),
            }),
          ),
        ]
      : []),
  ];
}

/** The function, from its code (an archive, or a folder zipped at synth), with the settings the grantee declares. */
function lambdaFunction(
  scope: Construct,
  provider: TerraformProvider,
  args: {
    settings: LambdaSettings;
    code: LambdaCode;
    variables: Record<string, string>;
    roleArn: string;
    dependsOn: ITerraformDependable[];
  },
): LambdaFunction {
  const { settings, code } = args;
  const asset = code.archive
    ? new TerraformAsset(scope, "bundle", { path: resolve(code.archive), type: AssetType.FILE })
    : new TerraformAsset(scope, "bundle", { path: resolve(code.directory!), type: AssetType.ARCHIVE });
  return new LambdaFunction(
    scope,
    "function",
    literalConfig({
      provider,
      functionName: settings.functionName!,
      role: args.roleArn,
      runtime: code.runtime,
      handler: code.handler,
      ...(code.architectures ? { architectures: [...code.architectures] } : {}),
      filename: asset.path,
      sourceCodeHash: Fn.filebase64sha256(asset.path),
      memorySize: settings.memorySize ?? 256,
      timeout: settings.timeoutSeconds ?? 30,
      ...(settings.description !== undefined ? { description: settings.description } : {}),
      ...(settings.layers ? { layers: [...settings.layers] } : {}),
      ...(settings.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: settings.reservedConcurrentExecutions }
        : {}),
      ...(settings.vpc
        ? {
            vpcConfig: { subnetIds: [...settings.vpc.subnetIds], securityGroupIds: [...settings.vpc.securityGroupIds] },
          }
        : {}),
      environment: { variables: args.variables },
      dependsOn: args.dependsOn,
    }),
  );
}
