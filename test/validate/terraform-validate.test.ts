/**
 * Every synthesized stack passes `terraform validate` with the real AWS provider (5.100.0, the version the bindings
 * were generated for), installed from TERRAFORM_PROVIDER_MIRROR when set.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { synthesize, terraform, terraformEnv } from "../../scripts/lib/toolchain";
import { sharedStackNamesOf, stackNamesOf } from "../../stacks/config";
import { environments, sharedEnvironments } from "../../stacks/environments";

const STACK_NAMES = [
  ...Object.entries(environments).flatMap(([name, config]) => stackNamesOf(name, config)),
  ...Object.entries(sharedEnvironments).flatMap(([name, config]) => sharedStackNamesOf(name, config)),
];
import { requireTool } from "../support/tools";

const terraformBin = requireTool(
  "terraform",
  "install Terraform >= 1.5 (https://developer.hashicorp.com/terraform/install)",
);
const describeWithTerraform = terraformBin ? describe : describe.skip;

interface ValidateOutput {
  valid: boolean;
  error_count: number;
  warning_count: number;
  diagnostics: Array<{ severity: string; summary: string; detail?: string }>;
}

describeWithTerraform("terraform validate", () => {
  const workDir = mkdtempSync(join(tmpdir(), "cas-validate-"));
  let stacks: Record<string, string> = {};
  let env: NodeJS.ProcessEnv = {};

  beforeAll(() => {
    env = terraformEnv(join(workDir, "terraform"));
    stacks = synthesize(join(workDir, "cdktf.out"));
  });
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  test("synthesizes one stack per environment, or each owner's stack in the split layout", () => {
    expect(Object.keys(stacks).sort()).toEqual(STACK_NAMES.slice().sort());
  });

  test.each(STACK_NAMES)("%s is valid Terraform for AWS provider 5.100.0", async (name) => {
    const dir = stacks[name];
    const init = await terraform(["init", "-backend=false", "-input=false", "-no-color"], dir, env);
    if (init.code !== 0) {
      throw new Error(
        `terraform init failed in ${dir} (offline? set TERRAFORM_PROVIDER_MIRROR to a provider mirror):\n${init.stderr}`,
      );
    }
    const lock = readFileSync(join(dir, ".terraform.lock.hcl"), "utf8");
    expect(lock).toMatch(/provider "registry\.terraform\.io\/hashicorp\/aws" \{\s+version\s+= "5\.100\.0"/);

    const validate = await terraform(["validate", "-json", "-no-color"], dir, env);
    const result = JSON.parse(validate.stdout) as ValidateOutput;
    expect(result.diagnostics).toEqual([]);
    expect(result).toMatchObject({ valid: true, error_count: 0, warning_count: 0 });
    expect(validate.code).toBe(0);
  });
});
