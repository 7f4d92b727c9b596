/** The CDKTF app: one stack per environment (`cdktf synth`, `cdktf deploy <environment>`). */
import { basename, join, resolve } from "node:path";
import { App } from "cdktf";
import { selectEnvironments, validateEnvironments } from "./stacks/config";
import { environmentStacks } from "./stacks/cross-account-stack";
import { environments } from "./stacks/environments";

// Run as main.ts, or compiled to .gen/main.js by scripts/build-app.mjs.
const projectRoot = basename(__dirname) === ".gen" ? resolve(__dirname, "..") : __dirname;

// Validate everything before the App exists: bad config must not leave a half-written cdktf.out behind.
const selected = selectEnvironments(Object.keys(validateEnvironments(environments)), process.env.ENVIRONMENTS);
const app = new App();
for (const name of selected) {
  environmentStacks(app, name, environments[name], {
    bundleDir: join(projectRoot, "lambda", "dist"),
    codeArchive: join(projectRoot, "lambda", "function.zip"),
  });
}
app.synth();

// Suppressed security rules show in the synth output with their reasons (violations fail synth above).
for (const construct of app.node.findAll()) {
  for (const entry of construct.node.metadata) {
    if (entry.type === "@cdktf/warn") console.warn(`warning [${construct.node.path}] ${String(entry.data)}`);
  }
}
