/**
 * The alarm settings of a grant checked against its accounts, before anything is created: the SNS topic of each
 * account must be a topic of that account, in the region and partition of the alarms that notify it.
 */
import { parseArn } from "../core/arn";
import type { AlarmSettings, ResolvedAlarms } from "./alarm-settings";
import { ConfigurationError, showValue } from "../core/errors";
import { partitionOf } from "../core/regions";
import { parseOrThrow, schemas } from "./validate";

/** One account of a grant, as the alarm settings are checked against it. */
export interface AlarmAccount {
  readonly accountId: string;
  /** Regions of the alarms the account gets (a shared bucket's grantees of one account may be in several). */
  readonly regions: readonly string[];
  /** The account as messages name it: `the Lambda account`, `the bucket account`, `the account of grantees[1] (billing)`. */
  readonly what: string;
  /** Why the account gets no alarms here, when it gets none (e.g. the function is created elsewhere). */
  readonly noAlarms?: string | undefined;
}

/**
 * Checks `settings` against the accounts of a grant and resolves them; throws a ConfigurationError naming `field`
 * (e.g. `environments.prod.alarms`) and each value it refuses: a topic of another account, region or partition than
 * the alarms that notify it, a topic for an account that is not the grant's or gets no alarms, topics while the
 * alarms are off.
 */
export function resolveAlarms(
  field: string,
  settings: AlarmSettings | undefined,
  accounts: readonly AlarmAccount[],
): ResolvedAlarms {
  const valid = parseOrThrow(schemas().alarmSettingsSchema, settings ?? {}, field);
  const enabled = valid.enabled ?? true;
  const topics: Record<string, string> = { ...(valid.topicArns ?? {}) };
  const problems: string[] = [];
  for (const [accountId, arn] of Object.entries(topics)) {
    const at = `${field}.topicArns[${JSON.stringify(accountId)}] ${showValue(arn)}`;
    if (!enabled) {
      problems.push(
        `${at} is given while ${field}.enabled is false: there are no alarms to notify (remove the topic, or turn the alarms on)`,
      );
      continue;
    }
    const account = accounts.find((a) => a.accountId === accountId);
    if (!account) {
      problems.push(
        `${at} names an account that is not the grant's (${accounts.map((a) => `${a.what} ${a.accountId}`).join(", ")})`,
      );
      continue;
    }
    if (account.noAlarms !== undefined) {
      problems.push(`${at} is for ${account.what} ${accountId}, which gets no alarms here: ${account.noAlarms}`);
      continue;
    }
    const { partition, region, account: owner } = parseArn(arn) ?? { partition: "", region: "", account: "" };
    const expected = partitionOf(account.regions[0]!).partition;
    if (owner !== accountId) problems.push(`${at} is a topic of account ${owner}, not of ${account.what} ${accountId}`);
    else if (partition !== expected)
      problems.push(`${at} is in partition ${partition}, the alarms of ${account.what} in partition ${expected}`);
    else if (account.regions.length > 1) {
      problems.push(
        `${at}: the alarms of ${account.what} are in regions ${account.regions.join(", ")}, and an alarm notifies a topic of its own region only`,
      );
    } else if (region !== account.regions[0]) {
      problems.push(
        `${at} is in region ${region}, the alarms of ${account.what} in ${account.regions[0]}: an alarm notifies a topic of its own region only`,
      );
    }
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  return { enabled, topicArns: topics };
}
