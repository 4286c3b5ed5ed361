/**
 * The contract between the edge endpoint and each emulated AWS service. The edge endpoint reads the request, finds
 * the service from the SigV4 credential scope, and hands it a parsed request; the service answers in its own wire
 * protocol (query/XML for SNS, JSON for SQS, Firehose, Kinesis, DynamoDB, REST for S3, Lambda, IoT).
 */
export interface EdgeRequest {
  method: string;
  /** The path without the query string, percent-decoding left to the service (S3 keys need the raw form). */
  path: string;
  query: URLSearchParams;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: Buffer;
  /** From the credential scope, or the default region. */
  region: string;
  /** The local account, 000000000000. */
  accountId: string;
}

export interface EdgeResponse {
  status: number;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

/** One emulated AWS service behind the edge endpoint. */
export interface AwsService {
  /** The SigV4 signing name the AWS SDK puts in the credential scope: `sns`, `sqs`, `s3`, `firehose`, ... */
  readonly signingName: string;
  handle(request: EdgeRequest): Promise<EdgeResponse>;
}

/** The local cloud's account id, as CloudFormation's AWS::AccountId pseudo parameter gives it. */
export const LOCAL_ACCOUNT_ID = '000000000000';
export const DEFAULT_REGION = 'us-east-1';

/**
 * An error an AWS service answers with. `code` is the AWS error code the SDK turns into an exception class
 * (e.g. `ResourceNotFoundException`), `status` the HTTP status.
 */
export class AwsServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'AwsServiceError';
  }
}
