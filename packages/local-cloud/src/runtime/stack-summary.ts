import type { DeployedStack } from '../cloudformation';

/** What a deployed stack holds, by kind, as the start-up table and the health route show it. */
export interface StackSummary {
  service: string;
  stackName: string;
  /** The package was reused (unchanged since the last start) rather than packaged again. */
  reused: boolean;
  functions: string[];
  tables: string[];
  queues: string[];
  topics: string[];
  /** Kinesis streams and Firehose delivery streams. */
  streams: string[];
  buckets: string[];
  topicRules: string[];
  schedules: string[];
  /** `stream -> function` for each event source mapping. */
  eventSources: string[];
  /** `PUT /devices/{deviceId}/config`: the methods the stack adds to a REST API, CORS preflights aside. */
  routes: string[];
  outputs: Record<string, string>;
}

/** Buckets `serverless deploy` uploads its artifacts to: nothing locally reads them. */
const DEPLOYMENT_BUCKET = 'ServerlessDeploymentBucket';

const lastSegment = (arnOrName: string) => arnOrName.split(/[:/]/).pop() ?? arnOrName;

/**
 * Summarizes a deployed stack. `routePath` gives the path template of an API Gateway resource
 * (`RestApiRegistry.resourcePath`).
 */
export function summarizeStack(
  service: string,
  stack: DeployedStack,
  options: { reused: boolean; routePath: (restApiId: string, resourceId: string) => string },
): StackSummary {
  const summary: StackSummary = {
    service,
    stackName: stack.stackName,
    reused: options.reused,
    functions: [],
    tables: [],
    queues: [],
    topics: [],
    streams: [],
    buckets: [],
    topicRules: [],
    schedules: [],
    eventSources: [],
    routes: [],
    outputs: stack.outputs,
  };
  for (const logicalId of stack.order) {
    const resource = stack.resources[logicalId];
    if (!resource) continue;
    const { physicalId, properties, attributes } = resource;
    switch (resource.type) {
      case 'AWS::Lambda::Function':
        summary.functions.push(physicalId);
        break;
      case 'AWS::DynamoDB::Table':
        summary.tables.push(physicalId);
        break;
      case 'AWS::SQS::Queue':
        summary.queues.push(String(attributes.QueueName ?? lastSegment(physicalId)));
        break;
      case 'AWS::SNS::Topic':
        summary.topics.push(String(attributes.TopicName ?? lastSegment(physicalId)));
        break;
      case 'AWS::Kinesis::Stream':
        summary.streams.push(`${physicalId} (Kinesis)`);
        break;
      case 'AWS::KinesisFirehose::DeliveryStream':
        summary.streams.push(`${physicalId} (Firehose)`);
        break;
      case 'AWS::S3::Bucket':
        if (logicalId !== DEPLOYMENT_BUCKET) summary.buckets.push(physicalId);
        break;
      case 'AWS::IoT::TopicRule':
        summary.topicRules.push(physicalId);
        break;
      case 'AWS::Events::Rule':
        summary.schedules.push(
          `${physicalId}${properties.ScheduleExpression ? ` ${properties.ScheduleExpression}` : ''}`,
        );
        break;
      case 'AWS::Lambda::EventSourceMapping':
        summary.eventSources.push(
          `${lastSegment(String(properties.EventSourceArn))} -> ${lastSegment(String(properties.FunctionName))}`,
        );
        break;
      case 'AWS::ApiGateway::Method': {
        const method = String(properties.HttpMethod).toUpperCase();
        if (method === 'OPTIONS') break;
        try {
          summary.routes.push(
            `${method} ${options.routePath(String(properties.RestApiId), String(properties.ResourceId))}`,
          );
        } catch {
          summary.routes.push(`${method} (resource ${String(properties.ResourceId)})`);
        }
        break;
      }
      default:
        break;
    }
  }
  return summary;
}

const KINDS: [keyof StackSummary, string][] = [
  ['functions', 'functions'],
  ['routes', 'routes'],
  ['tables', 'tables'],
  ['queues', 'queues'],
  ['topics', 'topics'],
  ['streams', 'streams'],
  ['buckets', 'buckets'],
  ['eventSources', 'event sources'],
  ['topicRules', 'topic rules'],
  ['schedules', 'schedules'],
];

/** The endpoints and the deployed stacks as aligned text, for the console. */
export function formatStartupReport(report: {
  endpoints: Record<string, string>;
  stacks: readonly StackSummary[];
  stage: string;
  seconds: number;
  dataDir: string;
}): string {
  const lines: string[] = [];
  const width = Math.max(...Object.keys(report.endpoints).map((name) => name.length));
  lines.push('Endpoints');
  for (const [name, url] of Object.entries(report.endpoints)) lines.push(`  ${name.padEnd(width)}  ${url}`);
  lines.push('');
  lines.push(
    `Deployed ${report.stacks.length} stack${report.stacks.length === 1 ? '' : 's'} (stage ${report.stage}) in ${report.seconds.toFixed(1)} s, data in ${report.dataDir}`,
  );
  const kindWidth = Math.max(...KINDS.map(([, label]) => label.length));
  for (const stack of report.stacks) {
    lines.push('');
    lines.push(`  ${stack.stackName}${stack.reused ? ' (package reused)' : ''}`);
    for (const [key, label] of KINDS) {
      const items = stack[key] as string[];
      if (items.length === 0) continue;
      lines.push(`    ${label.padEnd(kindWidth)}  ${items.join(', ')}`);
    }
  }
  return lines.join('\n');
}
