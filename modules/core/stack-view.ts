/**
 * A synthesized stack as Terraform will apply it, for the security rules and the access proof alike: one type for its
 * JSON, where each provider deploys (read from the provider blocks themselves, never from a record), every string read
 * as Terraform reads it (escapes undone, references to the stack's resources resolved) and every policy document in
 * each shape IAM accepts. Nothing here trusts a name a record or a construct gives: resources are found by what they
 * configure.
 */
import { accountOf } from "./arn";
import { CrossAccountS3Error } from "./errors";
import type { PolicyDocument, PolicyStatement } from "./policy-document";
import { partitionOf } from "./regions";
import { readTemplate, TemplateError } from "./terraform-text";

/** A synthesized resource: its arguments as the Terraform JSON holds them. */
export interface SynthResource {
  readonly provider?: string;
  readonly [argument: string]: unknown;
}

/** The parts of a stack's Terraform JSON the rules and the proof read. */
export interface StackJson {
  readonly "//"?: Readonly<Record<string, unknown>>;
  readonly provider?: { readonly aws?: ReadonlyArray<Readonly<Record<string, unknown>>> };
  readonly resource?: Readonly<Record<string, Readonly<Record<string, SynthResource>>>>;
}

/** Stand-in for a KMS key ID that only apply knows. */
export const KEY_ID_STAND_IN = "0a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d";

/** Where a provider deploys, as its block says. */
export interface ProviderPlace {
  /** `aws` or `aws.<alias>`, as resources name it. */
  readonly address: string;
  readonly region?: string | undefined;
  /** The account its `assume_role` reaches, or the one account `allowed_account_ids` allows. */
  readonly accountId?: string | undefined;
  /** What the block says about its account, for messages. */
  readonly accountSource?: string | undefined;
  /** The role its `assume_role` assumes, as written. */
  readonly roleArn?: string | undefined;
  /** Where the block contradicts itself (assume_role into one account, allowed_account_ids another). */
  readonly problems: readonly string[];
}

/** A value of the Terraform JSON as text: a string as it is, anything else as its JSON (never `[object Object]`). */
export const textOf = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value));
const list = (value: unknown): unknown[] =>
  value === undefined || value === null ? [] : ([] as unknown[]).concat(value);
const first = (value: unknown): Readonly<Record<string, unknown>> | undefined =>
  (Array.isArray(value) ? value[0] : value) as Readonly<Record<string, unknown>> | undefined;

/** The account an ARN names (its fifth field), when it has one. */
export function accountInArn(arn: string): string | undefined {
  return accountOf(arn);
}

/** Every Terraform resource address of the stack, `type.id`, with its resource. */
export function allResources(json: StackJson): Array<[string, string, SynthResource]> {
  return Object.entries(json.resource ?? {}).flatMap(([type, byId]) =>
    Object.entries(byId ?? {}).map(([id, r]) => [type, id, r] as [string, string, SynthResource]),
  );
}

/** Whether a resource's `count` is a literal 0: Terraform creates no instance of it. */
const absent = (r: SynthResource): boolean => r.count === 0 || r.count === "0";

/** A statement in the one shape the checks read: every list a list, whatever shape the policy gave. */
export interface ReadStatement {
  readonly Sid?: string | undefined;
  readonly Effect: string;
  /** `*`, or the principals by kind (AWS, Service, Federated, CanonicalUser). */
  readonly Principal?: "*" | Readonly<Record<string, readonly string[]>> | undefined;
  readonly NotPrincipal?: "*" | Readonly<Record<string, readonly string[]>> | undefined;
  readonly Action?: readonly string[] | undefined;
  readonly NotAction?: readonly string[] | undefined;
  readonly Resource?: readonly string[] | undefined;
  readonly NotResource?: readonly string[] | undefined;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> | undefined;
}

/** A policy document whose shape IAM refuses, or that is not JSON. */
export class PolicyShapeError extends CrossAccountS3Error {
  constructor(message: string) {
    super(message);
  }
}

function principals(value: unknown, where: string): ReadStatement["Principal"] {
  if (value === undefined) return undefined;
  if (value === "*") return "*";
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new PolicyShapeError(`${where} is neither "*" nor an object`);
  return Object.fromEntries(Object.entries(value).map(([kind, v]) => [kind, list(v).map(String)]));
}

/** One statement read into the one shape (see ReadStatement); a shape IAM refuses is a PolicyShapeError. */
export function readStatement(raw: unknown, where: string): ReadStatement {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new PolicyShapeError(`${where} is not an object`);
  const s = raw as Record<string, unknown>;
  const strings = (field: string) => (s[field] === undefined ? undefined : list(s[field]).map(String));
  const condition =
    s.Condition === undefined
      ? undefined
      : Object.fromEntries(
          Object.entries(s.Condition as Record<string, unknown>).map(([operator, block]) => [
            operator,
            Object.fromEntries(
              Object.entries((block ?? {}) as Record<string, unknown>).map(([key, v]) => [key, list(v).map(String)]),
            ),
          ]),
        );
  const statement: ReadStatement = {
    Sid: s.Sid === undefined ? undefined : textOf(s.Sid),
    Effect: String(s.Effect),
    Principal: principals(s.Principal, `${where}.Principal`),
    NotPrincipal: principals(s.NotPrincipal, `${where}.NotPrincipal`),
    Action: strings("Action"),
    NotAction: strings("NotAction"),
    Resource: strings("Resource"),
    NotResource: strings("NotResource"),
    Condition: condition,
  };
  if (statement.Action === undefined && statement.NotAction === undefined)
    throw new PolicyShapeError(`${where} has neither Action nor NotAction`);
  if (statement.Action !== undefined && statement.NotAction !== undefined)
    throw new PolicyShapeError(`${where} has both Action and NotAction`);
  return statement;
}

/** A policy document's statements in the one shape, whether `Statement` is one object or a list. */
export function readStatements(doc: unknown, where: string): ReadStatement[] {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc))
    throw new PolicyShapeError(`${where} is not a policy document (an object)`);
  const statements = (doc as { Statement?: unknown }).Statement;
  if (statements === undefined) throw new PolicyShapeError(`${where} has no Statement`);
  return list(statements).map((s, i) => readStatement(s, `${where}.Statement[${i}]`));
}

/** A policy document with `Statement` as a list (IAM also accepts one object), for the simulator and the reports. */
export function asDocument(doc: unknown): PolicyDocument {
  const d = doc as { Version?: string; Statement?: unknown };
  return { ...(d as object), Version: "2012-10-17", Statement: list(d.Statement) as PolicyStatement[] };
}

/** The AWS principals of a statement: `*` for everyone, or the ARNs and account IDs it names. */
export function awsPrincipalsOf(s: ReadStatement): string[] {
  if (s.Principal === "*") return ["*"];
  return [...(s.Principal?.AWS ?? [])];
}

/** The lower-case condition keys a statement tests. */
export function conditionKeysOf(s: ReadStatement): string[] {
  return Object.values(s.Condition ?? {}).flatMap((block) => Object.keys(block).map((k) => k.toLowerCase()));
}

/**
 * One stack, read as Terraform will apply it. `partition` names the ARNs the view computes (a role's, a key's); by
 * default each resource's own, from its provider's region.
 */
export class StackView {
  private readonly places = new Map<string, ProviderPlace>();

  constructor(
    readonly json: StackJson,
    /** Where the stack was read from, for messages. */
    readonly source: string = "stack",
    /**
     * How a reference to an attribute of a resource of the stack that only apply knows (a role's ARN when the provider
     * does not say its account) is read: `strict` refuses it (the proof needs every value), `opaque` reads it as a
     * stand-in that names the reference, equal wherever the same reference is (the rules compare, they do not
     * simulate).
     */
    private readonly unknownReferences: "strict" | "opaque" = "strict",
  ) {
    for (const p of json.provider?.aws ?? []) {
      const address = p.alias === undefined ? "aws" : `aws.${textOf(p.alias)}`;
      this.places.set(address, this.readProvider(address, p));
    }
  }

  private readProvider(address: string, p: Readonly<Record<string, unknown>>): ProviderPlace {
    const text = (v: unknown) => (typeof v === "string" ? this.text(v) : undefined);
    const region = text(p.region);
    const roleArn = text(first(p.assume_role)?.role_arn);
    const assumed = roleArn === undefined ? undefined : accountInArn(roleArn);
    const allowed = list(p.allowed_account_ids)
      .map((a) => text(a))
      .filter((a): a is string => a !== undefined);
    const forbidden = list(p.forbidden_account_ids).map((a) => text(a));
    const problems: string[] = [];
    if (assumed && allowed.length > 0 && !allowed.includes(assumed)) {
      problems.push(
        `provider ${address} assumes ${roleArn} in account ${assumed}, which its allowed_account_ids (${allowed.join(", ")}) do not allow`,
      );
    }
    if (assumed && forbidden.includes(assumed))
      problems.push(`provider ${address} assumes a role in account ${assumed}, which its forbidden_account_ids forbid`);
    const accountId = assumed ?? (allowed.length === 1 ? allowed[0] : undefined);
    const accountSource = assumed ? `assume_role ${roleArn}` : allowed.length === 1 ? "allowed_account_ids" : undefined;
    return { address, region, accountId, accountSource, ...(roleArn !== undefined ? { roleArn } : {}), problems };
  }

  /**
   * Takes a provider whose block does not say its account or region to be in `place` (what a grant declares of it);
   * returns what was filled in, in words, or undefined when the block said everything. A block that says something
   * else keeps what it says: comparing it with the declaration is the caller's.
   */
  assume(address: string, place: { readonly accountId: string; readonly region: string }): string | undefined {
    const known = this.places.get(address) ?? { address, problems: [] };
    const filled = [
      ...(known.accountId === undefined ? [`account ${place.accountId}`] : []),
      ...(known.region === undefined ? [`region ${place.region}`] : []),
    ];
    if (filled.length === 0) return undefined;
    this.places.set(address, {
      ...known,
      accountId: known.accountId ?? place.accountId,
      region: known.region ?? place.region,
      accountSource: known.accountSource ?? "the grant's declaration",
    });
    return `provider ${address} of ${this.source} does not say its ${filled.map((f) => f.split(" ")[0]).join(" or ")} (no assume_role or allowed_account_ids): taken to be ${filled.join(" and ")}, as declared`;
  }

  /** The provider blocks of the stack by address (`aws`, `aws.<alias>`). */
  get providers(): ReadonlyMap<string, ProviderPlace> {
    return this.places;
  }

  /** Where a resource deploys: its provider's block (the default `aws` one when it names none). */
  placeOf(resource: SynthResource): ProviderPlace {
    const address = resource.provider ?? "aws";
    return this.places.get(address) ?? { address, problems: [`no provider block ${address}`] };
  }

  /** The partition a resource deploys into, from its provider's region (aws when the region is not known). */
  partitionOf(resource: SynthResource): string {
    return partitionOf(this.placeOf(resource).region ?? "us-east-1").partition;
  }

  /** The resources of `type` Terraform will create: a resource whose `count` is 0 is not there. */
  resources(type: string): Array<[string, SynthResource]> {
    return Object.entries(this.json.resource?.[type] ?? {}).filter(([, r]) => !absent(r));
  }

  resource(type: string, id: string): SynthResource | undefined {
    const r = this.json.resource?.[type]?.[id];
    return r && !absent(r) ? r : undefined;
  }

  /**
   * The value Terraform gives a string argument; references to resources of the stack resolved to what they will be
   * (a KMS key's ID is KEY_ID_STAND_IN). Throws a TemplateError for anything else Terraform would evaluate.
   */
  text(value: string, depth = 0): string {
    return readTemplate(value, (ref, expression) => {
      const known = this.attribute(ref.type, ref.id, ref.attribute, depth);
      if (known !== undefined || this.unknownReferences === "strict" || !this.resource(ref.type, ref.id)) return known;
      return `{{${expression}}}`;
    });
  }

  /** `text`, or undefined when the value is not a string or holds what the view cannot resolve. */
  valueOf(value: unknown): string | undefined {
    if (typeof value !== "string") return undefined;
    try {
      return this.text(value);
    } catch (error) {
      if (error instanceof TemplateError) return undefined;
      throw error;
    }
  }

  /** What a resource attribute will be, when the stack says; undefined when only apply knows. */
  attribute(type: string, id: string, attribute: string, depth = 0): string | undefined {
    const r = this.resource(type, id);
    if (!r || depth > 8) return undefined;
    const arg = (name: string) => (typeof r[name] === "string" ? this.text(r[name], depth + 1) : undefined);
    const place = () => this.placeOf(r);
    const partition = () => this.partitionOf(r);
    switch (`${type}.${attribute}`) {
      case "aws_iam_role.arn": {
        const account = place().accountId;
        return account === undefined
          ? undefined
          : `arn:${partition()}:iam::${account}:role${arg("path") ?? "/"}${arg("name") ?? ""}`;
      }
      case "aws_iam_role.id":
        return arg("name");
      case "aws_iam_policy.arn": {
        const account = place().accountId;
        return account === undefined
          ? undefined
          : `arn:${partition()}:iam::${account}:policy${arg("path") ?? "/"}${arg("name") ?? ""}`;
      }
      case "aws_kms_key.arn": {
        const { accountId, region } = place();
        return accountId === undefined || region === undefined
          ? undefined
          : `arn:${partition()}:kms:${region}:${accountId}:key/${KEY_ID_STAND_IN}`;
      }
      case "aws_kms_key.key_id":
      case "aws_kms_key.id":
        return KEY_ID_STAND_IN;
      case "aws_kms_alias.arn": {
        const { accountId, region } = place();
        return accountId === undefined || region === undefined
          ? undefined
          : `arn:${partition()}:kms:${region}:${accountId}:${arg("name") ?? ""}`;
      }
      case "aws_kms_alias.id":
        return arg("name");
      case "aws_s3_bucket.arn":
        return `arn:${partition()}:s3:::${arg("bucket") ?? ""}`;
      case "aws_s3_bucket.id":
        return arg("bucket");
      case "aws_s3_access_point.arn": {
        const { accountId, region } = place();
        const account = arg("account_id") ?? accountId;
        return account === undefined || region === undefined
          ? undefined
          : `arn:${partition()}:s3:${region}:${account}:accesspoint/${arg("name") ?? ""}`;
      }
      case "aws_s3_access_point.id":
        return undefined;
      case "aws_lambda_function.function_name":
        return arg("function_name");
      case "aws_cloudwatch_log_group.name":
      case "aws_cloudwatch_log_group.id":
        return arg("name");
      case "aws_sqs_queue.arn":
      case "aws_sqs_queue.url":
      case "aws_sqs_queue.id":
      case "aws_sns_topic.arn":
      case "aws_sns_topic.id":
      case "aws_cloudwatch_event_bus.arn":
      case "aws_cloudwatch_event_rule.arn":
      case "aws_lambda_function.arn":
        return this.regionalArn(r, type, attribute, arg);
    }
    // Any other attribute that is an argument of the resource is what the argument says.
    return arg(attribute);
  }

  /**
   * A queue's ARN or URL (its ID), a topic's ARN (its ID), a bus's, rule's or function's ARN: from its name and where
   * its provider deploys;
   * undefined when the provider does not say its account and region.
   */
  private regionalArn(
    r: SynthResource,
    type: string,
    attribute: string,
    arg: (name: string) => string | undefined,
  ): string | undefined {
    const { accountId, region } = this.placeOf(r);
    if (accountId === undefined || region === undefined) return undefined;
    const { partition, dnsSuffix } = partitionOf(region);
    const at = `arn:${partition}`;
    switch (type) {
      case "aws_sqs_queue":
        return attribute === "arn"
          ? `${at}:sqs:${region}:${accountId}:${arg("name") ?? ""}`
          : `https://sqs.${region}.${dnsSuffix}/${accountId}/${arg("name") ?? ""}`;
      case "aws_sns_topic":
        return `${at}:sns:${region}:${accountId}:${arg("name") ?? ""}`;
      case "aws_cloudwatch_event_bus":
        return `${at}:events:${region}:${accountId}:event-bus/${arg("name") ?? ""}`;
      case "aws_cloudwatch_event_rule": {
        const bus = arg("event_bus_name");
        return `${at}:events:${region}:${accountId}:rule/${bus && bus !== "default" ? `${bus}/` : ""}${arg("name") ?? ""}`;
      }
      default:
        return `${at}:lambda:${region}:${accountId}:function:${arg("function_name") ?? ""}`;
    }
  }

  /**
   * A policy argument read as Terraform will apply it: escapes undone, references resolved, `Statement` one object
   * or a list. Throws a TemplateError (an expression Terraform evaluates) or a PolicyShapeError (not a policy).
   */
  policy(value: unknown, where: string): { raw: PolicyDocument; statements: ReadStatement[] } {
    if (typeof value !== "string") throw new PolicyShapeError(`${where} is not a string`);
    const text = this.text(value);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new PolicyShapeError(`${where} is not JSON (${(error as Error).message})`);
    }
    return { raw: asDocument(parsed), statements: readStatements(parsed, where) };
  }

  /** The bucket name a resource's `bucket` argument names (by reference or literally); undefined when unknown. */
  bucketNamed(value: unknown): string | undefined {
    return this.valueOf(value);
  }
}
