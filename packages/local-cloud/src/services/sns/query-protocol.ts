import type { MessageAttributeValue } from '../../contracts';
import { AwsServiceError, type EdgeRequest } from '../../edge/aws-service';

/**
 * The AWS query protocol as SNS uses it: form-encoded parameters in, XML out. Lists are `Name.member.N`, maps
 * `Name.entry.N.key`/`.value`, message attributes `Name.entry.N.Name`/`.Value.DataType`/`.Value.StringValue`/
 * `.Value.BinaryValue` (N from 1).
 */
export class QueryParams {
  constructor(private readonly params: Map<string, string>) {}

  /** The parameters of the query string and, for a form body, of the body. */
  static fromRequest(request: EdgeRequest): QueryParams {
    const params = new Map<string, string>();
    for (const [key, value] of request.query) params.set(key, value);
    if (request.body.length > 0) {
      for (const [key, value] of new URLSearchParams(request.body.toString('utf8'))) params.set(key, value);
    }
    return new QueryParams(params);
  }

  get(name: string): string | undefined {
    return this.params.get(name);
  }

  required(name: string): string {
    const value = this.params.get(name);
    if (value === undefined) {
      throw new AwsServiceError(
        'InvalidParameter',
        `Invalid parameter: ${name} Reason: no value for required parameter`,
      );
    }
    return value;
  }

  /** `Name.entry.N.key` / `Name.entry.N.value`. */
  map(name: string): Record<string, string> {
    const result: Record<string, string> = {};
    for (let n = 1; ; n++) {
      const key = this.params.get(`${name}.entry.${n}.key`);
      if (key === undefined) return result;
      result[key] = this.params.get(`${name}.entry.${n}.value`) ?? '';
    }
  }

  /** `Name.member.N`. */
  list(name: string): string[] {
    const result: string[] = [];
    for (let n = 1; ; n++) {
      const value = this.params.get(`${name}.member.${n}`);
      if (value === undefined) return result;
      result.push(value);
    }
  }

  /** `Name.member.N.<field>`: one QueryParams per member, its field names without the prefix. */
  members(name: string): QueryParams[] {
    const result: QueryParams[] = [];
    for (let n = 1; ; n++) {
      const prefix = `${name}.member.${n}.`;
      const member = new Map<string, string>();
      for (const [key, value] of this.params) {
        if (key.startsWith(prefix)) member.set(key.slice(prefix.length), value);
      }
      if (member.size === 0) return result;
      result.push(new QueryParams(member));
    }
  }

  /** `Name.entry.N.Name` / `.Value.DataType` / `.Value.StringValue` / `.Value.BinaryValue` (base64). */
  messageAttributes(name: string): Record<string, MessageAttributeValue> {
    const result: Record<string, MessageAttributeValue> = {};
    for (let n = 1; ; n++) {
      const prefix = `${name}.entry.${n}`;
      const attributeName = this.params.get(`${prefix}.Name`);
      if (attributeName === undefined) return result;
      const stringValue = this.params.get(`${prefix}.Value.StringValue`);
      const binaryValue = this.params.get(`${prefix}.Value.BinaryValue`);
      result[attributeName] = {
        DataType: this.params.get(`${prefix}.Value.DataType`) ?? '',
        ...(stringValue !== undefined ? { StringValue: stringValue } : {}),
        ...(binaryValue !== undefined ? { BinaryValue: new Uint8Array(Buffer.from(binaryValue, 'base64')) } : {}),
      };
    }
  }
}

/** An XML element with escaped text, or with children already rendered; nothing for an undefined value. */
export function element(name: string, content: string | number | boolean | undefined | null, raw = false): string {
  if (content === undefined || content === null) return '';
  return `<${name}>${raw ? String(content) : escapeXml(String(content))}</${name}>`;
}

/** `<Name><member>...</member>...</Name>`, each member rendered by `render`. */
export function memberList<T>(name: string, items: T[], render: (item: T) => string): string {
  return element(name, items.map((item) => element('member', render(item), true)).join(''), true);
}

/** `<Name><entry><key>k</key><value>v</value></entry>...</Name>`. */
export function entryMap(name: string, map: Record<string, string>): string {
  const entries = Object.entries(map).map(([key, value]) =>
    element('entry', element('key', key) + element('value', value), true),
  );
  return element(name, entries.join(''), true);
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"'\r]/g, (c) => `&#${c.charCodeAt(0)};`);
}
