import { apiGatewayProxyEvent } from '@iot/testing';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { HttpProblem, Idempotency, type IdempotencyRecord, type IdempotencyStore, requestFingerprint } from '../src';

/** The store's contract, kept in a Map: enough to test the protocol (DynamoDB's is tested by the services). */
class MapStore implements IdempotencyStore {
  readonly records = new Map<string, IdempotencyRecord>();
  async claim(record: Extract<IdempotencyRecord, { status: 'IN_PROGRESS' }>, now: number) {
    const existing = this.records.get(record.key);
    const live =
      existing &&
      existing.expiresAt >= Math.floor(now / 1000) &&
      !(existing.status === 'IN_PROGRESS' && existing.lockedUntil < now);
    if (live) return { claimed: false as const, existing };
    this.records.set(record.key, record);
    return { claimed: true as const };
  }
  async complete(
    key: string,
    fingerprint: string,
    response: { statusCode: number; headers: Record<string, string>; body: string },
    expiresAt: number,
  ) {
    this.records.set(key, { key, fingerprint, status: 'COMPLETED', response, expiresAt });
  }
  async release(key: string) {
    this.records.delete(key);
  }
}

const post = (body: unknown, key?: string, deviceId = 'd1') =>
  apiGatewayProxyEvent({
    method: 'POST',
    resource: '/devices/{deviceId}/commands',
    pathParameters: { deviceId },
    body,
    headers: key === undefined ? {} : { 'Idempotency-Key': key },
  });

const created = (id: number): APIGatewayProxyResult => ({
  statusCode: 201,
  headers: { 'content-type': 'application/json', 'access-control-allow-origin': '*' },
  body: JSON.stringify({ id }),
});

describe('Idempotency', () => {
  let store: MapStore;
  let now: number;
  let runs: number;
  let idempotency: Idempotency;
  const work = async () => created(++runs);

  beforeEach(() => {
    store = new MapStore();
    now = 1_767_225_600_000;
    runs = 0;
    idempotency = new Idempotency({ store, now: () => now });
  });

  it('runs the work every time without the header', async () => {
    // Act
    await idempotency.run(post({ a: 1 }), 'alice', work);
    await idempotency.run(post({ a: 1 }), 'alice', work);

    // Assess
    expect(runs).toBe(2);
  });

  it('answers a retry with the stored answer, marked as replayed, without running the work again', async () => {
    // Prepare
    const first = await idempotency.run(post({ a: 1, b: 2 }, 'k'), 'alice', work);

    // Act
    const retry = await idempotency.run(post({ b: 2, a: 1 }, '"k"'), 'alice', work);

    // Assess
    expect(runs).toBe(1);
    expect(retry).toEqual({
      statusCode: 201,
      headers: { 'content-type': 'application/json', 'idempotent-replayed': 'true' },
      body: first.body,
    });
  });

  it('refuses the key with another body (422) or another path (422)', async () => {
    // Prepare
    await idempotency.run(post({ a: 1 }, 'k'), 'alice', work);

    // Act
    const otherBody = idempotency.run(post({ a: 2 }, 'k'), 'alice', work);
    const otherPath = idempotency.run(post({ a: 1 }, 'k', 'd2'), 'alice', work);

    // Assess
    await expect(otherBody).rejects.toMatchObject({ status: 422 });
    await expect(otherPath).rejects.toMatchObject({ status: 422 });
    expect(runs).toBe(1);
  });

  it('answers 409 while the first request holds the key, and lets a retry act once the lock has passed', async () => {
    // Prepare: a first request that died after claiming the key.
    await store.claim(
      {
        key: 'alice#k',
        fingerprint: requestFingerprint(post({ a: 1 })),
        status: 'IN_PROGRESS',
        lockedUntil: now + 30_000,
        expiresAt: 2e9,
      },
      now,
    );

    // Act
    const during = idempotency.run(post({ a: 1 }, 'k'), 'alice', work);
    await expect(during).rejects.toMatchObject({ status: 409, headers: { 'retry-after': '1' } });
    now += 31_000;
    const after = await idempotency.run(post({ a: 1 }, 'k'), 'alice', work);

    // Assess
    expect(after.statusCode).toBe(201);
    expect(runs).toBe(1);
  });

  it('forgets the key after 24 hours', async () => {
    // Prepare
    await idempotency.run(post({ a: 1 }, 'k'), 'alice', work);
    now += 24 * 3600 * 1000 + 2000;

    // Act
    const later = await idempotency.run(post({ a: 1 }, 'k'), 'alice', work);

    // Assess
    expect(later.headers?.['idempotent-replayed']).toBeUndefined();
    expect(runs).toBe(2);
  });

  it('lets the key go when the work fails or answers an error, so that a retry acts', async () => {
    // Prepare
    const failing = async (): Promise<APIGatewayProxyResult> => {
      throw new HttpProblem(404, 'Not Found');
    };

    // Act
    await expect(idempotency.run(post({ a: 1 }, 'k'), 'alice', failing)).rejects.toThrow(HttpProblem);
    await idempotency.run(post({ a: 1 }, 'k2'), 'alice', async () => ({ statusCode: 400, body: '' }));
    const retry = await idempotency.run(post({ a: 1 }, 'k'), 'alice', work);

    // Assess
    expect(retry.statusCode).toBe(201);
    expect(store.records.has('alice#k2')).toBe(false);
  });

  it.each(['', 'with space', 'x'.repeat(256), 'back\\slash'])('refuses the key %j with a 400', async (key) => {
    // Act
    const running = idempotency.run(post({ a: 1 }, key), 'alice', work);

    // Assess
    await expect(running).rejects.toMatchObject({ status: 400, errors: [{ path: 'headers.Idempotency-Key' }] });
  });
});
