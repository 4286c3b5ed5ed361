import * as z from 'zod';

/**
 * What AWS IoT sends to a topic rule's `errorAction` when one of its actions fails (developer guide, "Error
 * handling (error action)"): the rule, the original message as base64, and each failed action.
 */
export const RuleErrorPayloadSchema = z.object({
  ruleName: z.string(),
  topic: z.string(),
  clientId: z.string().optional(),
  cloudwatchTraceId: z.string().optional(),
  base64OriginalPayload: z.string(),
  failures: z.array(
    z.object({
      failedAction: z.string(),
      failedResource: z.string(),
      errorMessage: z.string(),
    }),
  ),
});
export type RuleErrorPayload = z.infer<typeof RuleErrorPayloadSchema>;
