/**
 * S3 lists keys in the order of their UTF-8 bytes, which is the order of their code points. JavaScript compares
 * UTF-16 code units, which differs for characters above U+FFFF against U+E000..U+FFFF: compare code points instead.
 */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    if (xSurrogate !== ySurrogate) return xSurrogate ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** The index of the first key that is greater than `marker` (or not less, when `inclusive`). */
function searchFrom(sortedKeys: readonly string[], marker: string, inclusive: boolean): number {
  let low = 0;
  let high = sortedKeys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const order = compareKeys(sortedKeys[middle] as string, marker);
    if (order < 0 || (!inclusive && order === 0)) low = middle + 1;
    else high = middle;
  }
  return low;
}

export interface ListKeysOptions {
  prefix?: string;
  delimiter?: string;
  maxKeys: number;
  /** Keys after this one (StartAfter, Marker). */
  startAfter?: string;
  /** Where the previous page ended: a key, or a common prefix whose keys are all skipped. */
  resumeAfter?: string;
}

export interface ListKeysResult {
  keys: string[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix returned, to resume from. */
  last?: string;
}

/**
 * One page of a listing: keys under `prefix` in order, those with `delimiter` after the prefix rolled up into common
 * prefixes, keys and common prefixes together counting towards `maxKeys`, as S3 does.
 */
export function listKeys(sortedKeys: readonly string[], options: ListKeysOptions): ListKeysResult {
  const prefix = options.prefix ?? '';
  const delimiter = options.delimiter || undefined;
  const result: ListKeysResult = { keys: [], commonPrefixes: [], isTruncated: false };
  if (options.maxKeys <= 0) return result;

  const marker = options.resumeAfter ?? options.startAfter;
  let index = searchFrom(sortedKeys, prefix, true);
  if (marker !== undefined && compareKeys(marker, prefix) >= 0) index = searchFrom(sortedKeys, marker, false);

  let count = 0;
  for (; index < sortedKeys.length; index++) {
    const key = sortedKeys[index] as string;
    if (!key.startsWith(prefix)) break;
    let commonPrefix: string | undefined;
    if (delimiter) {
      const at = key.indexOf(delimiter, prefix.length);
      if (at >= 0) commonPrefix = key.slice(0, at + delimiter.length);
    }
    if (commonPrefix !== undefined) {
      if (commonPrefix === options.resumeAfter || commonPrefix === result.commonPrefixes.at(-1)) continue;
    }
    if (count === options.maxKeys) {
      result.isTruncated = true;
      break;
    }
    if (commonPrefix !== undefined) result.commonPrefixes.push(commonPrefix);
    else result.keys.push(key);
    result.last = commonPrefix ?? key;
    count++;
  }
  return result;
}
