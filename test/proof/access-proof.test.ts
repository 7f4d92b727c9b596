/**
 * The access proof of every shipped single-grant environment, read as the command reads it (each stack's Terraform
 * JSON with its grant records), and proof that the proof notices when one side of a grant is broken in that JSON.
 */
import type { PolicyDocument } from "../../modules/internal";
import {
  KEY_ID_STAND_IN,
  ModelError,
  proveSynthesized,
  SimulationError,
  type SynthesizedStack,
} from "../../modules/proof";
import { simulate, unknownActions, type ProofRequest } from "../../modules/proof/simulate";
import { stackNamesOf } from "../../stacks/config";
import { environments } from "../../stacks/environments";
import {
  environmentSynth,
  failuresOf,
  mappingStatements,
  mismatchesOf,
  modelOf,
  provenOnce,
  recorded,
  replacing,
  withoutStatement,
  withPolicy,
  withResource,
} from "../support/proof";

const names = Object.keys(environments);
const synthesized: Record<string, SynthesizedStack[]> = Object.fromEntries(
  names.map((name) => [name, environmentSynth(name)]),
);

/** The proof of a shipped environment, proven once for every test that reads it. */
const proofOf = provenOnce(synthesized);

describe.each(names)("access proof of %s", (name) => {
  const config = environments[name];

  test("every request the grant implies is allowed, every other one denied, and every action name exists", async () => {
    const report = await proofOf(name);
    expect(mismatchesOf(report)).toEqual([]);
    expect(report.mismatches).toBe(0);
    expect(report.grants).toHaveLength(1);
    const [grant] = report.grants;
    expect(grant.unknownActions).toEqual([]);
    expect(grant.unseen).toEqual([]);
    expect(grant.results.filter((r) => r.expected === "Allowed").length).toBeGreaterThanOrEqual(4);
    expect(grant.results.filter((r) => r.expected === "Denied").length).toBeGreaterThanOrEqual(25);
  });

  test("both halves of the grant are found in the stacks that synthesize them, with the declaration's path", async () => {
    const [lambdaStack, bucketStack = lambdaStack] = stackNamesOf(name, config);
    const [grant] = (await proofOf(name)).grants;
    expect(grant.halves).toEqual({
      lambda: `${lambdaStack}: ${lambdaStack}/access (environments.${name})`,
      bucket: `${bucketStack}: ${bucketStack}/access (environments.${name})`,
    });
    expect(grant.problems).toEqual([]);
  });

  test("the model holds the deployed policies with concrete ARNs and one stand-in for the key", () => {
    const model = modelOf(synthesized[name]);
    expect(JSON.stringify(model)).not.toMatch(/\$\{/);
    // A key the stack creates gets the stand-in; an existing one is named by its ARN.
    expect(model.key.arn).toBe(
      config.bucket.existing?.keyArn ??
        `arn:aws:kms:${config.bucket.region}:${config.bucket.accountId}:key/${KEY_ID_STAND_IN}`,
    );
    expect(model.key.aliases).toEqual([config.bucket.keyAlias]);
    expect(Object.keys(model.roles).sort()).toEqual(
      [
        `arn:aws:iam::${config.lambda.accountId}:role/${config.lambda.roleName}`,
        ...(config.grant.accessRoleName
          ? [`arn:aws:iam::${config.bucket.accountId}:role/${config.grant.accessRoleName}`]
          : []),
      ].sort(),
    );
    expect(Object.values(model.roles).every((role) => role.created)).toBe(true);
    expect(model.unseen).toEqual([]);
  });
});

test("at least 50 negative cases across the shipped stacks, all denied", async () => {
  let negatives = 0;
  for (const name of names) {
    const [grant] = (await proofOf(name)).grants;
    negatives += grant.results.filter((r) => r.expected === "Denied" && r.final !== "Allowed").length;
  }
  expect(negatives).toBeGreaterThanOrEqual(50);
});

/** What the hand-written matrices of the proof of broken stacks get wrong (see failuresOf for the catalogue's). */
async function failures(stacks: readonly SynthesizedStack[]): Promise<string[]> {
  return (await failuresOf(stacks)).matrix;
}

/** The uploads a writer must be allowed: no encryption header (four operations) and the bucket's key (three). */
const ALLOWED_UPLOADS = [
  ...["PutObject", "CreateMultipartUpload", "UploadPart", "CopyObject"].map(
    (op) => [op, "no encryption header"] as const,
  ),
  ...["PutObject", "CreateMultipartUpload", "CopyObject"].map((op) => [op, "aws:kms with the bucket's key"] as const),
];

describe("breaking one side of a grant in the synthesized JSON makes the proof fail", () => {
  const local = synthesized.local;
  const assumeRole = synthesized["local-assume-role"];

  test("local: the key policy loses the grantee's statement", async () => {
    const broken = withPolicy(
      local,
      recorded(local, "keyPolicy"),
      "policy",
      withoutStatement("GranteeUsesKeyThroughS3"),
    );
    const found = await failuresOf(broken);
    expect(found.matrix).toEqual([
      "local-data-consumer kms:Decrypt key -> ImplicitlyDenied, denied by key policy: no statement allows it",
      "local-data-consumer kms:GenerateDataKey key -> ImplicitlyDenied, denied by key policy: no statement allows it",
    ]);
    // The catalogue asks the same of the key through S3 (the identity policy still allows both).
    expect(found.catalogue).toEqual(found.matrix);
  });

  test("local: the bucket policy names another prefix", async () => {
    const broken = withPolicy(
      local,
      recorded(local, "bucketPolicy"),
      "policy",
      replacing("/reference/*", "/references/*"),
    );
    expect(await failures(broken)).toEqual([
      "local-data-consumer s3:GetObject /reference/proof.txt -> ImplicitlyDenied, denied by bucket policy: no statement allows it",
    ]);
  });

  test("local: the identity policy loses s3:PutObject", async () => {
    const broken = withPolicy(
      local,
      recorded(local, "grantPolicy"),
      "policy",
      mappingStatements((s) => ({
        ...s,
        Action: ([] as string[]).concat(s.Action).filter((a) => a !== "s3:PutObject"),
      })),
    );
    const deniedByIdentity = "denied by identity policy of local-data-consumer: no statement allows it";
    // The plain upload, and every operation that stores data with the bucket's default or the bucket's key.
    expect(await failures(broken)).toEqual([
      `local-data-consumer s3:PutObject /incoming/proof.txt -> ImplicitlyDenied, ${deniedByIdentity}`,
      ...ALLOWED_UPLOADS.map(
        ([op]) =>
          `local-data-consumer s3:PutObject (${op}) /incoming/proof.txt -> ImplicitlyDenied, ${deniedByIdentity}`,
      ),
    ]);
  });

  test("local: the bucket policy no longer refuses SSE-C uploads", async () => {
    const broken = withPolicy(local, recorded(local, "bucketPolicy"), "policy", withoutStatement("DenyCustomerKeys"));
    expect(await failures(broken)).toEqual(
      ["PutObject", "CreateMultipartUpload", "UploadPart", "CopyObject"].map(
        (op) =>
          `local-data-consumer s3:PutObject (${op}) /incoming/proof.txt -> Allowed, but ${op} with SSE-C (a customer-provided key): the object would be encrypted with a key the bucket account never sees`,
      ),
    );
  });

  test("local: the bucket policy no longer refuses aws:kms without a key ID (S3 would use aws/s3)", async () => {
    const broken = withPolicy(
      local,
      recorded(local, "bucketPolicy"),
      "policy",
      withoutStatement("DenyKmsWithoutBucketKey"),
    );
    expect(await failures(broken)).toEqual(
      ["PutObject", "CreateMultipartUpload", "CopyObject"].map(
        (op) =>
          `local-data-consumer s3:PutObject (${op}) /incoming/proof.txt -> Allowed, but ${op} with aws:kms without a key ID: S3 then uses the AWS managed key aws/s3, not the bucket's key`,
      ),
    );
  });

  test("local: the bucket policy loses its TLS-only statement", async () => {
    const broken = withPolicy(
      local,
      recorded(local, "bucketPolicy"),
      "policy",
      withoutStatement("DenyInsecureTransport"),
    );
    expect(await failures(broken)).toEqual([
      "local-data-consumer s3:GetObject /incoming/proof.txt -> Allowed, but requests without TLS are refused",
    ]);
  });

  test("local-assume-role: the trust no longer matches the Lambda role by aws:PrincipalArn", async () => {
    const broken = withPolicy(
      assumeRole,
      recorded(assumeRole, "accessRole"),
      "assume_role_policy",
      mappingStatements((s) => {
        const { "aws:PrincipalArn": _dropped, ...equals } = s.Condition?.StringEquals ?? {};
        return { ...s, Condition: { ...s.Condition, StringEquals: equals } };
      }),
    );
    expect(await failures(broken)).toEqual([
      "other-team-role@111111111111 (admin) sts:AssumeRole role/local-uploader-s3-access -> Allowed, but only the Lambda role may assume the access role",
    ]);
  });

  test("local-assume-role: the access role's trust is removed", async () => {
    const broken = withPolicy(
      assumeRole,
      recorded(assumeRole, "accessRole"),
      "assume_role_policy",
      withoutStatement("TrustLambdaRole"),
    );
    // A trust policy with no statement trusts no one: the Lambda role can no longer assume the access role.
    expect(await failures(broken)).toEqual([
      "local-uploader sts:AssumeRole role/local-uploader-s3-access -> ImplicitlyDenied, denied by trust policy: it has no statement",
    ]);
  });

  test("local-assume-role: the trust no longer requires the ExternalId", async () => {
    const broken = withPolicy(
      assumeRole,
      recorded(assumeRole, "accessRole"),
      "assume_role_policy",
      mappingStatements((s) => {
        const { "sts:ExternalId": _dropped, ...equals } = s.Condition?.StringEquals ?? {};
        return { ...s, Condition: { ...s.Condition, StringEquals: equals } };
      }),
    );
    expect(await failures(broken)).toEqual([
      "local-uploader sts:AssumeRole role/local-uploader-s3-access -> Allowed, but the trust requires the ExternalId",
      "local-uploader sts:AssumeRole role/local-uploader-s3-access -> Allowed, but the trust requires the right ExternalId",
    ]);
  });

  test("local-assume-role: the access role's identity policy names another prefix", async () => {
    const broken = withPolicy(
      assumeRole,
      recorded(assumeRole, "accessRolePolicy"),
      "policy",
      replacing("/uploads/*", "/upload/*"),
    );
    // The access role is in the bucket's account: its identity policy alone grants, the bucket policy never names it.
    const deniedByIdentity =
      "denied by identity policy of local-uploader-s3-access: no statement allows it; bucket policy: no statement allows it";
    expect(await failures(broken)).toEqual([
      `local-uploader-s3-access s3:PutObject /uploads/proof.txt -> ImplicitlyDenied, ${deniedByIdentity}`,
      `local-uploader-s3-access s3:AbortMultipartUpload /uploads/proof.txt -> ImplicitlyDenied, ${deniedByIdentity}`,
      ...ALLOWED_UPLOADS.map(
        ([op]) =>
          `local-uploader-s3-access s3:PutObject (${op}) /uploads/proof.txt -> ImplicitlyDenied, ${deniedByIdentity}`,
      ),
    ]);
  });
});

describe("the simulator wrapper fails loudly", () => {
  const base: ProofRequest = {
    principal: "arn:aws:sts::111111111111:assumed-role/reader/session",
    who: "reader",
    identityPolicies: [
      {
        name: "read",
        policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] },
      },
    ],
    action: "s3:GetObject",
    resource: "arn:aws:s3:::shared-data/a/file.txt",
    resourceAccount: "222222222222",
    resourcePolicyKind: "bucket policy",
    resourcePolicy: {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::111111111111:role/reader" },
          Action: "s3:GetObject",
          Resource: "arn:aws:s3:::shared-data/a/*",
        },
      ],
    },
    context: { "aws:SecureTransport": "true" },
    expected: "Allowed",
    intent: "a reader reads",
  };

  test("a well-formed request is judged", async () => {
    expect((await simulate(base)).final).toBe("Allowed");
  });

  test("a verdict given once is given again only for the same inputs: a policy changed in place is judged anew", async () => {
    const policy = structuredClone(base.resourcePolicy);
    const request = { ...base, resourcePolicy: policy };
    expect((await simulate(request)).final).toBe("Allowed");
    expect((await simulate({ ...request, who: "another name" })).final).toBe("Allowed");
    (policy.Statement[0] as { Effect: string }).Effect = "Deny";
    const denied = await simulate(request);
    expect(denied.final).toBe("ExplicitlyDenied");
    expect(denied.reasons).toEqual(["bucket policy: explicit Deny statement #1"]);
    // Another principal, whom the Deny does not name, is judged on its own: no statement of the bucket allows it.
    expect((await simulate({ ...request, principal: base.principal.replace("reader", "writer") })).final).toBe(
      "ImplicitlyDenied",
    );
  });

  test("a context key the simulator would ignore", async () => {
    await expect(
      simulate({ ...base, context: { ...base.context, "kms:EncryptionContext:aws:s3:arn": "x" } }),
    ).rejects.toThrow("context keys ignored for this action: kms:EncryptionContext:aws:s3:arn");
  });

  test("a resource whose ARN names another account than the one given", async () => {
    await expect(
      simulate({
        ...base,
        action: "kms:Decrypt",
        resource: `arn:aws:kms:us-east-1:444444444444:key/${KEY_ID_STAND_IN}`,
        resourcePolicyKind: "key policy",
      }),
    ).rejects.toThrow("the resource is in account 444444444444, not 222222222222");
  });

  test("a resource with no policy statement denies a request from another account: a verdict, not a pass", async () => {
    const result = await simulate({ ...base, resourcePolicy: { Version: "2012-10-17", Statement: [] } });
    expect(result.final).toBe("ImplicitlyDenied");
    expect(result.ok).toBe(false);
  });

  test("a policy the simulator refuses", async () => {
    const invalid = { Version: "2012-10-17", Statement: [{ Effect: "Permit", Action: "s3:GetObject", Resource: "*" }] };
    await expect(
      simulate({ ...base, identityPolicies: [{ name: "invalid", policy: invalid as unknown as PolicyDocument }] }),
    ).rejects.toThrow(SimulationError);
  });
});

test("an action name IAM does not know is reported with where it appears", async () => {
  expect(
    await unknownActions([
      { action: "s3:GetObjects", where: "bucket policy GrantGetObject" },
      { action: "kms:*", where: "key policy" },
      { action: "s3:GetObject", where: "identity" },
      { action: "s4:GetObject", where: "identity" },
    ]),
  ).toEqual([
    "s3:GetObjects (bucket policy GrantGetObject): no such action",
    "s4:GetObject (identity): no such service",
  ]);
});

test("a stack whose policy has an action typo fails its proof", async () => {
  const local = synthesized.local;
  const broken = withPolicy(
    local,
    recorded(local, "bucketPolicy"),
    "policy",
    (doc) => JSON.parse(JSON.stringify(doc).replace('"s3:GetObject"', '"s3:GetObjects"')) as PolicyDocument,
  );
  const report = await proveSynthesized(broken);
  expect(report.grants[0].unknownActions).toEqual(["s3:GetObjects (bucket policy GrantGetObject): no such action"]);
  expect(report.mismatches).toBeGreaterThan(0);
});

describe("the access model refuses what it cannot model", () => {
  test("an unresolvable reference", async () => {
    const local = synthesized.local;
    const broken = withPolicy(
      local,
      recorded(local, "bucketPolicy"),
      "policy",
      replacing("arn:aws:s3:::local-shared-data-222222222222/incoming/*", "${aws_s3_bucket.other.arn}/incoming/*"),
    );
    const proof = proveSynthesized(broken);
    await expect(proof).rejects.toThrow(ModelError);
    await expect(proof).rejects.toThrow(
      /^stack local: aws_s3_bucket_policy\.\S+\.policy holds \$\{aws_s3_bucket\.other\.arn\}, which Terraform evaluates and the proof cannot resolve$/,
    );
  });

  test("a key without a policy", async () => {
    const local = synthesized.local;
    const broken = withResource(local, recorded(local, "keyPolicy"), (key) => {
      delete key.policy;
    });
    await expect(proveSynthesized(broken)).rejects.toThrow(
      "no stack given writes the key policy of alias/local-shared-data",
    );
  });

  test("a bucket with no policy in any stack given", async () => {
    const local = synthesized.local;
    const { address } = recorded(local, "bucketPolicy");
    const broken = structuredClone(local);
    const [type = "", id = ""] = address.split(".");
    delete (broken[0].json.resource as Record<string, Record<string, unknown>>)[type][id];
    await expect(proveSynthesized(broken)).rejects.toThrow(
      "no stack given writes a policy for bucket local-shared-data-222222222222",
    );
  });

  test("a role without a trust policy", async () => {
    const assumeRole = synthesized["local-assume-role"];
    let broken = withResource(assumeRole, recorded(assumeRole, "lambdaRole"), (role) => {
      delete role.assume_role_policy;
    });
    broken = withResource(broken, recorded(broken, "accessRole"), (role) => {
      delete role.assume_role_policy;
    });
    await expect(proveSynthesized(broken)).rejects.toThrow(
      /stack local-assume-role: aws_iam_role\.\S+\.assume_role_policy is not a string/,
    );
  });
});

describe("roles with a path are proven by the ARN with the path", () => {
  const withPaths = {
    ...environments["local-assume-role"],
    lambda: { ...environments["local-assume-role"].lambda, rolePath: "/service-role/" },
    grant: { ...environments["local-assume-role"].grant, accessRolePath: "/data-access/" },
  };
  const stacks = environmentSynth("paths", withPaths);

  test("every request is judged as the declaration says, both roles named with their paths", async () => {
    expect(Object.keys(modelOf(stacks).roles).sort()).toEqual([
      "arn:aws:iam::111111111111:role/service-role/local-uploader",
      "arn:aws:iam::222222222222:role/data-access/local-uploader-s3-access",
    ]);
    const report = await proveSynthesized(stacks);
    expect(report.grants.map((g) => g.grantee)).toEqual(["arn:aws:iam::111111111111:role/service-role/local-uploader"]);
    expect(mismatchesOf(report)).toEqual([]);
  });

  test("a trust naming the Lambda role without its path lets nobody in", async () => {
    const broken = withPolicy(
      stacks,
      recorded(stacks, "accessRole"),
      "assume_role_policy",
      replacing("role/service-role/local-uploader", "role/local-uploader"),
    );
    expect(await failures(broken)).toEqual([
      "local-uploader sts:AssumeRole role/data-access/local-uploader-s3-access -> ImplicitlyDenied, denied by trust policy: no statement allows it",
    ]);
  });
});
