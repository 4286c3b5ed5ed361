import type { CloudFormationLogger, ResourceProvider } from '../cloudformation';
import { asExpected, resourceName } from './template-values';

/** What the bucket provider needs of the local S3 (`S3Service`). */
export interface BucketService {
  createBucket(name: string, options?: { region?: string }): Promise<{ created: boolean }>;
}

/** Bucket settings clients can observe that the local S3 does not emulate. */
const NOT_EMULATED = [
  'NotificationConfiguration',
  'LifecycleConfiguration',
  'VersioningConfiguration',
  'WebsiteConfiguration',
  'ReplicationConfiguration',
  'ObjectLockConfiguration',
];

/**
 * AWS::S3::Bucket in the local S3: creates the bucket, or keeps it and its objects when it exists. Encryption,
 * public access blocks, ownership controls and policies need no emulation; the settings listed in `NOT_EMULATED`
 * are reported once per deployment.
 */
export function s3BucketProvider(s3: BucketService, logger?: CloudFormationLogger): ResourceProvider {
  return {
    create: async (resource) => {
      await s3.createBucket(resourceName(resource), { region: resource.region });
      for (const property of NOT_EMULATED) {
        const value = resource.properties[property];
        if (value === undefined) continue;
        if (property === 'VersioningConfiguration' && (value as { Status?: string }).Status !== 'Enabled') continue;
        logger?.warn(`${resource.stackName}: ${resource.logicalId}: ${property} is not emulated by the local cloud`, {
          stackName: resource.stackName,
          logicalId: resource.logicalId,
        });
      }
      return asExpected(resource);
    },
  };
}
