import type { InvokeResult, LambdaInvoker } from '../../../src/contracts';
import type { EdgeRequest } from '../../../src/edge/aws-service';
import { EventScheduler, type SchedulerClock, schedulesLocalRoute } from '../../../src/services/events';

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:iot-alerting-local-checkAlarms';
const RULE_NAME = 'iot-alerting-local-CheckAlarmsEventsRuleSchedule1-A1B2C3D4E5F6';
const NOW = Date.parse('2026-01-01T00:00:30Z');

/** A clock stopped at NOW whose timers never fire: only the routes run the rule. */
const stoppedClock: SchedulerClock = { now: () => NOW, setTimeout: () => 0, clearTimeout: () => {} };

class RecordingInvoker implements LambdaInvoker {
  readonly calls: Array<{ arn: string; event: unknown; type: string }> = [];
  answer: InvokeResult = { ok: true, payload: undefined };

  async invoke(arn: string, event: unknown, type: 'RequestResponse' | 'Event'): Promise<InvokeResult> {
    this.calls.push({ arn, event, type });
    return this.answer;
  }
}

function request(method: string, path: string, body = ''): EdgeRequest {
  return {
    method,
    path,
    query: new URLSearchParams(),
    headers: {},
    body: Buffer.from(body),
    region: 'us-east-1',
    accountId: '000000000000',
  };
}

function setUp() {
  const invoker = new RecordingInvoker();
  const scheduler = new EventScheduler({ invoker, clock: stoppedClock, logger: { info: () => {}, warn: () => {} } });
  scheduler.putRule(
    RULE_NAME,
    { ScheduleExpression: 'rate(1 minute)', Targets: [{ Id: 'checkAlarmsSchedule', Arn: FUNCTION_ARN }] },
    { stackName: 'iot-alerting-local' },
  );
  return { invoker, route: schedulesLocalRoute(scheduler) };
}

describe('the schedules local route', () => {
  it('lists the rules with their schedule, targets and next run', async () => {
    // Prepare
    const { route } = setUp();

    // Act
    const answer = await route(request('GET', '/_local/schedules'));

    // Assess
    expect(answer).toEqual({
      status: 200,
      body: {
        rules: [
          {
            name: RULE_NAME,
            arn: `arn:aws:events:us-east-1:000000000000:rule/${RULE_NAME}`,
            state: 'ENABLED',
            scheduleExpression: 'rate(1 minute)',
            stackName: 'iot-alerting-local',
            targets: [{ id: 'checkAlarmsSchedule', arn: FUNCTION_ARN }],
            nextRunAt: '2026-01-01T00:01:30.000Z',
          },
        ],
      },
    });
  });

  it('runs a rule now as its run at the time given: its targets get the scheduled event with that time', async () => {
    // Prepare
    const { route, invoker } = setUp();

    // Act
    const answer = await route(
      request('POST', `/_local/schedules/${RULE_NAME}/run`, JSON.stringify({ time: '2026-01-01T00:11:30.250Z' })),
    );

    // Assess
    expect(answer).toEqual({
      status: 200,
      body: {
        rule: RULE_NAME,
        time: '2026-01-01T00:11:30Z',
        deliveries: [{ targetId: 'checkAlarmsSchedule', arn: FUNCTION_ARN, ok: true }],
      },
    });
    expect(invoker.calls).toEqual([
      {
        arn: FUNCTION_ARN,
        type: 'Event',
        event: expect.objectContaining({ 'detail-type': 'Scheduled Event', time: '2026-01-01T00:11:30Z' }),
      },
    ]);
  });

  it('takes the time as epoch milliseconds, and runs as of now without a body', async () => {
    // Prepare
    const { route, invoker } = setUp();
    const inTenMinutes = Date.parse('2026-01-01T00:10:00Z');

    // Act
    const withTime = await route(
      request('POST', `/_local/schedules/${RULE_NAME}/run`, JSON.stringify({ time: inTenMinutes })),
    );
    const before = Date.now();
    const withoutBody = await route(request('POST', `/_local/schedules/${RULE_NAME}/run`));

    // Assess
    expect((withTime.body as { time: string }).time).toBe('2026-01-01T00:10:00Z');
    const ranAt = Date.parse((withoutBody.body as { time: string }).time);
    expect(ranAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(invoker.calls.map((call) => (call.event as { time: string }).time)).toEqual([
      '2026-01-01T00:10:00Z',
      (withoutBody.body as { time: string }).time,
    ]);
  });

  it('reports a target that could not be invoked in the deliveries', async () => {
    // Prepare
    const { route, invoker } = setUp();
    invoker.answer = {
      ok: false,
      error: { errorType: 'ResourceNotFoundException', errorMessage: 'no function' },
      functionError: 'Unhandled',
    };

    // Act
    const answer = await route(request('POST', `/_local/schedules/${RULE_NAME}/run`));

    // Assess
    expect((answer.body as { deliveries: unknown[] }).deliveries).toEqual([
      {
        targetId: 'checkAlarmsSchedule',
        arn: FUNCTION_ARN,
        ok: false,
        error: 'ResourceNotFoundException: no function',
      },
    ]);
  });

  it('answers 404 for an unknown rule and 400 for a time it cannot read, running nothing', async () => {
    // Prepare
    const { route, invoker } = setUp();

    // Act
    const unknown = await route(request('POST', '/_local/schedules/no-such-rule/run'));
    const badTime = await route(
      request('POST', `/_local/schedules/${RULE_NAME}/run`, JSON.stringify({ time: 'tomorrow' })),
    );
    const notJson = await route(request('POST', `/_local/schedules/${RULE_NAME}/run`, 'now'));
    const wrongMethod = await route(request('GET', `/_local/schedules/${RULE_NAME}/run`));

    // Assess
    expect(unknown).toEqual({ status: 404, body: { message: 'No rule named no-such-rule' } });
    expect(badTime.status).toBe(400);
    expect(notJson.status).toBe(400);
    expect(wrongMethod.status).toBe(404);
    expect(invoker.calls).toEqual([]);
  });
});
