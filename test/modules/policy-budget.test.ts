import {
  ConfigurationError,
  CrossAccountS3Access,
  overBudget,
  policySize,
  POLICY_LIMITS,
  type GrantDeclaration,
} from "../../modules/internal";
import { accessProps, synthJson, twoAccountStack, type AccessOverrides } from "../support/synth";

const prefixes = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    prefix: `team-${String(i).padStart(4, "0")}/daily-exports/`,
    access: "readWrite" as const,
  }));

function build(grant: GrantDeclaration, lambda: AccessOverrides["lambda"] = {}) {
  const s = twoAccountStack();
  const make = () => new CrossAccountS3Access(s.stack, "access", accessProps(s, grant, { lambda }));
  return { stack: s.stack, make };
}

test("a policy's size is its minified JSON, a reference counted at the longest value it can take", () => {
  const doc = {
    Version: "2012-10-17" as const,
    Statement: [{ Effect: "Allow" as const, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }],
  };
  expect(policySize(doc)).toBe(JSON.stringify(doc).length);
  const withRef = { ...doc, Statement: [{ ...doc.Statement[0], Resource: "${aws_kms_key.key.arn}" }] };
  expect(policySize(withRef)).toBe(JSON.stringify(withRef).length - "${aws_kms_key.key.arn}".length + 86);
});

test("overBudget says which policy, its size and by how much it is over", () => {
  const doc = {
    Version: "2012-10-17" as const,
    Statement: [{ Effect: "Allow" as const, Action: "s3:GetObject", Resource: "x".repeat(2_100) }],
  };
  expect(
    overBudget([
      { what: "the trust policy of role r", docs: [doc], limit: POLICY_LIMITS.trustPolicy, advice: "shorten it" },
    ]),
  ).toEqual([
    `the trust policy of role r would be ${policySize(doc).toLocaleString("en-US")} characters, ${(policySize(doc) - 2_048).toLocaleString("en-US")} over AWS's limit of 2,048: shorten it`,
  ]);
  expect(overBudget([{ what: "small", docs: [doc], limit: 10_240, advice: "" }])).toEqual([]);
});

test("a grant whose role policies AWS would refuse fails at synth, by how much, and creates nothing", () => {
  const { stack, make } = build({ mode: "bucket-policy", prefixes: prefixes(200) });
  let error: unknown;
  try {
    make();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigurationError);
  expect((error as ConfigurationError).problems).toEqual([
    expect.stringMatching(
      /^access\.grant \(200 prefixes\): the inline policies of role consumer-role would be [\d,]+ characters, [\d,]+ over AWS's limit of 10,240: grant fewer or shorter prefixes/,
    ),
  ]);
  expect(synthJson(stack).resource).toBeUndefined();
});

test("in assume-role mode the access role's policy is the one checked", () => {
  const { make } = build({ mode: "assume-role", accessRoleName: "s3-access", prefixes: prefixes(200) });
  expect(make).toThrow(
    /^access\.grant \(200 prefixes\): the inline policy of role s3-access would be [\d,]+ characters/,
  );
});

// For a function created elsewhere: the environment of a function this library creates holds every prefix in
// GRANTED_PREFIXES, and Lambda's 4 KB limit on it comes first (see test/modules/lambda-grantee.test.ts).
const elsewhere = { createFunction: false, functionName: undefined };

test("the limit is exact: 118 readWrite prefixes of 24 characters fit, the 119th is refused", () => {
  expect(prefixes(1)[0].prefix).toHaveLength(24);
  const fits = build({ mode: "bucket-policy", prefixes: prefixes(118) }, elsewhere);
  fits.make();
  expect(Object.keys(synthJson(fits.stack).resource)).toContain("aws_s3_bucket_policy");
  expect(build({ mode: "bucket-policy", prefixes: prefixes(119) }, elsewhere).make).toThrow(
    /the inline policies of role consumer-role would be 10,311 characters, 71 over AWS's limit of 10,240/,
  );
});

test("with a function this library creates, the prefixes' variable reaches Lambda's 4 KB first", () => {
  expect(build({ mode: "bucket-policy", prefixes: prefixes(115) }).make).toThrow(
    /access\.lambda\.environment with the grant's variables is [\d]+ bytes as Lambda measures it/,
  );
});
