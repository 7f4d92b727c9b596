/**
 * Where each half deploys, held to its declaration at synth. A grant's policies name its accounts and regions; the
 * provider a half is built through decides where its resources really land. A provider whose assume_role reaches
 * another account, whose allowed_account_ids leave the declared one out, or whose region is another one would deploy
 * resources that every request then fails against, or land the bucket in one region while the key's kms:ViaService
 * names another. So each is refused, naming both values; and a provider that does not say pins what the declaration
 * says: allowed_account_ids (Terraform then refuses to plan with credentials of any other account; not on a provider
 * set to skip_requesting_account_id, which could not check it) and region.
 */
import { accountOf } from "../core/arn";
import { Token, type TerraformProvider } from "../core/cdktf";
import { ConfigurationError, showValue } from "../core/errors";

/** The AWS provider's arguments this check reads and writes (AwsProvider has them; other providers are refused). */
interface AwsProviderArguments {
  region?: string | undefined;
  readonly skipRequestingAccountId?: unknown;
  allowedAccountIds?: string[] | undefined;
  forbiddenAccountIds?: string[] | undefined;
  readonly assumeRole?: unknown;
  readonly terraformResourceType?: string;
}

/** A half's declared place, and the field of the declaration that says it (`environments.prod.lambda`). */
export interface DeclaredTarget {
  readonly provider: TerraformProvider;
  readonly field: string;
  readonly accountId: string;
  readonly region: string;
}

const literal = (value: unknown): value is string => typeof value === "string" && !Token.isUnresolved(value);

/** The account the provider's assume_role reaches, when its role ARN is literal. */
function assumedAccount(p: AwsProviderArguments): { account: string; roleArn: string } | undefined {
  const assume = ([] as unknown[]).concat(p.assumeRole ?? [])[0] as { roleArn?: unknown } | undefined;
  const roleArn = assume?.roleArn;
  if (!literal(roleArn)) return undefined;
  const account = accountOf(roleArn);
  return account ? { account, roleArn } : undefined;
}

/** What is wrong with one half's provider, given its declaration and the other halves built through the same provider. */
function targetProblems(target: DeclaredTarget, others: readonly DeclaredTarget[]): string[] {
  const p = target.provider as unknown as AwsProviderArguments;
  const name = `${target.field}.provider (${target.provider.fqn})`;
  if (p.terraformResourceType !== "aws") return [`${name} is not an AWS provider`];
  const problems: string[] = [];
  if (literal(p.region) && p.region !== target.region) {
    problems.push(
      `${name} deploys into region ${showValue(p.region)}, but ${target.field}.region is ${showValue(target.region)}: give the half a provider of that region, or declare the region it deploys into`,
    );
  }
  const assumed = assumedAccount(p);
  if (assumed && assumed.account !== target.accountId) {
    problems.push(
      `${name} assumes ${assumed.roleArn} in account ${assumed.account}, but ${target.field}.accountId is ${showValue(target.accountId)}`,
    );
  }
  const allowed = p.allowedAccountIds;
  // allowed_account_ids the library pinned for another half is reported as that half, below.
  if (
    !pinnedAllowed.has(target.provider) &&
    Array.isArray(allowed) &&
    allowed.every(literal) &&
    !allowed.includes(target.accountId)
  ) {
    problems.push(
      `${name} allows only account(s) ${allowed.join(", ")} (allowed_account_ids), but ${target.field}.accountId is ${showValue(target.accountId)}`,
    );
  }
  const forbidden = p.forbiddenAccountIds;
  if (Array.isArray(forbidden) && forbidden.includes(target.accountId)) {
    problems.push(
      `${name} forbids account ${target.accountId} (forbidden_account_ids), which ${target.field}.accountId declares`,
    );
  }
  for (const other of others) {
    if (other.provider !== target.provider || (other.accountId === target.accountId && other.region === target.region))
      continue;
    problems.push(
      `${name} also builds ${other.field}, declared in account ${other.accountId} and region ${other.region}, while ${target.field} declares ${target.accountId} and ${target.region}: one provider reaches one account and region`,
    );
  }
  return problems;
}

/** The declared targets every library construct so far pinned on each provider, to refuse a second, different one. */
const pinned = new WeakMap<TerraformProvider, DeclaredTarget[]>();
/** The providers whose allowed_account_ids the library wrote. */
const pinnedAllowed = new WeakSet<TerraformProvider>();

/**
 * Checks every half's provider against its declaration (see the module's comment) and returns the problems, as
 * field, value and fix; pins nothing. Call `pinDeployTargets` once there are none.
 */
export function deployTargetProblems(targets: readonly DeclaredTarget[]): string[] {
  return targets.flatMap((t) =>
    targetProblems(
      t,
      [...targets, ...(pinned.get(t.provider) ?? [])].filter((o) => o !== t),
    ),
  );
}

/** Writes what the declarations say where the providers do not: allowed_account_ids and the region. */
export function pinDeployTargets(targets: readonly DeclaredTarget[]): void {
  for (const t of targets) {
    const p = t.provider as unknown as AwsProviderArguments;
    // A provider that does not ask its account (skip_requesting_account_id) cannot check allowed_account_ids.
    const asksAccount = p.skipRequestingAccountId !== true && p.skipRequestingAccountId !== "true";
    if (p.allowedAccountIds === undefined && asksAccount && !assumedAccountDiffers(p, t)) {
      p.allowedAccountIds = [t.accountId];
      pinnedAllowed.add(t.provider);
    }
    if (p.region === undefined) p.region = t.region;
    pinned.set(t.provider, [...(pinned.get(t.provider) ?? []), t]);
  }
}

const assumedAccountDiffers = (p: AwsProviderArguments, t: DeclaredTarget) => {
  const assumed = assumedAccount(p);
  return assumed !== undefined && assumed.account !== t.accountId;
};

/** Refuses halves whose providers disagree with their declarations (every problem at once), then pins the rest. */
export function holdToDeclaration(targets: readonly DeclaredTarget[]): void {
  const problems = deployTargetProblems(targets);
  if (problems.length > 0) throw new ConfigurationError(problems);
  pinDeployTargets(targets);
}
