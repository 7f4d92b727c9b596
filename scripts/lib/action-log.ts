/**
 * What Terraform asked each role of the emulator for: the action log the launcher writes (EMULATOR_ACTION_LOG, see
 * scripts/emulator/moto_server.py), kept to the sessions Terraform opens — every provider and backend of the
 * synthesized stacks names its session `cdktf-...`; this tooling's own sessions (seeding, inspecting, breaking a
 * policy on purpose) have other names — and held against the actions the package lists for those stacks.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { deployActions, STATE_BACKEND_ACTIONS } from "../../modules/deploy/deploy-permissions";
import { backendOf } from "./remote-state";

interface LoggedAction {
  readonly caller: string;
  readonly session: string;
  readonly action: string;
}

/**
 * Asked for by Terraform although no role needs them allowed: sts:GetCallerIdentity, which AWS answers whatever the
 * caller's policies say (the S3 backend asks it to check its credentials), and iam:GetUser, which the provider asks
 * first for its account ID when credential validation is skipped (as in the local stacks), and which AWS refuses a
 * role session, before it asks sts:GetCallerIdentity.
 */
export const UNNEEDED_ACTIONS: Readonly<Record<string, string>> = {
  "sts:GetCallerIdentity": "needs no permission",
  "iam:GetUser":
    "the provider's first try at its account ID; for a role session it falls back to sts:GetCallerIdentity",
};

/** The actions Terraform's sessions asked for, by role ARN, sorted. */
export function terraformActions(logFile: string): Map<string, string[]> {
  if (!existsSync(logFile)) {
    throw new Error(
      `no action log at ${logFile}: only an emulator this run starts writes one (not one named by AWS_ENDPOINT_URL)`,
    );
  }
  const byRole = new Map<string, Set<string>>();
  for (const line of readFileSync(logFile, "utf8").split("\n")) {
    if (line === "") continue;
    const logged = JSON.parse(line) as LoggedAction;
    const session = logged.session.split("/").pop() ?? "";
    if (!logged.session.includes(":assumed-role/") || !session.startsWith("cdktf-")) continue;
    if (!byRole.has(logged.caller)) byRole.set(logged.caller, new Set());
    byRole.get(logged.caller)!.add(logged.action);
  }
  return new Map([...byRole].map(([role, actions]) => [role, [...actions].sort()]));
}

/** The actions the package lists for each role the stacks in `stackDirs` assume: deploy roles and state roles. */
export function listedActions(stackDirs: Iterable<string>): Map<string, Set<string>> {
  const byRole = new Map<string, Set<string>>();
  const add = (role: string, actions: readonly string[]) => {
    if (!byRole.has(role)) byRole.set(role, new Set());
    for (const a of actions) byRole.get(role)!.add(a);
  };
  for (const dir of stackDirs) {
    for (const p of deployActions(
      JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")) as Parameters<typeof deployActions>[0],
    )) {
      if (p.roleArn) add(p.roleArn, p.actions);
    }
    const backend = backendOf(dir);
    add(backend.assume_role.role_arn, [
      ...STATE_BACKEND_ACTIONS.bucket,
      ...STATE_BACKEND_ACTIONS.objects,
      ...STATE_BACKEND_ACTIONS.lockFile,
      ...(backend.kms_key_id ? STATE_BACKEND_ACTIONS.kmsKey : []),
    ]);
  }
  return byRole;
}

/** Each action Terraform asked a role for that the package does not list for it, as `<role>: <action>`. */
export function unlistedActions(logFile: string, stackDirs: Iterable<string>): string[] {
  const listed = listedActions(stackDirs);
  return [...terraformActions(logFile)].flatMap(([role, actions]) =>
    actions.filter((a) => !(a in UNNEEDED_ACTIONS) && !listed.get(role)?.has(a)).map((a) => `${role}: ${a}`),
  );
}
