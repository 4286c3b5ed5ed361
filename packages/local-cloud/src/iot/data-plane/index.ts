/**
 * The local AWS IoT data plane on the edge endpoint: the Device Shadow REST API, Publish and the retained message reads.
 */
export {
  IotDataPlaneService,
  type IotDataPlaneServiceOptions,
  type RetainedMessage,
  type RetainedMessageReader,
} from './iot-data-plane-service';
