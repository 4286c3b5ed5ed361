/**
 * The local S3: REST/XML API behind the edge endpoint, and the store that other services write objects through.
 *
 * @packageDocumentation
 */
export { decodeAwsChunked, isAwsChunked } from './aws-chunked';
export type { ChecksumAlgorithm, ObjectChecksum } from './s3-checksums';
export { S3Error } from './s3-errors';
export { S3Service, type S3ServiceOptions, type ServiceLogger } from './s3-service';
export {
  isValidBucketName,
  type ListObjectsOptions,
  type ListObjectsResult,
  type PutObjectOptions,
  type S3BucketInfo,
  type S3ObjectInfo,
  S3Store,
  type S3StoreOptions,
} from './s3-store';
