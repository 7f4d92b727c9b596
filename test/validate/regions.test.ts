/**
 * The regions the configuration accepts (modules/declaration/field-schemas.ts, REGIONS) are exactly what the AWS provider 5.100.0 takes:
 * each one configures a provider and reports the partition partitionOf says, and names just outside the list (a
 * region announced after the provider was built, typos of real ones) are refused by the provider as by the schema.
 * A plan is enough: it configures every provider and reads the data sources, and its output changes show their values
 * (an apply would start every provider a second time, for nothing).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseOrThrow, partitionOf, REGIONS, regionSchema } from "../../modules/internal";
import { terraform, terraformEnv } from "../../scripts/lib/toolchain";
import { requireTool } from "../support/tools";

const describeWithTerraform = requireTool(
  "terraform",
  "install Terraform >= 1.5 (https://developer.hashicorp.com/terraform/install)",
)
  ? describe
  : describe.skip;

const ALL = Object.values(REGIONS).flat() as string[];
/** Outside the list: a region newer than the provider, and plausible names of regions that do not exist. */
const NOT_REGIONS = ["ap-southeast-6", "eu-fake-9", "eu-west-4", "us-east-3", "me-west-1", "ca-east-1"];
/** Provider configurations per terraform run: each is a process of its own, so a run holds a few at a time. */
const BATCH = 20;

/** A configuration with one provider per region, each reporting its partition as an output. */
function config(regions: readonly string[]): string {
  const blocks = regions.map((region) => {
    const alias = region.replace(/-/g, "_");
    return [
      'provider "aws" {',
      `  alias = "${alias}"`,
      `  region = "${region}"`,
      '  access_key = "test"',
      '  secret_key = "test"',
      "  skip_credentials_validation = true",
      "  skip_requesting_account_id = true",
      '  skip_metadata_api_check = "true"',
      "}",
      `data "aws_partition" "${alias}" { provider = aws.${alias} }`,
      `output "${alias}" { value = data.aws_partition.${alias}.partition }`,
    ].join("\n");
  });
  return [
    'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = "5.100.0" }\n  }\n}',
    ...blocks,
  ].join("\n\n");
}

/** The outputs a plan will create and their values, from its "Changes to Outputs" lines (`  + name = "value"`). */
function plannedOutputs(planText: string): Record<string, string> {
  const section = planText.split("Changes to Outputs:")[1] ?? "";
  return Object.fromEntries([...section.matchAll(/^ {2}\+ ([a-z0-9_]+) += "([^"]*)"$/gm)].map((m) => [m[1], m[2]]));
}

const batches = <T>(items: readonly T[]): T[][] =>
  Array.from({ length: Math.ceil(items.length / BATCH) }, (_, i) => items.slice(i * BATCH, (i + 1) * BATCH));

describeWithTerraform("the region list against the AWS provider 5.100.0", () => {
  const workDir = mkdtempSync(join(tmpdir(), "cas-regions-"));
  let env: NodeJS.ProcessEnv = {};
  let run = 0;
  beforeAll(() => {
    env = terraformEnv(join(workDir, "terraform"));
  });
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  /** Plans a configuration of `regions` in a folder of its own. */
  async function plan(regions: readonly string[]) {
    const dir = join(workDir, `run-${run++}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "main.tf"), config(regions));
    const init = await terraform(["init", "-backend=false", "-input=false", "-no-color"], dir, env);
    if (init.code !== 0)
      throw new Error(`terraform init failed (offline? set TERRAFORM_PROVIDER_MIRROR):\n${init.stderr}`);
    return terraform(["plan", "-input=false", "-no-color"], dir, env);
  }

  test(`the provider configures each of the ${ALL.length} regions, in the partition the modules derive`, async () => {
    const partitions: Record<string, string> = {};
    for (const regions of batches(ALL)) {
      const result = await plan(regions);
      expect(result.stderr).toBe("");
      const outputs = plannedOutputs(result.stdout);
      expect(Object.keys(outputs).sort()).toEqual(regions.map((region) => region.replace(/-/g, "_")).sort());
      for (const region of regions) partitions[region] = outputs[region.replace(/-/g, "_")]!;
    }
    expect(partitions).toEqual(Object.fromEntries(ALL.map((region) => [region, partitionOf(region).partition])));
  });

  test("names just outside the list are refused by the provider and by the schema alike", async () => {
    const result = await plan(NOT_REGIONS);
    const refused = [...result.stderr.matchAll(/invalid AWS Region: ([a-z0-9-]+)/g)].map((m) => m[1]);
    expect(refused.sort()).toEqual([...NOT_REGIONS].sort());
    for (const region of NOT_REGIONS)
      expect(() => parseOrThrow(regionSchema, region, "region")).toThrow("is not an AWS region name");
  });
});
