// Validates the OpenAPI document read from standard input with @apidevtools/swagger-parser (schema and semantics).
// Run as its own Node process: the validator's dependencies are ES modules, which Jest's CommonJS runtime cannot load.
import SwaggerParser from '@apidevtools/swagger-parser';

let input = '';
for await (const chunk of process.stdin) input += chunk;
try {
  const api = await SwaggerParser.validate(JSON.parse(input));
  process.stdout.write(JSON.stringify({ valid: true, openapi: api.openapi }));
} catch (error) {
  process.stdout.write(JSON.stringify({ valid: false, message: error.message }));
}
