import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** The flexible checksum algorithms of S3, as they appear in `x-amz-checksum-<algorithm>` headers. */
export const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export interface ObjectChecksum {
  algorithm: ChecksumAlgorithm;
  /** Base64, as in the header. */
  value: string;
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32c(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC32C_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function uint32Base64(value: number): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0);
  return bytes.toString('base64');
}

/**
 * The checksum of `data` in base64, or `undefined` for CRC64NVME, which is stored as the client sent it without
 * being checked (computing it needs a 64-bit CRC the runtime does not provide).
 */
export function computeChecksum(algorithm: ChecksumAlgorithm, data: Buffer): string | undefined {
  switch (algorithm) {
    case 'crc32':
      return uint32Base64(crc32(data));
    case 'crc32c':
      return uint32Base64(crc32c(data));
    case 'sha1':
      return createHash('sha1').update(data).digest('base64');
    case 'sha256':
      return createHash('sha256').update(data).digest('base64');
    case 'crc64nvme':
      return undefined;
  }
}

export function md5Hex(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

export function md5Base64(data: Buffer): string {
  return createHash('md5').update(data).digest('base64');
}
