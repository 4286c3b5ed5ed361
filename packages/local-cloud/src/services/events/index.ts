/**
 * The local EventBridge scheduler: runs the `rate(...)` and `cron(...)` schedules of AWS::Events::Rule resources and
 * sends each run's scheduled event to the rule's targets (Lambda functions, asynchronously).
 */
export * from './cloudformation-provider';
export * from './cron-expression';
export * from './event-scheduler';
export * from './local-routes';
export * from './schedule-expression';
export * from './scheduled-event';
