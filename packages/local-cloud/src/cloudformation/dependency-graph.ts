import { DependencyCycleError, type TemplateLocation } from './errors';

/**
 * The order to create resources in: each after everything it depends on, and otherwise in the order the template
 * lists them, so the same template always deploys in the same order. `dependencies` maps every node to the nodes
 * it needs (all of which must be keys of the map). A cycle is a `DependencyCycleError` naming it.
 */
export function creationOrder(
  dependencies: ReadonlyMap<string, Iterable<string>>,
  location: TemplateLocation,
): string[] {
  const pending = new Map([...dependencies].map(([node, needs]) => [node, new Set(needs)]));
  const order: string[] = [];
  const done = new Set<string>();
  while (pending.size > 0) {
    let progressed = false;
    for (const [node, needs] of pending) {
      if ([...needs].every((need) => done.has(need))) {
        order.push(node);
        done.add(node);
        pending.delete(node);
        progressed = true;
        break;
      }
    }
    if (!progressed) throw new DependencyCycleError(location, findCycle(pending));
  }
  return order;
}

/** A cycle among nodes none of which can be created: walking from any of them must come back around. */
function findCycle(pending: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const path: string[] = [];
  let node = pending.keys().next().value as string;
  while (!path.includes(node)) {
    path.push(node);
    node = [...(pending.get(node) ?? [])].find((need) => pending.has(need)) as string;
  }
  return [...path.slice(path.indexOf(node)), node];
}
