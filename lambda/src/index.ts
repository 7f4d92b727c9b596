/**
 * Lambda entry point. Everything here runs once per container, in the init phase: the configuration is read and
 * validated (a bad variable fails the init with a ConfigurationError), and the S3 client, with the assume-role
 * credentials provider in assume-role mode, is built once and shared by every invocation.
 */
import { loadConfig } from "./config";
import { createHandler } from "./handler";
import { createS3Client } from "./s3-client";

const config = loadConfig(process.env);
const s3 = createS3Client(config);

export const handler = createHandler(config, { s3 });
