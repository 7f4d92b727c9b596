/**
 * cross-account-s3-lambda/proof: proves, before anything is deployed, that a synthesized app's policies allow exactly
 * what each of its grants declares, and deny the matrix of requests around it. Reads any app's cdktf output (or stacks
 * in memory); needs the IAM policy simulator, an optional peer dependency (see SIMULATOR_PACKAGES).
 */
export { loadSynthesized, synthesizedFromConstructs, recordsOf, ProofInputError } from "./load";
export type { SynthesizedStack, StackJson, SynthResource } from "./load";
export { proveSynthesized, driftBetween } from "./prove";
export type { GrantProof, ProofReport, ProveOptions } from "./prove";
export { ModelError, KEY_ID_STAND_IN } from "./model";
export type { AccessModel, ModelRole, ModelAccessPoint, ModelOptions } from "./model";
export { SimulatorMissingError, SimulationError, SIMULATOR_PACKAGES } from "./simulate";
export type { ProofRequest, ProofResult, Verdict, Expected } from "./simulate";
export { proofTable, grantTable, reportJson, REPORT_VERSION } from "./report";
export type { ReportJson, ReportedRequest } from "./report";
export { GRANT_RECORD_KEY, GRANT_RECORD_VERSION } from "../record/grant-record";
export type { GrantRecord, GrantRecords } from "../record/grant-record";
