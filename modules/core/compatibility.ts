/**
 * Refusals that keep the library honest inside someone else's app: one copy of cdktf, and AWS provider bindings of
 * the version the library is proven with. With two copies of cdktf, aspects added through one are never run by the
 * other (cdktf keeps them under a symbol of its own), so security rules would check nothing without a word; with
 * other provider bindings, the stack would pin a provider the library was never validated against.
 */
import { dirname } from "node:path";
import { App, Aspects, TerraformStack, type IAspect, type IConstruct, type TerraformProvider } from "./cdktf";
import { ConfigurationError, showValue } from "./errors";

/** The AWS provider version the bindings this library is built with (@cdktf/provider-aws 20.1.0) were generated for. */
export const AWS_PROVIDER_VERSION = "5.100.0";

const checked = new WeakSet<IConstruct>();

/** Where a loaded cdktf is, for messages: the folder of the package whose App class is `appClass`. */
function cdktfFolderOf(appClass: unknown): string {
  for (const [file, module] of Object.entries(require.cache)) {
    if (file.endsWith("/lib/app.js") && (module?.exports as { App?: unknown } | undefined)?.App === appClass) {
      return dirname(dirname(file));
    }
  }
  return "another copy";
}

/**
 * Refuses a construct tree built with another copy of cdktf than the one this library loads, naming both. Checked
 * once per app.
 */
export function assertOneCdktf(scope: IConstruct, what: string): void {
  const root = scope.node.root;
  if (checked.has(root)) return;
  const foreignApp = App.isApp(root) && !(root instanceof App);
  const foreignStack = scope.node.scopes.some((s) => TerraformStack.isStack(s) && !(s instanceof TerraformStack));
  if (foreignApp || foreignStack) {
    throw new ConfigurationError([
      `${what}: the app's cdktf (${cdktfFolderOf(root.constructor)}) is not the copy cross-account-s3-lambda loads ` +
        `(${cdktfFolderOf(App)}). With two copies, aspects added through one are never run by the other, so the ` +
        "security rules would check nothing. Install cdktf, constructs and @cdktf/provider-aws once: they are peer " +
        'dependencies (a "file:" or linked install brings its own node_modules: install the packed tarball instead, or run "npm dedupe")',
    ]);
  }
  checked.add(root);
}

/** Refuses a provider that is not an AWS provider, or one from bindings for another provider version. */
export function checkProvider(provider: TerraformProvider, field: string): void {
  const type = (provider as { terraformResourceType?: unknown } | undefined)?.terraformResourceType;
  if (type !== "aws") {
    throw new ConfigurationError([
      `${field} ${showValue(type === undefined ? provider : type)} is not an AWS provider (@cdktf/provider-aws/lib/provider)`,
    ]);
  }
  const version = provider.terraformGeneratorMetadata?.providerVersion;
  if (version !== undefined && version !== AWS_PROVIDER_VERSION) {
    throw new ConfigurationError([
      `${field} comes from bindings for AWS provider ${version}, but cross-account-s3-lambda is built and validated with ` +
        `${AWS_PROVIDER_VERSION} (@cdktf/provider-aws 20.1.0): use that version of @cdktf/provider-aws (a peer dependency), once`,
    ]);
  }
}

const library = new WeakSet<IConstruct>();

/** Marks a construct as one of this library's, so that rules limited to the library's resources check under it. */
export function markLibraryConstruct(construct: IConstruct): void {
  library.add(construct);
}

/** Whether `construct` is (under) one of this library's constructs. */
export function isLibraryConstruct(construct: IConstruct): boolean {
  return construct.node.scopes.some((s) => library.has(s));
}

/** An aspect that checks a whole stack when added above it (SecurityRules): cdktf itself never visits those. */
interface StackCheck extends IAspect {
  checkStack(stack: TerraformStack): void;
}

const isStackCheck = (aspect: IAspect): aspect is StackCheck =>
  typeof (aspect as Partial<StackCheck>).checkStack === "function";

/**
 * cdktf runs aspects from each stack down, so one added to the App, as teams coming from AWS CDK do, is never
 * visited. This aspect, on every stack holding a library construct, runs the stack checks added above the stack
 * (on the App, or any scope between) on the stack, as if they were added to it.
 */
class ChecksFromAbove implements IAspect {
  constructor(private readonly stack: TerraformStack) {}

  visit(node: IConstruct): void {
    if (node !== this.stack) return;
    const above = this.stack.node.scopes.slice(0, -1).flatMap((scope) => Aspects.of(scope).all);
    for (const aspect of new Set(above)) {
      if (isStackCheck(aspect) && !Aspects.of(this.stack).all.includes(aspect)) aspect.checkStack(this.stack);
    }
  }
}

const forwarded = new WeakSet<TerraformStack>();

/**
 * What every construct of the library does first: refuse a second copy of cdktf, check the providers it is given,
 * mark itself as the library's, and make stack checks added to the App run on its stack.
 */
export function libraryConstruct(
  construct: IConstruct,
  id: string,
  providers: Readonly<Record<string, TerraformProvider>>,
): void {
  assertOneCdktf(construct, id);
  for (const [field, provider] of Object.entries(providers)) checkProvider(provider, `${id}.${field}`);
  markLibraryConstruct(construct);
  const stack = TerraformStack.of(construct);
  if (!forwarded.has(stack)) {
    forwarded.add(stack);
    Aspects.of(stack).add(new ChecksFromAbove(stack));
  }
}
