/**
 * Everything of the library, for this repository's own app, scripts and tests. Not part of the package's public
 * surface (see index.ts): its names may change at any time.
 */
export * from "./policy/actions";
export * from "./constructs/bucket-key";
export * from "./patterns/cross-account-s3-access";
export * from "./policy/plan-grant";
export * from "./constructs/lambda-grantee";
export * from "./core/policy-document";
export * from "./constructs/s3-access-role";
export * from "./declaration/field-schemas";
export * from "./constructs/secure-bucket";
export * from "./rules";
export * from "./policy/budget";
export * from "./constructs/private/existing-resources";
export * from "./constructs/private/bucket-side";
export * from "./constructs/private/lambda-half";
export * from "./patterns/shared-bucket";
export * from "./policy/upload-encryption";
export * from "./core/compatibility";
export * from "./contract";
export * from "./constructs/default-handler";
export * from "./record/config-source";
export * from "./rules/deny-match";
export * from "./declaration/schemas";
export * from "./core/errors";
export * from "./core/regions";
export * from "./declaration/lambda-settings";
export * from "./declaration/access-point-choice";
export * from "./declaration/validate";
export * from "./declaration/bucket-settings";
export * from "./declaration/alarm-settings";
export * from "./declaration/resolve-alarms";
export * from "./constructs/lambda-alarms";
export * from "./constructs/bucket-alarms";
export * from "./deploy/deploy-permissions";
export * from "./declaration/access-logging";
export * from "./constructs/access-log-bucket";
export * from "./declaration/bucket-lifecycle";
export * from "./rules/bucket-hygiene-rules";
