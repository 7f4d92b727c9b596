/**
 * `presign-get` and `presign-put`: a URL that reads or writes one object without AWS credentials. It is signed with
 * the client's own credentials (in assume-role mode the access role's session) and never claims a longer life than
 * they have, nor than PRESIGN_MAX_EXPIRES_SECONDS.
 */
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { HandlerError, type S3Target } from "../errors";
import type { S3Request } from "../event";
import { resultLocation, type Outcome } from "../results";
import { callAws, type OperationContext } from "./context";

export type PresignRequest = Extract<S3Request, { operation: "presign-get" | "presign-put" }>;

/**
 * Seconds the URL may live from `signedAt`: what the event asks, within PRESIGN_MAX_EXPIRES_SECONDS and within the
 * life left to the signing credentials. Throws when they expire too soon to sign anything.
 */
function urlLifetime(
  ctx: OperationContext,
  request: PresignRequest,
  credentials: { readonly expiration?: Date },
  signedAt: number,
): number {
  const credentialSeconds =
    credentials.expiration === undefined
      ? Number.POSITIVE_INFINITY
      : Math.floor((credentials.expiration.getTime() - signedAt) / 1000);
  // A URL works only while the credentials that signed it do, so it never claims a longer life than theirs.
  const expiresIn = Math.min(request.expiresIn, ctx.config.presignMaxExpiresSeconds, credentialSeconds);
  if (expiresIn < 1) {
    throw new HandlerError(
      `${request.operation} on s3://${ctx.bucket}/${request.key}: the signing credentials expire at ` +
        `${credentials.expiration?.toISOString()}, too soon to sign a URL`,
    );
  }
  return expiresIn;
}

/** Signs a GET or PUT URL for one object. */
export async function presignUrl(ctx: OperationContext, request: PresignRequest): Promise<Outcome> {
  const target: S3Target = { operation: request.operation, bucket: ctx.bucket, key: request.key };
  // The credentials the client signs with (in assume-role mode the access role's session, from the shared cache).
  const credentials = await callAws(ctx, target, () => ctx.s3.config.credentials());
  const signedAt = Math.floor(Date.now() / 1000) * 1000;
  const expiresIn = urlLifetime(ctx, request, credentials, signedAt);
  const get = request.operation === "presign-get";
  const command = get
    ? new GetObjectCommand({ Bucket: ctx.s3Bucket, Key: request.key })
    : new PutObjectCommand({ Bucket: ctx.s3Bucket, Key: request.key });
  const url = await callAws(ctx, target, () =>
    getSignedUrl(ctx.s3, command, { expiresIn, signingDate: new Date(signedAt) }),
  );
  return {
    result: {
      operation: request.operation,
      ...resultLocation(ctx),
      key: request.key,
      method: get ? "GET" : "PUT",
      url,
      expiresIn,
      expiresAt: new Date(signedAt + expiresIn * 1000).toISOString(),
    },
    log: { expiresIn, requestedExpiresIn: request.expiresIn },
  };
}
