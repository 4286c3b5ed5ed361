import { planStack, type ResourceRecord, type StackOptions, StackState } from './stack-plan';

export type OfflineOptions = Omit<StackOptions, 'template'>;

export interface OfflineStack {
  /** Output values by output name. */
  outputs: Record<string, string>;
  /** Exports by export name; pass them as `exports` to resolve a stack importing them. */
  exports: Record<string, string>;
  /** Every resource's expected `Ref` value and attributes, by logical id. */
  resources: Record<string, ResourceRecord>;
}

/**
 * The outputs a stack will have once deployed, without creating anything: every resource gets the deterministic
 * physical id and attributes the interpreter would give it. Used to pass upstream outputs as parameters when
 * packaging downstream services before anything is deployed; `deployStack` gives the same values, as long as the
 * providers return the expected names.
 */
export function resolveOutputsOffline(template: unknown, options: OfflineOptions): OfflineStack {
  const plan = planStack({ ...options, template });
  const state = new StackState(plan);
  const resources: Record<string, ResourceRecord> = {};
  for (const logicalId of plan.order) {
    const type = plan.template.Resources[logicalId]?.Type as string;
    const expected = state.identify(logicalId, state.resolveProperties(logicalId));
    const record = { logicalId, type, physicalId: expected.physicalId, attributes: expected.attributes };
    state.record(record);
    resources[logicalId] = record;
  }
  return { ...state.resolveOutputs(), resources };
}
