/**
 * The handler's configuration, read from the function's environment once per container and validated before the
 * first invocation: a bad variable fails the init phase with a ConfigurationError naming it and its value.
 */
import * as z from "zod";
import {
  accessPointAddressingProblem,
  ACCESS_MODES,
  HANDLER_ENVIRONMENT as ENV,
  handlerSettingProblem,
  type HandlerSetting,
  type HandlerVariable,
} from "../../modules/contract";
import { ConfigurationError, type ConfigurationProblem } from "./errors";
import type { GrantedPrefix } from "../../modules/contract";
import { parseGrantedPrefixes } from "./granted-prefixes";
import { parseEventFilter, type EventFilter } from "./event-filter";
import { showValue } from "./show-value";

/** RoleSessionName used when the function name is unavailable or sanitises to fewer than 2 characters. */
export const DEFAULT_ROLE_SESSION_NAME = "s3-access";

// The limits of the handler's settings are the contract's: the constructs check the settings at synth as the handler does.
export {
  MAX_RESPONSE_BYTES_LIMIT,
  MIN_MAX_RESPONSE_BYTES,
  PRESIGN_EXPIRES_LIMIT_SECONDS,
} from "../../modules/contract";
/** Default cap on a `get` response: 5 MiB, leaving room under Lambda's limit for the JSON around the body. */
export const DEFAULT_MAX_RESPONSE_BYTES = 5 * 1024 * 1024;
/** Default upper bound on a presigned URL's lifetime: 1 hour. */
export const DEFAULT_PRESIGN_MAX_EXPIRES_SECONDS = 3600;

interface CommonConfig {
  /** The bucket in the bucket account; never taken from the event. */
  readonly bucketName: string;
  /** Region of the bucket (BUCKET_REGION, else AWS_REGION). */
  readonly bucketRegion: string;
  /**
   * The S3 access point every request goes through (ACCESS_POINT_ARN), in the bucket's region; absent when requests
   * go to the bucket itself. Keys are the same either way, so the grant applies unchanged.
   */
  readonly accessPointArn?: string;
  /** Path-style addressing, for local S3 emulators; never with an access point. */
  readonly forcePathStyle: boolean;
  /** What the grant allows under each prefix (GRANTED_PREFIXES); requests outside it are refused before AWS. */
  readonly grants: readonly GrantedPrefix[];
  /** Which object events the grant declares (EVENT_FILTER); absent when it declares none. */
  readonly eventFilter?: EventFilter;
  /** Largest `get` response, in bytes of JSON (MAX_RESPONSE_BYTES); larger objects are for `presign-get`. */
  readonly maxResponseBytes: number;
  /** Longest lifetime of a presigned URL, in seconds (PRESIGN_MAX_EXPIRES_SECONDS). */
  readonly presignMaxExpiresSeconds: number;
}

export interface BucketPolicyConfig extends CommonConfig {
  readonly accessMode: "bucket-policy";
}

export interface AssumeRoleConfig extends CommonConfig {
  readonly accessMode: "assume-role";
  /** The S3 access role in the bucket account. */
  readonly roleArn: string;
  /** Sent as sts:ExternalId when set. */
  readonly externalId?: string;
  /** AssumeRole RoleSessionName, derived from AWS_LAMBDA_FUNCTION_NAME. */
  readonly roleSessionName: string;
  /** Region of the STS endpoint: the function's own (AWS_REGION, set by the Lambda runtime), else the bucket's. */
  readonly stsRegion: string;
}

export type HandlerConfig = BucketPolicyConfig | AssumeRoleConfig;

const BUCKET_NAME_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION_RE = /^[a-z]{2,}(-[a-z]+)+-\d+$/;
const ROLE_ARN_RE = /^arn:aws[-a-z]*:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const EXTERNAL_ID_RE = /^[\w+=,.@:/-]{2,1224}$/;
/** arn:<partition>:s3:<region>:<account>:accesspoint/<name>; the region is captured. */
const ACCESS_POINT_ARN_RE = /^arn:aws[-a-z]*:s3:([a-z]{2,}(?:-[a-z]+)+-\d+):\d{12}:accesspoint\/[a-z0-9-]{3,50}$/;

/** Message fragments; the variable name and the received value are added by `describe`. */
const required = (what: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? "is required" : `must be ${what}`),
});

const envSchema = z.object({
  BUCKET_NAME: z
    .string(required("a string"))
    .regex(BUCKET_NAME_RE, { message: "is not a valid S3 bucket name (3-63 of a-z, 0-9, '.', '-')" }),
  BUCKET_REGION: z
    .string(required("a string"))
    .regex(REGION_RE, { message: "is not an AWS region name (e.g. eu-west-1)" }),
  ACCESS_MODE: z.enum(ACCESS_MODES, required(`one of ${ACCESS_MODES.map((m) => `"${m}"`).join(", ")}`)),
  S3_ACCESS_ROLE_ARN: z
    .string()
    .regex(ROLE_ARN_RE, { message: "is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)" })
    .optional(),
  EXTERNAL_ID: z
    .string()
    .regex(EXTERNAL_ID_RE, { message: "is not a valid ExternalId (2-1224 of letters, digits and + = , . @ : / _ -)" })
    .optional(),
  ACCESS_POINT_ARN: z
    .string()
    .regex(ACCESS_POINT_ARN_RE, {
      message:
        "is not an S3 access point ARN (arn:aws:s3:<region>:<12-digit account>:accesspoint/<name>, " +
        "the name 3-50 of a-z, 0-9, '-')",
    })
    .optional(),
  S3_FORCE_PATH_STYLE: setting(ENV.forcePathStyle).optional(),
  MAX_RESPONSE_BYTES: setting(ENV.maxResponseBytes).transform(Number).optional(),
  PRESIGN_MAX_EXPIRES_SECONDS: setting(ENV.presignMaxExpiresSeconds).transform(Number).optional(),
  // Keyed by the variables' names, which messages show: each key must be a name the contract gives.
} satisfies Partial<Record<HandlerVariable, z.ZodType>>);

/** One of the handler's own settings, judged by the contract's check (the one the constructs run at synth). */
function setting(variable: HandlerSetting) {
  return z.string().superRefine((value, ctx) => {
    const message = handlerSettingProblem(variable, value);
    if (message !== undefined) ctx.addIssue({ code: "custom", message });
  });
}

/** A set variable, or undefined when unset or empty (Terraform writes "" for an absent optional value). */
function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
}

/** Replaces characters AssumeRole refuses in a RoleSessionName and trims it to 64 characters. */
export function roleSessionNameFrom(functionName: string | undefined): string {
  const sanitised = (functionName ?? "").replace(/[^\w+=,.@-]/g, "-").slice(0, 64);
  return sanitised.length >= 2 ? sanitised : DEFAULT_ROLE_SESSION_NAME;
}

/**
 * The `Bucket` parameter of every S3 request the handler sends: the access point's ARN when one is configured (the
 * SDK then addresses the access point's own endpoint), else the bucket's name.
 */
export function requestBucket(config: HandlerConfig): string {
  return config.accessPointArn ?? config.bucketName;
}

/** The variables the schema checks, as read from the environment. */
type EnvInput = Record<keyof z.input<typeof envSchema>, string | undefined>;

/** The environment, and what loadConfig reads from it before checking anything. */
interface EnvReading {
  readonly env: NodeJS.ProcessEnv;
  /** The variables the schema checks; BUCKET_REGION falls back to AWS_REGION. */
  readonly input: EnvInput;
  /** Whether BUCKET_REGION itself is set (when it is not, the bucket's region is AWS_REGION). */
  readonly bucketRegionSet: boolean;
  /** AWS_REGION: the function's own region, set by the Lambda runtime. */
  readonly runtimeRegion: string | undefined;
}

/** Reads the variables the schema checks (unset and empty alike as undefined). */
function readEnvironment(env: NodeJS.ProcessEnv): EnvReading {
  const input = {
    BUCKET_NAME: read(env, ENV.bucketName),
    BUCKET_REGION: read(env, ENV.bucketRegion) ?? read(env, ENV.functionRegion),
    ACCESS_MODE: read(env, ENV.accessMode),
    S3_ACCESS_ROLE_ARN: read(env, ENV.accessRoleArn),
    EXTERNAL_ID: read(env, ENV.externalId),
    ACCESS_POINT_ARN: read(env, ENV.accessPointArn),
    S3_FORCE_PATH_STYLE: read(env, ENV.forcePathStyle),
    MAX_RESPONSE_BYTES: read(env, ENV.maxResponseBytes),
    PRESIGN_MAX_EXPIRES_SECONDS: read(env, ENV.presignMaxExpiresSeconds),
  } satisfies Partial<Record<HandlerVariable, string | undefined>>;
  return {
    env,
    input,
    bucketRegionSet: read(env, ENV.bucketRegion) !== undefined,
    runtimeRegion: read(env, ENV.functionRegion),
  };
}

/**
 * A problem with one variable, naming it and the value it held. A bucket region taken from AWS_REGION is reported
 * under both names, with AWS_REGION's value.
 */
function problemWith(reading: EnvReading, variable: keyof EnvInput, message: string): ConfigurationProblem {
  const { env, input } = reading;
  let name: string = variable;
  let value = env[variable] ?? input[variable];
  if (variable === ENV.bucketRegion && !reading.bucketRegionSet) {
    const fromAwsRegion = input.BUCKET_REGION !== undefined;
    name = fromAwsRegion
      ? `${ENV.bucketRegion} (unset, so ${ENV.functionRegion})`
      : `${ENV.bucketRegion} (or ${ENV.functionRegion})`;
    if (fromAwsRegion) value = input.BUCKET_REGION;
  }
  return { variable, value, message: `${name} ${message} (got ${showValue(value)})` };
}

/** Assume-role mode needs the access role's ARN. */
function accessRoleProblems(reading: EnvReading): ConfigurationProblem[] {
  const { input } = reading;
  if (input.ACCESS_MODE === "assume-role" && input.S3_ACCESS_ROLE_ARN === undefined) {
    return [problemWith(reading, ENV.accessRoleArn, `is required when ${ENV.accessMode} is "assume-role"`)];
  }
  return [];
}

/** The STS region; when BUCKET_REGION is unset, AWS_REGION is checked as the bucket's region by the schema. */
function stsRegionProblems(reading: EnvReading): ConfigurationProblem[] {
  const { input, runtimeRegion } = reading;
  if (input.ACCESS_MODE !== "assume-role" || !reading.bucketRegionSet) return [];
  if (runtimeRegion === undefined || REGION_RE.test(runtimeRegion)) return [];
  return [
    {
      variable: ENV.functionRegion,
      value: runtimeRegion,
      message: `${ENV.functionRegion} (the STS region) is not an AWS region name (e.g. eu-west-1) (got ${showValue(runtimeRegion)})`,
    },
  ];
}

/** An access point is in its bucket's region, and is never addressed path-style. */
function accessPointProblems(reading: EnvReading): ConfigurationProblem[] {
  const { input } = reading;
  const accessPointArn = input.ACCESS_POINT_ARN;
  if (accessPointArn === undefined) return [];
  const problems: ConfigurationProblem[] = [];
  // An access point lives in its bucket's region; the client, and every signature, use that region.
  const arnRegion = ACCESS_POINT_ARN_RE.exec(accessPointArn)?.[1];
  const bucketRegion = input.BUCKET_REGION;
  if (
    arnRegion !== undefined &&
    bucketRegion !== undefined &&
    REGION_RE.test(bucketRegion) &&
    arnRegion !== bucketRegion
  ) {
    const source = reading.bucketRegionSet
      ? ENV.bucketRegion
      : `${ENV.functionRegion}, as ${ENV.bucketRegion} is unset`;
    const message =
      `is in region "${arnRegion}", not the bucket's region "${bucketRegion}" (${source}); an access point is in ` +
      "the region of its bucket";
    problems.push(problemWith(reading, ENV.accessPointArn, message));
  }
  const addressing = accessPointAddressingProblem(accessPointArn, input.S3_FORCE_PATH_STYLE);
  if (addressing !== undefined) problems.push(problemWith(reading, ENV.accessPointArn, addressing));
  return problems;
}

/** The configuration of valid variables, with the defaults of the unset ones. */
function configFrom(
  reading: EnvReading,
  parsed: z.output<typeof envSchema>,
  grants: readonly GrantedPrefix[],
  eventFilter: EventFilter | undefined,
): HandlerConfig {
  const common: CommonConfig = {
    bucketName: parsed.BUCKET_NAME,
    bucketRegion: parsed.BUCKET_REGION,
    ...(parsed.ACCESS_POINT_ARN !== undefined && { accessPointArn: parsed.ACCESS_POINT_ARN }),
    forcePathStyle: parsed.S3_FORCE_PATH_STYLE === "true",
    grants,
    ...(eventFilter !== undefined && { eventFilter }),
    maxResponseBytes: parsed.MAX_RESPONSE_BYTES ?? DEFAULT_MAX_RESPONSE_BYTES,
    presignMaxExpiresSeconds: parsed.PRESIGN_MAX_EXPIRES_SECONDS ?? DEFAULT_PRESIGN_MAX_EXPIRES_SECONDS,
  };
  if (parsed.ACCESS_MODE === "bucket-policy") {
    return { ...common, accessMode: "bucket-policy" };
  }
  return {
    ...common,
    accessMode: "assume-role",
    // Checked by accessRoleProblems: assume-role without a role ARN is a configuration error.
    roleArn: parsed.S3_ACCESS_ROLE_ARN as string,
    ...(parsed.EXTERNAL_ID !== undefined && { externalId: parsed.EXTERNAL_ID }),
    roleSessionName: roleSessionNameFrom(read(reading.env, ENV.functionName)),
    stsRegion: reading.runtimeRegion ?? parsed.BUCKET_REGION,
  };
}

/**
 * Reads and validates the handler's environment. Throws a ConfigurationError listing every missing or invalid
 * variable with the value it held.
 */
export function loadConfig(env: NodeJS.ProcessEnv): HandlerConfig {
  const reading = readEnvironment(env);
  const result = envSchema.safeParse(reading.input);
  const rawGrants = read(env, ENV.grantedPrefixes);
  const grants = parseGrantedPrefixes(rawGrants);
  const rawFilter = read(env, ENV.eventFilter);
  const filter = parseEventFilter(rawFilter);
  const problems: ConfigurationProblem[] = [
    ...(result.success
      ? []
      : result.error.issues.map((issue) => problemWith(reading, issue.path[0] as keyof EnvInput, issue.message))),
    ...accessRoleProblems(reading),
    ...stsRegionProblems(reading),
    ...accessPointProblems(reading),
    ...(grants.ok
      ? []
      : grants.problems.map((message) => ({ variable: ENV.grantedPrefixes, value: rawGrants, message }))),
    ...(filter.ok ? [] : filter.problems.map((message) => ({ variable: ENV.eventFilter, value: rawFilter, message }))),
  ];
  if (!result.success || !grants.ok || !filter.ok || problems.length > 0) {
    throw new ConfigurationError(problems);
  }
  return configFrom(reading, result.data, grants.grants, filter.filter);
}
