/**
 * The proof as people and pipelines read it: a table per grant (one row a request, which side denies and why under
 * each denial, the problems and what could not be seen), and a JSON report.
 */
import type { GrantProof, ProofReport } from "./prove";
import type { ProofResult } from "./simulate";

/** An ARN as a table shows it: a bucket as s3://, a key as the account it is in. */
const short = (arn: string) =>
  arn.replace(/^arn:aws[\w-]*:s3:::/, "s3://").replace(/^arn:aws[\w-]*:kms:[^:]+:(\d{12}):key\/.*$/, "key in $1");

/** What sets a request apart from the plain one, in words: its context's notable keys. */
function particulars(r: ProofResult): string[] {
  const c = r.context;
  const keyRegion = /kms:([^:]+):/.exec(r.resource)?.[1];
  const viaService = c["kms:ViaService"];
  return [
    c["s3:prefix"] !== undefined ? `s3:prefix=${String(c["s3:prefix"])}` : "",
    c["aws:SecureTransport"] === "false" ? "no TLS" : "",
    c["s3:x-amz-server-side-encryption"] ? `SSE ${String(c["s3:x-amz-server-side-encryption"])}` : "",
    c["s3:x-amz-server-side-encryption-aws-kms-key-id"]
      ? `key ${short(String(c["s3:x-amz-server-side-encryption-aws-kms-key-id"]))}`
      : "",
    c["s3:x-amz-server-side-encryption-customer-algorithm"] ? "SSE-C" : "",
    r.operation && !Object.keys(c).some((k) => k.startsWith("s3:x-amz-server-side-encryption"))
      ? "no encryption header"
      : "",
    c["aws:PrincipalOrgID"] === "o-another00001" ? "another organization" : "",
    r.intent.includes("VPC endpoint") ? `VPC endpoint ${String(c["aws:SourceVpce"] ?? "none")}` : "",
    r.action.startsWith("kms:") && !(typeof viaService === "string" && viaService.startsWith(`s3.${keyRegion}.`))
      ? `via ${String(viaService ?? "no service")}`
      : "",
    r.action.startsWith("kms:") && c["kms:CallerAccount"] !== c["aws:PrincipalAccount"]
      ? `caller account ${String(c["kms:CallerAccount"])}`
      : "",
    r.action === "sts:AssumeRole" ? `ExternalId=${String(c["sts:ExternalId"] ?? "none")}` : "",
    r.accessPoint ? `via access point ${r.accessPoint.name}` : "",
    !r.accessPoint && c["s3:DataAccessPointArn"] ? `as if via ${String(c["s3:DataAccessPointArn"])}` : "",
  ].filter(Boolean);
}

/** One grant's proof as a table: one row a request, the reasons under each denial. */
export function grantTable(proof: GrantProof): string {
  const out: string[] = [
    `== ${proof.grantee} -> s3://${proof.bucket}`,
    `   Lambda account's half: ${proof.halves.lambda ?? "not given"}`,
    `   bucket account's half: ${proof.halves.bucket ?? "not given"}`,
  ];
  for (const p of proof.problems) out.push(`PROBLEM ${p}`);
  if (proof.results.length > 0) {
    const allowed = proof.results.filter((r) => r.expected === "Allowed").length;
    out.push(`   ${allowed} requests that must be allowed, ${proof.results.length - allowed} that must be denied`);
    const rows = proof.results.map((r) => {
      const extra = particulars(r);
      return {
        cells: [
          r.who,
          r.operation ? `${r.action} (${r.operation})` : r.action,
          `${short(r.resource)}${extra.length ? ` (${extra.join(", ")})` : ""}`,
          r.identity,
          r.accessPoint
            ? `access point policy: ${r.accessPointVerdict ?? "none"}, ${r.resourcePolicyKind}: ${r.resourceVerdict}`
            : `${r.resourcePolicyKind}: ${r.resourceVerdict}`,
          r.final,
          r.ok ? "ok" : `MISMATCH (expected ${r.expected}: ${r.intent})`,
        ],
        reasons: r.reasons,
      };
    });
    const head = ["principal", "action", "resource", "identity", "resource policy", "final", ""];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row.cells[i]!.length)));
    const line = (cells: readonly string[]) =>
      cells
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd();
    out.push(line(head), line(widths.map((w) => "-".repeat(w))));
    for (const row of rows) {
      out.push(line(row.cells));
      for (const reason of row.reasons) out.push(`${" ".repeat(widths[0]! + 2)}denied by ${reason}`);
    }
  }
  for (const u of proof.unknownActions) out.push(`UNKNOWN ACTION ${u}`);
  for (const [role, names] of Object.entries(proof.identityPolicies))
    out.push(`   policies judged for ${role}: ${names.join(", ") || "none"}`);
  for (const u of proof.unseen) out.push(`NOT SEEN ${u}`);
  return out.join("\n");
}

/** The last line of every report, in both outputs: how many grants and requests, and whether every verdict matches. */
export function proofSummary(report: ProofReport): string {
  return report.mismatches === 0
    ? `${report.grants.length} grant(s), ${report.requests} requests proven: every verdict matches the declared grants.`
    : `${report.grants.length} grant(s), ${report.requests} requests proven: ${report.mismatches} mismatch(es) or problem(s).`;
}

/** The whole report as text: every grant's table, then a summary line. */
export function proofTable(report: ProofReport): string {
  const summary = proofSummary(report);
  return [...report.grants.map(grantTable), "", summary].join("\n\n").replace(/\n\n\n/g, "\n\n");
}

/** The version of the JSON report's shape. */
export const REPORT_VERSION = 1;

/** A request's result as the JSON report holds it. */
export interface ReportedRequest {
  readonly principal: string;
  readonly action: string;
  readonly operation?: string | undefined;
  readonly resource: string;
  readonly accessPoint?: string | undefined;
  readonly context: Readonly<Record<string, string | readonly string[]>>;
  readonly expected: "Allowed" | "Denied";
  readonly intent: string;
  readonly identity: string;
  readonly resourcePolicy: string;
  readonly accessPointPolicy?: string | undefined;
  readonly final: string;
  readonly reasons: readonly string[];
  readonly ok: boolean;
}

/** The machine-readable report a pipeline keeps. */
export interface ReportJson {
  readonly version: number;
  readonly ok: boolean;
  readonly requests: number;
  readonly mismatches: number;
  readonly grants: ReadonlyArray<{
    readonly key: string;
    readonly grantee: string;
    readonly bucket: string;
    readonly halves: GrantProof["halves"];
    readonly ok: boolean;
    readonly problems: readonly string[];
    readonly unknownActions: readonly string[];
    readonly identityPolicies: GrantProof["identityPolicies"];
    readonly unseen: readonly string[];
    readonly requests: readonly ReportedRequest[];
  }>;
}

/** The report as JSON: every request with its verdicts, without the policy documents (they are in the output). */
export function reportJson(report: ProofReport): ReportJson {
  return {
    version: REPORT_VERSION,
    ok: report.mismatches === 0,
    requests: report.requests,
    mismatches: report.mismatches,
    grants: report.grants.map((g) => ({
      key: g.key,
      grantee: g.grantee,
      bucket: g.bucket,
      halves: g.halves,
      ok: g.mismatches === 0,
      problems: g.problems,
      unknownActions: g.unknownActions,
      identityPolicies: g.identityPolicies,
      unseen: g.unseen,
      requests: g.results.map((r) => ({
        principal: r.principal,
        action: r.action,
        operation: r.operation,
        resource: r.resource,
        accessPoint: r.accessPoint?.arn,
        context: r.context,
        expected: r.expected,
        intent: r.intent,
        identity: r.identity,
        resourcePolicy: `${r.resourcePolicyKind}: ${r.resourceVerdict}`,
        accessPointPolicy: r.accessPointVerdict,
        final: r.final,
        reasons: r.reasons,
        ok: r.ok,
      })),
    })),
  };
}
