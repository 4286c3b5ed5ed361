/**
 * @iot/types: the one source of the shapes shared by the services of the IoT backend, as zod schemas with their
 * inferred types, and the MQTT topic names.
 *
 * @packageDocumentation
 */
export * from './alarm.schema';
export * from './alarm-history.schema';
export * from './api.schema';
export * from './command.schema';
export * from './common.schema';
export * from './device.schema';
export * from './device-config.schema';
export * from './fleet-metric.schema';
export * from './openapi';
export * from './rule-error.schema';
export * from './telemetry.schema';
export * from './telemetry-reading.schema';
export * from './telemetry-stream-record.schema';
export * from './threshold.schema';
export * from './topics';
export * from './validation';
export * from './window-metric.schema';
