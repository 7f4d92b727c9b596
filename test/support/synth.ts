/** Helpers to read the Terraform JSON that cdktf synthesizes, with the types tests need. */
import { join } from "node:path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Aspects, Testing, TerraformStack } from "cdktf";
import {
  ConfigurationError,
  CrossAccountS3Access,
  SecurityRules,
  type CrossAccountS3AccessProps,
  type GrantDeclaration,
  type PolicyDocument,
  type PolicyStatement,
} from "../../modules/internal";
import { environmentStacks } from "../../stacks/cross-account-stack";
import { environments } from "../../stacks/environments";

export const BUNDLE_DIR = join(__dirname, "..", "..", "lambda", "dist");
export const CODE_ARCHIVE = join(__dirname, "..", "..", "lambda", "function.zip");

export interface SynthResource {
  readonly provider?: string;
  readonly depends_on?: string[];
  readonly [argument: string]: unknown;
}

export interface SynthJson {
  readonly provider?: { aws?: Array<Record<string, unknown>> };
  readonly resource: Record<string, Record<string, SynthResource>>;
  readonly output?: Record<string, { value: string }>;
}

/** Synthesizes a stack and parses its Terraform JSON. */
export function synthJson(stack: TerraformStack): SynthJson {
  return JSON.parse(Testing.synth(stack)) as SynthJson;
}

/** A stack with the two aliased providers every module test uses. */
export function twoAccountStack(): { stack: TerraformStack; lambdaProvider: AwsProvider; bucketProvider: AwsProvider } {
  const app = Testing.app();
  const stack = new TerraformStack(app, "test");
  const lambdaProvider = new AwsProvider(stack, "lambda", { alias: "lambda_account", region: "us-east-1" });
  const bucketProvider = new AwsProvider(stack, "bucket", { alias: "bucket_account", region: "us-east-1" });
  return { stack, lambdaProvider, bucketProvider };
}

/** Every resource of a type, keyed by logical ID. */
export function resourcesOf(json: SynthJson, type: string): Record<string, SynthResource> {
  return json.resource[type] ?? {};
}

/** The only resource of a type; fails when there are none or several. */
export function onlyResource(json: SynthJson, type: string): SynthResource {
  const all = Object.values(resourcesOf(json, type));
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0];
}

/**
 * The resource of a type created at construct path `path` below the stack (e.g. "access/lambda/function"); cdktf
 * names it by that path with "_" for "/" plus a hash.
 */
export function resourceAt(json: SynthJson, type: string, path: string): SynthResource {
  const idPattern = new RegExp(`^${path.replace(/\//g, "_").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}_[0-9A-F]{8}$`);
  const match = Object.entries(resourcesOf(json, type)).filter(([id]) => idPattern.test(id));
  if (match.length !== 1) throw new Error(`expected one ${type} at ${path}, found ${match.length}`);
  return match[0][1];
}

/** Parses a policy argument (`policy`, `assume_role_policy`) of a synthesized resource. */
export function policyOf(resource: SynthResource, argument = "policy"): PolicyDocument {
  const text = resource[argument];
  if (typeof text !== "string") throw new Error(`resource has no string argument ${argument}`);
  return JSON.parse(text) as PolicyDocument;
}

/** The statement with a given Sid; fails when missing. */
export function statement(doc: PolicyDocument, sid: string): PolicyStatement {
  const found = doc.Statement.find((s) => s.Sid === sid);
  if (!found) throw new Error(`no statement ${sid} in ${doc.Statement.map((s) => s.Sid).join(", ")}`);
  return found;
}

/** Every resource in the stack as [type, id, resource]. */
export function allResources(json: SynthJson): Array<[string, string, SynthResource]> {
  return Object.entries(json.resource).flatMap(([type, byId]) =>
    Object.entries(byId).map(([id, r]) => [type, id, r] as [string, string, SynthResource]),
  );
}

/** The logical ID of the one resource of `type` at construct path `path`. */
export function idAt(json: SynthJson, type: string, path: string): string {
  const target = resourceAt(json, type, path);
  const [id] = Object.entries(resourcesOf(json, type)).find(([, r]) => r === target)!;
  return id;
}

/** The ConfigurationError `make` throws; fails when it throws nothing or something else. */
export function configurationError(make: () => unknown): ConfigurationError {
  try {
    make();
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error("expected a ConfigurationError, nothing was thrown");
}

/** The synthesized stacks of a shipped environment (one, or two in the split layout), by stack name. */
export function environmentJson(name: string): Record<string, SynthJson> {
  const stacks = environmentStacks(Testing.app(), name, environments[name], {});
  return Object.fromEntries(stacks.map((stack) => [stack.node.id, JSON.parse(Testing.synth(stack)) as SynthJson]));
}

/** Partial settings of either side, merged over the defaults of `accessProps`. */
export interface AccessOverrides {
  readonly lambda?: Partial<CrossAccountS3AccessProps["lambda"]>;
  readonly bucket?: Partial<CrossAccountS3AccessProps["bucket"]>;
}

/** Props of a CrossAccountS3Access between accounts 111111111111 and 222222222222 on the stack's two providers. */
export function accessProps(
  stack: ReturnType<typeof twoAccountStack>,
  grant: GrantDeclaration,
  overrides: AccessOverrides = {},
): CrossAccountS3AccessProps {
  return {
    lambda: {
      provider: stack.lambdaProvider,
      accountId: "111111111111",
      region: "us-east-1",
      functionName: "consumer",
      roleName: "consumer-role",
      ...overrides.lambda,
    },
    bucket: {
      provider: stack.bucketProvider,
      accountId: "222222222222",
      region: "us-east-1",
      bucketName: "shared-data",
      keyAlias: "alias/shared-data",
      ...overrides.bucket,
    },
    grant,
  };
}

/**
 * The rule IDs the security rules report on a two-account stack holding `grant` (a CrossAccountS3Access "access"),
 * after `tamper` edits the stack as a team's own code could.
 */
export function ruleFindings(grant: GrantDeclaration, tamper: (stack: TerraformStack) => void): string[] {
  const pair = twoAccountStack();
  new CrossAccountS3Access(pair.stack, "access", accessProps(pair, grant));
  Aspects.of(pair.stack).add(new SecurityRules());
  tamper(pair.stack);
  Testing.synth(pair.stack);
  return pair.stack.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === "@cdktf/error").map((m) => String(m.data)))
    .map((m) => m.slice(1, m.indexOf("]")));
}

/** The construct of `stack` whose path ends with `path`, to override an argument of as a team's own code could. */
export function constructAt(stack: TerraformStack, path: string): { addOverride(p: string, v: unknown): void } {
  const found = stack.node.findAll().find((c) => c.node.path.endsWith(path));
  if (!found) throw new Error(`no construct at …${path}`);
  return found as unknown as { addOverride(p: string, v: unknown): void };
}
