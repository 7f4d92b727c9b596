/** The CDKTF app: one stack per environment (`cdktf synth`, `cdktf deploy <environment>`). */
import { join } from "node:path";
import { App } from "cdktf";
import { selectEnvironments, validateEnvironments } from "./stacks/config";
import { CrossAccountStack } from "./stacks/cross-account-stack";
import { environments } from "./stacks/environments";

const app = new App();
const valid = validateEnvironments(environments);
for (const name of selectEnvironments(Object.keys(valid), process.env.ENVIRONMENTS)) {
  new CrossAccountStack(app, name, environments[name], { bundleDir: join(__dirname, "lambda", "dist") });
}
app.synth();
