/**
 * The app as `cdktf synth` runs it (.gen/main.js, built by scripts/build-app.mjs): a configuration problem is printed
 * as the listed problems alone, exits 1, and writes nothing.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");

beforeAll(() => {
  const built = spawnSync(process.execPath, [join(ROOT, "scripts", "build-app.mjs")], { cwd: ROOT, encoding: "utf8" });
  expect(built.status).toBe(0);
});

test("an unknown environment is refused with its problem alone, exit 1 and no cdktf.out", () => {
  const dir = mkdtempSync(join(tmpdir(), "cas-main-"));
  const outdir = join(dir, "cdktf.out");
  try {
    const run = spawnSync(process.execPath, [join(ROOT, ".gen", "main.js")], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, ENVIRONMENTS: "local,qa", CDKTF_OUTDIR: outdir },
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      'ENVIRONMENTS "qa" is not a known environment (local, local-assume-role, local-split, local-split-queue, dev, staging, analytics, prod, local-shared, local-shared-ap, platform)',
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(outdir)).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
