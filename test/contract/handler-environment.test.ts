/**
 * What the constructs write is what the handler reads. Every shipped environment is synthesized with this repository's
 * stacks; the environment of each function they create, plus what the Lambda runtime adds, goes through the handler's
 * own `loadConfig`, and the configuration it loads must be the one the environment declares: bucket, region, mode,
 * S3 access role, ExternalId, access point and grants. The handler's own tests (test/lambda) stand alone and write
 * their environments by hand; this is where the two sides meet.
 */
import { Testing, type TerraformStack } from "cdktf";
import {
  ACCESS_MODES,
  encodeGrantedPrefixes,
  HANDLER_ENVIRONMENT,
  LAMBDA_RUNTIME_VARIABLES,
  type AccessMode,
  type GrantedPrefix,
} from "../../modules/contract";
import { partitionOf } from "../../modules/internal";
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_PRESIGN_MAX_EXPIRES_SECONDS,
  loadConfig,
  type HandlerConfig,
} from "../../lambda/src/config";
import { parseGrantedPrefixes } from "../../lambda/src/granted-prefixes";
import type { EnvironmentConfig } from "../../stacks/config";
import { environmentStacks } from "../../stacks/cross-account-stack";
import { environments, sharedEnvironments } from "../../stacks/environments";
import { sharedEnvironmentStacks } from "../../stacks/shared-bucket-stack";
import { resourcesOf, type SynthJson } from "../support/synth";

const OPTIONS = {};

/** One function as its environment declares it. */
interface DeclaredFunction {
  /** `environments.<name>` or `sharedEnvironments.<name>.grantees.<consumer>`, for test names. */
  readonly declaredAt: string;
  readonly target: EnvironmentConfig["target"];
  readonly lambda: { readonly functionName?: string; readonly region: string };
  readonly bucket: { readonly accountId: string; readonly region: string; readonly bucketName: string };
  readonly grant: EnvironmentConfig["grant"];
  /** The access point the function must go through (undefined: straight to the bucket). */
  readonly accessPointName?: string;
}

/** One synthesized aws_lambda_function, with the region of the provider it is created with. */
interface SynthesizedFunction {
  readonly functionName: string;
  readonly region: string;
  readonly variables: Readonly<Record<string, string>>;
}

/** The functions of the stacks of one environment, and the names and accounts of the access points they create. */
function synthesize(stacks: readonly TerraformStack[]): { functions: SynthesizedFunction[]; accessPoints: string[] } {
  const functions: SynthesizedFunction[] = [];
  const accessPoints: string[] = [];
  for (const stack of stacks) {
    const json = JSON.parse(Testing.synth(stack)) as SynthJson;
    const regionOf = (provider: unknown) => {
      const alias = String(provider).replace(/^aws\./, "");
      const block = (json.provider?.aws ?? []).find((p) => p.alias === alias);
      if (block === undefined) throw new Error(`stack ${stack.node.id} has no AWS provider with alias ${alias}`);
      return String(block.region);
    };
    for (const fn of Object.values(resourcesOf(json, "aws_lambda_function"))) {
      const environment = fn.environment as { variables?: Record<string, string> } | undefined;
      functions.push({
        functionName: String(fn.function_name),
        region: regionOf(fn.provider),
        variables: environment?.variables ?? {},
      });
    }
    for (const ap of Object.values(resourcesOf(json, "aws_s3_access_point")))
      accessPoints.push(`${String(ap.account_id)}/${String(ap.name)}`);
  }
  return { functions, accessPoints };
}

interface Environment {
  readonly name: string;
  readonly declared: readonly DeclaredFunction[];
  readonly functions: readonly SynthesizedFunction[];
  /** The access points the environment's stacks create, as "<account>/<name>". */
  readonly accessPoints: readonly string[];
}

function singleEnvironment(name: string): Environment {
  const config = environments[name];
  const declared: DeclaredFunction = {
    declaredAt: `environments.${name}`,
    target: config.target,
    lambda: config.lambda,
    bucket: config.bucket,
    grant: config.grant,
  };
  return { name, declared: [declared], ...synthesize(environmentStacks(Testing.app(), name, config, OPTIONS)) };
}

function sharedEnvironment(name: string): Environment {
  const config = sharedEnvironments[name];
  const { functions, accessPoints } = synthesize(sharedEnvironmentStacks(Testing.app(), name, config, OPTIONS));
  const choice = config.accessPoints ?? "auto";
  const declared = config.grantees.map((consumer): DeclaredFunction => {
    // "always": every consumer through an access point named for it. "auto": those the planner gave one, which the
    // stacks then create. "never": none.
    const created = accessPoints.includes(`${config.bucket.accountId}/${consumer.name}`);
    const throughAccessPoint = choice === "always" || (choice === "auto" && created);
    return {
      declaredAt: `sharedEnvironments.${name}.grantees.${consumer.name}`,
      target: config.target,
      lambda: consumer.lambda,
      bucket: config.bucket,
      grant: consumer.grant,
      ...(throughAccessPoint && { accessPointName: consumer.name }),
    };
  });
  return { name, declared, functions, accessPoints };
}

const shipped: Environment[] = [
  ...Object.keys(environments).map(singleEnvironment),
  ...Object.keys(sharedEnvironments).map(sharedEnvironment),
];

/** Each declared function with the synthesized functions of its name (one, when all is well) and its environment. */
const cases = shipped.flatMap((env) =>
  env.declared.map((declared) => ({
    declared,
    synthesized: env.functions.filter((f) => f.functionName === declared.lambda.functionName),
    environment: env,
  })),
);

/** The environment Lambda gives the handler: the function's variables, plus what the runtime sets. */
function runtimeEnvironment(fn: SynthesizedFunction): NodeJS.ProcessEnv {
  return {
    ...fn.variables,
    [HANDLER_ENVIRONMENT.functionRegion]: fn.region,
    [HANDLER_ENVIRONMENT.functionName]: fn.functionName,
  };
}

/** The configuration the handler must load for a declared function. */
function expectedConfig(d: DeclaredFunction): HandlerConfig {
  const partition = partitionOf(d.bucket.region).partition;
  const grants: GrantedPrefix[] = d.grant.prefixes.map((p) => ({
    prefix: p.prefix,
    access: p.access,
    delete: p.delete ?? false,
  }));
  const common = {
    bucketName: d.bucket.bucketName,
    bucketRegion: d.bucket.region,
    ...(d.accessPointName !== undefined && {
      accessPointArn: `arn:${partition}:s3:${d.bucket.region}:${d.bucket.accountId}:accesspoint/${d.accessPointName}`,
    }),
    // Path-style addressing is the emulator's, and cannot address an access point (see stacks/cross-account-stack.ts lambdaSide).
    forcePathStyle: d.target === "local-emulator" && d.accessPointName === undefined,
    grants,
    ...(d.grant.events && {
      eventFilter: {
        prefixes: [...d.grant.events.prefixes],
        ...(d.grant.events.suffix !== undefined && { suffix: d.grant.events.suffix }),
        ...(d.grant.events.removed === true && { removed: true as const }),
      },
    }),
    // The constructs set neither limit: the handler's defaults apply.
    maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
    presignMaxExpiresSeconds: DEFAULT_PRESIGN_MAX_EXPIRES_SECONDS,
  };
  if (d.grant.mode === "bucket-policy") return { ...common, accessMode: "bucket-policy" };
  return {
    ...common,
    accessMode: "assume-role",
    roleArn: `arn:${partition}:iam::${d.bucket.accountId}:role/${d.grant.accessRoleName}`,
    ...(d.grant.externalId !== undefined && { externalId: d.grant.externalId }),
    roleSessionName: d.lambda.functionName!,
    stsRegion: d.lambda.region,
  };
}

const CONTRACT_NAMES: readonly string[] = Object.values(HANDLER_ENVIRONMENT);
const RUNTIME_NAMES: readonly string[] = LAMBDA_RUNTIME_VARIABLES;

describe.each(cases.map((c) => [c.declared.declaredAt, c] as const))(
  "the function of %s",
  (_at, { declared, synthesized, environment }) => {
    test("is synthesized once, with the declared name", () => {
      expect(synthesized.map((f) => f.functionName)).toEqual([declared.lambda.functionName]);
    });

    test("loads, in the handler, the configuration its environment declares", () => {
      const config = loadConfig(runtimeEnvironment(synthesized[0]));

      expect(config).toEqual(expectedConfig(declared));
    });

    test("is given only variables the contract names, and none the Lambda runtime reserves", () => {
      const written = Object.keys(synthesized[0].variables);

      expect(written.filter((name) => !CONTRACT_NAMES.includes(name))).toEqual([]);
      expect(written.filter((name) => RUNTIME_NAMES.includes(name))).toEqual([]);
    });

    test("is sent only to an access point its environment's stacks create", () => {
      const arn = synthesized[0].variables[HANDLER_ENVIRONMENT.accessPointArn];
      // arn:<partition>:s3:<region>:<account>:accesspoint/<name>, as "<account>/<name>".
      const named = arn === undefined ? [] : [`${arn.split(":")[4]}/${arn.split("/").pop()}`];

      expect(named.filter((ap) => !environment.accessPoints.includes(ap))).toEqual([]);
    });

    test("is given its prefixes in the contract's one encoding", () => {
      expect(synthesized[0].variables[HANDLER_ENVIRONMENT.grantedPrefixes]).toBe(
        encodeGrantedPrefixes(declared.grant.prefixes),
      );
    });
  },
);

test("every function the stacks create is one an environment declares", () => {
  const declared = new Set(cases.map((c) => c.declared.lambda.functionName));
  const undeclared = shipped.flatMap((env) =>
    env.functions.filter((f) => !declared.has(f.functionName)).map((f) => `${env.name}: ${f.functionName}`),
  );

  expect(undeclared).toEqual([]);
});

test("the environments checked cover every access mode, an ExternalId and an access point", () => {
  const loaded = cases.map((c) => expectedConfig(c.declared));
  const modes = new Set<AccessMode>(loaded.map((c) => c.accessMode));

  expect([...modes].sort()).toEqual([...ACCESS_MODES].sort());
  expect(loaded.some((c) => c.accessMode === "assume-role" && c.externalId !== undefined)).toBe(true);
  expect(loaded.some((c) => c.accessPointArn !== undefined)).toBe(true);
  expect(cases.map((c) => c.declared.declaredAt)).toEqual(
    expect.arrayContaining([
      "environments.local",
      "environments.local-assume-role",
      "sharedEnvironments.local-shared-ap.grantees.ap-reporting",
      "sharedEnvironments.local-shared-ap.grantees.ap-ingest",
    ]),
  );
});

describe("the GRANTED_PREFIXES encoding", () => {
  test("states every field, delete false when left out, in declaration order", () => {
    expect(
      encodeGrantedPrefixes([
        { prefix: "incoming/", access: "readWrite" },
        { prefix: "archive/", access: "read", delete: true },
      ]),
    ).toBe(
      '[{"prefix":"incoming/","access":"readWrite","delete":false},{"prefix":"archive/","access":"read","delete":true}]',
    );
  });

  test("is read back by the handler as the grants it encodes", () => {
    const grants: GrantedPrefix[] = [
      { prefix: "incoming/", access: "readWrite", delete: false },
      { prefix: "uploads/", access: "write", delete: true },
    ];

    expect(parseGrantedPrefixes(encodeGrantedPrefixes(grants))).toEqual({ ok: true, grants });
  });
});
