import { Testing } from "cdktf";

// Adds the cdktf matchers (toHaveResourceWithProperties, toHaveProviderWithProperties, toBeValidTerraform, ...).
Testing.setupJest();
