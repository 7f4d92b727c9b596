/**
 * Replaces @aws-sdk/credential-provider-node in the bundle (scripts/build-lambda.mjs aliases it here). The Lambda
 * runtime gives the function its execution role's credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN, the first link of the SDK's default chain; the chain's other links (shared config files, SSO,
 * login, credential processes, web identity, container and instance metadata) never apply there and stay out of the
 * bundle. The S3 client's default credentials, and the STS client's in assume-role mode, come from this provider.
 */
import { fromEnv } from "@aws-sdk/credential-providers";

/** The environment provider, in the place of the SDK's default chain. */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]): ReturnType<typeof fromEnv> => fromEnv(init);
