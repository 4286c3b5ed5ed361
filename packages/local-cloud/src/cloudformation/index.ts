/**
 * The CloudFormation interpreter: reads the templates `serverless package` writes and deploys them into the local
 * cloud through one provider per resource type, or resolves their outputs without deploying.
 *
 * @packageDocumentation
 */
export * from './arns';
export type {
  CreatedResource,
  DeployedResource,
  DeployedStack,
  DeployStackOptions,
  ResourceProvider,
  ResourceProviders,
  ResourceToCreate,
} from './deploy-stack';
export { deployStack, recordOnlyProvider } from './deploy-stack';
export * from './errors';
export type { ExportEntry, ExportLookup } from './export-registry';
export { ExportRegistry } from './export-registry';
export { NO_VALUE, SUPPORTED_INTRINSICS } from './intrinsics';
export type { OfflineOptions, OfflineStack } from './offline-outputs';
export { resolveOutputsOffline } from './offline-outputs';
export { generatedId, generatedPhysicalName, stableUuid } from './physical-ids';
export type { Provisioning, ResourceIdentity, ResourceTypeSpec } from './resource-types';
export { isSupportedResourceType, LOCAL_STREAM_LABEL, RESOURCE_TYPES } from './resource-types';
export type { CloudFormationLogger, ResourceRecord, SkippedResource, StackOptions, StackPlan } from './stack-plan';
export { consoleWarningLogger, planStack } from './stack-plan';
export type { ParameterValue, Template, TemplateOutput, TemplateParameter, TemplateResource } from './template';
export { parseTemplate } from './template';
