/**
 * Checks that read what Terraform will apply run once every aspect has visited every construct below their scope.
 * cdktf visits the tree depth first, each construct with the aspects of every scope above it, and a construct's
 * children after the construct itself: a check run while its own scope is visited would read resources that the
 * aspects after it (a team's own, or any aspect on a construct below) have yet to change, and pass a stack that is not
 * the one written out. So the check is handed to a construct that is added as the scope's last child, with an aspect
 * of its own: cdktf visits it after the scope's whole subtree, and runs its own aspect after every inherited one. It
 * holds no Terraform element, so the synthesized JSON is the same.
 *
 * The checks handed over on one scope share one rendering of the stack's JSON. When the scope is the stack, that visit
 * is the last of the synthesis, and cdktf's next rendering of the stack, the one it writes or Testing.synth returns, is
 * that same JSON. What is written is what the checks judged, and the stack is resolved once instead of twice.
 */
import { Aspects, Construct, TerraformStack, type IAspect, type IConstruct } from "./cdktf";

/** The id of the construct that runs the checks, last among its scope's children. */
export const CHECKS_AFTER_ASPECTS = "ChecksAfterAspects";

/** A check of a stack's Terraform JSON, as rendered once the aspects are done. */
export type JsonCheck = (json: object) => void;

class LastVisit implements IAspect {
  readonly pending: JsonCheck[] = [];

  constructor(private readonly scope: IConstruct) {}

  visit(): void {
    // This aspect is on the marker alone, which has no children: the visit is the marker's, the last of its scope.
    const stack = TerraformStack.of(this.scope);
    const json = stack.toTerraform() as object;
    for (const check of this.pending.splice(0)) check(json);
    if (this.scope === stack) writeNext(stack, json);
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

const lastVisits = new WeakMap<IConstruct, LastVisit>();

/**
 * Runs `check` on the Terraform JSON of the stack of `scope` once the aspects being invoked now have visited every
 * construct below `scope`. Called from an aspect's visit of `scope`; every check handed over in one invocation runs in
 * the order given, on one rendering of the JSON.
 */
export function afterAspects(scope: IConstruct, check: JsonCheck): void {
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
