/**
 * @iot/device-simulator: a fleet of simulated devices over MQTT, with realistic sensors, shadow configuration,
 * commands and Basic Ingest telemetry, for demos, tests and benchmarks.
 *
 * @packageDocumentation
 */
export * from './device-config';
export * from './fleet';
export * from './local-fleet';
export * from './random';
export * from './registration';
export * from './sensors';
export * from './simulated-device';
