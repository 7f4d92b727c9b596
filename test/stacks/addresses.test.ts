/**
 * The Terraform address of every resource of every shipped stack, as deployed environments know them: a refactor
 * that moves one would make Terraform destroy and recreate it (a bucket, a key, a role). addresses.json holds them as
 * released; a change that means to move resources must ship `moved` blocks (cdktf's moveTo/moveFromId) and update it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Testing } from "cdktf";
import { environmentStacks } from "../../stacks/cross-account-stack";
import { environments, sharedEnvironments } from "../../stacks/environments";
import { sharedEnvironmentStacks } from "../../stacks/shared-bucket-stack";

const RELEASED = JSON.parse(readFileSync(join(__dirname, "addresses.json"), "utf8")) as Record<string, string[]>;

function addresses(): Record<string, string[]> {
  const app = Testing.app();
  const stacks = [
    ...Object.entries(environments).flatMap(([name, config]) => environmentStacks(app, name, config, {})),
    ...Object.entries(sharedEnvironments).flatMap(([name, config]) => sharedEnvironmentStacks(app, name, config, {})),
  ];
  return Object.fromEntries(
    stacks.map((stack) => {
      const json = JSON.parse(Testing.synth(stack)) as {
        resource: Record<string, Record<string, unknown>>;
        moved?: unknown;
      };
      expect(json.moved).toBeUndefined();
      return [
        stack.node.id,
        Object.entries(json.resource)
          .flatMap(([type, byId]) => Object.keys(byId).map((id) => `${type}.${id}`))
          .sort(),
      ];
    }),
  );
}

test("every shipped stack keeps the Terraform address of every resource it had, and moves none", () => {
  const now = addresses();
  expect(Object.keys(now).sort()).toEqual(Object.keys(RELEASED).sort());
  for (const [stack, released] of Object.entries(RELEASED)) {
    expect({ stack, missing: released.filter((a) => !now[stack].includes(a)) }).toEqual({ stack, missing: [] });
  }
});

test("the resources added since are only the ones a new setting asks for", () => {
  const now = addresses();
  const added = Object.entries(now).flatMap(([stack, list]) =>
    list.filter((a) => !RELEASED[stack].includes(a)).map((a) => `${stack} ${a}`),
  );
  expect(added).toEqual([]);
});
