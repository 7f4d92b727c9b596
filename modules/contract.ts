/**
 * The contract between the constructs and the handler: the facts both read. The constructs write the function's
 * environment from a grant declaration; the handler reads that environment back and refuses what the grant does not
 * cover. Both take the names, modes, presets and the GRANTED_PREFIXES encoding from here, so the two sides cannot
 * drift apart.
 *
 * This module imports nothing: the handler's bundle includes it as it is, and neither side pulls the other's
 * dependencies in through it.
 */

/** The ways a grant gives the function in the Lambda account access to the bucket in the bucket account. */
export const ACCESS_MODES = ["bucket-policy", "assume-role"] as const;

/**
 * How a grant is wired. `bucket-policy`: the Lambda role in the Lambda account holds the S3 and KMS permissions, and
 * the bucket account's bucket and key policies name it; the handler uses the Lambda role's own credentials.
 * `assume-role`: an S3 access role in the bucket account holds them and trusts the Lambda role, which may only call
 * sts:AssumeRole on it; the handler uses the access role's credentials.
 */
export type AccessMode = (typeof ACCESS_MODES)[number];

/** The access a grant can give on one prefix. */
export const ACCESS_PRESETS = ["read", "write", "readWrite"] as const;

/**
 * What a grantee may do under one granted prefix. `read`: get and list. `write`: upload only (no reading back, no
 * listing). `readWrite`: both. Deleting is a separate opt-in on top of any preset.
 */
export type AccessPreset = (typeof ACCESS_PRESETS)[number];

/** One granted prefix as the handler receives it in GRANTED_PREFIXES: every field stated, `delete` included. */
export interface GrantedPrefix {
  /** Key prefix relative to the bucket root, ending with "/" (e.g. "incoming/"). */
  readonly prefix: string;
  /** What the grantee may do under the prefix. */
  readonly access: AccessPreset;
  /** Whether the grantee may delete objects under the prefix. */
  readonly delete: boolean;
}

/**
 * Names of the environment variables the handler reads. The constructs write all but the last two; the Lambda runtime
 * sets those (see LAMBDA_RUNTIME_VARIABLES).
 */
export const HANDLER_ENVIRONMENT = {
  /** Name of the bucket in the bucket account; the handler never takes it from the event. */
  bucketName: "BUCKET_NAME",
  /** Region of the bucket. @default the function's own region (AWS_REGION) */
  bucketRegion: "BUCKET_REGION",
  /** The grant's access mode, one of ACCESS_MODES. */
  accessMode: "ACCESS_MODE",
  /** The grant's prefixes, written by encodeGrantedPrefixes. */
  grantedPrefixes: "GRANTED_PREFIXES",
  /** ARN of the S3 access role in the bucket account; required in assume-role mode. */
  accessRoleArn: "S3_ACCESS_ROLE_ARN",
  /** sts:ExternalId the handler sends when assuming the S3 access role. @default none sent */
  externalId: "EXTERNAL_ID",
  /** ARN of the S3 access point every request goes through instead of the bucket. @default requests go to the bucket */
  accessPointArn: "ACCESS_POINT_ARN",
  /** The grant's event prefixes and suffix, written by encodeEventFilter. @default the grant declares no events */
  eventFilter: "EVENT_FILTER",
  /** Largest `get` response, in bytes. @default 5 MiB */
  maxResponseBytes: "MAX_RESPONSE_BYTES",
  /** Longest lifetime of a presigned URL, in seconds. @default 3600 */
  presignMaxExpiresSeconds: "PRESIGN_MAX_EXPIRES_SECONDS",
  /** "true" for path-style S3 addressing, for local S3 emulators. @default "false" */
  forcePathStyle: "S3_FORCE_PATH_STYLE",
  /** Set by the Lambda runtime: the function's name, from which the handler derives its AssumeRole session name. */
  functionName: "AWS_LAMBDA_FUNCTION_NAME",
  /** Set by the Lambda runtime: the function's region in the Lambda account, where the handler calls STS. */
  functionRegion: "AWS_REGION",
} as const;

/** The name of one environment variable the handler reads. */
export type HandlerVariable = (typeof HANDLER_ENVIRONMENT)[keyof typeof HANDLER_ENVIRONMENT];

/**
 * The variables of HANDLER_ENVIRONMENT that the Lambda runtime sets. Lambda reserves their names: a function's
 * configuration cannot set them, so the constructs never write them.
 */
export const LAMBDA_RUNTIME_VARIABLES: readonly HandlerVariable[] = [
  HANDLER_ENVIRONMENT.functionName,
  HANDLER_ENVIRONMENT.functionRegion,
];

/** Lambda's limit on a synchronous invocation's response is 6 MB; a `get` response must stay below it. */
export const MAX_RESPONSE_BYTES_LIMIT = 6_000_000;
/** The smallest cap on a `get` response the handler accepts: below it even a small object's response would not fit. */
export const MIN_MAX_RESPONSE_BYTES = 1024;
/** SigV4 limit on a presigned URL's lifetime: 7 days. */
export const PRESIGN_EXPIRES_LIMIT_SECONDS = 604_800;

/** The handler's own settings: variables of HANDLER_ENVIRONMENT a team may set beside the grant's. */
export const HANDLER_SETTINGS = [
  HANDLER_ENVIRONMENT.forcePathStyle,
  HANDLER_ENVIRONMENT.maxResponseBytes,
  HANDLER_ENVIRONMENT.presignMaxExpiresSeconds,
] as const;

/** The name of one of the handler's own settings. */
export type HandlerSetting = (typeof HANDLER_SETTINGS)[number];

const wholeNumberProblem = (value: string, min: number, max: number, unit: string, why: string): string | undefined =>
  /^\d+$/.test(value) && Number(value) >= min && Number(value) <= max
    ? undefined
    : `must be a whole number of ${unit} from ${min} to ${max} (${why})`;

/**
 * What is wrong with the value of one of the handler's settings, as the handler judges it when its container starts
 * (a bad value fails every cold start); undefined when it is fine. An empty value counts as unset, and is fine.
 */
export function handlerSettingProblem(variable: HandlerSetting, value: string): string | undefined {
  if (value === "") return undefined;
  switch (variable) {
    case HANDLER_ENVIRONMENT.forcePathStyle:
      return value === "true" || value === "false" ? undefined : 'must be "true" or "false"';
    case HANDLER_ENVIRONMENT.maxResponseBytes:
      return wholeNumberProblem(
        value,
        MIN_MAX_RESPONSE_BYTES,
        MAX_RESPONSE_BYTES_LIMIT,
        "bytes",
        "below Lambda's 6 MB response limit",
      );
    case HANDLER_ENVIRONMENT.presignMaxExpiresSeconds:
      return wholeNumberProblem(value, 1, PRESIGN_EXPIRES_LIMIT_SECONDS, "seconds", "7 days, the SigV4 limit");
  }
}

/**
 * What is wrong with an access point (ACCESS_POINT_ARN) together with path-style addressing (S3_FORCE_PATH_STYLE), as
 * the handler judges it; undefined when they go together.
 */
export function accessPointAddressingProblem(
  accessPointArn: string | undefined,
  forcePathStyle: string | undefined,
): string | undefined {
  if (accessPointArn === undefined || accessPointArn === "" || forcePathStyle !== "true") return undefined;
  return (
    `cannot be used with ${HANDLER_ENVIRONMENT.forcePathStyle}=true: the SDK sends requests through an access point to the ` +
    "access point's own host name, which path-style addressing cannot express; unset one of the two"
  );
}

/** One problem the handler finds in its settings: the variable, its value, and what is wrong. */
export interface HandlerSettingIssue {
  readonly variable: HandlerVariable;
  readonly value: string;
  readonly message: string;
}

/**
 * Every problem the handler would find in the settings of a function's environment (the team's variables with the
 * grant's) when its container starts: each setting's value, and an access point with path-style addressing. The
 * handler runs these checks at every cold start; the constructs run them at synth, so a function the handler would
 * refuse to start is never deployed.
 */
export function handlerSettingsIssues(
  environment: Readonly<Record<string, string | undefined>>,
): HandlerSettingIssue[] {
  const issues: HandlerSettingIssue[] = [];
  for (const variable of HANDLER_SETTINGS) {
    const value = environment[variable];
    const message = value === undefined ? undefined : handlerSettingProblem(variable, value);
    if (value !== undefined && message !== undefined) issues.push({ variable, value, message });
  }
  const accessPointArn = environment[HANDLER_ENVIRONMENT.accessPointArn];
  const addressing = accessPointAddressingProblem(accessPointArn, environment[HANDLER_ENVIRONMENT.forcePathStyle]);
  if (accessPointArn !== undefined && addressing !== undefined)
    issues.push({ variable: HANDLER_ENVIRONMENT.accessPointArn, value: accessPointArn, message: addressing });
  return issues;
}

/**
 * The one encoding of a grant's prefixes in GRANTED_PREFIXES: a JSON list with one object per prefix, in declaration
 * order, its fields in the order prefix, access, delete, and `delete` always stated (false when the declaration leaves
 * it out). For example `[{"prefix":"incoming/","access":"readWrite","delete":false}]`. The constructs write it with
 * this function; the handler parses it back and refuses a list it cannot read.
 */
export function encodeGrantedPrefixes(
  prefixes: ReadonlyArray<Pick<GrantedPrefix, "prefix" | "access"> & { readonly delete?: boolean | undefined }>,
): string {
  const entries: GrantedPrefix[] = prefixes.map((p) => ({
    prefix: p.prefix,
    access: p.access,
    delete: p.delete ?? false,
  }));
  return JSON.stringify(entries);
}

/** Which object events invoke the function: the grant's event prefixes, and the suffix every key ends with. */
export interface EventFilter {
  /** Key prefixes, each ending with "/", each under a prefix the grant lets the function read. */
  readonly prefixes: readonly string[];
  /** Every key ends with this, when given. */
  readonly suffix?: string | undefined;
  /** Whether the function is told of deleted objects too (`Object Deleted`). */
  readonly removed?: boolean | undefined;
}

/**
 * What an event suffix must be, for the constructs and the handler alike: 1-255 of S3's safe key characters (letters,
 * digits, `!-_.'()`), without `*`, which EventBridge reads as a wildcard.
 */
export const EVENT_SUFFIX_PATTERN = /^[A-Za-z0-9!\-_.'()]{1,255}$/;

/**
 * The one encoding of a grant's event filter in EVENT_FILTER: `{"prefixes":["incoming/"],"suffix":".csv"}`, the
 * suffix left out when there is none, and `"removed":true` added when deletions are told too. The constructs write it with this function; the handler parses it back.
 */
export function encodeEventFilter(filter: EventFilter): string {
  return JSON.stringify({
    prefixes: [...filter.prefixes],
    ...(filter.suffix !== undefined ? { suffix: filter.suffix } : {}),
    ...(filter.removed === true ? { removed: true } : {}),
  });
}

/**
 * S3's notifications on the SQS path, for the constructs and the handler alike: the event family a grant's queue
 * entry asks for (`family`), and the event names S3 then writes in each record (`eventName`), which the handler takes.
 */
export const QUEUE_NOTIFICATION_EVENTS = {
  created: {
    family: "s3:ObjectCreated:*",
    names: ["ObjectCreated:Put", "ObjectCreated:Post", "ObjectCreated:Copy", "ObjectCreated:CompleteMultipartUpload"],
  },
  removed: { family: "s3:ObjectRemoved:*", names: ["ObjectRemoved:Delete", "ObjectRemoved:DeleteMarkerCreated"] },
} as const;

/** Whether an object key is one the event filter admits: under one of its prefixes, and ending with its suffix. */
export function eventFilterAdmits(filter: EventFilter, key: string): boolean {
  return filter.prefixes.some((p) => key.startsWith(p)) && (filter.suffix === undefined || key.endsWith(filter.suffix));
}

/**
 * The field and value of the handler's log line for an invocation that AWS refused (S3, or STS or KMS behind it,
 * answered AccessDenied): every log line of a failed invocation names the error's type in `field`, and `value` is the
 * type of that refusal. The handler names its error and its log field from here; the Lambda account's access-denied
 * metric filter selects exactly this field and value. A function running its own code gets the same filter: it
 * counts the lines that carry this pair.
 */
export const ACCESS_DENIED_LOG_LINE = { field: "errorType", value: "AccessDeniedError" } as const;

/**
 * The first character IAM refuses in a policy document (it accepts tab, LF, CR and U+0020-U+00FF; KMS key policies
 * and S3 bucket policies the same), with where it is; undefined when there is none. A lone surrogate counts as one.
 */
export function policyCharacterAt(
  text: string,
): { readonly char: string; readonly code: number; readonly index: number } | undefined {
  let index = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    const allowed = code === 0x09 || code === 0x0a || code === 0x0d || (code >= 0x20 && code <= 0xff);
    if (!allowed) return { char, code, index };
    index += char.length;
  }
  return undefined;
}

/**
 * The rules a granted prefix keeps, in the order they are checked: the constructs refuse a declaration that breaks
 * one (each with its advice), and the handler refuses a GRANTED_PREFIXES that does, before any request. Each rule
 * says what a prefix must be in the handler's words (`rule`), and the constructs add why or what to do (`advice`).
 */
export const PREFIX_RULES: ReadonlyArray<{
  readonly breaks: (prefix: string) => boolean;
  readonly rule: string;
  /** How the constructs say the rule, when they say it otherwise than the handler. */
  readonly says?: string | undefined;
  readonly advice?: ((prefix: string) => string) | undefined;
  /** What the handler adds to the rule when it refuses a GRANTED_PREFIXES. */
  readonly handlerAdvice?: string | undefined;
}> = [
  {
    breaks: (p) => p.length === 0,
    rule: "must not be empty",
    says: "is empty",
    advice: () => 'name a folder such as "incoming/"',
  },
  {
    breaks: (p) => p.length > 512,
    rule: "must not be longer than 512 characters",
    says: "is longer than 512 characters",
  },
  {
    breaks: (p) => p.startsWith("/"),
    rule: 'must not start with "/"',
    advice: () => "keys are relative to the bucket root",
  },
  { breaks: (p) => /[*?]/.test(p), rule: "must not contain the wildcards * or ?" },
  {
    breaks: (p) => p.includes("${") || p.includes("%{"),
    rule: 'must not contain "${" or "%{"',
    advice: () => "a policy variable or Terraform template sequence",
  },
  { breaks: (p) => p.includes("//"), rule: 'must not contain an empty folder ("//")' },
  {
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    breaks: (p) => /[\u0000-\u001f\u007f"\\]/.test(p),
    rule: "must not contain control characters, quotes or backslashes",
  },
  {
    breaks: (p) => policyCharacterAt(p) !== undefined,
    rule: "must not contain characters outside U+0020 to U+00FF, which IAM refuses in a policy document",
  },
  {
    breaks: (p) => p.split("/").some((segment) => segment === "." || segment === ".."),
    rule: 'must not have "." or ".." path segments',
    says: 'must not have "." or ".." segments',
    advice: () => "URLs resolve them and S3 does not; the handler refuses every key under them",
    handlerAdvice: "the event validation refuses every key under it",
  },
  { breaks: (p) => !p.endsWith("/"), rule: 'must end with "/"', advice: (p) => `did you mean "${p}/"?` },
];

/** The first rule of PREFIX_RULES a prefix breaks, or undefined when it keeps them all. */
export function brokenPrefixRule(prefix: string): (typeof PREFIX_RULES)[number] | undefined {
  return PREFIX_RULES.find((r) => r.breaks(prefix));
}
