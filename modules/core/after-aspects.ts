/**
 * Checks that read what Terraform will apply run once every aspect has visited every construct below their scope.
 * cdktf visits the tree depth first, each construct with the aspects of every scope above it, and a construct's
 * children after the construct itself: a check run while its own scope is visited would read resources that the
 * aspects after it (a team's own, or any aspect on a construct below) have yet to change, and pass a stack that is not
 * the one written out. So the check is handed to a construct that is added as the scope's last child, with an aspect
 * of its own: cdktf visits it after the scope's whole subtree, and runs its own aspect after every inherited one. It
 * holds no Terraform element, so the synthesized JSON is the same.
 */
import { Aspects, Construct, type IAspect, type IConstruct } from "./cdktf";

/** The id of the construct that runs the checks, last among its scope's children. */
export const CHECKS_AFTER_ASPECTS = "ChecksAfterAspects";

class LastVisit implements IAspect {
  readonly pending: Array<() => void> = [];

  visit(): void {
    // This aspect is on the marker alone, which has no children: the visit is the marker's, the last of its scope.
    for (const check of this.pending.splice(0)) check();
  }
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
    last = new LastVisit();
    Aspects.of(new Construct(scope, CHECKS_AFTER_ASPECTS)).add(last);
    lastVisits.set(scope, last);
  }
  last.pending.push(check);
}
