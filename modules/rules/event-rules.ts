/**
 * The rules on object events, over the stack's Terraform JSON as Terraform will apply it:
 * - CAS-EVT-1: a service principal is granted only with its source (a Lambda permission with `source_arn`, a policy
 *   statement with `aws:SourceArn` or `aws:SourceAccount`): otherwise any account's resource of that service could use
 *   the grant (the confused deputy); a role's trust is judged for the services known to set those keys;
 * - CAS-EVT-2: another account may put events on a bus only for named rules (`aws:SourceArn`);
 * - CAS-EVT-3: every EventBridge rule of the stack that matches S3 events of a bucket whose grants declare events
 *   matches only keys under their event prefixes, and sends them only to the grants' buses and functions: a rule of
 *   the bucket's events forwards key names, and no one may learn of keys outside a grant, nor a grant's events reach
 *   anyone else.
 */
import {
  awsPrincipalsOf,
  conditionKeysOf,
  type ReadStatement,
  type StackJson,
  type StackView,
  type SynthResource,
} from "../core/stack-view";
import { eventsPlanOf } from "../record/grant-record";
import { recordsIn } from "./alarm-rule";
import { stackPolicies, viewOf } from "./stack-policies";

interface Violation {
  readonly resource: string;
  readonly message: string;
  readonly statement?: number | undefined;
}

const sid = (s: ReadStatement) => s.Sid ?? "(no Sid)";
const servicesOf = (s: ReadStatement): readonly string[] =>
  s.Principal === "*" || s.Principal === undefined ? [] : (s.Principal.Service ?? []);
const SOURCE_KEYS = ["aws:sourcearn", "aws:sourceaccount"];
/**
 * The services whose role trust is judged: those known to set aws:SourceArn or aws:SourceAccount when they assume a
 * role for a resource of an account. Others (EC2 for an instance profile) set neither, and a trust requiring them
 * would refuse the service: their trust is not judged here. Every resource policy is.
 */
const TRUST_SOURCE_SERVICES = ["events.amazonaws.com", "lambda.amazonaws.com", "logging.s3.amazonaws.com"];

/** The services of a statement this rule judges in a policy of `kind`. */
const judgedServices = (kind: string, s: ReadStatement) =>
  servicesOf(s).filter((service) => kind !== "trust" || TRUST_SOURCE_SERVICES.includes(service));

/** CAS-EVT-1: policy statements and Lambda permissions that grant a service principal without its source. */
export function unsourcedServiceGrants(stack: StackJson): Violation[] {
  const view = viewOf(stack);
  const statements = stackPolicies(stack)
    .filter((p) => !p.problem)
    .flatMap((p) =>
      p.statements.flatMap((s, statement) =>
        s.Effect === "Allow" &&
        judgedServices(p.kind, s).length > 0 &&
        !conditionKeysOf(s).some((k) => SOURCE_KEYS.includes(k))
          ? [
              {
                resource: p.resource,
                statement,
                message: `statement ${sid(s)} allows ${judgedServices(p.kind, s).join(", ")} without aws:SourceArn or aws:SourceAccount: any account's resource of that service could use it`,
              },
            ]
          : [],
      ),
    );
  const permissions = view.resources("aws_lambda_permission").flatMap(([id, r]) => {
    const principal = view.valueOf(r.principal) ?? "";
    const service = principal.endsWith(".amazonaws.com") || principal.endsWith(".amazonaws.com.cn");
    return service && (view.valueOf(r.source_arn) ?? "") === ""
      ? [
          {
            resource: `aws_lambda_permission.${id}`,
            message: `lets ${principal} invoke the function without source_arn: any account's resource of that service could invoke it`,
          },
        ]
      : [];
  });
  return [...statements, ...permissions];
}

/** An account a principal names (`arn:aws:iam::<id>:root`, a role ARN, or a bare ID). */
const accountOfPrincipal = (principal: string): string | undefined =>
  /^\d{12}$/.test(principal) ? principal : /^arn:aws[\w-]*:(?:iam|sts)::(\d{12}):/.exec(principal)?.[1];

/** CAS-EVT-2: event bus policy statements that let another account (or anyone) put events without naming the rules. */
export function unnamedBusSenders(stack: StackJson): Violation[] {
  return stackPolicies(stack)
    .filter((p) => !p.problem && p.kind === "event bus")
    .flatMap((p) => {
      const busAccount = /^arn:aws[\w-]*:events:[^:]*:(\d{12}):/.exec(p.statements[0]?.Resource?.[0] ?? "")?.[1];
      return p.statements.flatMap((s, statement) => {
        const others = awsPrincipalsOf(s).filter((a) => a === "*" || accountOfPrincipal(a) !== busAccount);
        return s.Effect === "Allow" &&
          (others.length > 0 || s.Principal === "*") &&
          !conditionKeysOf(s).includes("aws:sourcearn")
          ? [
              {
                resource: p.resource,
                statement,
                message: `statement ${sid(s)} lets ${others.join(", ") || "*"} put events on the bus without aws:SourceArn naming its rules`,
              },
            ]
          : [];
      });
    });
}

/** The S3 event filter of an event pattern: which buckets and key filters it matches; undefined when not S3's. */
function s3FilterOf(
  pattern: unknown,
): { buckets: readonly string[] | undefined; keys: readonly unknown[] | undefined } | undefined {
  if (typeof pattern !== "object" || pattern === null) return undefined;
  const p = pattern as {
    source?: unknown;
    "detail-type"?: unknown;
    detail?: { bucket?: { name?: unknown }; object?: { key?: unknown } };
  };
  const sources = Array.isArray(p.source) ? p.source : undefined;
  if (sources !== undefined && !sources.includes("aws.s3")) return undefined;
  // S3's object events are `Object Created`, `Object Deleted`, `Object Restore Completed` and the like.
  const types = Array.isArray(p["detail-type"]) ? p["detail-type"] : undefined;
  if (types !== undefined && !types.some((t) => typeof t !== "string" || t.startsWith("Object "))) return undefined;
  const names = p.detail?.bucket?.name;
  const keys = p.detail?.object?.key;
  return {
    buckets: Array.isArray(names) && names.every((n) => typeof n === "string") ? names : undefined,
    keys: Array.isArray(keys) ? keys : undefined,
  };
}

/** The literal start of a key filter (`{"prefix": …}`, a wildcard up to its first `*`, an exact key); undefined: any key. */
function literalStart(filter: unknown): string | undefined {
  if (typeof filter === "string") return filter;
  if (typeof filter !== "object" || filter === null) return undefined;
  const f = filter as { prefix?: unknown; wildcard?: unknown };
  if (typeof f.prefix === "string") return f.prefix;
  if (typeof f.wildcard === "string" && !f.wildcard.includes("\\")) return f.wildcard.split("*")[0];
  return undefined;
}

/** The event prefixes the stack's records declare, by bucket name. */
function declaredEventPrefixes(stack: StackJson): Map<string, string[]> {
  const byBucket = new Map<string, string[]>();
  for (const record of recordsIn(stack)) {
    const prefixes = record.grant.events?.prefixes ?? [];
    if (prefixes.length === 0) continue;
    // Both halves of a grant may be in the stack: each prefix once.
    byBucket.set(record.bucket.bucketName, [
      ...new Set([...(byBucket.get(record.bucket.bucketName) ?? []), ...prefixes]),
    ]);
  }
  return byBucket;
}

/** What is wrong with one rule's pattern for a bucket whose grants declare `declared` event prefixes. */
function patternProblems(bucket: string, keys: readonly unknown[] | undefined, declared: readonly string[]): string[] {
  if (keys === undefined || keys.length === 0)
    return [`matches every key of ${bucket}, whose grants declare events under ${declared.join(", ")} only`];
  return keys.flatMap((filter) => {
    const start = literalStart(filter);
    if (start !== undefined && declared.some((d) => start.startsWith(d))) return [];
    return [
      `matches keys of ${bucket} by ${JSON.stringify(filter)}, outside the event prefixes its grants declare (${declared.join(", ")})`,
    ];
  });
}

/** Where a rule on a granted bucket's events may send them: the grants' buses and functions, as their records plan. */
function declaredTargets(stack: StackJson): Set<string> {
  return new Set(
    recordsIn(stack).flatMap((record) => {
      const plan = eventsPlanOf(record);
      return plan ? [plan.lambdaAccount.bus.arn, plan.lambdaAccount.functionArn] : [];
    }),
  );
}

/** The targets of the rule `id` (its name, bus and provider) that send anywhere but `allowed`, in words. */
function undeclaredTargets(view: StackView, rule: SynthResource, allowed: ReadonlySet<string>): string[] {
  const name = view.valueOf(rule.name);
  const bus = view.valueOf(rule.event_bus_name) ?? "default";
  return view
    .resources("aws_cloudwatch_event_target")
    .filter(
      ([, t]) =>
        t.provider === rule.provider &&
        view.valueOf(t.rule) === name &&
        (view.valueOf(t.event_bus_name) ?? "default") === bus,
    )
    .flatMap(([id, t]) => {
      const arn = view.valueOf(t.arn);
      return arn !== undefined && allowed.has(arn)
        ? []
        : [
            `sends them to ${arn ?? "a target the rules cannot read"} (aws_cloudwatch_event_target.${id}), which no grant's events declare`,
          ];
    });
}

/**
 * The grant records whose declared event prefixes lie outside the prefixes the grant lets the grantee read: the
 * events would tell the function of keys it may not read (the declaration refuses that; a record edited after synth
 * is judged here).
 */
function unreadableEventPrefixes(stack: StackJson): Violation[] {
  return recordsIn(stack).flatMap((record) => {
    const readable = record.grant.prefixes.filter((p) => p.access !== "write").map((p) => p.prefix);
    const outside = (record.grant.events?.prefixes ?? []).filter((e) => !readable.some((r) => e.startsWith(r)));
    return outside.length === 0
      ? []
      : [
          {
            resource: `the grant record ${record.key} (${record.half} half)`,
            message: `declares events under ${outside.join(", ")}, outside every prefix the grant lets the grantee read (${readable.join(", ") || "none"})`,
          },
        ];
  });
}

/**
 * CAS-EVT-3: rules of the stack matching S3 events of a bucket with declared events beyond those events' prefixes,
 * or sending them anywhere but the grants' buses and functions; and events declared outside the readable prefixes.
 */
export function undeclaredEventKeys(stack: StackJson): Violation[] {
  const unreadable = unreadableEventPrefixes(stack);
  const declared = declaredEventPrefixes(stack);
  if (declared.size === 0) return unreadable;
  const view: StackView = viewOf(stack);
  const allowed = declaredTargets(stack);
  const ruleViolations = view.resources("aws_cloudwatch_event_rule").flatMap(([id, r]) => {
    const text = view.valueOf(r.event_pattern);
    if (text === undefined) return [];
    let pattern: unknown;
    try {
      pattern = JSON.parse(text);
    } catch {
      return [{ resource: `aws_cloudwatch_event_rule.${id}`, message: "event_pattern is not JSON" }];
    }
    const filter = s3FilterOf(pattern);
    if (!filter) return [];
    const buckets = [...declared].filter(([bucket]) => filter.buckets === undefined || filter.buckets.includes(bucket));
    if (buckets.length === 0) return [];
    return [
      ...buckets.flatMap(([bucket, prefixes]) => patternProblems(bucket, filter.keys, prefixes)),
      ...undeclaredTargets(view, r, allowed).map(
        (m) => `matches S3 events of ${buckets.map(([b]) => b).join(", ")} and ${m}`,
      ),
    ].map((message) => ({ resource: `aws_cloudwatch_event_rule.${id}`, message }));
  });
  return [...unreadable, ...ruleViolations];
}
