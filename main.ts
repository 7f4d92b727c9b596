/** The CDKTF app: one stack per environment (`cdktf synth`, `cdktf deploy <environment>`). */
import { join } from "node:path";
import { App } from "cdktf";
import { selectEnvironments, validateEnvironments } from "./stacks/config";
import { CrossAccountStack } from "./stacks/cross-account-stack";
import { environments } from "./stacks/environments";

// Validate everything before the App exists: bad config must not leave a half-written cdktf.out behind.
const selected = selectEnvironments(Object.keys(validateEnvironments(environments)), process.env.ENVIRONMENTS);
const app = new App();
for (const name of selected) {
  new CrossAccountStack(app, name, environments[name], { bundleDir: join(__dirname, "lambda", "dist") });
}
app.synth();
