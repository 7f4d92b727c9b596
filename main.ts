/** The CDKTF app: one stack per environment (`cdktf synth`, `cdktf deploy <environment>`). */
import { App } from "cdktf";
import { selectEnvironments, validateApp } from "./stacks/config";
import { environmentStacks } from "./stacks/cross-account-stack";
import { environments, sharedEnvironments } from "./stacks/environments";
import { sharedEnvironmentStacks } from "./stacks/shared-bucket-stack";

function synth(): void {
  // Validate everything before the App exists: bad config must not leave a half-written cdktf.out behind.
  const { names } = validateApp(environments, sharedEnvironments);
  const selected = selectEnvironments(names, process.env.ENVIRONMENTS);
  const app = new App();
  // Every function gets the prebuilt handler (lambda/function.zip, built by npm run build:lambda).
  const options = {};
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

// A configuration problem thrown here prints as its problems alone, exit 1: what every error of the library does when
// nothing catches it (modules/core/errors.ts), in this app as in a team's own.
synth();
