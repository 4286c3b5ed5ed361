import { createHash } from 'node:crypto';
import type { MessageAttributeValue } from '../../contracts';

/**
 * The documents SNS sends to subscribers: the HTTP/S (and SQS, email-json) JSON envelope, the SubscriptionConfirmation
 * and UnsubscribeConfirmation messages, and the Lambda SNS event. Field names and order follow the AWS documentation.
 */

/** One published message, after per-protocol selection of `MessageStructure: json`. */
export interface Notification {
  messageId: string;
  topicArn: string;
  subject?: string;
  message: string;
  /** ISO 8601 with milliseconds, as SNS writes it. */
  timestamp: string;
  attributes: Record<string, MessageAttributeValue>;
}

/** Where the links in a notification point: the local SNS behind the edge endpoint. */
export interface SnsLinks {
  origin: string;
  region: string;
}

/** Message attributes as SNS notifications carry them: `{ Type, Value }`, binary values in base64. */
export function notificationAttributes(
  attributes: Record<string, MessageAttributeValue>,
): Record<string, { Type: string; Value: string }> {
  const result: Record<string, { Type: string; Value: string }> = {};
  for (const [name, value] of Object.entries(attributes)) {
    result[name] = {
      Type: value.DataType,
      Value:
        value.BinaryValue !== undefined ? Buffer.from(value.BinaryValue).toString('base64') : (value.StringValue ?? ''),
    };
  }
  return result;
}

/**
 * A link that reaches the local SNS through the edge endpoint without an Authorization header: the edge finds the
 * service from `X-Amz-Credential`, like a presigned URL. The subscriber fetches it as it would AWS's SubscribeURL.
 */
export function actionUrl(links: SnsLinks, params: Record<string, string>): string {
  const query = new URLSearchParams({
    ...params,
    'X-Amz-Credential': `local/20000101/${links.region}/sns/aws4_request`,
  });
  return `${links.origin.replace(/\/$/, '')}/?${query.toString()}`;
}

/**
 * Where a notification says its signing certificate is. Notifications are not signed with an AWS key locally, so
 * a subscriber that verifies signatures must skip that check against the local cloud.
 */
export function signingCertUrl(links: SnsLinks): string {
  return `${links.origin.replace(/\/$/, '')}/SimpleNotificationService-local.pem`;
}

/** A stand-in for the RSA signature: a digest of the documented string to sign, so it changes with the content. */
function signature(fields: Record<string, string | undefined>): string {
  const text = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name}\n${value}\n`)
    .join('');
  return createHash('sha256').update(text).digest('base64');
}

/** The JSON body of an HTTP/S notification, also the SQS message body and the email-json content. */
export function notificationEnvelope(notification: Notification, subscriptionArn: string, links: SnsLinks) {
  const attributes = notificationAttributes(notification.attributes);
  return {
    Type: 'Notification',
    MessageId: notification.messageId,
    TopicArn: notification.topicArn,
    ...(notification.subject !== undefined ? { Subject: notification.subject } : {}),
    Message: notification.message,
    Timestamp: notification.timestamp,
    SignatureVersion: '1',
    Signature: signature({
      Message: notification.message,
      MessageId: notification.messageId,
      Subject: notification.subject,
      Timestamp: notification.timestamp,
      TopicArn: notification.topicArn,
      Type: 'Notification',
    }),
    SigningCertURL: signingCertUrl(links),
    UnsubscribeURL: actionUrl(links, { Action: 'Unsubscribe', SubscriptionArn: subscriptionArn }),
    ...(Object.keys(attributes).length > 0 ? { MessageAttributes: attributes } : {}),
  };
}

/** The SubscriptionConfirmation or UnsubscribeConfirmation message posted to an HTTP/S endpoint. */
export function confirmationMessage(
  type: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation',
  details: { messageId: string; token: string; topicArn: string; timestamp: string },
  links: SnsLinks,
) {
  const subscribeUrl = actionUrl(links, {
    Action: 'ConfirmSubscription',
    TopicArn: details.topicArn,
    Token: details.token,
  });
  const message =
    type === 'SubscriptionConfirmation'
      ? `You have chosen to subscribe to the topic ${details.topicArn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`
      : `You have chosen to deactivate subscription to the topic ${details.topicArn}.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.`;
  return {
    Type: type,
    MessageId: details.messageId,
    Token: details.token,
    TopicArn: details.topicArn,
    Message: message,
    SubscribeURL: subscribeUrl,
    Timestamp: details.timestamp,
    SignatureVersion: '1',
    Signature: signature({
      Message: message,
      MessageId: details.messageId,
      SubscribeURL: subscribeUrl,
      Timestamp: details.timestamp,
      Token: details.token,
      TopicArn: details.topicArn,
      Type: type,
    }),
    SigningCertURL: signingCertUrl(links),
  };
}

/** The event Lambda receives from an SNS subscription: one record per notification. */
export function lambdaEvent(notification: Notification, subscriptionArn: string, links: SnsLinks) {
  const envelope = notificationEnvelope(notification, subscriptionArn, links);
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: subscriptionArn,
        Sns: {
          Type: 'Notification',
          MessageId: notification.messageId,
          TopicArn: notification.topicArn,
          Subject: notification.subject ?? null,
          Message: notification.message,
          Timestamp: notification.timestamp,
          SignatureVersion: '1',
          Signature: envelope.Signature,
          SigningCertUrl: envelope.SigningCertURL,
          UnsubscribeUrl: envelope.UnsubscribeURL,
          MessageAttributes: notificationAttributes(notification.attributes),
        },
      },
    ],
  };
}
