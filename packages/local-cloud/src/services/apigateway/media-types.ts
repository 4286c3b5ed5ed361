/** The media type of a Content-Type or Accept entry: no parameters, lower case. */
function essence(value: string): string {
  return (value.split(';', 1)[0] ?? '').trim().toLowerCase();
}

/**
 * Whether a content type is one of the API's binary media types. Entries may be exact (`application/octet-stream`),
 * wildcard subtypes (`image/*`) or `*\/*`; CloudFormation sometimes writes the slash as `~1`, as in a JSON patch.
 */
export function isBinaryMediaType(contentType: string | undefined, binaryMediaTypes: readonly string[]): boolean {
  const patterns = binaryMediaTypes.map((pattern) => pattern.replaceAll('~1', '/').trim().toLowerCase());
  if (patterns.includes('*/*')) return true;
  if (!contentType) return false;
  const type = essence(contentType);
  return patterns.some((pattern) =>
    pattern.endsWith('/*') ? type.startsWith(pattern.slice(0, -1)) : pattern === type,
  );
}

/** API Gateway honours only the first media type of an Accept header when it decides to answer in binary. */
export function firstAcceptedMediaType(accept: string | undefined): string | undefined {
  const first = accept?.split(',', 1)[0]?.trim();
  return first ? first : undefined;
}
