/** Public entry point of the modules: import from here in another CDKTF app. */
export * from "./actions";
export * from "./bucket-key";
export * from "./cross-account-s3-access";
export * from "./grant";
export * from "./lambda-consumer";
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
