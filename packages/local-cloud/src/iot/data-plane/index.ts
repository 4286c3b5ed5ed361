/**
 * The local AWS IoT data plane on the edge endpoint: the Device Shadow REST API, Publish, the retained message reads
 * and DeleteConnection.
 */
export {
  type ClientDisconnector,
  type DataPlaneRetainedMessage,
  IotDataPlaneService,
  type IotDataPlaneServiceOptions,
  type RetainedMessageReader,
} from './iot-data-plane-service';
