import { parseArn } from '../../contracts';
import { AwsServiceError } from '../../edge/aws-service';
import { dataPrefixTemplate, errorPrefixTemplate, validatePrefixes } from './s3-object-key';

/*
 * The configuration of a delivery stream in the shape of the Firehose API and of
 * AWS::KinesisFirehose::DeliveryStream (the same member names). Numbers and booleans may arrive as strings from a
 * template and are accepted either way.
 */

export interface BufferingHints {
  SizeInMBs?: number | string;
  IntervalInSeconds?: number | string;
}

export interface ProcessorParameter {
  ParameterName: string;
  ParameterValue: string;
}

export interface Processor {
  Type: string;
  Parameters?: ProcessorParameter[];
}

export interface ProcessingConfiguration {
  Enabled?: boolean | string;
  Processors?: Processor[];
}

export interface S3DestinationConfiguration {
  RoleARN?: string;
  BucketARN: string;
  Prefix?: string;
  ErrorOutputPrefix?: string;
  BufferingHints?: BufferingHints;
  CompressionFormat?: string;
  EncryptionConfiguration?: unknown;
  CloudWatchLoggingOptions?: unknown;
}

export interface ExtendedS3DestinationConfiguration extends S3DestinationConfiguration {
  ProcessingConfiguration?: ProcessingConfiguration;
  S3BackupMode?: string;
  S3BackupConfiguration?: unknown;
  DataFormatConversionConfiguration?: { Enabled?: boolean | string };
  DynamicPartitioningConfiguration?: { Enabled?: boolean | string };
  FileExtension?: string;
  CustomTimeZone?: string;
}

export interface Tag {
  Key: string;
  Value?: string;
}

/** CreateDeliveryStream's request, and the properties of AWS::KinesisFirehose::DeliveryStream. */
export interface CreateDeliveryStreamInput {
  DeliveryStreamName: string;
  DeliveryStreamType?: string;
  ExtendedS3DestinationConfiguration?: ExtendedS3DestinationConfiguration;
  S3DestinationConfiguration?: S3DestinationConfiguration;
  Tags?: Tag[];
  [other: string]: unknown;
}

export interface LambdaProcessor {
  arn: string;
  numberOfRetries: number;
  bufferSizeBytes: number;
  bufferIntervalSeconds: number;
}

/** A destination's configuration, checked, with defaults applied. */
export interface S3Destination {
  bucketArn: string;
  bucket: string;
  roleArn?: string;
  prefix?: string;
  errorOutputPrefix?: string;
  dataPrefixTemplate: string;
  errorPrefixTemplate: string;
  sizeInMBs: number;
  intervalInSeconds: number;
  compression: 'UNCOMPRESSED' | 'GZIP';
  fileExtension: string;
  customTimeZone?: string;
  lambda?: LambdaProcessor;
  /** From an AppendDelimiterToRecord processor: written after each record. */
  recordDelimiter?: Buffer;
  processingConfiguration?: ProcessingConfiguration;
}

export const DEFAULT_SIZE_IN_MBS = 5;
export const DEFAULT_INTERVAL_IN_SECONDS = 300;
const LAMBDA_DEFAULTS = { NumberOfRetries: 3, BufferSizeInMBs: 1, BufferIntervalInSeconds: 60 };
const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;

const invalid = (message: string) => new AwsServiceError('InvalidArgumentException', message, 400);
const validation = (message: string) => new AwsServiceError('ValidationException', message, 400);

export function validateStreamName(name: unknown): string {
  if (typeof name !== 'string' || !STREAM_NAME.test(name)) {
    throw validation(
      `1 validation error detected: Value '${String(name)}' at 'deliveryStreamName' failed to satisfy constraint: ` +
        'Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 1 and 64',
    );
  }
  return name;
}

function numberIn(value: unknown, field: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const parsed = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
    throw invalid(`${field} must be a number between ${min} and ${max}, not ${JSON.stringify(value)}`);
  }
  return parsed;
}

function isEnabled(value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  return value === true || String(value).toLowerCase() === 'true';
}

function lambdaProcessor(processor: Processor): LambdaProcessor {
  const parameters = new Map((processor.Parameters ?? []).map((p) => [p.ParameterName, p.ParameterValue]));
  const arn = parameters.get('LambdaArn');
  if (!arn) throw invalid('A Lambda processor needs a LambdaArn parameter');
  return {
    arn,
    numberOfRetries: numberIn(
      parameters.get('NumberOfRetries'),
      'NumberOfRetries',
      LAMBDA_DEFAULTS.NumberOfRetries,
      0,
      300,
    ),
    bufferSizeBytes:
      numberIn(parameters.get('BufferSizeInMBs'), 'BufferSizeInMBs', LAMBDA_DEFAULTS.BufferSizeInMBs, 0.2, 3) *
      1024 *
      1024,
    bufferIntervalSeconds: numberIn(
      parameters.get('BufferIntervalInSeconds'),
      'BufferIntervalInSeconds',
      LAMBDA_DEFAULTS.BufferIntervalInSeconds,
      0,
      900,
    ),
  };
}

function unescapeDelimiter(text: string): Buffer {
  return Buffer.from(text.replace(/\\n/g, '\n').replace(/\\r/g, '\r').replace(/\\t/g, '\t'), 'utf8');
}

/**
 * Checks a CreateDeliveryStream request (or template properties) and resolves the S3 destination: the bucket, the
 * prefix templates, buffering, compression and processors. Throws Firehose's InvalidArgumentException for what AWS
 * would refuse, and for what the local cloud does not emulate (other sources and destinations, format conversion,
 * dynamic partitioning, backup, compression other than GZIP), so that a template relying on them fails loudly.
 */
export function resolveDestination(input: CreateDeliveryStreamInput): S3Destination {
  const type = input.DeliveryStreamType ?? 'DirectPut';
  if (type !== 'DirectPut') {
    throw invalid(`DeliveryStreamType ${type} is not emulated by the local cloud; only DirectPut is`);
  }
  const extended = input.ExtendedS3DestinationConfiguration;
  const plain = input.S3DestinationConfiguration;
  const others = Object.keys(input).filter((k) => k.endsWith('DestinationConfiguration') && input[k] !== undefined);
  if (others.length !== 1 || (!extended && !plain)) {
    throw invalid(
      'Exactly one destination is needed, and the local cloud emulates only ExtendedS3DestinationConfiguration and S3DestinationConfiguration',
    );
  }
  const config = (extended ?? plain) as ExtendedS3DestinationConfiguration;

  if (typeof config.BucketARN !== 'string') throw invalid('BucketARN is required');
  let bucket: string;
  try {
    const arn = parseArn(config.BucketARN);
    if (arn.service !== 's3' || !arn.resource || arn.resource.includes('/')) throw new Error('not a bucket');
    bucket = arn.resource;
  } catch {
    throw invalid(`BucketARN "${config.BucketARN}" is not the ARN of an S3 bucket (arn:aws:s3:::<bucket>)`);
  }

  if (extended) {
    if (isEnabled(extended.DataFormatConversionConfiguration?.Enabled, !!extended.DataFormatConversionConfiguration)) {
      throw invalid('DataFormatConversionConfiguration is not emulated by the local cloud');
    }
    if (isEnabled(extended.DynamicPartitioningConfiguration?.Enabled, false)) {
      throw invalid('DynamicPartitioningConfiguration is not emulated by the local cloud');
    }
    if ((extended.S3BackupMode ?? 'Disabled') !== 'Disabled') {
      throw invalid('S3BackupMode Enabled (source record backup) is not emulated by the local cloud');
    }
    if (extended.FileExtension !== undefined && !/^\.[0-9a-z!\-_.*'()]*$/.test(extended.FileExtension)) {
      throw invalid('FileExtension must start with "." and hold only 0-9 a-z ! - _ . * \' ( )');
    }
    if (extended.CustomTimeZone !== undefined) {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: extended.CustomTimeZone });
      } catch {
        throw invalid(`CustomTimeZone "${extended.CustomTimeZone}" is not a time zone`);
      }
    }
  }

  const compression = config.CompressionFormat ?? 'UNCOMPRESSED';
  if (compression !== 'UNCOMPRESSED' && compression !== 'GZIP') {
    throw invalid(`CompressionFormat ${compression} is not emulated by the local cloud; UNCOMPRESSED and GZIP are`);
  }

  const prefix = config.Prefix || undefined;
  const errorOutputPrefix = config.ErrorOutputPrefix || undefined;
  validatePrefixes(prefix, errorOutputPrefix);

  let lambda: LambdaProcessor | undefined;
  let recordDelimiter: Buffer | undefined;
  const processing = extended?.ProcessingConfiguration;
  if (processing && isEnabled(processing.Enabled, true)) {
    for (const processor of processing.Processors ?? []) {
      if (processor.Type === 'Lambda') {
        if (lambda) throw invalid('Only one Lambda processor is allowed');
        lambda = lambdaProcessor(processor);
      } else if (processor.Type === 'AppendDelimiterToRecord') {
        const delimiter = processor.Parameters?.find((p) => p.ParameterName === 'Delimiter')?.ParameterValue;
        recordDelimiter = unescapeDelimiter(delimiter ?? '\\n');
      } else {
        throw invalid(`The processor type ${processor.Type} is not emulated by the local cloud`);
      }
    }
  }

  return {
    bucketArn: config.BucketARN,
    bucket,
    roleArn: config.RoleARN,
    prefix,
    errorOutputPrefix,
    dataPrefixTemplate: dataPrefixTemplate(prefix),
    errorPrefixTemplate: errorPrefixTemplate(prefix, errorOutputPrefix),
    sizeInMBs: numberIn(config.BufferingHints?.SizeInMBs, 'SizeInMBs', DEFAULT_SIZE_IN_MBS, 1, 128),
    intervalInSeconds: numberIn(
      config.BufferingHints?.IntervalInSeconds,
      'IntervalInSeconds',
      DEFAULT_INTERVAL_IN_SECONDS,
      0,
      900,
    ),
    compression,
    fileExtension: extended?.FileExtension ?? (compression === 'GZIP' ? '.gz' : ''),
    customTimeZone: extended?.CustomTimeZone,
    lambda,
    recordDelimiter,
    processingConfiguration: processing,
  };
}

/** The destination as DescribeDeliveryStream shows it. */
export function describeDestination(destination: S3Destination): Record<string, unknown> {
  const s3 = {
    RoleARN: destination.roleArn,
    BucketARN: destination.bucketArn,
    Prefix: destination.prefix,
    ErrorOutputPrefix: destination.errorOutputPrefix,
    BufferingHints: { SizeInMBs: destination.sizeInMBs, IntervalInSeconds: destination.intervalInSeconds },
    CompressionFormat: destination.compression,
    EncryptionConfiguration: { NoEncryptionConfig: 'NoEncryption' },
    CloudWatchLoggingOptions: { Enabled: false },
  };
  return {
    DestinationId: 'destinationId-000000000001',
    S3DestinationDescription: s3,
    ExtendedS3DestinationDescription: {
      ...s3,
      ProcessingConfiguration: destination.processingConfiguration
        ? {
            Enabled: isEnabled(destination.processingConfiguration.Enabled, true),
            Processors: destination.processingConfiguration.Processors ?? [],
          }
        : { Enabled: false, Processors: [] },
      S3BackupMode: 'Disabled',
      FileExtension: destination.fileExtension || undefined,
      CustomTimeZone: destination.customTimeZone,
    },
  };
}
