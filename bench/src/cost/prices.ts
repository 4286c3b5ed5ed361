/**
 * AWS list prices, us-east-1, on-demand, without free tiers or savings plans.
 *
 * Each entry names its pricing page and the day it was looked up (2026-11-26), in stored copies of public pages;
 * the store keeps no capture date. Copies of the Kinesis Data Streams, Firehose and IoT Core metering pages were
 * found and show the metering rules used here (1 KB and 5 KB rounding, Basic Ingest); no entry's figure was seen on
 * a stored copy of its AWS page (`figureOnPage: false`): each is the published list price, to be checked against the
 * live page before the bill is quoted. Third-party copies that show the same figure are named in `note`.
 */
export interface Price {
  /** US dollars per `unit`. */
  usd: number;
  unit: string;
  source: string;
  read: string;
  figureOnPage: boolean;
  note?: string;
}

const READ = '2026-11-26';

const IOT_CORE = 'https://aws.amazon.com/iot-core/pricing/';
const IOT_CORE_DETAILS = 'https://aws.amazon.com/iot-core/pricing/additional-details/';
const LAMBDA = 'https://aws.amazon.com/lambda/pricing/';
const KINESIS = 'https://aws.amazon.com/kinesis/data-streams/pricing/';
const FIREHOSE = 'https://aws.amazon.com/kinesis/data-firehose/pricing/';
const DYNAMODB = 'https://aws.amazon.com/dynamodb/pricing/on-demand/';
const SNS = 'https://aws.amazon.com/sns/pricing/';
const S3 = 'https://aws.amazon.com/s3/pricing/';
const FLINK = 'https://aws.amazon.com/managed-service-apache-flink/pricing/';

export const PRICES = {
  iotConnectivityPerMillionMinutes: {
    usd: 0.08,
    unit: 'million connection-minutes',
    source: IOT_CORE,
    read: READ,
    figureOnPage: false,
  },
  /** Messaging tiers by monthly message count (5 KB metering increments), see `iotMessagingTiers`. */
  iotMessagingFirstBillionPerMillion: {
    usd: 1.0,
    unit: 'million messages (first 1 billion)',
    source: IOT_CORE,
    read: READ,
    figureOnPage: false,
    note: `Metered in 5 KB increments of payload + topic (metering rule read on ${IOT_CORE_DETAILS}).`,
  },
  iotMessagingNextFourBillionPerMillion: {
    usd: 0.8,
    unit: 'million messages (next 4 billion)',
    source: IOT_CORE,
    read: READ,
    figureOnPage: false,
  },
  iotMessagingOverFiveBillionPerMillion: {
    usd: 0.7,
    unit: 'million messages (over 5 billion)',
    source: IOT_CORE,
    read: READ,
    figureOnPage: false,
  },
  iotRulesTriggeredPerMillion: {
    usd: 0.15,
    unit: 'million rules triggered (5 KB increments)',
    source: IOT_CORE,
    read: READ,
    figureOnPage: false,
    note: 'Basic Ingest ($aws/rules/...) publishes are not charged as messaging; the rule and its actions are.',
  },
  iotActionsExecutedPerMillion: {
    usd: 0.15,
    unit: 'million actions executed (5 KB increments)',
    source: IOT_CORE,
    read: READ,
    figureOnPage: false,
  },
  lambdaRequestsPerMillion: {
    usd: 0.2,
    unit: 'million requests',
    source: LAMBDA,
    read: READ,
    figureOnPage: false,
    note: 'Same figure in a third-party copy of the page (cloudchipr.com/blog/aws-lambda-pricing).',
  },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    unit: 'GB-second (arm64, first 7.5 billion GB-s)',
    source: LAMBDA,
    read: READ,
    figureOnPage: false,
    note: 'Same figure in a third-party copy of the page (cloudchipr.com/blog/aws-lambda-pricing).',
  },
  kinesisOnDemandStreamHour: {
    usd: 0.04,
    unit: 'stream-hour (on-demand)',
    source: KINESIS,
    read: READ,
    figureOnPage: false,
    note: 'Data in is metered per record rounded up to 1 KB (figure-free excerpt of the page).',
  },
  kinesisOnDemandIngestGb: {
    usd: 0.08,
    unit: 'GB ingested (on-demand, records rounded up to 1 KB)',
    source: KINESIS,
    read: READ,
    figureOnPage: false,
  },
  kinesisOnDemandRetrievalGb: {
    usd: 0.04,
    unit: 'GB retrieved (on-demand)',
    source: KINESIS,
    read: READ,
    figureOnPage: false,
  },
  kinesisShardHour: {
    usd: 0.015,
    unit: 'shard-hour (provisioned)',
    source: KINESIS,
    read: READ,
    figureOnPage: false,
  },
  kinesisPutPayloadUnitsPerMillion: {
    usd: 0.014,
    unit: 'million PUT payload units of 25 KB (provisioned)',
    source: KINESIS,
    read: READ,
    figureOnPage: false,
  },
  firehoseIngestGb: {
    usd: 0.029,
    unit: 'GB ingested, Direct PUT (records rounded up to 5 KB, first 500 TB)',
    source: FIREHOSE,
    read: READ,
    figureOnPage: false,
    note: 'The 5 KB rounding per record is on the stored copy of the page.',
  },
  dynamoWriteRequestUnitsPerMillion: {
    usd: 0.625,
    unit: 'million write request units (on-demand, 1 KB)',
    source: DYNAMODB,
    read: READ,
    figureOnPage: false,
    note: 'Same figure in a third-party summary of the page (airbyte.com/data-engineering-resources/dynamodb-pricing).',
  },
  dynamoReadRequestUnitsPerMillion: {
    usd: 0.125,
    unit: 'million read request units (on-demand, 4 KB strongly consistent or 2 eventually consistent)',
    source: DYNAMODB,
    read: READ,
    figureOnPage: false,
    note: 'Same figure in a third-party summary of the page (airbyte.com/data-engineering-resources/dynamodb-pricing).',
  },
  snsPublishesPerMillion: {
    usd: 0.5,
    unit: 'million publishes (standard topics, 64 KB chunks)',
    source: SNS,
    read: READ,
    figureOnPage: false,
  },
  snsHttpDeliveriesPerMillion: {
    usd: 0.6,
    unit: 'million HTTP/S notifications',
    source: SNS,
    read: READ,
    figureOnPage: false,
  },
  snsMobilePushPerMillion: {
    usd: 0.5,
    unit: 'million mobile push notifications',
    source: SNS,
    read: READ,
    figureOnPage: false,
  },
  s3StandardGbMonth: {
    usd: 0.023,
    unit: 'GB-month, S3 Standard (first 50 TB)',
    source: S3,
    read: READ,
    figureOnPage: false,
  },
  s3PutPerThousand: {
    usd: 0.005,
    unit: 'thousand PUT requests, S3 Standard',
    source: S3,
    read: READ,
    figureOnPage: false,
  },
  flinkKpuHour: {
    usd: 0.11,
    unit: 'KPU-hour (Managed Service for Apache Flink; one extra KPU per application for orchestration)',
    source: FLINK,
    read: READ,
    figureOnPage: false,
    note: 'The successor AWS names for Kinesis Data Analytics for SQL, retired in January 2026.',
  },
  flinkRunningStorageGbMonth: {
    usd: 0.1,
    unit: 'GB-month of running application storage (50 GB per KPU)',
    source: FLINK,
    read: READ,
    figureOnPage: false,
  },
} satisfies Record<string, Price>;

export type PriceName = keyof typeof PRICES;

/** IoT Core messaging tiers: [messages in the tier (or Infinity), price key]. */
export const IOT_MESSAGING_TIERS: readonly [number, PriceName][] = [
  [1e9, 'iotMessagingFirstBillionPerMillion'],
  [4e9, 'iotMessagingNextFourBillionPerMillion'],
  [Number.POSITIVE_INFINITY, 'iotMessagingOverFiveBillionPerMillion'],
];
