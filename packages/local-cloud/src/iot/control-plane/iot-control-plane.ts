import { type AwsService, AwsServiceError, type EdgeRequest, type EdgeResponse } from '../../edge/aws-service';
import type { CertificateAuthority } from '../identity/certificate-authority';
import type { CertificateRegistry } from '../identity/certificate-registry';
import type { PolicyRegistry } from '../identity/policy-registry';
import { type TopicRule, TopicRuleError, type TopicRulePayload, type TopicRuleRegistry } from '../rules';
import { identityRoutes } from './identity-routes';
import { page } from './paging';
import type { ThingRegistry } from './thing-registry';

export interface IotControlPlaneOptions {
  rules: TopicRuleRegistry;
  things: ThingRegistry;
  /**
   * What DescribeEndpoint answers for the data endpoints (`iot:Data-ATS`, `iot:Data`): the broker's host, with the
   * port of MQTT over TLS when it is not 8883 (`127.0.0.1:18883`).
   */
  dataEndpoint: string;
  /**
   * Certificates (signed by the local CA) and policies. Without them the certificate and policy operations answer
   * that they are not implemented.
   */
  identity?: { ca: CertificateAuthority; certificates: CertificateRegistry; policies: PolicyRegistry };
}

export type Json = Record<string, unknown>;
export type Handler = (
  request: EdgeRequest,
  params: string[],
  body: Json,
) => Json | undefined | Promise<Json | undefined>;
export type Route = (method: string, path: string, operation: string, handler: Handler) => void;

const bool = (value: string | null) => (value === null ? undefined : value === 'true');

function ruleBody(rule: TopicRule): Json {
  const { sql, description, actions, awsIotSqlVersion, errorAction } = rule.payload;
  return {
    ruleName: rule.ruleName,
    sql,
    ...(description !== undefined ? { description } : {}),
    createdAt: rule.createdAt,
    actions: actions ?? [],
    ruleDisabled: rule.disabled,
    awsIotSqlVersion,
    ...(errorAction ? { errorAction } : {}),
  };
}

/**
 * The AWS IoT control plane (signing name `iot`, REST-JSON) behind the edge endpoint: topic rules (they run beside
 * the deployed ones), DescribeEndpoint, and the registry of things (with their attached principals), thing types and
 * thing groups.
 */
export class IotControlPlaneService implements AwsService {
  readonly signingName = 'iot';
  private readonly routes: { method: string; pattern: RegExp; operation: string; handler: Handler }[] = [];

  constructor(private readonly options: IotControlPlaneOptions) {
    const { rules, things } = options;
    const route = (method: string, path: string, operation: string, handler: Handler) =>
      this.routes.push({
        method,
        pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, '([^/]+)')}$`),
        operation,
        handler,
      });

    route('POST', '/rules/{ruleName}', 'CreateTopicRule', (_r, [name], body) => {
      rules.createTopicRule(name as string, body as TopicRulePayload);
      return undefined;
    });
    route('PATCH', '/rules/{ruleName}', 'ReplaceTopicRule', (_r, [name], body) => {
      rules.replaceTopicRule(name as string, body as TopicRulePayload);
      return undefined;
    });
    route('GET', '/rules/{ruleName}', 'GetTopicRule', (_r, [name]) => {
      const rule = rules.getTopicRule(name as string);
      return { ruleArn: rule.ruleArn, rule: ruleBody(rule) };
    });
    route('GET', '/rules', 'ListTopicRules', (r) => {
      const topic = r.query.get('topic') ?? undefined;
      const listed = page(rules.list({ topic, ruleDisabled: bool(r.query.get('ruleDisabled')) }), r);
      return {
        rules: listed.items.map((rule) => ({
          ruleArn: rule.ruleArn,
          ruleName: rule.ruleName,
          topicPattern: rule.compiled.topicFilter,
          createdAt: rule.createdAt,
          ruleDisabled: rule.disabled,
        })),
        ...(listed.nextToken ? { nextToken: listed.nextToken } : {}),
      };
    });
    route('DELETE', '/rules/{ruleName}', 'DeleteTopicRule', (_r, [name]) => {
      rules.deleteTopicRule(name as string);
      return undefined;
    });
    route('POST', '/rules/{ruleName}/enable', 'EnableTopicRule', (_r, [name]) => {
      rules.enableTopicRule(name as string);
      return undefined;
    });
    route('POST', '/rules/{ruleName}/disable', 'DisableTopicRule', (_r, [name]) => {
      rules.disableTopicRule(name as string);
      return undefined;
    });
    route('GET', '/endpoint', 'DescribeEndpoint', (r) => {
      const type = r.query.get('endpointType') ?? 'iot:Data';
      if (!['iot:Data', 'iot:Data-ATS', 'iot:CredentialProvider', 'iot:Jobs'].includes(type)) {
        throw new AwsServiceError('InvalidRequestException', `Unknown endpointType ${type}`, 400);
      }
      return { endpointAddress: options.dataEndpoint };
    });

    route('POST', '/things/{thingName}', 'CreateThing', (_r, [name], body) => {
      const thing = things.createThing(name as string, {
        thingTypeName: body.thingTypeName as string | undefined,
        attributes: (body.attributePayload as Json | undefined)?.attributes as Record<string, string> | undefined,
      });
      return { thingName: thing.thingName, thingArn: thing.thingArn, thingId: thing.thingId };
    });
    route('GET', '/things/{thingName}', 'DescribeThing', (_r, [name]) => {
      const thing = things.describeThing(name as string);
      return { defaultClientId: thing.thingName, ...thing };
    });
    route('GET', '/things', 'ListThings', (r) => {
      const listed = page(
        things.listThings({
          attributeName: r.query.get('attributeName') ?? undefined,
          attributeValue: r.query.get('attributeValue') ?? undefined,
          thingTypeName: r.query.get('thingTypeName') ?? undefined,
          usePrefixAttributeValue: bool(r.query.get('usePrefixAttributeValue')),
        }),
        r,
      );
      return {
        things: listed.items.map(({ thingName, thingTypeName, thingArn, attributes, version }) => ({
          thingName,
          ...(thingTypeName ? { thingTypeName } : {}),
          thingArn,
          attributes,
          version,
        })),
        ...(listed.nextToken ? { nextToken: listed.nextToken } : {}),
      };
    });
    route('PATCH', '/things/{thingName}', 'UpdateThing', (_r, [name], body) => {
      const payload = body.attributePayload as Json | undefined;
      things.updateThing(name as string, {
        thingTypeName: body.thingTypeName as string | undefined,
        attributes: payload?.attributes as Record<string, string> | undefined,
        merge: payload?.merge === true,
        expectedVersion: body.expectedVersion as number | undefined,
        removeThingType: body.removeThingType === true,
      });
      return {};
    });
    route('DELETE', '/things/{thingName}', 'DeleteThing', (r, [name]) => {
      const expected = r.query.get('expectedVersion');
      things.deleteThing(name as string, expected === null ? undefined : Number(expected));
      return {};
    });

    route('PUT', '/things/{thingName}/principals', 'AttachThingPrincipal', (r, [name]) => {
      const principal = r.headers['x-amzn-principal'] ?? '';
      const certificateId = options.identity?.certificates.certificateIdOfArn(principal);
      if (certificateId) options.identity?.certificates.describe(certificateId);
      things.attachThingPrincipal(name as string, principal);
      return {};
    });
    route('DELETE', '/things/{thingName}/principals', 'DetachThingPrincipal', (r, [name]) => {
      things.detachThingPrincipal(name as string, r.headers['x-amzn-principal'] ?? '');
      return {};
    });
    route('GET', '/things/{thingName}/principals', 'ListThingPrincipals', (r, [name]) => {
      const listed = page(things.listThingPrincipals(name as string), r);
      return { principals: listed.items, ...(listed.nextToken ? { nextToken: listed.nextToken } : {}) };
    });

    route('POST', '/thing-types/{thingTypeName}', 'CreateThingType', (_r, [name], body) => {
      const type = things.createThingType(name as string, (body.thingTypeProperties as Json | undefined) ?? {});
      return { thingTypeName: type.thingTypeName, thingTypeArn: type.thingTypeArn, thingTypeId: type.thingTypeId };
    });
    route('GET', '/thing-types/{thingTypeName}', 'DescribeThingType', (_r, [name]) => this.thingType(name as string));
    route('GET', '/thing-types', 'ListThingTypes', (r) => {
      const listed = page(things.listThingTypes(r.query.get('thingTypeName') ?? undefined), r);
      return {
        thingTypes: listed.items.map((t) => this.thingType(t.thingTypeName)),
        ...(listed.nextToken ? { nextToken: listed.nextToken } : {}),
      };
    });
    route('POST', '/thing-types/{thingTypeName}/deprecate', 'DeprecateThingType', (_r, [name], body) => {
      things.deprecateThingType(name as string, body.undoDeprecate === true);
      return {};
    });
    route('DELETE', '/thing-types/{thingTypeName}', 'DeleteThingType', (_r, [name]) => {
      things.deleteThingType(name as string);
      return {};
    });

    route('POST', '/thing-groups/{thingGroupName}', 'CreateThingGroup', (_r, [name], body) => {
      const group = things.createThingGroup(name as string, {
        parentGroupName: body.parentGroupName as string | undefined,
        thingGroupProperties: body.thingGroupProperties as Json | undefined,
      });
      return {
        thingGroupName: group.thingGroupName,
        thingGroupArn: group.thingGroupArn,
        thingGroupId: group.thingGroupId,
      };
    });
    route('PUT', '/thing-groups/addThingToThingGroup', 'AddThingToThingGroup', (_r, _p, body) => {
      things.setMembership(
        String(body.thingGroupName ?? body.thingGroupArn ?? ''),
        String(body.thingName ?? body.thingArn ?? ''),
        true,
      );
      return {};
    });
    route('PUT', '/thing-groups/removeThingFromThingGroup', 'RemoveThingFromThingGroup', (_r, _p, body) => {
      things.setMembership(
        String(body.thingGroupName ?? body.thingGroupArn ?? ''),
        String(body.thingName ?? body.thingArn ?? ''),
        false,
      );
      return {};
    });
    route('GET', '/thing-groups/{thingGroupName}/things', 'ListThingsInThingGroup', (r, [name]) => {
      const listed = page(things.thingsInGroup(name as string, r.query.get('recursive') === 'true'), r);
      return { things: listed.items, ...(listed.nextToken ? { nextToken: listed.nextToken } : {}) };
    });
    route('GET', '/thing-groups/{thingGroupName}', 'DescribeThingGroup', (_r, [name]) => {
      const group = things.describeThingGroup(name as string);
      return {
        thingGroupName: group.thingGroupName,
        thingGroupId: group.thingGroupId,
        thingGroupArn: group.thingGroupArn,
        version: group.version,
        thingGroupProperties: group.thingGroupProperties,
        thingGroupMetadata: {
          ...(group.parentGroupName ? { parentGroupName: group.parentGroupName } : {}),
          creationDate: group.creationDate,
        },
        status: 'ACTIVE',
      };
    });
    route('GET', '/thing-groups', 'ListThingGroups', (r) => {
      const listed = page(
        things.listThingGroups({
          parentGroup: r.query.get('parentGroup') ?? undefined,
          namePrefixFilter: r.query.get('namePrefixFilter') ?? undefined,
        }),
        r,
      );
      return {
        thingGroups: listed.items.map((g) => ({ groupName: g.thingGroupName, groupArn: g.thingGroupArn })),
        ...(listed.nextToken ? { nextToken: listed.nextToken } : {}),
      };
    });
    route('DELETE', '/thing-groups/{thingGroupName}', 'DeleteThingGroup', (_r, [name]) => {
      things.deleteThingGroup(name as string);
      return {};
    });
    route('GET', '/things/{thingName}/thing-groups', 'ListThingGroupsForThing', (r, [name]) => {
      const listed = page(things.groupsOfThing(name as string), r);
      return {
        thingGroups: listed.items.map((g) => ({ groupName: g.thingGroupName, groupArn: g.thingGroupArn })),
        ...(listed.nextToken ? { nextToken: listed.nextToken } : {}),
      };
    });
    if (options.identity) identityRoutes(route, { ...options.identity, things });
  }

  async handle(request: EdgeRequest): Promise<EdgeResponse> {
    const path = request.path.replace(/\/+$/, '') || '/';
    for (const route of this.routes) {
      if (route.method !== request.method) continue;
      const match = route.pattern.exec(path);
      if (!match) continue;
      try {
        const params = match.slice(1).map((p) => decodeURIComponent(p));
        const body = request.body.length > 0 ? (JSON.parse(request.body.toString('utf8')) as Json) : {};
        const answer = await route.handler(request, params, body);
        // A change is answered once it is on disk, so what a caller was told exists survives a crash.
        if (request.method !== 'GET') {
          const { things, identity } = this.options;
          await Promise.all([things.persisted(), identity?.certificates.persisted(), identity?.policies.persisted()]);
        }
        return {
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: answer === undefined ? '' : JSON.stringify(answer),
        };
      } catch (error) {
        return this.error(error);
      }
    }
    return this.error(
      new AwsServiceError(
        'UnknownOperationException',
        `The local AWS IoT control plane does not implement ${request.method} ${path}`,
        404,
      ),
    );
  }

  private thingType(name: string): Json {
    const type = this.options.things.describeThingType(name);
    return {
      thingTypeName: type.thingTypeName,
      thingTypeId: type.thingTypeId,
      thingTypeArn: type.thingTypeArn,
      thingTypeProperties: type.thingTypeProperties,
      thingTypeMetadata: {
        deprecated: type.deprecated,
        ...(type.deprecationDate ? { deprecationDate: type.deprecationDate } : {}),
        creationDate: type.creationDate,
      },
    };
  }

  private error(error: unknown): EdgeResponse {
    let code = 'InternalFailureException';
    let status = 500;
    let message = error instanceof Error ? error.message : String(error);
    if (error instanceof TopicRuleError || error instanceof AwsServiceError) {
      code = error.code;
      status = error.status;
    } else if (error instanceof SyntaxError) {
      code = 'InvalidRequestException';
      status = 400;
      message = `The request body is not JSON: ${message}`;
    }
    return {
      status,
      headers: { 'content-type': 'application/json', 'x-amzn-errortype': code },
      body: JSON.stringify({ message }),
    };
  }
}
