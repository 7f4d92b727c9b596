import { Testing } from "cdktf";

// Adds the cdktf matchers (toHaveResourceWithProperties, toHaveProviderWithProperties, toBeValidTerraform, ...).
Testing.setupJest();

// The deployed runtime is nodejs22.x; the AWS SDK would warn that this machine's Node is older.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

// cdktf records where each token was made: every Intrinsic, Lazy and dynamic expression captures a stack trace of every
// frame, on a plain object, and keeps it only to print should the token fail to resolve. Jest formats every trace in a
// test through its source maps, frame by frame, and a synthesized stack makes thousands of tokens: that was a fifth of
// the quick suites' CPU. Traces of errors are still mapped; a trace captured on anything else is written as V8 writes
// it unmapped (the frames' own text), which is what cdktf prints outside Jest.
const mapStackTrace = Error.prepareStackTrace?.bind(Error);
/** A frame as V8 writes it: its CallSite's own toString, which Node's types do not declare. */
const frameText = (frame: NodeJS.CallSite): string => (frame as unknown as { toString(): string }).toString();
if (mapStackTrace)
  Error.prepareStackTrace = (target: unknown, frames: NodeJS.CallSite[]): unknown =>
    target instanceof Error
      ? mapStackTrace(target, frames)
      : [String(target), ...frames.map((frame) => `    at ${frameText(frame)}`)].join("\n");
