import type { CreatedResource, ResourceProvider, ResourceToCreate } from '../../cloudformation';
import type {
  AuthorizerProperties,
  DeploymentProperties,
  GatewayResponseProperties,
  MethodProperties,
  RequestValidatorProperties,
  ResourceProperties,
  RestApiRegistry,
  StageProperties,
} from './rest-api-registry';

/** The CloudFormation types {@link apiGatewayResourceProviders} creates. */
export const API_GATEWAY_RESOURCE_TYPES = [
  'AWS::ApiGateway::RestApi',
  'AWS::ApiGateway::Resource',
  'AWS::ApiGateway::Method',
  'AWS::ApiGateway::Authorizer',
  'AWS::ApiGateway::RequestValidator',
  'AWS::ApiGateway::GatewayResponse',
  'AWS::ApiGateway::Deployment',
  'AWS::ApiGateway::Stage',
] as const;

export type ApiGatewayResourceType = (typeof API_GATEWAY_RESOURCE_TYPES)[number];

function requireStrings<T>(resource: ResourceToCreate, names: readonly string[]): T {
  for (const name of names) {
    const value = resource.properties[name];
    if (typeof value !== 'string' || value === '') {
      throw new Error(
        `${resource.type} ${resource.logicalId} (stack ${resource.stackName}) needs the property ${name}`,
      );
    }
  }
  return resource.properties as T;
}

/**
 * Creates the API Gateway resources of a template in the registry, with the ids the interpreter expects (including
 * the RestApi's RootResourceId attribute), so `Ref` and `Fn::GetAtt` resolve to what the registry serves. Like the
 * registry, it is idempotent: a restart replays the templates with the same ids.
 */
export function apiGatewayResourceProviders(
  registry: RestApiRegistry,
): Record<ApiGatewayResourceType, ResourceProvider> {
  const created = (resource: ResourceToCreate, attributes: Record<string, unknown> = {}): CreatedResource => ({
    physicalId: resource.expected.physicalId,
    attributes: { ...resource.expected.attributes, ...attributes },
  });

  return {
    'AWS::ApiGateway::RestApi': {
      create: async (resource) => {
        const root = resource.expected.attributes.RootResourceId;
        const api = registry.createRestApi(resource.expected.physicalId, resource.properties, {
          rootResourceId: typeof root === 'string' ? root : undefined,
        });
        return created(resource, { RestApiId: api.id, RootResourceId: api.rootResourceId });
      },
    },
    'AWS::ApiGateway::Resource': {
      create: async (resource) => {
        const properties = requireStrings<ResourceProperties>(resource, ['RestApiId', 'ParentId', 'PathPart']);
        registry.createResource(resource.expected.physicalId, properties);
        return created(resource);
      },
    },
    'AWS::ApiGateway::Method': {
      create: async (resource) => {
        registry.putMethod(requireStrings<MethodProperties>(resource, ['RestApiId', 'ResourceId', 'HttpMethod']));
        return created(resource);
      },
    },
    'AWS::ApiGateway::Authorizer': {
      create: async (resource) => {
        const properties = requireStrings<AuthorizerProperties>(resource, ['RestApiId', 'Type']);
        registry.createAuthorizer(resource.expected.physicalId, properties);
        return created(resource);
      },
    },
    'AWS::ApiGateway::RequestValidator': {
      create: async (resource) => {
        const properties = requireStrings<RequestValidatorProperties>(resource, ['RestApiId']);
        registry.createRequestValidator(resource.expected.physicalId, properties);
        return created(resource);
      },
    },
    'AWS::ApiGateway::GatewayResponse': {
      create: async (resource) => {
        registry.putGatewayResponse(requireStrings<GatewayResponseProperties>(resource, ['RestApiId', 'ResponseType']));
        return created(resource);
      },
    },
    'AWS::ApiGateway::Deployment': {
      create: async (resource) => {
        const properties = requireStrings<DeploymentProperties>(resource, ['RestApiId']);
        registry.createDeployment(properties, resource.expected.physicalId);
        return created(resource);
      },
    },
    'AWS::ApiGateway::Stage': {
      create: async (resource) => {
        registry.createStage(requireStrings<StageProperties>(resource, ['RestApiId', 'StageName', 'DeploymentId']));
        return created(resource);
      },
    },
  };
}
