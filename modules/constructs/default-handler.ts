/**
 * The handler this package ships prebuilt (lambda/src, bundled with the AWS SDK by scripts/build-lambda.mjs into
 * lambda/function.zip): the code a function gets unless the team gives its own.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** The package's own name: the folder holding its package.json is where the prebuilt handler is. */
const PACKAGE_NAME = "cross-account-s3-lambda";

/** The instruction set architectures Lambda runs functions on. */
export const LAMBDA_ARCHITECTURES = ["arm64", "x86_64"] as const;
export type LambdaArchitecture = (typeof LAMBDA_ARCHITECTURES)[number];

/** A function's code: a zip made at build time (`archive`), or a folder zipped at synth (`directory`). */
export type LambdaCode = (
  | {
      /** A .zip file, deployed as it is. */
      readonly archive: string;
      readonly directory?: undefined;
    }
  | {
      /** A folder, zipped at synth. */
      readonly directory: string;
      readonly archive?: undefined;
    }
) & {
  /** The Lambda runtime, e.g. `python3.12`, `nodejs22.x`. */
  readonly runtime: string;
  /** The function's entry point, e.g. `app.handler`. */
  readonly handler: string;
  /** @default ["x86_64"] (Lambda's default) */
  readonly architectures?: readonly LambdaArchitecture[] | undefined;
};

function packageRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === PACKAGE_NAME)
      return dir;
    if (dirname(dir) === dir) throw new Error(`no ${PACKAGE_NAME} package.json above ${__dirname}`);
  }
}

/** The prebuilt handler: Node.js 22 on arm64, `index.handler`, from the package's lambda/function.zip. */
export function defaultHandlerCode(): LambdaCode {
  return {
    archive: join(packageRoot(), "lambda", "function.zip"),
    runtime: "nodejs22.x",
    handler: "index.handler",
    architectures: ["arm64"],
  };
}
