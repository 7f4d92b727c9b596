/**
 * Checks that read what Terraform will apply run once every aspect has visited every construct below their scope.
 * cdktf visits the tree depth first, each construct with the aspects of every scope above it, and a construct's
 * children after the construct itself: a check run while its own scope is visited would read resources that the
 * aspects after it (a team's own, or any aspect on a construct below) have yet to change, and pass a stack that is not
 * the one written out. So the check is handed to a construct that is added as the scope's last child, with an aspect
 * of its own: cdktf visits it after the scope's whole subtree, and runs its own aspect after every inherited one. It
 * holds no Terraform element, so the synthesized JSON is the same.
 *
 * When the scope is the stack, that visit is the last of the synthesis: the checks share one rendering of the stack's
 * JSON (stackJsonOfChecks), and cdktf's next rendering of the stack, the one it writes or Testing.synth returns, is
 * that same JSON. What is written is what the checks judged, and the stack is resolved once instead of twice.
 */
import { Aspects, Construct, TerraformStack, type IAspect, type IConstruct } from "./cdktf";

/** The id of the construct that runs the checks, last among its scope's children. */
export const CHECKS_AFTER_ASPECTS = "ChecksAfterAspects";

/** The stacks whose checks are running at the end of a synthesis, each with its JSON once rendered. */
const sharing = new WeakMap<TerraformStack, { json?: object }>();

class LastVisit implements IAspect {
  readonly pending: Array<() => void> = [];

  constructor(private readonly scope: IConstruct) {}

  visit(): void {
    // This aspect is on the marker alone, which has no children: the visit is the marker's, the last of its scope.
    const checks = this.pending.splice(0);
    if (!TerraformStack.isStack(this.scope)) {
      for (const check of checks) check();
      return;
    }
    const stack = this.scope;
    const shared: { json?: object } = {};
    sharing.set(stack, shared);
    try {
      for (const check of checks) check();
    } finally {
      sharing.delete(stack);
    }
    if (shared.json) writeNext(stack, shared.json);
  }
}

/**
 * The stack's next rendering returns `json`, once: the stack renders itself again after that, and after the current
 * synchronous synthesis in any case.
 */
function writeNext(stack: TerraformStack, json: object): void {
  const once = (): object => {
    forget();
    return json;
  };
  const forget = (): void => {
    if (Object.getOwnPropertyDescriptor(stack, "toTerraform")?.value === once)
      delete (stack as { toTerraform?: unknown }).toTerraform;
  };
  Object.defineProperty(stack, "toTerraform", { value: once, configurable: true, writable: true });
  queueMicrotask(forget);
}

/**
 * The stack's Terraform JSON for a check: while the checks handed over on the stack run at the end of a synthesis,
 * rendered once, shared by them, and then written as it is; elsewhere, a rendering of its own.
 */
export function stackJsonOfChecks(stack: TerraformStack): object {
  const shared = sharing.get(stack);
  if (!shared) return stack.toTerraform() as object;
  shared.json ??= stack.toTerraform() as object;
  return shared.json;
}

const lastVisits = new WeakMap<IConstruct, LastVisit>();

/**
 * Runs `check` once the aspects being invoked now have visited every construct below `scope`. Called from an aspect's
 * visit of `scope`; every check handed over in one invocation runs in the order given.
 */
export function afterAspects(scope: IConstruct, check: () => void): void {
  let last = lastVisits.get(scope);
  if (!last || last.pending.length === 0) {
    // A new invocation of the aspects (a synth): the marker goes, again, after every other child of the scope.
    scope.node.tryRemoveChild(CHECKS_AFTER_ASPECTS);
    last = new LastVisit(scope);
    Aspects.of(new Construct(scope, CHECKS_AFTER_ASPECTS)).add(last);
    lastVisits.set(scope, last);
  }
  last.pending.push(check);
}
