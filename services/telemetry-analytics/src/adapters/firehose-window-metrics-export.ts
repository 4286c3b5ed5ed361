import type { FirehoseClient } from '@aws-sdk/client-firehose';
import type { WindowMetricsExport } from '../domain/aggregate-window';
import { packLines } from '../domain/pack-records';
import type { WindowResults } from '../domain/window-parts';
import { type FirehoseBatchOptions, FirehoseRecordBatches } from './firehose-record-batches';

export { packLines } from '../domain/pack-records';

/**
 * A part's device window metrics as newline-delimited JSON, through a Firehose delivery stream to S3 (the stream's
 * prefix partitions the objects by date). Each line is a window metric with its `part`: a replayed part is delivered
 * again (Firehose is at least once), so readers keep one line per device, metric, window start and part. Lines are
 * packed into records of up to 512 KiB (Firehose meters each record as at least 5 KB); an S3 object is the records
 * concatenated, so it reads as the same JSON lines either way.
 */
export class FirehoseWindowMetricsExport implements WindowMetricsExport {
  private readonly batches: FirehoseRecordBatches;

  constructor(client: FirehoseClient, deliveryStreamName: string, options: FirehoseBatchOptions = {}) {
    this.batches = new FirehoseRecordBatches(client, deliveryStreamName, options);
  }

  async exportWindow(results: WindowResults): Promise<void> {
    const lines = results.devices.map((metric) => `${JSON.stringify({ ...metric, part: results.part })}\n`);
    const failure = await this.batches.write(packLines(lines));
    if (failure) {
      if (failure.error) throw failure.error;
      throw new Error(
        `Firehose ${this.batches.deliveryStreamName} refused ${failure.refused} of ${failure.attempted} records ${failure.reason}`,
      );
    }
  }
}
