import { normalizeRawRecord } from './normalize-raw-telemetry';
import { MAX_PACKED_RECORD_BYTES, type PackedRecord, packItems } from './pack-records';

/** A record of the telemetry stream, its data decoded from base64. */
export interface ArchivedStreamRecord {
  sequenceNumber: string;
  data: Buffer;
}

/** A stream record the archive's processor will refuse, sent as a record of its own so it alone ends in raw-errors/. */
export interface RefusedRecord {
  sequenceNumber: string;
  reason: string;
}

/** Where the raw archive's records go; answers the index of the first record it could not deliver, if any. */
export interface RawArchive {
  write(records: readonly Buffer[]): Promise<{ firstUndelivered: number; reason: string } | undefined>;
}

export interface RawArchiveBatch {
  /** The Firehose records, in stream order; `first` is the index of the first stream record each holds. */
  records: PackedRecord[];
  /** Stream records that are not telemetry: each is one record of `records`, as it arrived. */
  refused: RefusedRecord[];
  /** Stream records of nothing but whitespace: nothing to keep. */
  dropped: number;
}

const NEWLINE = 0x0a;

/**
 * The raw archive's records for a batch of the telemetry stream. Each telemetry message becomes its normalised JSON
 * line (the processor's own check, `normalizeRawRecord`), packed with its neighbours into records of up to
 * `maxBytes`, since Firehose meters every record as at least 5 KB. A record that fails that check is sent as it
 * arrived (with a trailing newline, as the ingestion rule's separator gave it), in a record of its own: the processor
 * answers ProcessingFailed for exactly it, and Firehose keeps it under raw-errors/.
 */
export function rawArchiveBatch(
  records: readonly ArchivedStreamRecord[],
  maxBytes = MAX_PACKED_RECORD_BYTES,
): RawArchiveBatch {
  const refused: RefusedRecord[] = [];
  let dropped = 0;
  const items = records.map((record) => {
    const normalized = normalizeRawRecord(record.data);
    if (normalized.result === 'Ok') return { data: normalized.data };
    if (normalized.result === 'Dropped') {
      dropped++;
      return { data: Buffer.alloc(0) };
    }
    refused.push({ sequenceNumber: record.sequenceNumber, reason: normalized.reason });
    const data = record.data.at(-1) === NEWLINE ? record.data : Buffer.concat([record.data, Buffer.from('\n')]);
    return { data, alone: true };
  });
  // A dropped record keeps its place (an empty item) so that `first` indexes the stream records.
  const packed = packItems(items, maxBytes).filter((record) => record.data.length > 0);
  return { records: packed, refused, dropped };
}
