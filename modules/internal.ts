/**
 * Everything of the library, for this repository's own app, scripts and tests. Not part of the package's public
 * surface (see index.ts): its names may change at any time.
 */
export * from "./actions";
export * from "./bucket-key";
export * from "./cross-account-s3-access";
export * from "./grant";
export * from "./lambda-grantee";
export * from "./policy-document";
export * from "./s3-access-role";
export * from "./schema";
export * from "./secure-bucket";
export * from "./rules";
export * from "./policy-budget";
export * from "./existing-resources";
export * from "./bucket-side";
export * from "./lambda-half";
export * from "./shared-bucket";
export * from "./upload-encryption";
export * from "./compatibility";
export * from "./contract";
export * from "./default-handler";
export * from "./rules/config-source";
export * from "./rules/deny-match";
export * from "./schemas";
export * from "./errors";
export * from "./regions";
export * from "./lambda-settings";
export * from "./access-point-choice";
export * from "./validate";
export * from "./bucket-settings";
export * from "./alarm-settings";
export * from "./resolve-alarms";
export * from "./lambda-alarms";
export * from "./bucket-alarms";
export * from "./deploy-permissions";
export * from "./access-logging";
export * from "./access-log-bucket";
export * from "./bucket-lifecycle";
export * from "./rules/bucket-hygiene-rules";
