export * from "./aspect";
export * from "./security-rules";
