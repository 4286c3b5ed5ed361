import type { ResourceProvider, ResourceToCreate } from '../../cloudformation';
import type { UserPoolRegistry } from './user-pool-registry';

/** The CloudFormation types {@link cognitoResourceProviders} creates. */
export const COGNITO_RESOURCE_TYPES = ['AWS::Cognito::UserPool', 'AWS::Cognito::UserPoolClient'] as const;
export type CognitoResourceType = (typeof COGNITO_RESOURCE_TYPES)[number];

const created = (resource: ResourceToCreate) => ({
  physicalId: resource.expected.physicalId,
  attributes: resource.expected.attributes,
});

/**
 * Records the user pools and app clients of a template in the registry, under the ids the interpreter expects (so
 * `Ref`, `Fn::GetAtt UserPool.Arn` and the authorizer's ProviderARNs agree with what the token issuer signs for).
 * Idempotent: a restart declares them again with the same ids.
 */
export function cognitoResourceProviders(registry: UserPoolRegistry): Record<CognitoResourceType, ResourceProvider> {
  return {
    'AWS::Cognito::UserPool': {
      create: async (resource) => {
        const name = resource.properties.UserPoolName;
        registry.putUserPool({
          id: resource.expected.physicalId,
          accountId: resource.accountId,
          ...(typeof name === 'string' ? { name } : {}),
        });
        return created(resource);
      },
    },
    'AWS::Cognito::UserPoolClient': {
      create: async (resource) => {
        const userPoolId = resource.properties.UserPoolId;
        if (typeof userPoolId !== 'string' || userPoolId === '') {
          throw new Error(
            `${resource.type} ${resource.logicalId} (stack ${resource.stackName}) needs the property UserPoolId`,
          );
        }
        const name = resource.properties.ClientName;
        registry.putClient({
          clientId: resource.expected.physicalId,
          userPoolId,
          ...(typeof name === 'string' ? { name } : {}),
        });
        return created(resource);
      },
    },
  };
}
