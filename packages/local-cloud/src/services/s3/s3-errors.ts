import { AwsServiceError } from '../../edge/aws-service';

/**
 * An S3 error: the code the SDK turns into an exception class (`NoSuchKey`, `NoSuchBucket`, ...), the HTTP status,
 * and the extra elements S3 adds to its `<Error>` document (`BucketName`, `Key`, ...).
 */
export class S3Error extends AwsServiceError {
  constructor(
    code: string,
    message: string,
    status = 400,
    readonly details: Record<string, string> = {},
  ) {
    super(code, message, status);
    this.name = 'S3Error';
  }
}

export const noSuchBucket = (bucket: string) =>
  new S3Error('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket });

export const noSuchKey = (key: string) =>
  new S3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });

export const notImplemented = (what: string) =>
  new S3Error('NotImplemented', `The local cloud does not implement ${what}`, 501);
