/** The CDKTF app: one stack per environment (`cdktf synth`, `cdktf deploy <environment>`). */
import { basename, join, resolve } from "node:path";
import { App } from "cdktf";
import { ConfigurationError } from "./modules";
import { selectEnvironments, validateApp } from "./stacks/config";
import { environmentStacks } from "./stacks/cross-account-stack";
import { environments, sharedEnvironments } from "./stacks/environments";
import { sharedEnvironmentStacks } from "./stacks/shared-bucket-stack";

// Run as main.ts, or compiled to .gen/main.js by scripts/build-app.mjs.
const projectRoot = basename(__dirname) === ".gen" ? resolve(__dirname, "..") : __dirname;

function synth(): void {
  // Validate everything before the App exists: bad config must not leave a half-written cdktf.out behind.
  const { names } = validateApp(environments, sharedEnvironments);
  const selected = selectEnvironments(names, process.env.ENVIRONMENTS);
  const app = new App();
  const options = { bundleDir: join(projectRoot, "lambda", "dist"), codeArchive: join(projectRoot, "lambda", "function.zip") };
  for (const name of selected) {
    if (name in sharedEnvironments) sharedEnvironmentStacks(app, name, sharedEnvironments[name], options);
    else environmentStacks(app, name, environments[name], options);
  }
  app.synth();

  // Suppressed security rules show in the synth output with their reasons (violations fail synth above).
  for (const construct of app.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type === "@cdktf/warn") console.warn(`warning [${construct.node.path}] ${String(entry.data)}`);
    }
  }
}

try {
  synth();
} catch (error) {
  // A configuration problem is the user's to fix: say what it is, without a stack trace of this program.
  if (!(error instanceof ConfigurationError)) throw error;
  console.error(error.message);
  process.exit(1);
}
