import { AwsServiceError } from '../../edge/aws-service';
import { apiGatewayId, randomApiGatewayId } from './ids';
import { type ApiGatewayLogger, stderrApiGatewayLogger } from './logger';

/*
 * The control plane of the REST API emulation. The CloudFormation interpreter feeds it the resolved properties of
 * AWS::ApiGateway::RestApi, Resource, Method, Authorizer, RequestValidator, GatewayResponse, Deployment and Stage,
 * with the physical ids it chose. Names and shapes follow CloudFormation, so a template's Properties pass through.
 */

/** Properties of AWS::ApiGateway::RestApi. Only those named here change behaviour; the rest are kept. */
export interface RestApiProperties {
  Name?: string;
  Description?: string;
  BinaryMediaTypes?: string[];
  [property: string]: unknown;
}

/** Properties of AWS::ApiGateway::Resource. */
export interface ResourceProperties {
  RestApiId: string;
  ParentId: string;
  PathPart: string;
}

/** One entry of an Integration's IntegrationResponses. */
export interface IntegrationResponseProperties {
  StatusCode: string | number;
  SelectionPattern?: string;
  ResponseParameters?: Record<string, string>;
  ResponseTemplates?: Record<string, string>;
  [property: string]: unknown;
}

export type IntegrationType = 'AWS_PROXY' | 'MOCK' | 'AWS' | 'HTTP' | 'HTTP_PROXY';

/** The Integration of an AWS::ApiGateway::Method. */
export interface IntegrationProperties {
  Type: IntegrationType | (string & {});
  /** For AWS_PROXY: `arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function arn>/invocations`. */
  Uri?: string;
  IntegrationHttpMethod?: string;
  /** Between 50 and 29000 in AWS unless raised for the account; 29000 when absent. */
  TimeoutInMillis?: number;
  RequestTemplates?: Record<string, string>;
  IntegrationResponses?: IntegrationResponseProperties[];
  [property: string]: unknown;
}

export type AuthorizationType = 'NONE' | 'AWS_IAM' | 'CUSTOM' | 'COGNITO_USER_POOLS';

/** Properties of AWS::ApiGateway::Method. */
export interface MethodProperties {
  RestApiId: string;
  ResourceId: string;
  HttpMethod: string;
  AuthorizationType?: AuthorizationType | (string & {});
  AuthorizerId?: string;
  AuthorizationScopes?: string[];
  ApiKeyRequired?: boolean;
  Integration?: IntegrationProperties;
  /** `method.request.{path|querystring|header}.<name>`: true when required (checked by a request validator). */
  RequestParameters?: Record<string, boolean>;
  RequestValidatorId?: string;
  [property: string]: unknown;
}

/** Properties of AWS::ApiGateway::Authorizer. */
export interface AuthorizerProperties {
  RestApiId: string;
  Name?: string;
  Type: 'COGNITO_USER_POOLS' | 'TOKEN' | 'REQUEST' | (string & {});
  IdentitySource?: string;
  ProviderARNs?: string[];
  AuthorizerUri?: string;
  AuthorizerResultTtlInSeconds?: number;
  IdentityValidationExpression?: string;
  [property: string]: unknown;
}

/** Properties of AWS::ApiGateway::RequestValidator. */
export interface RequestValidatorProperties {
  RestApiId: string;
  Name?: string;
  ValidateRequestBody?: boolean;
  ValidateRequestParameters?: boolean;
}

/** Properties of AWS::ApiGateway::GatewayResponse (the responses API Gateway itself gives, e.g. with CORS headers). */
export interface GatewayResponseProperties {
  RestApiId: string;
  ResponseType: string;
  StatusCode?: string;
  ResponseParameters?: Record<string, string>;
  ResponseTemplates?: Record<string, string>;
}

/** Properties of AWS::ApiGateway::Deployment. */
export interface DeploymentProperties {
  RestApiId: string;
  StageName?: string;
  Description?: string;
  StageDescription?: { Variables?: Record<string, string>; [property: string]: unknown };
}

/** Properties of AWS::ApiGateway::Stage. */
export interface StageProperties {
  RestApiId: string;
  StageName: string;
  DeploymentId: string;
  Variables?: Record<string, string>;
  Description?: string;
}

export interface AuthorizerRecord {
  id: string;
  properties: AuthorizerProperties;
}

/** A resource as a deployment froze it: its full path template and its methods by HTTP method (ANY included). */
export interface DeployedApiResource {
  id: string;
  /** The resource path template, `/devices/{deviceId}/config`; `/` for the root. */
  path: string;
  methods: ReadonlyMap<string, MethodProperties>;
}

/** The resource tree of a deployment, as request routing walks it. */
export interface RouteNode {
  resource: DeployedApiResource;
  literals: ReadonlyMap<string, RouteNode>;
  /** The child `{name}`, if any; only one variable child per parent, as in AWS. */
  variable?: { name: string; node: RouteNode };
  /** The child `{name+}`, if any. */
  greedy?: { name: string; node: RouteNode };
}

/** What a deployment froze of its API: later changes reach a stage only through a new deployment, as in AWS. */
export interface DeploymentSnapshot {
  id: string;
  restApiId: string;
  binaryMediaTypes: readonly string[];
  root: RouteNode;
  authorizers: ReadonlyMap<string, AuthorizerRecord>;
  requestValidators: ReadonlyMap<string, RequestValidatorProperties>;
  gatewayResponses: ReadonlyMap<string, GatewayResponseProperties>;
}

/** A stage, the deployment it serves, and its stage variables. */
export interface DeployedStage {
  restApiId: string;
  stageName: string;
  variables: Readonly<Record<string, string>>;
  deployment: DeploymentSnapshot;
}

export interface RestApiSummary {
  id: string;
  rootResourceId: string;
  name?: string;
  stages: string[];
}

interface ResourceState {
  id: string;
  /** Undefined for the root resource. */
  parentId?: string;
  pathPart: string;
}

interface RestApiState {
  id: string;
  rootResourceId: string;
  properties: RestApiProperties;
  resources: Map<string, ResourceState>;
  methods: Map<string, Map<string, MethodProperties>>;
  authorizers: Map<string, AuthorizerRecord>;
  requestValidators: Map<string, RequestValidatorProperties>;
  gatewayResponses: Map<string, GatewayResponseProperties>;
  deployments: Map<string, DeploymentSnapshot>;
  stages: Map<string, { deploymentId: string; variables: Record<string, string> }>;
}

const HTTP_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY']);
const EMULATED_INTEGRATIONS = new Set(['AWS_PROXY', 'MOCK']);
const AUTHORIZER_TYPES = new Set(['CUSTOM', 'COGNITO_USER_POOLS']);
const PATH_PART = /^(?:[A-Za-z0-9._\-:@~$&'()*,;=!]+|\{[A-Za-z0-9._-]+\+?\})$/;
const LAMBDA_INVOCATION_URI = /^arn:[^:]+:apigateway:[^:]*:lambda:path\/2015-03-31\/functions\/(.+)\/invocations$/;

const notFound = (message: string) => new AwsServiceError('NotFoundException', message, 404);
const badRequest = (message: string) => new AwsServiceError('BadRequestException', message, 400);
const conflict = (message: string) => new AwsServiceError('ConflictException', message, 409);

const variableName = (pathPart: string) => /^\{(.+?)\+?\}$/.exec(pathPart)?.[1];
const isGreedy = (pathPart: string) => pathPart.endsWith('+}');

/**
 * The function ARN in an AWS_PROXY integration URI, with `${stageVariables.x}` filled in; undefined if the URI does
 * not name a Lambda function.
 */
export function lambdaArnFromIntegrationUri(uri: string, stageVariables: Readonly<Record<string, string>> = {}) {
  const rendered = uri.replace(
    /\$\{stageVariables\.([A-Za-z0-9_]+)\}/g,
    (_, name: string) => stageVariables[name] ?? '',
  );
  return LAMBDA_INVOCATION_URI.exec(rendered)?.[1];
}

/**
 * The REST APIs of the local cloud. Every call is idempotent: creating what exists with the same id updates it in
 * place and keeps what other stacks attached to it, so a restart (or a redeploy of one stack) that replays the
 * templates with the same ids leaves the same API. Ids are the caller's: {@link apiGatewayId} makes stable ones.
 */
export class RestApiRegistry {
  private readonly apis = new Map<string, RestApiState>();

  /** The logger hears of configuration that is recorded but not carried out (an integration type not emulated...). */
  constructor(private readonly logger: ApiGatewayLogger = stderrApiGatewayLogger) {}

  /**
   * Creates or updates a REST API. Its root resource id (`Fn::GetAtt [Api, RootResourceId]`) is `rootResourceId`
   * if given, else derived from the API id, so it is stable across restarts too.
   */
  createRestApi(
    id: string,
    properties: RestApiProperties = {},
    options: { rootResourceId?: string } = {},
  ): { id: string; rootResourceId: string } {
    const existing = this.apis.get(id);
    if (existing) {
      if (options.rootResourceId && options.rootResourceId !== existing.rootResourceId) {
        throw conflict(`RestApi ${id} already exists with root resource ${existing.rootResourceId}`);
      }
      existing.properties = structuredClone(properties);
      return { id, rootResourceId: existing.rootResourceId };
    }
    const rootResourceId = options.rootResourceId ?? apiGatewayId(`${id}/`);
    this.apis.set(id, {
      id,
      rootResourceId,
      properties: structuredClone(properties),
      resources: new Map([[rootResourceId, { id: rootResourceId, pathPart: '' }]]),
      methods: new Map(),
      authorizers: new Map(),
      requestValidators: new Map(),
      gatewayResponses: new Map(),
      deployments: new Map(),
      stages: new Map(),
    });
    return { id, rootResourceId };
  }

  deleteRestApi(id: string): void {
    this.apis.delete(id);
  }

  /** Creates or moves a resource; returns its full path template. */
  createResource(id: string, properties: ResourceProperties): { id: string; path: string } {
    const api = this.api(properties.RestApiId);
    const { ParentId: parentId, PathPart: pathPart } = properties;
    if (id === api.rootResourceId) throw badRequest(`Resource ${id} is the root resource of RestApi ${api.id}`);
    if (!PATH_PART.test(pathPart)) {
      throw badRequest(
        `Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace: ${pathPart}`,
      );
    }
    const parent = api.resources.get(parentId);
    if (!parent) throw notFound(`Invalid Resource identifier specified: ${parentId} in RestApi ${api.id}`);
    if (isGreedy(parent.pathPart)) {
      throw badRequest(`Cannot create a child of a resource with a greedy path variable: ${parent.pathPart}`);
    }
    for (let ancestor: ResourceState | undefined = parent; ancestor; ) {
      if (ancestor.id === id) throw badRequest(`Resource ${id} cannot be moved under itself`);
      ancestor = ancestor.parentId ? api.resources.get(ancestor.parentId) : undefined;
    }
    for (const sibling of api.resources.values()) {
      if (sibling.parentId !== parentId || sibling.id === id) continue;
      if (sibling.pathPart === pathPart) {
        throw conflict(`Another resource with the same parent already has this name: ${pathPart} (${sibling.id})`);
      }
      if (variableName(pathPart) && variableName(sibling.pathPart)) {
        throw badRequest(
          `A sibling (${sibling.pathPart}) of this resource already has a variable path part -- only one is allowed`,
        );
      }
    }
    api.resources.set(id, { id, parentId, pathPart });
    return { id, path: this.pathOf(api, id) };
  }

  /** Deletes a resource, its descendants and their methods. */
  deleteResource(restApiId: string, id: string): void {
    const api = this.api(restApiId);
    if (id === api.rootResourceId) throw badRequest('The root resource cannot be deleted');
    const doomed = new Set([id]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const resource of api.resources.values()) {
        if (resource.parentId && doomed.has(resource.parentId) && !doomed.has(resource.id)) {
          doomed.add(resource.id);
          grew = true;
        }
      }
    }
    for (const doomedId of doomed) {
      api.resources.delete(doomedId);
      api.methods.delete(doomedId);
    }
  }

  /** Creates or replaces the method of a resource. */
  putMethod(properties: MethodProperties): void {
    const api = this.api(properties.RestApiId);
    const resource = api.resources.get(properties.ResourceId);
    if (!resource) throw notFound(`Invalid Resource identifier specified: ${properties.ResourceId}`);
    const httpMethod = properties.HttpMethod.toUpperCase();
    if (!HTTP_METHODS.has(httpMethod)) throw badRequest(`Invalid HttpMethod specified: ${properties.HttpMethod}`);
    const authorizationType = properties.AuthorizationType ?? 'NONE';
    if (AUTHORIZER_TYPES.has(authorizationType)) {
      if (!properties.AuthorizerId || !api.authorizers.has(properties.AuthorizerId)) {
        throw badRequest(`Invalid authorizer ID specified: ${properties.AuthorizerId ?? '(none)'}`);
      }
    }
    if (properties.RequestValidatorId && !api.requestValidators.has(properties.RequestValidatorId)) {
      // Validators only check requests, so a method is still served without one; say why nothing is checked.
      this.logger.warn('Method names a request validator the API does not have: its requests are not validated', {
        restApiId: api.id,
        requestValidatorId: properties.RequestValidatorId,
      });
    }
    const integration = properties.Integration;
    if (integration?.Type === 'AWS_PROXY' && !lambdaArnFromIntegrationUri(integration.Uri ?? '', {})) {
      // A Uri built only from stage variables is checked when it is called.
      if (!integration.Uri?.includes('${stageVariables.')) {
        throw badRequest(`AWS_PROXY integration URI does not name a Lambda function: ${integration.Uri ?? '(none)'}`);
      }
    }
    if (integration && !EMULATED_INTEGRATIONS.has(integration.Type)) {
      this.logger.warn('Integration type not emulated: requests to this method answer 500', {
        restApiId: api.id,
        path: this.pathOf(api, resource.id),
        httpMethod,
        integrationType: integration.Type,
      });
    }
    const methods = api.methods.get(resource.id) ?? new Map<string, MethodProperties>();
    methods.set(
      httpMethod,
      structuredClone({ ...properties, HttpMethod: httpMethod, AuthorizationType: authorizationType }),
    );
    api.methods.set(resource.id, methods);
  }

  deleteMethod(restApiId: string, resourceId: string, httpMethod: string): void {
    this.api(restApiId).methods.get(resourceId)?.delete(httpMethod.toUpperCase());
  }

  /** Records an authorizer; which requests it lets through is the server's `authorize` strategy's business. */
  createAuthorizer(id: string, properties: AuthorizerProperties): { id: string } {
    this.api(properties.RestApiId).authorizers.set(id, { id, properties: structuredClone(properties) });
    return { id };
  }

  deleteAuthorizer(restApiId: string, id: string): void {
    this.api(restApiId).authorizers.delete(id);
  }

  createRequestValidator(id: string, properties: RequestValidatorProperties): { id: string } {
    this.api(properties.RestApiId).requestValidators.set(id, structuredClone(properties));
    return { id };
  }

  /** Customises a response API Gateway gives itself (403 for unknown routes, 502 for function errors...). */
  putGatewayResponse(properties: GatewayResponseProperties): void {
    this.api(properties.RestApiId).gatewayResponses.set(properties.ResponseType, structuredClone(properties));
  }

  /**
   * Freezes the API as it is now into a deployment and, with a StageName, points that stage at it. As in AWS, a stage
   * serves what its deployment froze: every stack that attaches methods deploys again, and that deployment carries
   * the methods of every stack.
   */
  createDeployment(properties: DeploymentProperties, id = randomApiGatewayId()): { id: string } {
    const api = this.api(properties.RestApiId);
    const methodCount = [...api.methods.values()].reduce((count, methods) => count + methods.size, 0);
    if (methodCount === 0) throw badRequest(`The REST API ${api.id} doesn't contain any methods`);
    for (const [resourceId, methods] of api.methods) {
      for (const [httpMethod, method] of methods) {
        if (!method.Integration) {
          throw badRequest(`No integration defined for method ${httpMethod} ${this.pathOf(api, resourceId)}`);
        }
      }
    }
    api.deployments.set(id, this.snapshot(api, id));
    if (properties.StageName) {
      const variables = properties.StageDescription?.Variables ?? api.stages.get(properties.StageName)?.variables;
      api.stages.set(properties.StageName, { deploymentId: id, variables: { ...variables } });
    }
    return { id };
  }

  /** Creates or updates a stage (AWS::ApiGateway::Stage) serving an existing deployment. */
  createStage(properties: StageProperties): void {
    const api = this.api(properties.RestApiId);
    if (!api.deployments.has(properties.DeploymentId)) {
      throw notFound(`Invalid deployment identifier specified: ${properties.DeploymentId}`);
    }
    api.stages.set(properties.StageName, {
      deploymentId: properties.DeploymentId,
      variables: { ...properties.Variables },
    });
  }

  deleteStage(restApiId: string, stageName: string): void {
    this.api(restApiId).stages.delete(stageName);
  }

  /**
   * The stage requests to `/<stage>/...` reach: of the API with `restApiId` if given, else of the first API
   * created that has a stage of that name.
   */
  findStage(stageName: string, restApiId?: string): DeployedStage | undefined {
    const candidates = restApiId ? [this.apis.get(restApiId)] : [...this.apis.values()];
    for (const api of candidates) {
      if (!api) continue;
      const stage = api.stages.get(stageName);
      const deployment = stage && api.deployments.get(stage.deploymentId);
      if (stage && deployment) {
        return { restApiId: api.id, stageName, variables: stage.variables, deployment };
      }
    }
    return undefined;
  }

  listRestApis(): RestApiSummary[] {
    return [...this.apis.values()].map((api) => ({
      id: api.id,
      rootResourceId: api.rootResourceId,
      name: api.properties.Name,
      stages: [...api.stages.keys()],
    }));
  }

  /** The path template of a resource, `/devices/{deviceId}`. */
  resourcePath(restApiId: string, resourceId: string): string {
    const api = this.api(restApiId);
    if (!api.resources.has(resourceId)) throw notFound(`Invalid Resource identifier specified: ${resourceId}`);
    return this.pathOf(api, resourceId);
  }

  private api(id: string): RestApiState {
    const api = this.apis.get(id);
    if (!api) throw notFound(`Invalid API identifier specified: ${id}`);
    return api;
  }

  private pathOf(api: RestApiState, resourceId: string): string {
    const parts: string[] = [];
    for (let resource = api.resources.get(resourceId); resource?.parentId; ) {
      parts.unshift(resource.pathPart);
      resource = api.resources.get(resource.parentId);
    }
    return `/${parts.join('/')}`;
  }

  private snapshot(api: RestApiState, deploymentId: string): DeploymentSnapshot {
    const nodes = new Map<string, RouteNode & { literals: Map<string, RouteNode> }>();
    for (const resource of api.resources.values()) {
      nodes.set(resource.id, {
        resource: {
          id: resource.id,
          path: this.pathOf(api, resource.id),
          methods: new Map(structuredClone([...(api.methods.get(resource.id) ?? new Map())])),
        },
        literals: new Map(),
      });
    }
    for (const resource of api.resources.values()) {
      const node = nodes.get(resource.id);
      const parent = resource.parentId ? nodes.get(resource.parentId) : undefined;
      if (!node || !parent) continue;
      const name = variableName(resource.pathPart);
      if (!name) parent.literals.set(resource.pathPart, node);
      else if (isGreedy(resource.pathPart)) parent.greedy = { name, node };
      else parent.variable = { name, node };
    }
    const root = nodes.get(api.rootResourceId);
    if (!root) throw new Error(`RestApi ${api.id} lost its root resource`);
    return {
      id: deploymentId,
      restApiId: api.id,
      binaryMediaTypes: [...(api.properties.BinaryMediaTypes ?? [])],
      root,
      authorizers: new Map(structuredClone([...api.authorizers])),
      requestValidators: new Map(structuredClone([...api.requestValidators])),
      gatewayResponses: new Map(structuredClone([...api.gatewayResponses])),
    };
  }
}
