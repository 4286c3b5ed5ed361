import type { DeployedApiResource, MethodProperties, RouteNode } from './rest-api-registry';

export interface RouteMatch {
  resource: DeployedApiResource;
  method: MethodProperties;
  /** Values as the client sent them: API Gateway REST APIs do not percent-decode path parameters. */
  pathParameters: Record<string, string>;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Every resource a path reaches, most specific first: literal parts, then `{param}`, then `{proxy+}`. */
function* candidates(
  node: RouteNode,
  segments: readonly string[],
  index: number,
  pathParameters: Record<string, string>,
): Generator<{ node: RouteNode; pathParameters: Record<string, string> }> {
  if (index === segments.length) {
    yield { node, pathParameters };
    return;
  }
  const segment = segments[index] ?? '';
  const literal = node.literals.get(segment) ?? node.literals.get(decodeSegment(segment));
  if (literal) yield* candidates(literal, segments, index + 1, pathParameters);
  if (node.variable && segment !== '') {
    const { name, node: child } = node.variable;
    yield* candidates(child, segments, index + 1, { ...pathParameters, [name]: segment });
  }
  const rest = segments.slice(index).join('/');
  if (node.greedy && rest !== '') {
    yield { node: node.greedy.node, pathParameters: { ...pathParameters, [node.greedy.name]: rest } };
  }
}

/**
 * Finds the resource and method for a request path (relative to the stage, still percent-encoded) and HTTP method.
 * A literal path part wins over `{param}`, which wins over `{proxy+}`; on one resource an explicit method wins over
 * ANY. A trailing slash is ignored. Undefined means API Gateway's 403 Missing Authentication Token: a REST API
 * answers a known path with an unknown method the same way, never 404 or 405.
 */
export function matchRoute(root: RouteNode, path: string, httpMethod: string): RouteMatch | undefined {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const segments = trimmed === '' || trimmed === '/' ? [] : trimmed.replace(/^\//, '').split('/');
  const wanted = httpMethod.toUpperCase();
  for (const { node, pathParameters } of candidates(root, segments, 0, {})) {
    const method = node.resource.methods.get(wanted) ?? node.resource.methods.get('ANY');
    if (method) return { resource: node.resource, method, pathParameters };
  }
  return undefined;
}
