/**
 * The entry module: configuration and S3 client (with the assume-role credentials provider) are built once per
 * container, at module load, and reused by every invocation. Each test loads a fresh copy of the module.
 */
import type { GetObjectCommand as GetObjectCommandType, S3Client as S3ClientType } from "@aws-sdk/client-s3";
import { mockClient, type AwsClientStub } from "aws-sdk-client-mock";
import type { Handler } from "../../lambda/src/handler";
import { ACCESS_POINT_ARN, BUCKET, FUNCTION_REGION, GRANTED_PREFIXES, objectBody, REGION, ROLE_ARN } from "./helpers";

const mockCredentials = { accessKeyId: "ASIAFAKE", secretAccessKey: "fake-secret", sessionToken: "fake-token" };

jest.mock("@aws-sdk/credential-providers", () => ({
  fromTemporaryCredentials: jest.fn(() => () => Promise.resolve(mockCredentials)),
}));

interface Loaded {
  handler: Handler;
  s3Mock: AwsClientStub<S3ClientType>;
  GetObjectCommand: typeof GetObjectCommandType;
  fromTemporaryCredentials: jest.Mock<unknown, [unknown]>;
}

const savedEnv = process.env;

/** Loads lambda/src/index.ts in a fresh module registry with `env`, S3 mocked at the class of that registry. */
function loadIndex(env: NodeJS.ProcessEnv): Loaded {
  process.env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env };
  let loaded: Loaded | undefined;
  jest.isolateModules(() => {
    const s3Module = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
    const providers = require("@aws-sdk/credential-providers") as {
      fromTemporaryCredentials: jest.Mock<unknown, [unknown]>;
    };
    const s3Mock = mockClient(s3Module.S3Client);
    const { handler } = require("../../lambda/src/index") as { handler: Handler };
    loaded = {
      handler,
      s3Mock,
      GetObjectCommand: s3Module.GetObjectCommand,
      fromTemporaryCredentials: providers.fromTemporaryCredentials,
    };
  });
  return loaded!;
}

let current: Loaded | undefined;
let logSpy: jest.SpyInstance;

beforeEach(() => {
  // The handler writes its log lines to stdout as they are (see lambda/src/log.ts).
  logSpy = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
});

afterEach(() => {
  current?.s3Mock.restore();
  current = undefined;
  process.env = savedEnv;
  logSpy.mockRestore();
});

const baseEnv = {
  BUCKET_NAME: BUCKET,
  BUCKET_REGION: REGION,
  GRANTED_PREFIXES,
  AWS_LAMBDA_FUNCTION_NAME: "consumer-fn",
  AWS_REGION: FUNCTION_REGION,
};

test("assume-role mode creates one credentials provider and one client for many invocations", async () => {
  current = loadIndex({
    ...baseEnv,
    ACCESS_MODE: "assume-role",
    S3_ACCESS_ROLE_ARN: ROLE_ARN,
    EXTERNAL_ID: "ext-1234",
    S3_FORCE_PATH_STYLE: "true",
  });
  const { handler, s3Mock, GetObjectCommand, fromTemporaryCredentials } = current;
  s3Mock.on(GetObjectCommand).callsFake(() => Promise.resolve({ Body: objectBody("x") }));

  for (let i = 0; i < 5; i++) {
    await expect(handler({ operation: "get", key: `incoming/k${i}` })).resolves.toMatchObject({
      bucket: BUCKET,
      body: "x",
    });
  }

  // Session name = the function's name; STS in the function's own region (AWS_REGION), with adaptive retries.
  expect(fromTemporaryCredentials).toHaveBeenCalledTimes(1);
  expect(fromTemporaryCredentials).toHaveBeenCalledWith({
    params: { RoleArn: ROLE_ARN, RoleSessionName: "consumer-fn", ExternalId: "ext-1234" },
    clientConfig: { region: FUNCTION_REGION, retryMode: "adaptive" },
  });

  // Every call went through the same client, configured with the assumed-role credentials and the bucket region.
  const clients = new Set(s3Mock.calls().map((call) => call.thisValue as S3ClientType));
  expect(clients.size).toBe(1);
  const [client] = [...clients];
  expect(await client.config.region()).toBe(REGION);
  expect(client.config.forcePathStyle).toBe(true);
  expect(await client.config.credentials()).toMatchObject(mockCredentials);
  // Throttling (SlowDown, 503) is retried with backoff and a client-side rate limit.
  expect(client.config.retryMode).toBe("adaptive");
  expect((await client.config.retryStrategy()).constructor.name).toBe("AdaptiveRetryStrategy");
  // Checksums only where the handler names them (uploads: SHA-256), so presigned PUT URLs carry none.
  expect(await client.config.requestChecksumCalculation()).toBe("WHEN_REQUIRED");
});

test("assume-role mode without EXTERNAL_ID sends no ExternalId", () => {
  current = loadIndex({ ...baseEnv, ACCESS_MODE: "assume-role", S3_ACCESS_ROLE_ARN: ROLE_ARN });

  expect(current.fromTemporaryCredentials).toHaveBeenCalledTimes(1);
  expect(current.fromTemporaryCredentials.mock.calls[0][0]).toStrictEqual({
    params: { RoleArn: ROLE_ARN, RoleSessionName: "consumer-fn" },
    clientConfig: { region: FUNCTION_REGION, retryMode: "adaptive" },
  });
});

test("bucket-policy mode uses the Lambda role's own credentials", async () => {
  current = loadIndex({
    ...baseEnv,
    ACCESS_MODE: "bucket-policy",
    AWS_ACCESS_KEY_ID: "AKIALAMBDAROLE",
    AWS_SECRET_ACCESS_KEY: "lambda-secret",
    AWS_SESSION_TOKEN: "lambda-token",
  });
  const { handler, s3Mock, GetObjectCommand, fromTemporaryCredentials } = current;
  s3Mock.on(GetObjectCommand).callsFake(() => Promise.resolve({ Body: objectBody("x") }));

  await handler({ operation: "get", key: "incoming/a" });
  await handler({ operation: "get", key: "reference/b" });

  expect(fromTemporaryCredentials).not.toHaveBeenCalled();
  const client = s3Mock.call(0).thisValue as S3ClientType;
  expect(s3Mock.call(1).thisValue).toBe(client);
  expect(await client.config.credentials()).toMatchObject({ accessKeyId: "AKIALAMBDAROLE" });
  expect(client.config.forcePathStyle).toBe(false);
  expect(client.config.retryMode).toBe("adaptive");
});

test("ACCESS_POINT_ARN from the environment is the Bucket of the requests the function sends", async () => {
  current = loadIndex({ ...baseEnv, ACCESS_MODE: "assume-role", S3_ACCESS_ROLE_ARN: ROLE_ARN, ACCESS_POINT_ARN });
  const { handler, s3Mock, GetObjectCommand } = current;
  s3Mock.on(GetObjectCommand).callsFake(() => Promise.resolve({ Body: objectBody("x") }));

  await expect(handler({ operation: "get", key: "incoming/a" })).resolves.toMatchObject({
    bucket: BUCKET,
    accessPoint: ACCESS_POINT_ARN,
  });

  expect(s3Mock.commandCalls(GetObjectCommand)[0].args[0].input).toStrictEqual({
    Bucket: ACCESS_POINT_ARN,
    Key: "incoming/a",
  });
  const client = s3Mock.call(0).thisValue as S3ClientType;
  expect(await client.config.region()).toBe(REGION);
  expect(client.config.forcePathStyle).toBe(false);
});

test("an access point with path-style addressing fails the module load", () => {
  expect(() =>
    loadIndex({ ...baseEnv, ACCESS_MODE: "bucket-policy", ACCESS_POINT_ARN, S3_FORCE_PATH_STYLE: "true" }),
  ).toThrow(
    expect.objectContaining({
      name: "ConfigurationError",
      message: expect.stringContaining("ACCESS_POINT_ARN cannot be used with S3_FORCE_PATH_STYLE=true"),
    }),
  );
});

test("an invalid environment fails the module load with a ConfigurationError", () => {
  expect(() => loadIndex({ ...baseEnv, ACCESS_MODE: "assume-role" })).toThrow(
    expect.objectContaining({
      name: "ConfigurationError",
      message: expect.stringContaining('S3_ACCESS_ROLE_ARN is required when ACCESS_MODE is "assume-role"'),
    }),
  );
});
