/**
 * The package's public surface: every name "cross-account-s3-lambda" exports is a promise to keep, so the list is
 * spelled out here and a change to it is a deliberate one. Its declarations must compile in an app without
 * esModuleInterop and with skipLibCheck off: they reach cdktf, constructs and the provider's submodules only, never
 * the validation library the constructs use inside (whose own declarations need esModuleInterop).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import ts from "typescript";

const ROOT = join(__dirname, "..", "..");

/** Every name modules/index.ts exports, values and types, sorted. */
function exportedNames(): string[] {
  const file = join(ROOT, "modules", "index.ts");
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const names: string[] = [];
  source.forEachChild((node) => {
    if (ts.isExportDeclaration(node) && node.exportClause && ts.isNamedExports(node.exportClause)) {
      for (const element of node.exportClause.elements) names.push(element.name.text);
    }
    if (ts.isExportDeclaration(node) && !node.exportClause)
      throw new Error("modules/index.ts has an `export *`: name every export");
  });
  return names.sort();
}

const PUBLIC_NAMES = [
  "ACCESS_DENIED_LOG_LINE",
  "AlarmSettings",
  "BucketAlarms",
  "LambdaAlarms",
  "EVENT_DELIVERIES",
  "EventDeclaration",
  "EventDelivery",
  "EventsPlan",
  "QueueEventsPlan",
  "QueueNotificationEntry",
  "EventPattern",
  "NamedResource",
  "BucketEvents",
  "GrantEventBus",
  "EventDeadLetters",
  "ExistingNotification",
  "NotificationEntry",
  "EventFilter",
  "DEPLOY_ACTIONS_BY_RESOURCE_TYPE",
  "ProviderDeployActions",
  "STATE_BACKEND_ACTIONS",
  "deployActions",
  "ACCESS_MODES",
  "ACCESS_POINT_CHOICES",
  "ACCESS_PRESETS",
  "AWS_PROVIDER_VERSION",
  "AccessMode",
  "AccessPointChoice",
  "AccessPreset",
  "BucketAccountGrant",
  "BucketAccountGrantProps",
  "BucketAccountHalf",
  "BucketKey",
  "BucketKeyProps",
  "BucketSettings",
  "ConfigurationError",
  "CrossAccountS3Access",
  "CrossAccountS3Error",
  "CrossAccountS3AccessProps",
  "ExistingResources",
  "GrantContext",
  "GrantDeclaration",
  "GrantPlan",
  "GrantedPrefix",
  "GranteeDeclaration",
  "HANDLER_ENVIRONMENT",
  "LAMBDA_ARCHITECTURES",
  "LambdaAccountGrant",
  "LambdaAccountGrantProps",
  "LambdaAccountHalf",
  "LambdaArchitecture",
  "LambdaCode",
  "LambdaGrantee",
  "LambdaGranteeProps",
  "LambdaSettings",
  "LambdaAccountOptions",
  "MIN_SUPPRESSION_REASON",
  "POLICY_LIMITS",
  "PRINCIPAL_STYLES",
  "Partition",
  "PlannedGrantee",
  "PolicyDocument",
  "PolicyMeasure",
  "PolicyStatement",
  "PrefixGrant",
  "PrincipalStyle",
  "REGIONS",
  "RuleViolation",
  "S3AccessRole",
  "S3AccessRoleProps",
  "SECURITY_RULES",
  "SecureBucket",
  "SecureBucketProps",
  "SecurityRule",
  "SecurityRules",
  "SecurityRulesOptions",
  "SharedBucketAccess",
  "SharedBucketAccessProps",
  "SharedBucketDeclaration",
  "SharedLambdaAccountGrant",
  "SharedLambdaAccountGrantProps",
  "SharedBucketAccountGrants",
  "SharedBucketAccountGrantsProps",
  "SharedBucketPlan",
  "defaultHandlerCode",
  "planGrant",
  "planSharedBucket",
  "suppressRules",
  "AccessLogBucket",
  "AccessLogBucketProps",
  "AccessLoggingSettings",
  "BucketLifecycleSettings",
];

test("the public surface is exactly the names chosen for it", () => {
  expect(exportedNames()).toEqual([...PUBLIC_NAMES].sort());
});

test("the package runs nothing at install: no install, prepare or lifecycle script a team's npm would flag", () => {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  const atInstall = ["preinstall", "install", "postinstall", "prepare", "preprepare", "postprepare"];
  expect(Object.keys(scripts).filter((name) => atInstall.includes(name))).toEqual([]);
  expect(scripts.prepack).toBe("npm run build");
});

test("the names that are values load, and nothing else does", () => {
  const loaded = Object.keys(require("../../modules") as Record<string, unknown>).sort();
  expect(loaded.every((name) => PUBLIC_NAMES.includes(name))).toBe(true);
  expect(loaded).toContain("CrossAccountS3Access");
});

describe("the package as built", () => {
  // Inside the repository (in its ignored .tmp/), so the build resolves the repository's node_modules. Emitted without
  // the type check (the same files, byte for byte): `npm run build` checks the types under these flags, and the package
  // suite runs it through `npm pack`; here only what is emitted is read.
  mkdirSync(join(ROOT, ".tmp"), { recursive: true });
  const out = mkdtempSync(join(ROOT, ".tmp", "dist-"));
  beforeAll(() => {
    execFileSync(
      process.execPath,
      [require.resolve("typescript/bin/tsc"), "-p", join(ROOT, "tsconfig.build.json"), "--outDir", out, "--noCheck"],
      { cwd: ROOT, stdio: "pipe" },
    );
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  test("loading the root entry does not load the validation library: it loads on the first validation", () => {
    const probe = `require(${JSON.stringify(join(out, "index.js"))}); console.log(JSON.stringify(Object.keys(require.cache).filter((f) => f.includes("/node_modules/zod/")).length))`;
    expect(execFileSync(process.execPath, ["-e", probe], { cwd: ROOT, encoding: "utf8" }).trim()).toBe("0");
  });

  test("the declarations reach cdktf, constructs and provider submodules only", () => {
    const packages = new Set<string>();
    const seen = new Set<string>();
    const todo = [join(out, "index.d.ts")];
    while (todo.length > 0) {
      const file = todo.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const { fileName } of ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles) {
        if (!fileName.startsWith("."))
          packages.add(
            fileName
              .split("/")
              .slice(0, fileName.startsWith("@") ? 2 : 1)
              .join("/"),
          );
        else if (existsSync(join(dirname(file), `${fileName}.d.ts`)))
          todo.push(join(dirname(file), `${fileName}.d.ts`));
        else if (existsSync(join(dirname(file), fileName, "index.d.ts")))
          todo.push(join(dirname(file), fileName, "index.d.ts"));
      }
    }
    expect([...packages].sort()).toEqual(["@cdktf/provider-aws", "cdktf", "constructs"]);
  });
});
