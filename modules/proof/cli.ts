#!/usr/bin/env node
/**
 * cross-account-s3 verify [cdktf.out ...] [--stack NAME] [--json FILE] [--managed-policy ARN=FILE]: proves every
 * grant the synthesized apps record, prints a table per grant with which side denies and why, and exits 0 when every
 * verdict matches its declaration, 1 on any mismatch, drift or problem, 2 when the proof cannot run (the simulator is
 * not installed, the input is not a cdktf output, a policy cannot be modeled).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { PolicyDocument } from "../core/policy-document";
import { CrossAccountS3Error } from "../core/errors";
import { loadSynthesized, recordsOf, type SynthesizedStack } from "./load";
import { proveSynthesized, type ProofReport } from "./prove";
import { proofSummary, proofTable, reportJson } from "./report";

const USAGE = `usage: cross-account-s3 verify [OUTPUT ...] [options]

Proves, before anything is deployed, that the policies of every grant recorded in the synthesized apps allow exactly
what the grant declares and deny the requests around it (other principals, prefixes, actions, keys, encryptions).

  OUTPUT                    a cdktf output folder (default: cdktf.out), a stack's folder or a cdk.tf.json;
                            give both apps' outputs when the two halves of a grant are synthesized apart
  --stack NAME              prove only this stack (repeatable)
  --json FILE               also write the report as JSON
  --managed-policy ARN=FILE the document of a managed policy the stacks attach but do not define (repeatable)
  --verbose                 also print every request proven, with its verdicts and, for a denial, which side denies
  --quiet                   the default: one line a grant, then only problems, mismatched requests and the summary
  --help                    this text

Exit status: 0 every verdict matches, 1 a mismatch, drift or problem, 2 the proof cannot run.`;

class UsageError extends Error {}

function managedPolicies(values: readonly string[]): Record<string, PolicyDocument> {
  const policies: Record<string, PolicyDocument> = {};
  for (const value of values) {
    const at = value.lastIndexOf("=");
    if (at <= 0 || !value.startsWith("arn:"))
      throw new UsageError(
        `--managed-policy ${value}: expected ARN=FILE, e.g. arn:aws:iam::aws:policy/ReadOnlyAccess=policy.json`,
      );
    const file = value.slice(at + 1);
    let document: PolicyDocument;
    try {
      document = JSON.parse(readFileSync(file, "utf8")) as PolicyDocument;
    } catch (error) {
      throw new UsageError(
        `--managed-policy ${value}: ${file} is not a readable JSON policy document (${(error as Error).message})`,
      );
    }
    // Accept what `aws iam get-policy-version` prints as well as a bare document.
    const versioned = (document as unknown as { PolicyVersion?: { Document?: PolicyDocument } }).PolicyVersion
      ?.Document;
    policies[value.slice(0, at)] = versioned ?? document;
  }
  return policies;
}

/**
 * A half missing from the stacks proven, when --stack left out a stack of the outputs that records it: the report's
 * problem says which stack, so the fix (name it too) is plain.
 */
function leftOutByStack(report: ProofReport, leftOut: readonly SynthesizedStack[]): ProofReport {
  if (leftOut.length === 0) return report;
  const recordedIn = (key: string) => leftOut.filter((s) => recordsOf(s).some((r) => r.key === key)).map((s) => s.name);
  const grants = report.grants.map((g) => {
    const stacks = recordedIn(g.key);
    if (stacks.length === 0) return g;
    const problems = g.problems.map((p) =>
      p.includes("is not in the outputs given")
        ? `${p} (--stack left out ${stacks.join(", ")}, which records it: name it too)`
        : p,
    );
    return { ...g, problems };
  });
  return { ...report, grants };
}

/** Runs the command; returns its exit status. Output goes to the given writers (the process's by default). */
export async function main(
  argv: readonly string[],
  out: (text: string) => void = (t) => process.stdout.write(`${t}\n`),
  err: (text: string) => void = (t) => process.stderr.write(`${t}\n`),
): Promise<number> {
  try {
    const { values, positionals } = (() => {
      try {
        return parseArgs({
          args: [...argv],
          allowPositionals: true,
          options: {
            stack: { type: "string", multiple: true },
            json: { type: "string" },
            "managed-policy": { type: "string", multiple: true },
            quiet: { type: "boolean" },
            verbose: { type: "boolean" },
            help: { type: "boolean" },
          },
        });
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
    })();
    if (values.help) {
      out(USAGE);
      return 0;
    }
    const [command, ...paths] = positionals;
    if (command !== "verify") throw new UsageError(command ? `unknown command ${command}` : "no command given");
    const managed = managedPolicies(values["managed-policy"] ?? []);
    const outputs = paths.length > 0 ? paths : ["cdktf.out"];
    const stacks = loadSynthesized(outputs, values.stack ?? []);
    const report = leftOutByStack(
      await proveSynthesized(stacks, { managedPolicies: managed }),
      values.stack ? loadSynthesized(outputs).filter((s) => !values.stack!.includes(s.name)) : [],
    );
    if (values.verbose && values.quiet)
      throw new UsageError("--verbose and --quiet ask for opposite outputs: give one");
    if (!values.verbose) {
      for (const g of report.grants) {
        const bad = g.results.filter((r) => !r.ok);
        out(
          `${g.mismatches === 0 ? "proven" : "FAILED"}  ${g.grantee} -> s3://${g.bucket}  (${g.results.length} requests)`,
        );
        for (const p of g.problems) out(`  PROBLEM ${p}`);
        for (const r of bad)
          out(
            `  MISMATCH ${r.who} ${r.action}${r.operation ? ` (${r.operation})` : ""} ${r.resource}: ${r.final}, expected ${r.expected} (${r.intent})${r.reasons.length ? `; denied by ${r.reasons.join("; ")}` : ""}`,
          );
        for (const u of g.unknownActions) out(`  UNKNOWN ACTION ${u}`);
        for (const u of g.unseen) out(`  NOT SEEN ${u}`);
      }
      out(proofSummary(report));
    } else {
      out(proofTable(report));
    }
    if (values.json) {
      const file = resolve(values.json);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(reportJson(report), null, 2)}\n`);
    }
    return report.mismatches === 0 ? 0 : 1;
  } catch (error) {
    const e = error as Error;
    if (e instanceof UsageError) {
      err(`cross-account-s3: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    // The simulator missing, an input that is not a cdktf output, a model or simulation that cannot be built: the
    // proof cannot run, and the library's error says why (any copy of the package). Anything else is a bug, shown
    // with its stack.
    err(`cross-account-s3: ${CrossAccountS3Error.isError(e) ? e.message : (e.stack ?? String(e))}`);
    return 2;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
