/**
 * Lines are packed into Firehose records of up to this size. Firehose bills Direct PUT ingestion per record rounded
 * up to 5 KB: one ~300 to 600-byte line per record would be billed as 5 KB, packed lines as what they weigh. A record
 * may hold up to 1,000 KiB; a line is never split across records.
 */
export const MAX_PACKED_RECORD_BYTES = 512 * 1024;

/** A record to send and the index of the first item (line, stream record) it holds. */
export interface PackedRecord {
  data: Buffer;
  first: number;
}

/** One item to send: newline-terminated line(s); `alone` items get a record of their own, never shared. */
export interface PackItem {
  data: Buffer;
  alone?: boolean;
}

/**
 * Packs items into records of at most `maxBytes`, in order; each record says the index of its first item. An item
 * longer than `maxBytes`, or marked `alone`, gets a record of its own.
 */
export function packItems(items: readonly PackItem[], maxBytes = MAX_PACKED_RECORD_BYTES): PackedRecord[] {
  const records: PackedRecord[] = [];
  let pending: Buffer[] = [];
  let first = 0;
  let size = 0;
  const flush = () => {
    if (pending.length > 0) records.push({ data: Buffer.concat(pending), first });
    pending = [];
    size = 0;
  };
  for (const [index, item] of items.entries()) {
    if (item.alone) {
      flush();
      records.push({ data: item.data, first: index });
      continue;
    }
    if (size > 0 && size + item.data.length > maxBytes) flush();
    if (pending.length === 0) first = index;
    pending.push(item.data);
    size += item.data.length;
  }
  flush();
  return records;
}

/** Packs newline-terminated lines into records of at most `maxBytes` (a longer line gets a record of its own). */
export function packLines(lines: readonly string[], maxBytes = MAX_PACKED_RECORD_BYTES): Buffer[] {
  return packItems(
    lines.map((line) => ({ data: Buffer.from(line, 'utf8') })),
    maxBytes,
  ).map(({ data }) => data);
}
