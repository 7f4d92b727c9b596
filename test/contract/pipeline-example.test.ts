/**
 * The example pipeline (examples/pipeline/github-actions.yml) against this app: it runs what CI runs, a Terraform
 * that has the S3 lock file, and deploys only stacks the app synthesizes for the environment each job selects — every
 * deploy after a diff of the same stack, a split layout's bucket account's half before its Lambda account's.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { stackNamesOf } from "../../stacks/config";
import { environments } from "../../stacks/environments";

const ROOT = join(__dirname, "..", "..");
const pipeline = readFileSync(join(ROOT, "examples", "pipeline", "github-actions.yml"), "utf8");

interface Job {
  readonly name: string;
  readonly environments?: string;
  readonly runs: string[];
  readonly terraformVersions: string[];
}

/** The jobs of the workflow, each with its ENVIRONMENTS and its `run:` commands in order. */
function jobs(): Job[] {
  const [, body = ""] = pipeline.split(/^jobs:\n/m);
  return body
    .split(/^(?= {2}[a-z][\w-]*:\n)/m)
    .filter((block) => block.trim() !== "")
    .map((block) => ({
      name: /^ {2}([\w-]+):/.exec(block)![1],
      ...(/^ {6}ENVIRONMENTS: (\S+)$/m.exec(block)
        ? { environments: /^ {6}ENVIRONMENTS: (\S+)$/m.exec(block)![1] }
        : {}),
      runs: [...block.matchAll(/^ {6}- run: (.+)$/gm)].map((m) => m[1]),
      terraformVersions: [...block.matchAll(/terraform_version: (\S+)/g)].map((m) => m[1]),
    }));
}

test("the pipeline runs the same commands as CI, then the proof of what it will deploy", () => {
  const ci = readFileSync(join(ROOT, ".ci", "run"), "utf8");
  expect(ci).toMatch(/^npm ci\b/m);
  expect(ci).toMatch(/^npm test$/m);
  const test = jobs().find((j) => j.name === "test")!;
  expect(test.runs).toContain("bash .ci/run");
  expect(test.runs.indexOf("bash .ci/run")).toBeLessThan(test.runs.findIndex((r) => r.startsWith("npm run verify")));
});

test("every job's Terraform has the S3 lock file the backends use (1.10 or newer)", () => {
  const versions = jobs().flatMap((j) => j.terraformVersions);
  expect(versions.length).toBe(jobs().length);
  for (const v of versions) {
    const [major, minor] = v.split(".").map(Number);
    expect(major > 1 || (major === 1 && minor >= 10)).toBe(true);
  }
});

test("each deploy job deploys exactly the stacks of the environment it selects, each after its diff, the bucket account's half first", () => {
  const deployJobs = jobs().filter((j) => j.runs.some((r) => r.includes("cdktf deploy")));
  expect(deployJobs.map((j) => j.environments)).toEqual(["staging", "prod"]);
  for (const job of deployJobs) {
    const config = environments[job.environments!];
    const deployed = job.runs.flatMap((r) => /^npx cdktf deploy (\S+) --auto-approve$/.exec(r)?.[1] ?? []);
    expect([...deployed].sort()).toEqual(stackNamesOf(job.environments!, config).sort());
    for (const stack of deployed) {
      const diff = job.runs.indexOf(`npx cdktf diff ${stack}`);
      expect(diff).toBeGreaterThanOrEqual(0);
      expect(diff).toBeLessThan(job.runs.indexOf(`npx cdktf deploy ${stack} --auto-approve`));
    }
    if (config.layout === "split")
      expect(deployed).toEqual([`${job.environments}-bucket`, `${job.environments}-lambda`]);
    expect(job.runs.indexOf("npm run build:lambda")).toBeLessThan(job.runs.findIndex((r) => r.startsWith("npx cdktf")));
  }
});
