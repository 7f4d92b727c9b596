/**
 * Suites that need an external tool run wherever it is installed. In CI a missing tool fails the run; elsewhere the
 * suite is skipped with a message naming the tool and how to install it.
 */
import { emulatorProblem } from "../../scripts/lib/emulator";
import { findOnPath } from "../../scripts/lib/toolchain";

/** Fails in CI, else warns that the suite is skipped and why. */
function missing(message: string): undefined {
  if (process.env.CI) throw new Error(`${message} (CI must run this suite)`);
  console.warn(`Skipping this suite: ${message}`);
  return undefined;
}

export function requireTool(name: string, howToInstall: string): string | undefined {
  return findOnPath(name) ?? missing(`${name} is not on PATH: ${howToInstall}`);
}

/** `describe` for a suite that deploys into the local emulator with terraform; `describe.skip` (or a CI failure) without them. */
export function describeWithEmulator(): jest.Describe {
  const haveTerraform = requireTool(
    "terraform",
    "install Terraform >= 1.10 (https://developer.hashicorp.com/terraform/install)",
  );
  const emulatorMissing = emulatorProblem();
  if (emulatorMissing) missing(emulatorMissing);
  return haveTerraform && !emulatorMissing ? describe : describe.skip;
}
