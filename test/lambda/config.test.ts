import { DEFAULT_ROLE_SESSION_NAME, loadConfig, roleSessionNameFrom } from "../../lambda/src/config";
import { ConfigurationError, HandlerError } from "../../lambda/src/errors";
import { BUCKET, REGION, ROLE_ARN } from "./helpers";

const base = { BUCKET_NAME: BUCKET, BUCKET_REGION: REGION, ACCESS_MODE: "bucket-policy" };

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
    });
  });

  test("assume-role mode with ExternalId and function name", () => {
    expect(
      loadConfig({
        ...base,
        ACCESS_MODE: "assume-role",
        S3_ACCESS_ROLE_ARN: ROLE_ARN,
        EXTERNAL_ID: "ext-1234",
        AWS_LAMBDA_FUNCTION_NAME: "consumer-fn",
        S3_FORCE_PATH_STYLE: "true",
      }),
    ).toStrictEqual({
      accessMode: "assume-role",
      bucketName: BUCKET,
      bucketRegion: REGION,
      forcePathStyle: true,
      roleArn: ROLE_ARN,
      externalId: "ext-1234",
      roleSessionName: "consumer-fn",
    });
  });

  test("assume-role mode without ExternalId or function name", () => {
    const config = loadConfig({ ...base, ACCESS_MODE: "assume-role", S3_ACCESS_ROLE_ARN: ROLE_ARN, EXTERNAL_ID: "" });
    expect(config).toStrictEqual({
      accessMode: "assume-role",
      bucketName: BUCKET,
      bucketRegion: REGION,
      forcePathStyle: false,
      roleArn: ROLE_ARN,
      roleSessionName: DEFAULT_ROLE_SESSION_NAME,
    });
  });

  test.each([
    "arn:aws:iam::222222222222:role/s3-access",
    "arn:aws:iam::222222222222:role/service-role/team/s3+access=,.@_-",
    "arn:aws-us-gov:iam::222222222222:role/r1",
    "arn:aws-cn:iam::222222222222:role/r1",
  ])("accepts role ARN %s", (arn) => {
    expect(loadConfig({ ...base, ACCESS_MODE: "assume-role", S3_ACCESS_ROLE_ARN: arn })).toMatchObject({ roleArn: arn });
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
    const error = configError({ ...base, ACCESS_MODE: "assume-role", S3_ACCESS_ROLE_ARN: ROLE_ARN, EXTERNAL_ID: "a b" });
    expect(error.variable).toBe("EXTERNAL_ID");
    expect(error.message).toContain('EXTERNAL_ID is not a valid ExternalId');
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
    const error = configError({ ACCESS_MODE: "assume-role", BUCKET_REGION: REGION });
    expect(error.problems.map((p) => p.variable)).toEqual(["BUCKET_NAME", "S3_ACCESS_ROLE_ARN"]);
    expect(error.message).toContain("BUCKET_NAME is required (got undefined); S3_ACCESS_ROLE_ARN is required");
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
