import { HttpProblem } from '@iot/lambda-kit';
import { AlarmAcknowledgementConflictError, AlarmNotFoundError } from '../domain/acknowledge-alarm';
import { AlarmContentionError } from '../domain/evaluate-telemetry';
import { InvalidPageTokenError } from '../domain/page-token';

/** The domain errors of this service a caller may see, as problem details; anything else stays a 500. */
export function mapAlertingError(error: unknown): HttpProblem | undefined {
  if (error instanceof InvalidPageTokenError) {
    return new HttpProblem(400, 'Bad Request', `query.nextToken: ${error.message}`, [
      { path: 'query.nextToken', message: error.message },
    ]);
  }
  if (error instanceof AlarmNotFoundError) return new HttpProblem(404, 'Not Found', error.message);
  if (error instanceof AlarmAcknowledgementConflictError) return new HttpProblem(409, 'Conflict', error.message);
  if (error instanceof AlarmContentionError) {
    return new HttpProblem(409, 'Conflict', 'the alarm kept changing while it was being updated; try again');
  }
  return undefined;
}
