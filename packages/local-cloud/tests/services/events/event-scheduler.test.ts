import type { InvokeResult, LambdaInvoker } from '../../../src/contracts';
import {
  EventScheduler,
  InvalidEventRuleError,
  InvalidScheduleExpressionError,
  type SchedulerClock,
} from '../../../src/services/events';

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:iot-alerting-local-checkAlarms';
const RULE_NAME = 'iot-alerting-local-CheckAlarmsEventsRuleSchedule1-A1B2C3D4E5F6';
const RULE_ARN = `arn:aws:events:us-east-1:000000000000:rule/${RULE_NAME}`;
const START = Date.parse('2026-01-01T00:00:30Z');

/** A clock whose time moves only when told, running each timer at its due time, in order. */
class ManualClock implements SchedulerClock {
  private timers: Array<{ id: number; at: number; callback: () => void }> = [];
  private nextId = 1;

  constructor(private time: number) {}

  now = () => this.time;

  setTimeout = (callback: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.push({ id, at: this.time + ms, callback });
    return id;
  };

  clearTimeout = (handle: unknown) => {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  };

  get pending() {
    return this.timers.length;
  }

  /** Moves time on by `ms`, running the timers that come due on the way, then lets their deliveries settle. */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    for (;;) {
      const due = this.timers.filter((timer) => timer.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.time = Math.max(this.time, due.at);
      due.callback();
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.time = until;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Records each invocation; answers as the Lambda runtime does for an accepted `Event` invocation. */
class RecordingInvoker implements LambdaInvoker {
  readonly calls: Array<{ arn: string; event: unknown; type: string }> = [];
  answer: InvokeResult = { ok: true, payload: undefined };

  async invoke(arn: string, event: unknown, type: 'RequestResponse' | 'Event'): Promise<InvokeResult> {
    this.calls.push({ arn, event, type });
    return this.answer;
  }
}

const scheduleRule = (overrides: Record<string, unknown> = {}) => ({
  ScheduleExpression: 'rate(1 minute)',
  State: 'ENABLED',
  Targets: [{ Arn: FUNCTION_ARN, Id: 'checkAlarmsSchedule' }],
  ...overrides,
});

function setUp() {
  const clock = new ManualClock(START);
  const invoker = new RecordingInvoker();
  const warnings: string[] = [];
  const scheduler = new EventScheduler({
    invoker,
    clock,
    logger: { info: () => {}, warn: (message) => void warnings.push(message) },
  });
  return { clock, invoker, scheduler, warnings };
}

describe('EventScheduler', () => {
  it('invokes the target of a one-minute rate each minute, asynchronously, with the scheduled event', async () => {
    // Prepare
    const { clock, invoker, scheduler } = setUp();
    scheduler.putRule(RULE_NAME, scheduleRule(), { arn: RULE_ARN, stackName: 'iot-alerting-local' });

    // Act
    await clock.advance(59_999);
    const beforeAMinute = invoker.calls.length;
    await clock.advance(1);

    // Assess
    expect(beforeAMinute).toBe(0);
    expect(invoker.calls).toEqual([
      {
        arn: FUNCTION_ARN,
        type: 'Event',
        event: {
          version: '0',
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          'detail-type': 'Scheduled Event',
          source: 'aws.events',
          account: '000000000000',
          time: '2026-01-01T00:01:30Z',
          region: 'us-east-1',
          resources: [RULE_ARN],
          detail: {},
        },
      },
    ]);
  });

  it('keeps running every minute, each run with its own event id and time', async () => {
    // Prepare
    const { clock, invoker, scheduler } = setUp();
    scheduler.putRule(RULE_NAME, scheduleRule(), { arn: RULE_ARN });

    // Act
    await clock.advance(4 * 60_000);

    // Assess
    const events = invoker.calls.map((call) => call.event as { id: string; time: string });
    expect(events.map((event) => event.time)).toEqual([
      '2026-01-01T00:01:30Z',
      '2026-01-01T00:02:30Z',
      '2026-01-01T00:03:30Z',
      '2026-01-01T00:04:30Z',
    ]);
    expect(new Set(events.map((event) => event.id)).size).toBe(4);
    expect(scheduler.describeRule(RULE_NAME)?.nextRunAt).toBe(Date.parse('2026-01-01T00:05:30Z'));
  });

  it('changes nothing when the same rule is put again, as each start of the local cloud does', async () => {
    // Prepare
    const { clock, invoker, scheduler } = setUp();
    scheduler.putRule(RULE_NAME, scheduleRule(), { arn: RULE_ARN });
    await clock.advance(90_000);

    // Act
    scheduler.putRule(RULE_NAME, scheduleRule(), { arn: RULE_ARN });
    await clock.advance(90_000);

    // Assess
    expect(clock.pending).toBe(1);
    expect(invoker.calls.map((call) => (call.event as { time: string }).time)).toEqual([
      '2026-01-01T00:01:30Z',
      '2026-01-01T00:02:30Z',
      '2026-01-01T00:03:30Z',
    ]);
  });

  it('runs a cron schedule on the minutes it names, in UTC', async () => {
    // Prepare
    const { clock, invoker, scheduler } = setUp();
    scheduler.putRule('every-five', scheduleRule({ ScheduleExpression: 'cron(0/5 * * * ? *)' }));

    // Act
    await clock.advance(11 * 60_000);

    // Assess
    expect(invoker.calls.map((call) => (call.event as { time: string }).time)).toEqual([
      '2026-01-01T00:05:00Z',
      '2026-01-01T00:10:00Z',
    ]);
    expect((invoker.calls[0]?.event as { resources?: string[] } | undefined)?.resources).toEqual([
      'arn:aws:events:us-east-1:000000000000:rule/every-five',
    ]);
  });

  it('runs a DISABLED rule never, and from when it is enabled', async () => {
    // Prepare
    const { clock, invoker, scheduler } = setUp();
    scheduler.putRule(RULE_NAME, scheduleRule({ State: 'DISABLED' }), { arn: RULE_ARN });
    await clock.advance(5 * 60_000);
    const whileDisabled = invoker.calls.length;

    // Act
    scheduler.putRule(RULE_NAME, scheduleRule(), { arn: RULE_ARN });
    await clock.advance(60_000);

    // Assess
    expect(whileDisabled).toBe(0);
    expect(invoker.calls.map((call) => (call.event as { time: string }).time)).toEqual(['2026-01-01T00:06:30Z']);
  });

  it('sends a target its Input instead of the event, or the part of the event its InputPath selects', async () => {
    // Prepare
    const { clock, invoker, scheduler } = setUp();
    const other = FUNCTION_ARN.replace('checkAlarms', 'other');
    scheduler.putRule(
      RULE_NAME,
      scheduleRule({
        Targets: [
          { Id: 'fixed', Arn: FUNCTION_ARN, Input: '{"task":"sweep","limit":10}' },
          { Id: 'time', Arn: other, InputPath: '$.time' },
        ],
      }),
    );

    // Act
    await clock.advance(60_000);

    // Assess
    expect(invoker.calls.map(({ arn, event }) => [arn, event])).toEqual([
      [FUNCTION_ARN, { task: 'sweep', limit: 10 }],
      [other, '2026-01-01T00:01:30Z'],
    ]);
  });

  it('runs a rule at once on request, with the time given', async () => {
    // Prepare
    const { invoker, scheduler } = setUp();
    scheduler.putRule(RULE_NAME, scheduleRule({ State: 'DISABLED' }), { arn: RULE_ARN });

    // Act
    const deliveries = await scheduler.runRule(RULE_NAME, Date.parse('2026-01-01T00:20:00Z'));

    // Assess
    expect(deliveries).toEqual([{ targetId: 'checkAlarmsSchedule', arn: FUNCTION_ARN, ok: true }]);
    expect((invoker.calls[0]?.event as { time?: string } | undefined)?.time).toBe('2026-01-01T00:20:00Z');
  });

  it('reports a target that could not be invoked, and goes on with the schedule', async () => {
    // Prepare
    const { clock, invoker, scheduler, warnings } = setUp();
    invoker.answer = {
      ok: false,
      functionError: 'Unhandled',
      error: { errorType: 'ResourceNotFoundException', errorMessage: 'Function not found' },
    };
    scheduler.putRule(RULE_NAME, scheduleRule(), { arn: RULE_ARN });

    // Act
    await clock.advance(2 * 60_000);

    // Assess
    expect(invoker.calls).toHaveLength(2);
    expect(warnings[0]).toMatch(/could not run checkAlarmsSchedule .*ResourceNotFoundException: Function not found/);
  });

  it('stops every schedule on close', async () => {
    // Prepare
    const { clock, invoker, scheduler } = setUp();
    scheduler.putRule(RULE_NAME, scheduleRule(), { arn: RULE_ARN });
    scheduler.putRule('every-five', scheduleRule({ ScheduleExpression: 'cron(0/5 * * * ? *)' }));

    // Act
    await scheduler.close();
    await clock.advance(10 * 60_000);

    // Assess
    expect(invoker.calls).toEqual([]);
    expect(clock.pending).toBe(0);
    expect(() => scheduler.putRule('late', scheduleRule())).toThrow(/closed/);
  });

  it('deletes a rule and its schedule', async () => {
    // Prepare
    const { clock, invoker, scheduler } = setUp();
    scheduler.putRule(RULE_NAME, scheduleRule(), { arn: RULE_ARN });

    // Act
    const deleted = scheduler.deleteRule(RULE_NAME);
    await clock.advance(5 * 60_000);

    // Assess
    expect([deleted, scheduler.deleteRule(RULE_NAME), invoker.calls.length]).toEqual([true, false, 0]);
  });

  it('waits in steps for a run further away than one timer can wait', async () => {
    // Prepare
    const { clock, invoker, scheduler } = setUp();
    scheduler.putRule('new-year', scheduleRule({ ScheduleExpression: 'cron(0 0 1 1 ? *)' }));

    // Act
    await clock.advance(366 * 86_400_000);

    // Assess
    expect(invoker.calls.map((call) => (call.event as { time: string }).time)).toEqual(['2027-01-01T00:00:00Z']);
  });

  it.each([
    ['an invalid schedule', { ScheduleExpression: 'rate(5 minute)' }, InvalidScheduleExpressionError],
    ['neither a schedule nor an event pattern', { ScheduleExpression: undefined }, InvalidEventRuleError],
    ['an unknown state', { State: 'PAUSED' }, InvalidEventRuleError],
    ['a target without an ARN', { Targets: [{ Id: 'a' }] }, InvalidEventRuleError],
    [
      'two targets with one id',
      {
        Targets: [
          { Id: 'a', Arn: FUNCTION_ARN },
          { Id: 'a', Arn: FUNCTION_ARN },
        ],
      },
      InvalidEventRuleError,
    ],
    ['an Input that is not JSON', { Targets: [{ Id: 'a', Arn: FUNCTION_ARN, Input: '{' }] }, InvalidEventRuleError],
    [
      'both Input and InputPath',
      { Targets: [{ Id: 'a', Arn: FUNCTION_ARN, Input: '{}', InputPath: '$' }] },
      InvalidEventRuleError,
    ],
  ])('refuses %s, keeping the rule of that name as it was', async (_, change, error) => {
    // Prepare
    const { clock, invoker, scheduler } = setUp();
    scheduler.putRule(RULE_NAME, scheduleRule(), { arn: RULE_ARN });

    // Act
    const put = () => scheduler.putRule(RULE_NAME, scheduleRule(change), { arn: RULE_ARN });

    // Assess
    expect(put).toThrow(error);
    await clock.advance(60_000);
    expect(invoker.calls).toHaveLength(1);
  });

  it('keeps a rule with only an event pattern, which never runs locally', async () => {
    // Prepare
    const { clock, invoker, scheduler } = setUp();

    // Act
    const rule = scheduler.putRule('pattern', {
      EventPattern: { source: ['aws.s3'] },
      Targets: [{ Id: 'a', Arn: FUNCTION_ARN }],
    });
    await clock.advance(10 * 60_000);

    // Assess
    expect(rule).toMatchObject({ name: 'pattern', state: 'ENABLED', eventPattern: { source: ['aws.s3'] } });
    expect(rule).not.toHaveProperty('nextRunAt');
    expect(invoker.calls).toEqual([]);
  });

  it('warns at once of a target it cannot deliver to, and reports it at each run', async () => {
    // Prepare
    const { clock, scheduler, warnings } = setUp();

    // Act
    scheduler.putRule(
      'to-a-queue',
      scheduleRule({ Targets: [{ Id: 'q', Arn: 'arn:aws:sqs:us-east-1:000000000000:q' }] }),
    );
    await clock.advance(60_000);

    // Assess
    expect(warnings).toEqual([
      expect.stringMatching(/target q .* will get nothing: sqs targets are not supported locally/),
      expect.stringMatching(/could not run q .*sqs targets are not supported locally/),
    ]);
  });

  it('sends the event to an SQS queue as the message body when given the queues', async () => {
    // Prepare
    const clock = new ManualClock(START);
    const sent: Array<{ arn: string; body: string }> = [];
    const scheduler = new EventScheduler({
      invoker: new RecordingInvoker(),
      queues: { sendToQueue: async (arn, body) => void sent.push({ arn, body }) },
      clock,
    });
    const queueArn = 'arn:aws:sqs:us-east-1:000000000000:ticks';
    scheduler.putRule('to-a-queue', scheduleRule({ Targets: [{ Id: 'q', Arn: queueArn }] }));

    // Act
    await clock.advance(60_000);

    // Assess
    expect(sent).toHaveLength(1);
    expect(sent[0]?.arn).toBe(queueArn);
    expect(JSON.parse(sent[0]?.body ?? '')).toMatchObject({
      'detail-type': 'Scheduled Event',
      time: '2026-01-01T00:01:30Z',
    });
  });
});
