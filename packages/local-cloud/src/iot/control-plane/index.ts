/**
 * The local AWS IoT control plane behind the edge endpoint (signing name `iot`): topic rules, DescribeEndpoint, and
 * the registry of things, thing types and thing groups.
 *
 * @packageDocumentation
 */
export { type IotControlPlaneOptions, IotControlPlaneService } from './iot-control-plane';
export { type Thing, type ThingGroup, ThingRegistry, type ThingType } from './thing-registry';
