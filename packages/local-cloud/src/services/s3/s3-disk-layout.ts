import { createHash } from 'node:crypto';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

/**
 * Where objects live on disk, under `<dataDir>/s3/<bucket>/`.
 *
 * An object's data file mirrors its key whenever that is safe, so `2026/05/12/10/archive-1-...` can be opened from the
 * data folder by its key. Each `/`-separated segment of the key is percent-encoded byte by byte, keeping only
 * `A-Z a-z 0-9 - _ .`: an encoded segment never holds a path separator, NUL, `~` or `%` followed by anything but two
 * hex digits, and the segments `.`, `..` and the empty segment (from `a//b` or a leading `/`) are written `%2E`,
 * `%2E%2E` and `%`. No key can therefore name a file outside its bucket folder, whatever it contains.
 *
 * Names holding `~` belong to the store itself and can never be an encoded key: `<file>~meta.json` (the sidecar with
 * the key and its metadata), `~bucket.json`, `~tmp-*` (writes in progress) and `~hashed/`. A key whose mirrored path
 * cannot be used (a segment or the whole path too long for the file system, a file where a folder is needed or the
 * reverse, two keys differing only in case on a case-insensitive file system) is stored as `~hashed/<sha256 of key>`.
 * The sidecar, not the file name, is the source of truth for the key.
 */
export const SIDECAR_SUFFIX = '~meta.json';
export const BUCKET_FILE = '~bucket.json';
export const TEMP_PREFIX = '~tmp-';
export const HASHED_FOLDER = '~hashed';

// Leaves room for the sidecar suffix within the 255 bytes most file systems allow for a name.
const MAX_SEGMENT_BYTES = 200;
// macOS limits paths to 1024 bytes; the data folder itself takes part of that.
const MAX_RELATIVE_PATH_BYTES = 700;

const SAFE_BYTE = /^[A-Za-z0-9\-_.]$/;

export function encodeKeySegment(segment: string): string {
  if (segment === '') return '%';
  if (segment === '.') return '%2E';
  if (segment === '..') return '%2E%2E';
  let encoded = '';
  for (const byte of Buffer.from(segment, 'utf8')) {
    const char = String.fromCharCode(byte);
    encoded += byte < 0x80 && SAFE_BYTE.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/** The mirrored relative path of a key, or `undefined` when it would be too long for the file system. */
export function mirroredObjectPath(key: string): string | undefined {
  const segments = key.split('/').map(encodeKeySegment);
  if (segments.some((s) => s.length > MAX_SEGMENT_BYTES)) return undefined;
  const path = segments.join(sep);
  return path.length > MAX_RELATIVE_PATH_BYTES ? undefined : path;
}

export function hashedObjectPath(key: string): string {
  return join(HASHED_FOLDER, createHash('sha256').update(key, 'utf8').digest('hex'));
}

export function sidecarPath(objectPath: string): string {
  return `${objectPath}${SIDECAR_SUFFIX}`;
}

/** Joins `root` and a relative path, refusing any result outside `root` (a second guard behind the encoding). */
export function resolveInside(root: string, relativePath: string): string {
  const absolute = resolve(root, relativePath);
  const fromRoot = relative(root, absolute);
  if (fromRoot === '' || fromRoot === '..' || fromRoot.startsWith(`..${sep}`) || isAbsolute(fromRoot)) {
    throw new Error(`Refusing a storage path outside ${root}`);
  }
  return absolute;
}
