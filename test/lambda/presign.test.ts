/**
 * presign-get / presign-put: URLs signed locally with the credentials of the mode in use (no S3 call), valid for at
 * most PRESIGN_MAX_EXPIRES_SECONDS and never longer than those credentials live.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import type { HandlerConfig } from "../../lambda/src/config";
import { AccessDeniedError, HandlerError, POLICIES_TO_CHECK } from "../../lambda/src/errors";
import { createHandler, type PresignResult } from "../../lambda/src/handler";
import { createS3Client } from "../../lambda/src/s3-client";
import { assumeRoleConfig, BUCKET, bucketPolicyConfig, memoryLogger, REGION, ROLE_ARN } from "./helpers";

/** 2030-01-01T00:00:00.400Z: URLs are signed at the whole second before. */
const NOW = Date.UTC(2030, 0, 1, 0, 0, 0, 400);
const SIGNED_AT = Date.UTC(2030, 0, 1);

type Credentials = Awaited<ReturnType<S3Client["config"]["credentials"]>>;

let clock: jest.SpyInstance;
beforeEach(() => {
  clock = jest.spyOn(Date, "now").mockReturnValue(NOW);
});
afterEach(() => clock.mockRestore());

function setup(
  credentials: Credentials | (() => Promise<Credentials>) = { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
  config: HandlerConfig = bucketPolicyConfig,
) {
  const s3 = new S3Client({ region: REGION, credentials });
  const s3Mock = mockClient(s3);
  const logger = memoryLogger();
  return { s3Mock, logger, handler: createHandler(config, { s3, logger }) };
}

const query = (url: string) => Object.fromEntries(new URL(url).searchParams);

test("presign-get signs a GET of the key for 15 minutes by default, without calling S3", async () => {
  const { s3Mock, handler, logger } = setup();

  const result = (await handler(
    { operation: "presign-get", key: "reference/a b.txt" },
    { awsRequestId: "r1" },
  )) as PresignResult;

  expect(result).toStrictEqual({
    operation: "presign-get",
    bucket: BUCKET,
    key: "reference/a b.txt",
    method: "GET",
    url: expect.any(String),
    expiresIn: 900,
    expiresAt: "2030-01-01T00:15:00.000Z",
  });
  const url = new URL(result.url);
  expect(`${url.protocol}//${url.host}${url.pathname}`).toBe(
    `https://${BUCKET}.s3.${REGION}.amazonaws.com/reference/a%20b.txt`,
  );
  expect(query(result.url)).toMatchObject({
    "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
    "X-Amz-Credential": `AKIDTEST/20300101/${REGION}/s3/aws4_request`,
    "X-Amz-Date": "20300101T000000Z",
    "X-Amz-Expires": "900",
    "X-Amz-SignedHeaders": "host",
    "X-Amz-Signature": expect.stringMatching(/^[0-9a-f]{64}$/),
    "x-id": "GetObject",
  });
  expect(s3Mock.calls()).toHaveLength(0);
  expect(logger.parsed()).toEqual([
    {
      requestId: "r1",
      operation: "presign-get",
      bucket: BUCKET,
      key: "reference/a b.txt",
      accessMode: "bucket-policy",
      outcome: "success",
      durationMs: expect.any(Number),
      expiresIn: 900,
      requestedExpiresIn: 900,
    },
  ]);
  // The URL is a bearer token for the object: it never goes to the logs.
  expect(logger.lines[0].line).not.toContain("X-Amz-Signature");
});

test("presign-put signs a PUT without a checksum of an empty body that the upload would then fail", async () => {
  // The client the handler builds, with the Lambda role's credentials from the environment.
  const handler = createHandler(bucketPolicyConfig, { s3: createS3Client(bucketPolicyConfig), logger: memoryLogger() });
  const saved = process.env;
  process.env = {
    AWS_ACCESS_KEY_ID: "AKIDENV",
    AWS_SECRET_ACCESS_KEY: "secret",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
  try {
    const result = (await handler({ operation: "presign-put", key: "uploads/in.csv", expiresIn: 60 })) as PresignResult;

    expect(result).toMatchObject({ method: "PUT", expiresIn: 60, expiresAt: "2030-01-01T00:01:00.000Z" });
    const params = query(result.url);
    expect(params).toMatchObject({
      "X-Amz-Credential": `AKIDENV/20300101/${REGION}/s3/aws4_request`,
      "X-Amz-Expires": "60",
      "X-Amz-SignedHeaders": "host",
      "x-id": "PutObject",
    });
    expect(Object.keys(params).filter((k) => k.toLowerCase().includes("checksum"))).toEqual([]);
  } finally {
    process.env = saved;
  }
});

test("the lifetime is capped at PRESIGN_MAX_EXPIRES_SECONDS", async () => {
  const { handler, logger } = setup(undefined, { ...bucketPolicyConfig, presignMaxExpiresSeconds: 3600 });

  const result = (await handler({ operation: "presign-get", key: "incoming/a", expiresIn: 604800 })) as PresignResult;

  expect(result.expiresIn).toBe(3600);
  expect(query(result.url)["X-Amz-Expires"]).toBe("3600");
  expect(logger.parsed()[0]).toMatchObject({ expiresIn: 3600, requestedExpiresIn: 604800 });
});

test("in assume-role mode the URL carries the session's credentials and dies no later than the session", async () => {
  const session = {
    accessKeyId: "ASIASESSION",
    secretAccessKey: "session-secret",
    sessionToken: "session-token",
    // 10 minutes and 0.6 s after the signing second.
    expiration: new Date(SIGNED_AT + 600_600),
  };
  const { handler } = setup(() => Promise.resolve(session), { ...assumeRoleConfig, presignMaxExpiresSeconds: 604800 });

  const result = (await handler({ operation: "presign-put", key: "uploads/a", expiresIn: 86400 })) as PresignResult;

  expect(result.expiresIn).toBe(600);
  expect(result.expiresAt).toBe("2030-01-01T00:10:00.000Z");
  expect(new Date(result.expiresAt).getTime()).toBeLessThanOrEqual(session.expiration.getTime());
  expect(query(result.url)).toMatchObject({
    "X-Amz-Credential": `ASIASESSION/20300101/${REGION}/s3/aws4_request`,
    "X-Amz-Security-Token": "session-token",
    "X-Amz-Expires": "600",
  });
});

test("credentials too close to their end to sign anything are an error, not a dead URL", async () => {
  const { handler } = setup(() =>
    Promise.resolve({
      accessKeyId: "ASIASESSION",
      secretAccessKey: "s",
      sessionToken: "t",
      expiration: new Date(SIGNED_AT + 900),
    }),
  );

  const error = (await handler({ operation: "presign-get", key: "incoming/a" }).catch((e: unknown) => e)) as Error;

  expect(error).toBeInstanceOf(HandlerError);
  expect(error.message).toBe(
    `presign-get on s3://${BUCKET}/incoming/a: the signing credentials expire at 2030-01-01T00:00:00.900Z, too soon to sign a URL`,
  );
});

test("a refused AssumeRole surfaces as an AccessDeniedError naming the assume-role policies", async () => {
  const refusal = Object.assign(new Error(`not authorized to perform: sts:AssumeRole on resource: ${ROLE_ARN}`), {
    name: "AccessDenied",
    $metadata: { httpStatusCode: 403 },
  });
  const { handler } = setup(async () => Promise.reject(refusal), assumeRoleConfig);

  const error = (await handler({ operation: "presign-get", key: "incoming/a" }).catch((e: unknown) => e)) as Error;

  expect(error).toBeInstanceOf(AccessDeniedError);
  expect(error.cause).toBe(refusal);
  expect(error.message).toContain(`presign-get on s3://${BUCKET}/incoming/a in assume-role mode via role ${ROLE_ARN}`);
  expect(error.message).toContain(POLICIES_TO_CHECK["assume-role"]);
});
