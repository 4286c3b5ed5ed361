import { randomUUID } from 'node:crypto';
import { type AwsService, AwsServiceError, type EdgeRequest, type EdgeResponse } from '../../edge/aws-service';
import { element, entryMap, escapeXml, memberList, QueryParams } from './query-protocol';
import type { SnsStore, SubscriptionDescription } from './sns-store';

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';
const PAGE_SIZE = 100;
const MAX_BATCH = 10;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * The local SNS on the wire: the AWS query protocol (form-encoded `Action=...`, XML answers, errors as
 * `<ErrorResponse>` with the codes the SDK maps to its exception classes) over an {@link SnsStore}. Links in
 * messages (SubscribeURL, UnsubscribeURL) are made from the request's Host header, so they lead back to the edge.
 */
export class SnsService implements AwsService {
  readonly signingName = 'sns';

  constructor(readonly store: SnsStore) {}

  async handle(request: EdgeRequest): Promise<EdgeResponse> {
    const requestId = randomUUID();
    try {
      const params = QueryParams.fromRequest(request);
      const action = params.get('Action');
      if (!action) throw new AwsServiceError('MissingAction', 'Missing Action parameter');
      const origin = `http://${request.headers.host ?? '127.0.0.1'}`;
      const result = this.dispatch(action, params, origin);
      const body =
        `<?xml version="1.0"?><${action}Response xmlns="${XMLNS}">` +
        (result === '' ? '' : element(`${action}Result`, result, true)) +
        `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
      return { status: 200, headers: { 'content-type': 'text/xml' }, body };
    } catch (error) {
      return errorResponse(error, requestId);
    }
  }

  /** The content of `<ActionResult>`, or '' for actions that answer with none. */
  private dispatch(action: string, params: QueryParams, origin: string): string {
    const store = this.store;
    switch (action) {
      case 'CreateTopic': {
        const topic = store.createTopic(params.required('Name'), params.map('Attributes'), tags(params, 'Tags'));
        return element('TopicArn', topic.arn);
      }
      case 'DeleteTopic':
        store.deleteTopic(params.required('TopicArn'));
        return '';
      case 'ListTopics': {
        const { page, nextToken } = paginate(store.listTopics(), params.get('NextToken'));
        return memberList('Topics', page, (t) => element('TopicArn', t.arn)) + element('NextToken', nextToken);
      }
      case 'GetTopicAttributes':
        return entryMap('Attributes', store.getTopicAttributes(params.required('TopicArn')));
      case 'SetTopicAttributes':
        store.setTopicAttributes(
          params.required('TopicArn'),
          params.required('AttributeName'),
          params.get('AttributeValue') ?? '',
        );
        return '';
      case 'Subscribe': {
        const subscription = store.subscribe(
          params.required('TopicArn'),
          params.required('Protocol'),
          params.get('Endpoint') ?? '',
          params.map('Attributes'),
          { origin },
        );
        const returnArn = params.get('ReturnSubscriptionArn') === 'true';
        return element(
          'SubscriptionArn',
          subscription.pendingConfirmation && !returnArn ? 'pending confirmation' : subscription.subscriptionArn,
        );
      }
      case 'ConfirmSubscription':
        return element(
          'SubscriptionArn',
          store.confirmSubscription(
            params.required('TopicArn'),
            params.required('Token'),
            params.get('AuthenticateOnUnsubscribe') === 'true',
          ),
        );
      case 'Unsubscribe':
        store.unsubscribe(params.required('SubscriptionArn'), { origin });
        return '';
      case 'ListSubscriptions':
      case 'ListSubscriptionsByTopic': {
        const topicArn = action === 'ListSubscriptionsByTopic' ? params.required('TopicArn') : undefined;
        const { page, nextToken } = paginate(store.listSubscriptions(topicArn), params.get('NextToken'));
        return memberList('Subscriptions', page, subscriptionMember) + element('NextToken', nextToken);
      }
      case 'GetSubscriptionAttributes':
        return entryMap('Attributes', store.getSubscriptionAttributes(params.required('SubscriptionArn')));
      case 'SetSubscriptionAttributes':
        store.setSubscriptionAttributes(
          params.required('SubscriptionArn'),
          params.required('AttributeName'),
          params.get('AttributeValue') ?? '',
        );
        return '';
      case 'Publish': {
        const messageId = store.publish(
          {
            topicArn: params.get('TopicArn'),
            targetArn: params.get('TargetArn'),
            phoneNumber: params.get('PhoneNumber'),
            message: params.get('Message') ?? '',
            subject: params.get('Subject'),
            messageStructure: params.get('MessageStructure'),
            messageAttributes: params.messageAttributes('MessageAttributes'),
          },
          { origin },
        );
        return element('MessageId', messageId);
      }
      case 'PublishBatch':
        return this.publishBatch(params, origin);
      case 'TagResource':
        store.tagResource(params.required('ResourceArn'), tags(params, 'Tags'));
        return '';
      case 'UntagResource':
        store.untagResource(params.required('ResourceArn'), params.list('TagKeys'));
        return '';
      case 'ListTagsForResource': {
        const found = Object.entries(store.listTagsForResource(params.required('ResourceArn')));
        return memberList('Tags', found, ([key, value]) => element('Key', key) + element('Value', value));
      }
      default:
        throw new AwsServiceError('InvalidAction', `The local SNS does not implement the action ${action}.`);
    }
  }

  private publishBatch(params: QueryParams, origin: string): string {
    const topicArn = params.required('TopicArn');
    const entries = params.members('PublishBatchRequestEntries');
    if (entries.length === 0) {
      throw new AwsServiceError('EmptyBatchRequest', 'The batch request does not contain any entries.');
    }
    if (entries.length > MAX_BATCH) {
      throw new AwsServiceError(
        'TooManyEntriesInBatchRequest',
        `The batch request contains more entries than permissible (${MAX_BATCH}).`,
      );
    }
    const ids = new Set<string>();
    for (const entry of entries) {
      const id = entry.get('Id') ?? '';
      if (!BATCH_ENTRY_ID.test(id)) {
        throw new AwsServiceError(
          'InvalidBatchEntryId',
          `The Id of a batch entry in a batch request is invalid: ${id}`,
        );
      }
      if (ids.has(id)) {
        throw new AwsServiceError(
          'BatchEntryIdsNotDistinct',
          'Two or more batch entries in the request have the same Id.',
        );
      }
      ids.add(id);
    }
    const total = entries.reduce((sum, entry) => sum + Buffer.byteLength(entry.get('Message') ?? ''), 0);
    if (total > 262_144) {
      throw new AwsServiceError(
        'BatchRequestTooLong',
        'The length of all the batch messages put together is more than the limit.',
      );
    }
    this.store.getTopicAttributes(topicArn);
    const successful: string[] = [];
    const failed: string[] = [];
    for (const entry of entries) {
      const id = entry.get('Id') as string;
      try {
        const messageId = this.store.publish(
          {
            topicArn,
            message: entry.get('Message') ?? '',
            subject: entry.get('Subject'),
            messageStructure: entry.get('MessageStructure'),
            messageAttributes: entry.messageAttributes('MessageAttributes'),
          },
          { origin },
        );
        successful.push(element('member', element('Id', id) + element('MessageId', messageId), true));
      } catch (error) {
        if (!(error instanceof AwsServiceError)) throw error;
        failed.push(
          element(
            'member',
            element('Id', id) +
              element('Code', error.code) +
              element('Message', error.message) +
              element('SenderFault', error.status < 500),
            true,
          ),
        );
      }
    }
    return element('Successful', successful.join(''), true) + element('Failed', failed.join(''), true);
  }
}

function subscriptionMember(s: SubscriptionDescription): string {
  return (
    element('TopicArn', s.topicArn) +
    element('Protocol', s.protocol) +
    element('SubscriptionArn', s.pendingConfirmation ? 'PendingConfirmation' : s.subscriptionArn) +
    element('Owner', s.owner) +
    element('Endpoint', s.endpoint)
  );
}

function paginate<T>(items: T[], token: string | undefined): { page: T[]; nextToken?: string } {
  const start = token ? Number(token) : 0;
  if (!Number.isInteger(start) || start < 0) {
    throw new AwsServiceError('InvalidParameter', 'Invalid parameter: NextToken');
  }
  const page = items.slice(start, start + PAGE_SIZE);
  const next = start + page.length;
  return { page, ...(next < items.length ? { nextToken: String(next) } : {}) };
}

function tags(params: QueryParams, name: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const member of params.members(name)) result[member.get('Key') ?? ''] = member.get('Value') ?? '';
  return result;
}

function errorResponse(error: unknown, requestId: string): EdgeResponse {
  const known = error instanceof AwsServiceError;
  const code = known ? error.code : 'InternalError';
  const status = known ? error.status : 500;
  const message = error instanceof Error ? error.message : String(error);
  const body =
    `<?xml version="1.0"?><ErrorResponse xmlns="${XMLNS}"><Error>` +
    `<Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${escapeXml(code)}</Code>` +
    `<Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return { status, headers: { 'content-type': 'text/xml' }, body };
}
