/**
 * Suites that need an external tool run wherever it is installed. In CI a missing tool fails the run; elsewhere the
 * suite is skipped with a message naming the tool and how to install it.
 */
import { findOnPath } from "../../scripts/lib/toolchain";

export function requireTool(name: string, howToInstall: string): string | undefined {
  const found = findOnPath(name);
  if (found) return found;
  const message = `${name} is not on PATH: ${howToInstall}`;
  if (process.env.CI) throw new Error(`${message} (CI must run this suite)`);
  console.warn(`Skipping this suite: ${message}`);
  return undefined;
}
