import { Testing } from "cdktf";

// Adds the cdktf matchers (toHaveResourceWithProperties, toHaveProviderWithProperties, toBeValidTerraform, ...).
Testing.setupJest();

// The deployed runtime is nodejs22.x; the AWS SDK would warn that this machine's Node is older.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
