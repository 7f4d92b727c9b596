import {
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_PRESIGN_MAX_EXPIRES_SECONDS,
  DEFAULT_ROLE_SESSION_NAME,
  loadConfig,
  requestBucket,
  roleSessionNameFrom,
} from "../../lambda/src/config";
import { ConfigurationError, HandlerError } from "../../lambda/src/errors";
import { ACCESS_POINT_ARN, BUCKET, GRANTED_PREFIXES, GRANTS, REGION, ROLE_ARN } from "./helpers";

const base = { BUCKET_NAME: BUCKET, BUCKET_REGION: REGION, ACCESS_MODE: "bucket-policy", GRANTED_PREFIXES };
const defaults = {
  grants: GRANTS,
  maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
  presignMaxExpiresSeconds: DEFAULT_PRESIGN_MAX_EXPIRES_SECONDS,
};

function configError(env: NodeJS.ProcessEnv): ConfigurationError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error("expected loadConfig to throw");
}

describe("loadConfig", () => {
  test("bucket-policy mode", () => {
    expect(loadConfig({ ...base, AWS_REGION: "us-east-1", S3_ACCESS_ROLE_ARN: "" })).toStrictEqual({
      accessMode: "bucket-policy",
      bucketName: BUCKET,
      bucketRegion: REGION,
      forcePathStyle: false,
      ...defaults,
    });
  });

  test("assume-role mode with ExternalId, function name and the runtime's region", () => {
    expect(
      loadConfig({
        ...base,
        ACCESS_MODE: "assume-role",
        S3_ACCESS_ROLE_ARN: ROLE_ARN,
        EXTERNAL_ID: "ext-1234",
        AWS_LAMBDA_FUNCTION_NAME: "consumer-fn",
        AWS_REGION: "eu-west-1",
        S3_FORCE_PATH_STYLE: "true",
        MAX_RESPONSE_BYTES: "1048576",
        PRESIGN_MAX_EXPIRES_SECONDS: "600",
      }),
    ).toStrictEqual({
      accessMode: "assume-role",
      bucketName: BUCKET,
      bucketRegion: REGION,
      forcePathStyle: true,
      grants: GRANTS,
      maxResponseBytes: 1048576,
      presignMaxExpiresSeconds: 600,
      roleArn: ROLE_ARN,
      externalId: "ext-1234",
      roleSessionName: "consumer-fn",
      stsRegion: "eu-west-1",
    });
  });

  test("assume-role mode without ExternalId, function name or runtime region", () => {
    const config = loadConfig({ ...base, ACCESS_MODE: "assume-role", S3_ACCESS_ROLE_ARN: ROLE_ARN, EXTERNAL_ID: "" });
    expect(config).toStrictEqual({
      accessMode: "assume-role",
      bucketName: BUCKET,
      bucketRegion: REGION,
      forcePathStyle: false,
      ...defaults,
      roleArn: ROLE_ARN,
      roleSessionName: DEFAULT_ROLE_SESSION_NAME,
      stsRegion: REGION,
    });
  });

  test("the grant allows the three presets, with and without delete", () => {
    const granted = JSON.stringify([
      { prefix: "a/", access: "read" },
      { prefix: "b/", access: "write", delete: false },
      { prefix: "c/d/", access: "readWrite", delete: true },
    ]);
    expect(loadConfig({ ...base, GRANTED_PREFIXES: granted }).grants).toStrictEqual([
      { prefix: "a/", access: "read", delete: false },
      { prefix: "b/", access: "write", delete: false },
      { prefix: "c/d/", access: "readWrite", delete: true },
    ]);
  });

  test("the grant allows prefixes of any character IAM takes in a policy, dots inside segments included", () => {
    const granted = JSON.stringify([
      { prefix: "é/ÿ ü/", access: "read" },
      { prefix: ".a/..b/c./", access: "read" },
      { prefix: "x's (1)/", access: "write" },
    ]);
    expect(loadConfig({ ...base, GRANTED_PREFIXES: granted }).grants.map((g) => g.prefix)).toEqual([
      "é/ÿ ü/",
      ".a/..b/c./",
      "x's (1)/",
    ]);
  });

  test("an inner prefix may grant more than the one it lies under, or the same", () => {
    const granted = JSON.stringify([
      { prefix: "a/", access: "read" },
      { prefix: "a/b/", access: "readWrite" },
      { prefix: "a/b/c/", access: "readWrite", delete: true },
      { prefix: "a/b/d/", access: "readWrite" },
      { prefix: "ab/", access: "write" },
    ]);
    expect(loadConfig({ ...base, GRANTED_PREFIXES: granted }).grants).toStrictEqual([
      { prefix: "a/", access: "read", delete: false },
      { prefix: "a/b/", access: "readWrite", delete: false },
      { prefix: "a/b/c/", access: "readWrite", delete: true },
      { prefix: "a/b/d/", access: "readWrite", delete: false },
      { prefix: "ab/", access: "write", delete: false },
    ]);
  });

  test("the limits accept their bounds", () => {
    expect(loadConfig({ ...base, MAX_RESPONSE_BYTES: "1024", PRESIGN_MAX_EXPIRES_SECONDS: "1" })).toMatchObject({
      maxResponseBytes: 1024,
      presignMaxExpiresSeconds: 1,
    });
    expect(loadConfig({ ...base, MAX_RESPONSE_BYTES: "6000000", PRESIGN_MAX_EXPIRES_SECONDS: "604800" })).toMatchObject(
      {
        maxResponseBytes: 6000000,
        presignMaxExpiresSeconds: 604800,
      },
    );
  });

  test.each([
    "arn:aws:iam::222222222222:role/s3-access",
    "arn:aws:iam::222222222222:role/service-role/team/s3+access=,.@_-",
    "arn:aws-us-gov:iam::222222222222:role/r1",
    "arn:aws-cn:iam::222222222222:role/r1",
  ])("accepts role ARN %s", (arn) => {
    expect(loadConfig({ ...base, ACCESS_MODE: "assume-role", S3_ACCESS_ROLE_ARN: arn })).toMatchObject({
      roleArn: arn,
    });
  });

  test("BUCKET_REGION falls back to AWS_REGION only when absent", () => {
    const { BUCKET_REGION: _unused, ...withoutRegion } = base;
    expect(loadConfig({ ...withoutRegion, AWS_REGION: "us-west-2" }).bucketRegion).toBe("us-west-2");
    expect(loadConfig({ ...base, AWS_REGION: "us-west-2" }).bucketRegion).toBe(REGION);
  });

  test("S3_FORCE_PATH_STYLE defaults to false", () => {
    expect(loadConfig({ ...base, S3_FORCE_PATH_STYLE: "false" }).forcePathStyle).toBe(false);
    expect(loadConfig(base).forcePathStyle).toBe(false);
  });
});

describe("configuration errors name the variable and the value", () => {
  test("missing BUCKET_NAME", () => {
    const { BUCKET_NAME: _unused, ...env } = base;
    const error = configError(env);
    expect(error).toBeInstanceOf(HandlerError);
    expect(error.name).toBe("ConfigurationError");
    expect(error.variable).toBe("BUCKET_NAME");
    expect(error.value).toBeUndefined();
    expect(error.message).toBe("Invalid configuration: BUCKET_NAME is required (got undefined)");
  });

  test("empty BUCKET_NAME", () => {
    const error = configError({ ...base, BUCKET_NAME: "" });
    expect(error.message).toBe('Invalid configuration: BUCKET_NAME is required (got "")');
  });

  test("invalid BUCKET_NAME", () => {
    const error = configError({ ...base, BUCKET_NAME: "My_Bucket" });
    expect(error.variable).toBe("BUCKET_NAME");
    expect(error.value).toBe("My_Bucket");
    expect(error.message).toMatch(/BUCKET_NAME is not a valid S3 bucket name .* \(got "My_Bucket"\)/);
  });

  test("bad ACCESS_MODE", () => {
    const error = configError({ ...base, ACCESS_MODE: "cross-account" });
    expect(error.variable).toBe("ACCESS_MODE");
    expect(error.value).toBe("cross-account");
    expect(error.message).toBe(
      'Invalid configuration: ACCESS_MODE must be one of "bucket-policy", "assume-role" (got "cross-account")',
    );
  });

  test("missing ACCESS_MODE", () => {
    const { ACCESS_MODE: _unused, ...env } = base;
    expect(configError(env).message).toBe("Invalid configuration: ACCESS_MODE is required (got undefined)");
  });

  test("assume-role without S3_ACCESS_ROLE_ARN", () => {
    const error = configError({ ...base, ACCESS_MODE: "assume-role" });
    expect(error.variable).toBe("S3_ACCESS_ROLE_ARN");
    expect(error.message).toBe(
      'Invalid configuration: S3_ACCESS_ROLE_ARN is required when ACCESS_MODE is "assume-role" (got undefined)',
    );
  });

  test.each([
    "arn:aws:iam::2222:role/short-account",
    "arn:aws:iam::222222222222:user/alice",
    "arn:aws:sts::222222222222:assumed-role/r/s",
    "s3-access",
  ])("malformed S3_ACCESS_ROLE_ARN %s", (arn) => {
    const error = configError({ ...base, ACCESS_MODE: "assume-role", S3_ACCESS_ROLE_ARN: arn });
    expect(error.variable).toBe("S3_ACCESS_ROLE_ARN");
    expect(error.message).toContain(`S3_ACCESS_ROLE_ARN is not an IAM role ARN`);
    expect(error.message).toContain(`(got "${arn}")`);
  });

  test("invalid EXTERNAL_ID", () => {
    const error = configError({
      ...base,
      ACCESS_MODE: "assume-role",
      S3_ACCESS_ROLE_ARN: ROLE_ARN,
      EXTERNAL_ID: "a b",
    });
    expect(error.variable).toBe("EXTERNAL_ID");
    expect(error.message).toContain("EXTERNAL_ID is not a valid ExternalId");
    expect(error.message).toContain('(got "a b")');
  });

  test("invalid S3_FORCE_PATH_STYLE", () => {
    const error = configError({ ...base, S3_FORCE_PATH_STYLE: "yes" });
    expect(error.message).toBe('Invalid configuration: S3_FORCE_PATH_STYLE must be "true" or "false" (got "yes")');
  });

  test("missing BUCKET_REGION and AWS_REGION", () => {
    const { BUCKET_REGION: _unused, ...env } = base;
    const error = configError(env);
    expect(error.variable).toBe("BUCKET_REGION");
    expect(error.message).toBe("Invalid configuration: BUCKET_REGION (or AWS_REGION) is required (got undefined)");
  });

  test("an invalid region names where it came from", () => {
    expect(configError({ ...base, BUCKET_REGION: "Frankfurt" }).message).toContain(
      'BUCKET_REGION is not an AWS region name (e.g. eu-west-1) (got "Frankfurt")',
    );
    const { BUCKET_REGION: _unused, ...env } = base;
    expect(configError({ ...env, AWS_REGION: "local" }).message).toContain(
      'BUCKET_REGION (unset, so AWS_REGION) is not an AWS region name (e.g. eu-west-1) (got "local")',
    );
    expect(configError({ ...env, BUCKET_REGION: "", AWS_REGION: "local" }).value).toBe("local");
  });

  test("every problem is listed", () => {
    const error = configError({ ACCESS_MODE: "assume-role", BUCKET_REGION: REGION, GRANTED_PREFIXES });
    expect(error.problems.map((p) => p.variable)).toEqual(["BUCKET_NAME", "S3_ACCESS_ROLE_ARN"]);
    expect(error.message).toContain("BUCKET_NAME is required (got undefined); S3_ACCESS_ROLE_ARN is required");
  });

  test.each([
    [
      "MAX_RESPONSE_BYTES",
      "7000000",
      'MAX_RESPONSE_BYTES must be a whole number of bytes from 1024 to 6000000 (below Lambda\'s 6 MB response limit) (got "7000000")',
    ],
    [
      "MAX_RESPONSE_BYTES",
      "1023",
      'MAX_RESPONSE_BYTES must be a whole number of bytes from 1024 to 6000000 (below Lambda\'s 6 MB response limit) (got "1023")',
    ],
    [
      "MAX_RESPONSE_BYTES",
      "5MB",
      'MAX_RESPONSE_BYTES must be a whole number of bytes from 1024 to 6000000 (below Lambda\'s 6 MB response limit) (got "5MB")',
    ],
    [
      "PRESIGN_MAX_EXPIRES_SECONDS",
      "0",
      'PRESIGN_MAX_EXPIRES_SECONDS must be a whole number of seconds from 1 to 604800 (7 days, the SigV4 limit) (got "0")',
    ],
    [
      "PRESIGN_MAX_EXPIRES_SECONDS",
      "604801",
      'PRESIGN_MAX_EXPIRES_SECONDS must be a whole number of seconds from 1 to 604800 (7 days, the SigV4 limit) (got "604801")',
    ],
    [
      "PRESIGN_MAX_EXPIRES_SECONDS",
      "1.5",
      'PRESIGN_MAX_EXPIRES_SECONDS must be a whole number of seconds from 1 to 604800 (7 days, the SigV4 limit) (got "1.5")',
    ],
  ])("invalid %s %s", (variable, value, message) => {
    const error = configError({ ...base, [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.value).toBe(value);
    expect(error.message).toBe(`Invalid configuration: ${message}`);
  });

  test("an invalid AWS_REGION is named as the STS region in assume-role mode", () => {
    const error = configError({
      ...base,
      ACCESS_MODE: "assume-role",
      S3_ACCESS_ROLE_ARN: ROLE_ARN,
      AWS_REGION: "moon-1",
    });
    expect(error.variable).toBe("AWS_REGION");
    expect(error.message).toBe(
      'Invalid configuration: AWS_REGION (the STS region) is not an AWS region name (e.g. eu-west-1) (got "moon-1")',
    );
    // In bucket-policy mode the function never calls STS, and BUCKET_REGION is the only region used.
    expect(loadConfig({ ...base, AWS_REGION: "moon-1" }).bucketRegion).toBe(REGION);
  });
});

describe("GRANTED_PREFIXES errors name the entry, the field and the value", () => {
  const grantError = (value: string | undefined) => configError({ ...base, GRANTED_PREFIXES: value });

  test("missing", () => {
    const error = grantError(undefined);
    expect(error.variable).toBe("GRANTED_PREFIXES");
    expect(error.message).toBe(
      'Invalid configuration: GRANTED_PREFIXES is required: the JSON list of granted prefixes the stack sets, e.g. [{"prefix":"incoming/","access":"readWrite","delete":false}] (got undefined)',
    );
  });

  test("not JSON", () => {
    const error = grantError("incoming/:readWrite");
    expect(error.value).toBe("incoming/:readWrite");
    expect(error.message).toMatch(
      /^Invalid configuration: GRANTED_PREFIXES is not valid JSON \(.+\) \(got "incoming\/:readWrite"\)$/,
    );
  });

  test.each([["[]"], ['{"prefix":"a/","access":"read"}'], ['"a/"']])("not a non-empty list: %s", (value) => {
    expect(grantError(value).message).toBe(
      `Invalid configuration: GRANTED_PREFIXES must be a non-empty JSON list of { prefix, access, delete? }, e.g. [{"prefix":"incoming/","access":"readWrite","delete":false}] (got ${JSON.stringify(value)})`,
    );
  });

  test.each([
    [[{ prefix: "incoming", access: "read" }], 'GRANTED_PREFIXES[0].prefix must end with "/" (got "incoming")'],
    [[{ prefix: "", access: "read" }], 'GRANTED_PREFIXES[0].prefix must not be empty (got "")'],
    [[{ prefix: "/abs/", access: "read" }], 'GRANTED_PREFIXES[0].prefix must not start with "/" (got "/abs/")'],
    [
      [{ prefix: "a*/", access: "read" }],
      'GRANTED_PREFIXES[0].prefix must not contain the wildcards * or ? (got "a*/")',
    ],
    [[{ prefix: 7, access: "read" }], "GRANTED_PREFIXES[0].prefix must be a string (got 7)"],
    [[{ access: "read" }], "GRANTED_PREFIXES[0].prefix is required"],
    [
      [
        { prefix: "a/", access: "read" },
        { prefix: "b/", access: "admin" },
      ],
      'GRANTED_PREFIXES[1].access must be one of "read", "write", "readWrite" (got "admin")',
    ],
    [[{ prefix: "a/" }], 'GRANTED_PREFIXES[0].access is required (one of "read", "write", "readWrite")'],
    [[{ prefix: "a/", access: "read", delete: "yes" }], 'GRANTED_PREFIXES[0].delete must be true or false (got "yes")'],
    [
      [{ prefix: "a/", access: "read", list: true }],
      'GRANTED_PREFIXES[0] has an unknown field "list" (got true); allowed: prefix, access, delete',
    ],
    [["a/"], 'GRANTED_PREFIXES[0] must be an object { prefix, access, delete? } (got "a/")'],
    [
      [
        { prefix: "a/", access: "read" },
        { prefix: "a/", access: "write" },
      ],
      'GRANTED_PREFIXES[1].prefix "a/" is listed twice',
    ],
    [
      [{ prefix: "a/../b/", access: "read" }],
      'GRANTED_PREFIXES[0].prefix must not have "." or ".." path segments (the event validation refuses every key under it) (got "a/../b/")',
    ],
    [
      [{ prefix: "./", access: "read" }],
      'GRANTED_PREFIXES[0].prefix must not have "." or ".." path segments (the event validation refuses every key under it) (got "./")',
    ],
    [
      [{ prefix: "a/./", access: "write" }],
      'GRANTED_PREFIXES[0].prefix must not have "." or ".." path segments (the event validation refuses every key under it) (got "a/./")',
    ],
    [
      [{ prefix: "../", access: "read" }],
      'GRANTED_PREFIXES[0].prefix must not have "." or ".." path segments (the event validation refuses every key under it) (got "../")',
    ],
    [
      [{ prefix: "a//", access: "read" }],
      'GRANTED_PREFIXES[0].prefix must not contain an empty folder ("//") (got "a//")',
    ],
    [
      [{ prefix: 'a"/', access: "read" }],
      'GRANTED_PREFIXES[0].prefix must not contain control characters, quotes or backslashes (got "a\\"/")',
    ],
    [
      [{ prefix: "a\\/", access: "read" }],
      'GRANTED_PREFIXES[0].prefix must not contain control characters, quotes or backslashes (got "a\\\\/")',
    ],
    [
      [{ prefix: "a\n/", access: "read" }],
      'GRANTED_PREFIXES[0].prefix must not contain control characters, quotes or backslashes (got "a\\n/")',
    ],
    [
      [{ prefix: "a\u0000/", access: "read" }],
      'GRANTED_PREFIXES[0].prefix must not contain control characters, quotes or backslashes (got "a\\u0000/")',
    ],
    [
      [{ prefix: "a\u007f/", access: "read" }],
      'GRANTED_PREFIXES[0].prefix must not contain control characters, quotes or backslashes (got "a\u007f/")',
    ],
    [
      [{ prefix: "a/\u2603/", access: "read" }],
      'GRANTED_PREFIXES[0].prefix must not contain characters outside U+0020 to U+00FF, which IAM refuses in a policy document (U+2603 at index 2) (got "a/☃/")',
    ],
    [
      [{ prefix: "a/\u0100/", access: "read" }],
      'GRANTED_PREFIXES[0].prefix must not contain characters outside U+0020 to U+00FF, which IAM refuses in a policy document (U+0100 at index 2) (got "a/Ā/")',
    ],
    [
      [{ prefix: "\uD83D\uDE00/", access: "read" }],
      'GRANTED_PREFIXES[0].prefix must not contain characters outside U+0020 to U+00FF, which IAM refuses in a policy document (U+1F600 at index 0) (got "😀/")',
    ],
    [
      [{ prefix: "a\uD800/", access: "read" }],
      'GRANTED_PREFIXES[0].prefix must not contain characters outside U+0020 to U+00FF, which IAM refuses in a policy document (U+D800 at index 1) (got "a\\ud800/")',
    ],
    [
      [
        { prefix: "a/", access: "readWrite", delete: true },
        { prefix: "a/b/", access: "read" },
      ],
      'GRANTED_PREFIXES[1].prefix "a/b/" (read) lies under GRANTED_PREFIXES[0].prefix "a/" (readWrite with delete), and IAM ' +
        'grants the union of them: readWrite with delete under "a/b/"; give GRANTED_PREFIXES[1] access "readWrite" and delete true, or remove it',
    ],
    [
      [
        { prefix: "a/b/", access: "readWrite" },
        { prefix: "a/", access: "read", delete: true },
      ],
      'GRANTED_PREFIXES[0].prefix "a/b/" (readWrite) lies under GRANTED_PREFIXES[1].prefix "a/" (read with delete), and IAM ' +
        'grants the union of them: readWrite with delete under "a/b/"; give GRANTED_PREFIXES[0] delete true, or remove it',
    ],
    [
      [
        { prefix: "data/", access: "read" },
        { prefix: "data/out/", access: "write" },
      ],
      'GRANTED_PREFIXES[1].prefix "data/out/" (write) lies under GRANTED_PREFIXES[0].prefix "data/" (read), and IAM ' +
        'grants the union of them: readWrite under "data/out/"; give GRANTED_PREFIXES[1] access "readWrite", or remove it',
    ],
  ])("%j", (entries, message) => {
    const raw = JSON.stringify(entries);
    const error = grantError(raw);
    expect(error.variable).toBe("GRANTED_PREFIXES");
    expect(error.value).toBe(raw);
    expect(error.message).toBe(`Invalid configuration: ${message}`);
  });

  test("an entry under several others names every one that gives it more, and the whole union", () => {
    const error = grantError(
      JSON.stringify([
        { prefix: "a/", access: "read" },
        { prefix: "a/b/", access: "write", delete: true },
        { prefix: "a/b/c/", access: "write" },
        { prefix: "a/b/c/d/", access: "readWrite", delete: true },
      ]),
    );
    expect(error.problems.map((p) => p.message)).toEqual([
      'GRANTED_PREFIXES[1].prefix "a/b/" (write with delete) lies under GRANTED_PREFIXES[0].prefix "a/" (read), and IAM ' +
        'grants the union of them: readWrite with delete under "a/b/"; give GRANTED_PREFIXES[1] access "readWrite", or remove it',
      'GRANTED_PREFIXES[2].prefix "a/b/c/" (write) lies under GRANTED_PREFIXES[0].prefix "a/" (read) and ' +
        'GRANTED_PREFIXES[1].prefix "a/b/" (write with delete), and IAM grants the union of them: readWrite with delete ' +
        'under "a/b/c/"; give GRANTED_PREFIXES[2] access "readWrite" and delete true, or remove it',
    ]);
  });

  test("every bad entry is listed", () => {
    const error = grantError(
      JSON.stringify([
        { prefix: "a", access: "read" },
        { prefix: "b/", access: "all" },
      ]),
    );
    expect(error.problems.map((p) => p.message)).toEqual([
      'GRANTED_PREFIXES[0].prefix must end with "/" (got "a")',
      'GRANTED_PREFIXES[1].access must be one of "read", "write", "readWrite" (got "all")',
    ]);
  });
});

describe("ACCESS_POINT_ARN", () => {
  test("an access point in the bucket's region is kept, and becomes the Bucket of every request", () => {
    const config = loadConfig({ ...base, ACCESS_POINT_ARN });
    expect(config).toStrictEqual({
      accessMode: "bucket-policy",
      bucketName: BUCKET,
      bucketRegion: REGION,
      accessPointArn: ACCESS_POINT_ARN,
      forcePathStyle: false,
      ...defaults,
    });
    expect(requestBucket(config)).toBe(ACCESS_POINT_ARN);
  });

  test("unset or empty (as Terraform writes an absent value), requests go to the bucket", () => {
    for (const env of [base, { ...base, ACCESS_POINT_ARN: "" }]) {
      const config = loadConfig(env);
      expect(config).not.toHaveProperty("accessPointArn");
      expect(requestBucket(config)).toBe(BUCKET);
    }
  });

  test("kept in assume-role mode too, and with S3_FORCE_PATH_STYLE=false", () => {
    const config = loadConfig({
      ...base,
      ACCESS_MODE: "assume-role",
      S3_ACCESS_ROLE_ARN: ROLE_ARN,
      ACCESS_POINT_ARN,
      S3_FORCE_PATH_STYLE: "false",
    });
    expect(config).toMatchObject({
      accessMode: "assume-role",
      accessPointArn: ACCESS_POINT_ARN,
      forcePathStyle: false,
    });
    expect(requestBucket(config)).toBe(ACCESS_POINT_ARN);
  });

  test.each([
    ["arn:aws:s3:eu-central-1:222222222222:accesspoint/abc", REGION],
    [`arn:aws:s3:eu-central-1:333333333333:accesspoint/${"a1-".repeat(16)}ab`, REGION],
    ["arn:aws-cn:s3:cn-north-1:222222222222:accesspoint/orders", "cn-north-1"],
    ["arn:aws-us-gov:s3:us-gov-west-1:222222222222:accesspoint/orders", "us-gov-west-1"],
  ])("accepts %s in %s", (arn, region) => {
    expect(loadConfig({ ...base, BUCKET_REGION: region, ACCESS_POINT_ARN: arn }).accessPointArn).toBe(arn);
  });

  test("its region is compared with AWS_REGION when BUCKET_REGION is unset", () => {
    const { BUCKET_REGION: _unused, ...env } = base;
    expect(loadConfig({ ...env, AWS_REGION: REGION, ACCESS_POINT_ARN }).accessPointArn).toBe(ACCESS_POINT_ARN);
    const error = configError({ ...env, AWS_REGION: "eu-west-1", ACCESS_POINT_ARN });
    expect(error.variable).toBe("ACCESS_POINT_ARN");
    expect(error.value).toBe(ACCESS_POINT_ARN);
    expect(error.message).toBe(
      `Invalid configuration: ACCESS_POINT_ARN is in region "${REGION}", not the bucket's region "eu-west-1" ` +
        `(AWS_REGION, as BUCKET_REGION is unset); an access point is in the region of its bucket (got "${ACCESS_POINT_ARN}")`,
    );
  });

  test.each([
    ["a bucket ARN", `arn:aws:s3:::${BUCKET}`],
    ["an object ARN", `${ACCESS_POINT_ARN}/object/incoming/a.txt`],
    ["no region", "arn:aws:s3::222222222222:accesspoint/orders-reader"],
    ["a Multi-Region Access Point", "arn:aws:s3::222222222222:accesspoint/mfzwi23gnjvgw.mrap"],
    ["an Object Lambda access point", `arn:aws:s3-object-lambda:${REGION}:222222222222:accesspoint/orders-reader`],
    [
      "an Outposts access point",
      `arn:aws:s3-outposts:${REGION}:222222222222:outpost/op-01ac5d28a6a232904/accesspoint/orders`,
    ],
    ["an 11-digit account", `arn:aws:s3:${REGION}:22222222222:accesspoint/orders-reader`],
    ["upper-case letters in the name", `arn:aws:s3:${REGION}:222222222222:accesspoint/Orders-Reader`],
    ["an underscore in the name", `arn:aws:s3:${REGION}:222222222222:accesspoint/orders_reader`],
    ["a 2-character name", `arn:aws:s3:${REGION}:222222222222:accesspoint/ab`],
    ["a 51-character name", `arn:aws:s3:${REGION}:222222222222:accesspoint/${"a".repeat(51)}`],
    ["another partition prefix", `arn:amazon:s3:${REGION}:222222222222:accesspoint/orders-reader`],
    ["an access point alias", "orders-reader-hrzrlukc5m36ft7okagglf3gmwluquse1b-s3alias"],
    ["the access point's name alone", "orders-reader"],
  ])("refuses %s", (_what, arn) => {
    const error = configError({ ...base, ACCESS_POINT_ARN: arn });
    expect(error.variable).toBe("ACCESS_POINT_ARN");
    expect(error.value).toBe(arn);
    expect(error.message).toBe(
      "Invalid configuration: ACCESS_POINT_ARN is not an S3 access point ARN " +
        `(arn:aws:s3:<region>:<12-digit account>:accesspoint/<name>, the name 3-50 of a-z, 0-9, '-') (got ${JSON.stringify(arn)})`,
    );
  });

  test("an access point in another region than the bucket is refused", () => {
    const arn = "arn:aws:s3:eu-west-1:222222222222:accesspoint/orders-reader";
    const error = configError({ ...base, ACCESS_POINT_ARN: arn });
    expect(error.variable).toBe("ACCESS_POINT_ARN");
    expect(error.value).toBe(arn);
    expect(error.message).toBe(
      `Invalid configuration: ACCESS_POINT_ARN is in region "eu-west-1", not the bucket's region "${REGION}" ` +
        `(BUCKET_REGION); an access point is in the region of its bucket (got "${arn}")`,
    );
  });

  test("path-style addressing is refused with an access point", () => {
    const error = configError({ ...base, ACCESS_POINT_ARN, S3_FORCE_PATH_STYLE: "true" });
    expect(error.variable).toBe("ACCESS_POINT_ARN");
    expect(error.value).toBe(ACCESS_POINT_ARN);
    expect(error.message).toBe(
      "Invalid configuration: ACCESS_POINT_ARN cannot be used with S3_FORCE_PATH_STYLE=true: the SDK sends requests " +
        "through an access point to the access point's own host name, which path-style addressing cannot express; " +
        `unset one of the two (got "${ACCESS_POINT_ARN}")`,
    );
    // Path style alone stays valid, for the local emulator.
    expect(loadConfig({ ...base, S3_FORCE_PATH_STYLE: "true" }).forcePathStyle).toBe(true);
  });

  test("every access point problem is listed with the others", () => {
    const arn = "arn:aws:s3:us-east-1:222222222222:accesspoint/orders-reader";
    const error = configError({
      ...base,
      BUCKET_NAME: "My_Bucket",
      ACCESS_POINT_ARN: arn,
      S3_FORCE_PATH_STYLE: "true",
    });
    expect(error.problems.map((p) => [p.variable, p.value])).toEqual([
      ["BUCKET_NAME", "My_Bucket"],
      ["ACCESS_POINT_ARN", arn],
      ["ACCESS_POINT_ARN", arn],
    ]);
    expect(error.problems[1].message).toContain('is in region "us-east-1", not the bucket\'s region');
    expect(error.problems[2].message).toContain("cannot be used with S3_FORCE_PATH_STYLE=true");
  });

  test("a malformed ARN with path style reports both, and no region comparison", () => {
    const error = configError({ ...base, ACCESS_POINT_ARN: "orders-reader", S3_FORCE_PATH_STYLE: "true" });
    expect(error.problems.map((p) => p.message)).toEqual([
      expect.stringContaining("ACCESS_POINT_ARN is not an S3 access point ARN"),
      expect.stringContaining("ACCESS_POINT_ARN cannot be used with S3_FORCE_PATH_STYLE=true"),
    ]);
  });

  test("with an invalid bucket region only the region is reported", () => {
    const error = configError({ ...base, BUCKET_REGION: "Frankfurt", ACCESS_POINT_ARN });
    expect(error.problems.map((p) => p.variable)).toEqual(["BUCKET_REGION"]);
  });
});

describe("roleSessionNameFrom", () => {
  test.each([
    ["consumer-fn", "consumer-fn"],
    ["fn with spaces/and:colons", "fn-with-spaces-and-colons"],
    ["a".repeat(80), "a".repeat(64)],
    [undefined, DEFAULT_ROLE_SESSION_NAME],
    ["", DEFAULT_ROLE_SESSION_NAME],
    ["x", DEFAULT_ROLE_SESSION_NAME],
    ["user+tag=v,1.2@host_name-x", "user+tag=v,1.2@host_name-x"],
  ])("%s -> %s", (input, expected) => {
    expect(roleSessionNameFrom(input)).toBe(expected);
  });
});
