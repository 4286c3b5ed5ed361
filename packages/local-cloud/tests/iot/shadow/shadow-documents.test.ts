import {
  getAcceptedDocument,
  parseUpdateRequest,
  SHADOW_LIMITS,
  ShadowRequestError,
  ShadowStore,
} from '../../../src/iot/shadow';

/**
 * The Device Shadow service's documents and rules, case by case, each named after the section of the AWS IoT Core
 * developer guide it comes from.
 */

const T0 = 1_591_140_517;

/** A store on a clock the test moves, in epoch seconds. */
function storeAt(seconds = T0) {
  const clock = { seconds };
  const store = new ShadowStore({ now: () => clock.seconds * 1000 });
  return { store, clock };
}

const thing = { thingName: 'mySimulatedThing' };
const payload = (body: unknown) => Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
const update = (store: ShadowStore, body: unknown, ref: { thingName: string; shadowName?: string } = thing) =>
  store.update(ref, parseUpdateRequest(payload(body)));

function refusal(action: () => unknown): { code: number; message: string } {
  try {
    action();
  } catch (error) {
    if (error instanceof ShadowRequestError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected the request to be refused');
}

describe('shadow state after an update', () => {
  it.each([
    {
      section: 'Interacting with shadows › Updating a shadow',
      given: [{ state: { reported: { color: { r: 255, g: 255, b: 0 } } } }],
      request: { state: { desired: { color: { r: 10 }, engine: 'ON' } } },
      state: { desired: { color: { r: 10 }, engine: 'ON' }, reported: { color: { r: 255, g: 255, b: 0 } } },
      delta: { color: { r: 10 }, engine: 'ON' },
    },
    {
      section: 'Device Shadow service documents › Delta state (fields only in desired are in the delta)',
      given: [{ state: { reported: { color: 'GREEN', engine: 'ON' } } }],
      request: { state: { desired: { color: 'RED', state: 'STOP' } } },
      state: { desired: { color: 'RED', state: 'STOP' }, reported: { color: 'GREEN', engine: 'ON' } },
      delta: { color: 'RED', state: 'STOP' },
    },
    {
      section: 'Device Shadow service documents › Delta state (nested objects: the path down to the difference)',
      given: [{ state: { reported: { lights: { color: { r: 255, g: 0, b: 255 } } } } }],
      request: { state: { desired: { lights: { color: { r: 255, g: 255, b: 255 } } } } },
      state: {
        desired: { lights: { color: { r: 255, g: 255, b: 255 } } },
        reported: { lights: { color: { r: 255, g: 0, b: 255 } } },
      },
      delta: { lights: { color: { g: 255 } } },
    },
    {
      section: 'Device Shadow service documents › Delta state (arrays are treated like values)',
      given: [{ state: { reported: { colors: ['RED', 'GREEN', 'BLUE'] } } }],
      request: { state: { desired: { colors: ['RED', 'GREEN'] } } },
      state: { desired: { colors: ['RED', 'GREEN'] }, reported: { colors: ['RED', 'GREEN', 'BLUE'] } },
      delta: { colors: ['RED', 'GREEN'] },
    },
    {
      section: 'Device Shadow service documents › Array values in shadow documents',
      given: [{ state: { desired: { colors: ['RED', 'GREEN', 'BLUE'] } } }],
      request: { state: { desired: { colors: ['RED'] } } },
      state: { desired: { colors: ['RED'] } },
      delta: { colors: ['RED'] },
    },
    {
      section: 'Device Shadow service documents › Empty shadow document properties ("desired": null)',
      given: [{ state: { desired: { color: 'red' } } }],
      request: { state: { reported: { color: 'red' }, desired: null } },
      state: { reported: { color: 'red' } },
      delta: undefined,
    },
    {
      section: 'Interacting with shadows › Deleting a property from a shadow document',
      given: [{ state: { desired: { color: 'red', engine: 'ON' } } }],
      request: { state: { desired: { engine: null } } },
      state: { desired: { color: 'red' } },
      delta: { color: 'red' },
    },
    {
      section: 'Interacting with shadows › Updating a shadow (updates affect only the fields specified)',
      given: [{ state: { desired: { config: { interval: 60, unit: 's' }, mode: 'eco' } } }],
      request: { state: { desired: { config: { interval: 30 } } } },
      state: { desired: { config: { interval: 30, unit: 's' }, mode: 'eco' } },
      delta: { config: { interval: 30, unit: 's' }, mode: 'eco' },
    },
    {
      section: 'Device Shadow MQTT topics › /update/delta (reported-only attributes are left out)',
      given: [{ state: { desired: { color: 'RED' } } }],
      request: { state: { reported: { color: 'RED', firmware: '1.2.0' } } },
      state: { desired: { color: 'RED' }, reported: { color: 'RED', firmware: '1.2.0' } },
      delta: undefined,
    },
    {
      section: 'Device Shadow MQTT topics › /update/delta (deleted from reported, still desired: included)',
      given: [{ state: { desired: { color: 'RED' }, reported: { color: 'RED' } } }],
      request: { state: { reported: { color: null } } },
      state: { desired: { color: 'RED' } },
      delta: { color: 'RED' },
    },
    {
      section: 'Device Shadow service documents › Empty shadow document properties (a shadow with no state)',
      given: [{ state: { desired: { color: 'RED' }, reported: { color: 'GREEN' } } }],
      request: { state: { desired: null, reported: null } },
      state: {},
      delta: undefined,
    },
    {
      section: 'Interacting with shadows › Deleting a shadow (setting the state to null does not delete it)',
      given: [{ state: { desired: { color: 'RED' } } }],
      request: { state: null },
      state: {},
      delta: undefined,
    },
  ])('$section', ({ given, request, state, delta }) => {
    // Prepare
    const { store } = storeAt();
    for (const body of given) update(store, body);

    // Act
    const outcome = update(store, request);

    // Assess
    expect(outcome.shadow.state).toEqual(state);
    expect(outcome.delta?.state).toEqual(delta);
    expect(store.get(thing).state).toEqual({ ...state, ...(delta ? { delta } : {}) });
  });
});

describe('Device Shadow error messages', () => {
  const deep = (levels: number): unknown => (levels === 0 ? 'leaf' : { level: deep(levels - 1) });

  it.each([
    { label: 'a payload that is not JSON', request: 'not json', code: 400, message: 'Invalid JSON' },
    { label: 'an empty payload', request: '', code: 400, message: 'Invalid JSON' },
    { label: 'a payload that is not an object', request: '[{"state":{}}]', code: 400, message: 'Invalid JSON' },
    { label: 'no state', request: {}, code: 400, message: 'Missing required node: state' },
    {
      label: 'sections outside state',
      request: { desired: { color: 'RED' } },
      code: 400,
      message: 'Missing required node: state',
    },
    { label: 'a string state', request: { state: 'on' }, code: 400, message: 'State node must be an object' },
    { label: 'an array state', request: { state: [] }, code: 400, message: 'State node must be an object' },
    {
      label: 'a number desired',
      request: { state: { desired: 5 } },
      code: 400,
      message: 'Desired node must be an object',
    },
    {
      label: 'an array reported',
      request: { state: { reported: ['on'] } },
      code: 400,
      message: 'Reported node must be an object',
    },
    {
      label: 'a string version',
      request: { state: { desired: {} }, version: '1' },
      code: 400,
      message: 'Invalid version',
    },
    {
      label: 'a negative version',
      request: { state: { desired: {} }, version: -1 },
      code: 400,
      message: 'Invalid version',
    },
    {
      label: 'a fractional version',
      request: { state: { desired: {} }, version: 1.5 },
      code: 400,
      message: 'Invalid version',
    },
    {
      label: 'a client token over 64 bytes',
      request: { state: { desired: {} }, clientToken: 'x'.repeat(65) },
      code: 400,
      message: 'Invalid clientToken',
    },
    {
      label: 'a client token that is not a string',
      request: { state: { desired: {} }, clientToken: 42 },
      code: 400,
      message: 'Invalid clientToken',
    },
    {
      label: 'desired nested 9 levels deep',
      request: { state: { desired: deep(SHADOW_LIMITS.maxStateDepth + 1) } },
      code: 400,
      message: 'JSON contains too many levels of nesting; maximum is 8',
    },
    {
      label: 'a delta section in the request',
      request: { state: { delta: { color: 'RED' } } },
      code: 400,
      message: 'State contains an invalid node',
    },
    {
      label: 'an unknown node in state',
      request: { state: { desired: {}, metadata: {} } },
      code: 400,
      message: 'State contains an invalid node',
    },
    {
      // "Array values in shadow documents": arrays can't have null values.
      label: 'an array holding null',
      request: { state: { desired: { colors: [null, 'RED', 'GREEN'] } } },
      code: 400,
      message: 'State contains an invalid node',
    },
    {
      label: 'desired over 8 KB',
      request: { state: { desired: { blob: 'x'.repeat(SHADOW_LIMITS.maxDocumentBytes) } } },
      code: 413,
      message: 'The payload exceeds the maximum size allowed',
    },
  ])('answers $code "$message" to $label', ({ request, code, message }) => {
    // Prepare
    const { store } = storeAt();

    // Act
    const refused = refusal(() => update(store, request));

    // Assess
    expect(refused).toEqual({ code, message });
    expect(store.peek(thing)).toBeUndefined();
  });

  it('accepts 8 levels of nesting in desired and a 64-byte client token', () => {
    // Prepare
    const { store } = storeAt();

    // Act
    const outcome = update(store, { state: { desired: deep(8) }, clientToken: 'x'.repeat(64) });

    // Assess
    expect(outcome.shadow.version).toBe(1);
    expect(outcome.accepted.clientToken).toHaveLength(64);
  });

  it('refuses a payload nested far past the limit without exhausting the stack', () => {
    // Prepare
    const { store } = storeAt();
    const levels = 60_000;
    const body = `{"state":{"desired":{"a":${'['.repeat(levels)}${']'.repeat(levels)}}}}`;

    // Act
    const refused = refusal(() => update(store, body));

    // Assess
    expect(refused).toEqual({ code: 400, message: 'JSON contains too many levels of nesting; maximum is 8' });
  });

  it('answers 415 Unsupported documented encoding for a payload that is not UTF-8', () => {
    // Prepare
    const { store } = storeAt();

    // Act
    const refused = refusal(() => store.update(thing, parseUpdateRequest(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))));

    // Assess
    expect(refused).toEqual({ code: 415, message: 'Unsupported documented encoding; supported encoding is UTF-8' });
  });

  it('counts the merged document, not the request, against the 8 KB limit (413)', () => {
    // Prepare
    const { store } = storeAt();
    const half = 'x'.repeat(SHADOW_LIMITS.maxDocumentBytes / 2);
    update(store, { state: { desired: { a: half } } });

    // Act
    const refused = refusal(() => update(store, { state: { reported: { b: half } } }));

    // Assess
    expect(refused.code).toBe(413);
    expect(store.peek(thing)?.version).toBe(1);
  });

  it.each([
    { ref: { thingName: 'lamp-1' }, message: "No shadow exists with name: 'lamp-1'" },
    { ref: { thingName: 'lamp-1', shadowName: 'config' }, message: "No shadow exists with name: 'config'" },
  ])('answers 404 "$message" for a shadow that does not exist', ({ ref, message }) => {
    // Prepare
    const { store } = storeAt();

    // Act
    const onGet = refusal(() => store.get(ref));
    const onDelete = refusal(() => store.delete(ref));

    // Assess
    expect(onGet).toEqual({ code: 404, message });
    expect(onDelete).toEqual({ code: 404, message });
  });
});

describe('Interacting with shadows › Optimistic locking', () => {
  it('rejects a request for another version with 409 and accepts the current one', () => {
    // Prepare
    const { store } = storeAt();
    for (let i = 0; i < 10; i += 1) update(store, { state: { desired: { colors: ['RED', 'GREEN', 'BLUE'] } } });
    const clientToken = '426bfd96-e720-46d3-95cd-014e3ef12bb6';

    // Act
    const stale = refusal(() => update(store, { state: { desired: { colors: ['BLUE'] } }, version: 9, clientToken }));
    const current = update(store, { state: { desired: { colors: ['BLUE'] } }, version: 10 });

    // Assess
    expect(stale).toEqual({ code: 409, message: 'Version conflict' });
    expect(current.shadow).toMatchObject({ state: { desired: { colors: ['BLUE'] } }, version: 11 });
  });

  it('increments the version by one per accepted update, whatever it changes', () => {
    // Prepare
    const { store } = storeAt();

    // Act
    const versions = [
      update(store, { state: { reported: { on: true } } }),
      update(store, { state: { reported: { on: true } } }),
      update(store, { state: {} }),
    ].map((outcome) => outcome.shadow.version);

    // Assess
    expect(versions).toEqual([1, 2, 3]);
  });
});

describe('Interacting with shadows › Deleting a shadow', () => {
  it('answers the deleted version, keeps it for the next shadow of the name, and 404s in between', () => {
    // Prepare
    const { store, clock } = storeAt();
    for (let i = 0; i < 4; i += 1) update(store, { state: { reported: { i } } });

    // Act
    clock.seconds = 1_591_057_529;
    const deleted = store.delete(thing, 'token-1');
    const afterDelete = refusal(() => store.get(thing));
    const recreated = update(store, { state: { reported: { fresh: true } } });

    // Assess
    expect(deleted).toEqual({ version: 4, timestamp: 1_591_057_529, clientToken: 'token-1' });
    expect(afterDelete.code).toBe(404);
    expect(recreated.shadow).toEqual({
      state: { reported: { fresh: true } },
      metadata: { reported: { fresh: { timestamp: 1_591_057_529 } } },
      version: 5,
    });
    expect(recreated.documents.previous).toBeNull();
  });

  it('starts again from version 0 when the shadow was deleted more than 48 hours ago', () => {
    // Prepare
    const { store, clock } = storeAt();
    update(store, { state: { reported: { a: 1 } } });
    update(store, { state: { reported: { a: 2 } } });
    store.delete(thing);

    // Act
    clock.seconds += 48 * 3600 + 1;
    const recreated = update(store, { state: { reported: { a: 3 } } });

    // Assess
    expect(recreated.shadow.version).toBe(1);
  });

  it('rejects a version that does not follow the deleted shadow with 409', () => {
    // Prepare
    const { store } = storeAt();
    update(store, { state: { reported: { a: 1 } } });
    store.delete(thing);

    // Act
    const stale = refusal(() => update(store, { state: { reported: { a: 2 } }, version: 0 }));
    const following = update(store, { state: { reported: { a: 2 } }, version: 1 });

    // Assess
    expect(stale.code).toBe(409);
    expect(following.shadow.version).toBe(2);
  });
});

describe('Device Shadow service documents › Response state documents', () => {
  it('/accepted holds only the sections sent, nulls included, with their timestamps', () => {
    // Prepare
    const { store } = storeAt();
    update(store, { state: { reported: { color: 'red', engine: 'ON' } } });

    // Act
    const outcome = update(store, {
      state: { desired: { color: 'blue', engine: null, colors: ['RED', 'GREEN'] } },
      clientToken: 'abc',
      ignored: 'outside state',
    });

    // Assess
    expect(outcome.accepted).toEqual({
      state: { desired: { color: 'blue', engine: null, colors: ['RED', 'GREEN'] } },
      metadata: {
        desired: {
          color: { timestamp: T0 },
          engine: { timestamp: T0 },
          colors: [{ timestamp: T0 }, { timestamp: T0 }],
        },
      },
      version: 2,
      timestamp: T0,
      clientToken: 'abc',
    });
  });

  it('/accepted of "desired": null and of "state": null carry a timestamp for what they removed', () => {
    // Prepare
    const { store } = storeAt();
    update(store, { state: { desired: { color: 'red' }, reported: { color: 'red' } } });

    // Act
    const section = update(store, { state: { desired: null } });
    const whole = update(store, { state: null });

    // Assess
    expect(section.accepted).toEqual({
      state: { desired: null },
      metadata: { desired: { timestamp: T0 } },
      version: 2,
      timestamp: T0,
    });
    expect(whole.accepted).toEqual({ state: null, metadata: { timestamp: T0 }, version: 3, timestamp: T0 });
    expect(store.get(thing)).toEqual({ state: {}, metadata: {}, version: 3, timestamp: T0 });
  });

  it('/delta holds the differing desired keys with their desired metadata; get/accepted adds the delta', () => {
    // Prepare
    const { store, clock } = storeAt(12_345);
    update(store, { state: { desired: { color: 'RED', state: 'STOP' } } });
    clock.seconds = 12_346;
    update(store, { state: { reported: { color: 'GREEN', engine: 'ON' } } });

    // Act
    clock.seconds = 123_456_789;
    const document = store.get(thing);

    // Assess: the "Delta state" example of the guide.
    expect(document).toEqual({
      state: {
        desired: { color: 'RED', state: 'STOP' },
        reported: { color: 'GREEN', engine: 'ON' },
        delta: { color: 'RED', state: 'STOP' },
      },
      metadata: {
        desired: { color: { timestamp: 12_345 }, state: { timestamp: 12_345 } },
        reported: { color: { timestamp: 12_346 }, engine: { timestamp: 12_346 } },
        delta: { color: { timestamp: 12_345 }, state: { timestamp: 12_345 } },
      },
      version: 2,
      timestamp: 123_456_789,
    });
  });

  it('keeps the timestamps of untouched leaves and drops those of deleted ones', () => {
    // Prepare
    const { store, clock } = storeAt(100);
    update(store, { state: { desired: { config: { interval: 60, unit: 's' }, mode: 'eco' } } });

    // Act
    clock.seconds = 200;
    const outcome = update(store, { state: { desired: { config: { interval: 30 }, mode: null } } });

    // Assess
    expect(outcome.shadow.metadata).toEqual({
      desired: { config: { interval: { timestamp: 200 }, unit: { timestamp: 100 } } },
    });
  });

  it('/documents holds the previous and current state, metadata and version; previous is null on creation', () => {
    // Prepare
    const { store, clock } = storeAt(100);

    // Act
    const created = update(store, { state: { desired: { color: 'RED' } }, clientToken: 't1' });
    clock.seconds = 200;
    const changed = update(store, { state: { reported: { color: 'RED' } } });

    // Assess
    expect(created.documents).toEqual({
      previous: null,
      current: {
        state: { desired: { color: 'RED' } },
        metadata: { desired: { color: { timestamp: 100 } } },
        version: 1,
      },
      timestamp: 100,
      clientToken: 't1',
    });
    expect(changed.documents).toEqual({
      previous: {
        state: { desired: { color: 'RED' } },
        metadata: { desired: { color: { timestamp: 100 } } },
        version: 1,
      },
      current: {
        state: { desired: { color: 'RED' }, reported: { color: 'RED' } },
        metadata: { desired: { color: { timestamp: 100 } }, reported: { color: { timestamp: 200 } } },
        version: 2,
      },
      timestamp: 200,
    });
  });

  it('stores keys such as __proto__ as ordinary keys', () => {
    // Prepare
    const { store } = storeAt();

    // Act
    const outcome = update(store, '{"state":{"desired":{"__proto__":{"polluted":true}}}}');

    // Assess
    expect(Object.keys(outcome.shadow.state.desired ?? {})).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.parse(JSON.stringify(getAcceptedDocument(outcome.shadow, 1)))).toEqual(
      JSON.parse(
        '{"state":{"desired":{"__proto__":{"polluted":true}},"delta":{"__proto__":{"polluted":true}}},"metadata":{"desired":{"__proto__":{"polluted":{"timestamp":1591140517}}},"delta":{"__proto__":{"polluted":{"timestamp":1591140517}}}},"version":1,"timestamp":1}',
      ),
    );
  });
});

describe('Simulating Device Shadow service communications (the guide’s documents, verbatim)', () => {
  it('device report, app update, delta, device report, documents and final get', () => {
    // Prepare: the device reports three times, so the shadow is at version 3 as in the guide.
    const { store, clock } = storeAt(1_591_140_517);
    const ref = { thingName: 'mySimulatedThing', shadowName: 'simShadow1' };
    const report = { state: { reported: { ID: 'SmartLamp21', ColorRGB: [128, 128, 128] } } };
    for (let i = 0; i < 3; i += 1) update(store, report, ref);
    const ts = (t: number) => ({ timestamp: t });

    // Act
    clock.seconds = 1_591_141_111;
    const first = store.get(ref);
    clock.seconds = 1_591_141_596;
    const appUpdate = update(
      store,
      { state: { desired: { ColorRGB: [255, 255, 0] } }, clientToken: '21b21b21-bfd2-4279-8c65-e2f697ff4fab' },
      ref,
    );
    clock.seconds = 1_591_142_747;
    const deviceUpdate = update(
      store,
      { state: { reported: { ColorRGB: [255, 255, 0] } }, clientToken: 'a4dc2227-9213-4c6a-a6a5-053304f60258' },
      ref,
    );
    clock.seconds = 1_591_143_269;
    const last = store.get(ref);

    // Assess
    expect(first).toEqual({
      state: { reported: { ID: 'SmartLamp21', ColorRGB: [128, 128, 128] } },
      metadata: {
        reported: { ID: ts(1_591_140_517), ColorRGB: [ts(1_591_140_517), ts(1_591_140_517), ts(1_591_140_517)] },
      },
      version: 3,
      timestamp: 1_591_141_111,
    });
    const appColor = [ts(1_591_141_596), ts(1_591_141_596), ts(1_591_141_596)];
    expect(appUpdate.accepted).toEqual({
      state: { desired: { ColorRGB: [255, 255, 0] } },
      metadata: { desired: { ColorRGB: appColor } },
      version: 4,
      timestamp: 1_591_141_596,
      clientToken: '21b21b21-bfd2-4279-8c65-e2f697ff4fab',
    });
    expect(appUpdate.delta).toEqual({
      version: 4,
      timestamp: 1_591_141_596,
      state: { ColorRGB: [255, 255, 0] },
      metadata: { ColorRGB: appColor },
      clientToken: '21b21b21-bfd2-4279-8c65-e2f697ff4fab',
    });
    const deviceColor = [ts(1_591_142_747), ts(1_591_142_747), ts(1_591_142_747)];
    expect(deviceUpdate.accepted).toEqual({
      state: { reported: { ColorRGB: [255, 255, 0] } },
      metadata: { reported: { ColorRGB: deviceColor } },
      version: 5,
      timestamp: 1_591_142_747,
      clientToken: 'a4dc2227-9213-4c6a-a6a5-053304f60258',
    });
    expect(deviceUpdate.delta).toBeUndefined();
    expect(deviceUpdate.documents).toEqual({
      previous: {
        state: {
          desired: { ColorRGB: [255, 255, 0] },
          reported: { ID: 'SmartLamp21', ColorRGB: [128, 128, 128] },
        },
        metadata: {
          desired: { ColorRGB: appColor },
          reported: { ID: ts(1_591_140_517), ColorRGB: [ts(1_591_140_517), ts(1_591_140_517), ts(1_591_140_517)] },
        },
        version: 4,
      },
      current: {
        state: { desired: { ColorRGB: [255, 255, 0] }, reported: { ID: 'SmartLamp21', ColorRGB: [255, 255, 0] } },
        metadata: { desired: { ColorRGB: appColor }, reported: { ID: ts(1_591_140_517), ColorRGB: deviceColor } },
        version: 5,
      },
      timestamp: 1_591_142_747,
      clientToken: 'a4dc2227-9213-4c6a-a6a5-053304f60258',
    });
    expect(last).toEqual({
      state: { desired: { ColorRGB: [255, 255, 0] }, reported: { ID: 'SmartLamp21', ColorRGB: [255, 255, 0] } },
      metadata: { desired: { ColorRGB: appColor }, reported: { ID: ts(1_591_140_517), ColorRGB: deviceColor } },
      version: 5,
      timestamp: 1_591_143_269,
    });
  });
});

describe('AWS IoT Device Shadow service › Message order', () => {
  it('sends cumulative deltas whose versions let a device drop an older one', () => {
    // Prepare
    const { store, clock } = storeAt(123_456_776);
    update(store, { state: { reported: { color: 'blue' } } });

    // Act
    clock.seconds = 123_456_777;
    const first = update(store, { state: { desired: { color: 'RED' } } });
    clock.seconds = 123_456_778;
    const second = update(store, { state: { desired: { color: 'GREEN' } } });

    // Assess
    expect(first.delta).toMatchObject({ state: { color: 'RED' }, version: 2, timestamp: 123_456_777 });
    expect(second.delta).toMatchObject({ state: { color: 'GREEN' }, version: 3, timestamp: 123_456_778 });
  });
});
