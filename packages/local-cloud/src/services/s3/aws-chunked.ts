import { S3Error } from './s3-errors';

/** A body sent with `Content-Encoding: aws-chunked`, decoded: the payload, and the trailing headers (checksums). */
export interface DecodedChunkedBody {
  data: Buffer;
  /** Trailer names in lower case, e.g. `x-amz-checksum-crc32`. */
  trailers: Record<string, string>;
}

const incompleteBody = () =>
  new S3Error('IncompleteBody', 'The request body is not a well-formed aws-chunked payload', 400);

/**
 * Whether the request body is in the aws-chunked encoding that AWS SDKs use to stream uploads: with a trailing
 * checksum (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`, the SDK v3 default for streams), or with signed chunks
 * (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`, older SDKs and other tools).
 */
export function isAwsChunked(headers: Record<string, string>): boolean {
  const encodings = (headers['content-encoding'] ?? '').split(',').map((e) => e.trim().toLowerCase());
  return encodings.includes('aws-chunked') || (headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
}

/**
 * Decodes `<hex size>[;chunk-signature=...]\r\n<bytes>\r\n ... 0\r\n<trailer>:<value>\r\n\r\n`. Chunk signatures are
 * not checked: the local cloud accepts any credentials.
 */
export function decodeAwsChunked(body: Buffer): DecodedChunkedBody {
  const parts: Buffer[] = [];
  let position = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', position);
    if (lineEnd < 0) throw incompleteBody();
    const sizeText = body.toString('latin1', position, lineEnd).split(';', 1)[0]?.trim() ?? '';
    if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) throw incompleteBody();
    const size = Number.parseInt(sizeText, 16);
    position = lineEnd + 2;
    if (size === 0) break;
    if (position + size + 2 > body.length) throw incompleteBody();
    parts.push(body.subarray(position, position + size));
    position += size;
    if (body[position] !== 0x0d || body[position + 1] !== 0x0a) throw incompleteBody();
    position += 2;
  }

  const trailers: Record<string, string> = {};
  while (position < body.length) {
    let lineEnd = body.indexOf('\r\n', position);
    if (lineEnd < 0) lineEnd = body.length;
    const line = body.toString('latin1', position, lineEnd);
    position = lineEnd + 2;
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0) throw incompleteBody();
    trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { data: Buffer.concat(parts), trailers };
}
