/**
 * The handler as the handler's suites drive it: built from a configuration, with a mocked S3 client and a memory
 * logger. Apart from helpers.ts, which suites that mock the SDK's credential providers load before the handler.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import type { HandlerConfig } from "../../lambda/src/config";
import { createHandler, type Handler } from "../../lambda/src/handler";
import { memoryLogger, REGION } from "./helpers";

/** The handler of `config` with a mocked S3 client and a memory logger. */
export function handlerWithMockedS3(config: HandlerConfig) {
  const s3 = new S3Client({ region: REGION, credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" } });
  const s3Mock = mockClient(s3);
  const logger = memoryLogger();
  const handler: Handler = createHandler(config, { s3, logger });
  return { s3Mock, logger, handler };
}

/** Runs the handler and returns what it threw. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the handler to throw");
}
