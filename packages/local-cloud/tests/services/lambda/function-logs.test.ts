import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRuntime, definition, type LocalLambda, removeTempDirs } from './lambda-test-kit';

const CHATTY = `
console.log('loading thresholds');
exports.handler = async (event) => {
  console.log('evaluating', { deviceId: event.deviceId });
  console.error('threshold crossed');
  process.stdout.write('raw line\\n');
  process.stderr.write(Buffer.from('bytes line\\n'), () => {});
  return 'ok';
};`;

describe('function logs', () => {
  let lambda: LocalLambda;
  let consoleLines: string[];

  beforeEach(() => {
    consoleLines = [];
    lambda = createRuntime({ console: (line) => consoleLines.push(line) });
  });

  afterEach(async () => {
    await lambda.close();
  });

  afterAll(() => removeTempDirs());

  it('writes what a function logs, with START, END and REPORT lines, to its log file and the console', async () => {
    // Prepare
    await lambda.runtime.createFunction(definition('evaluate', CHATTY, { memorySizeMb: 512 }));

    // Act
    await lambda.runtime.invoke('evaluate', { deviceId: 'd-1' }, 'RequestResponse');
    await lambda.runtime.invoke('evaluate', { deviceId: 'd-2' }, 'RequestResponse');

    // Assess
    const lines = readFileSync(join(lambda.dataDir, 'logs', 'evaluate.log'), 'utf8')
      .trimEnd()
      .split('\n');
    for (const line of lines) expect(line.startsWith('[evaluate] ')).toBe(true);
    const text = lines.map((line) => line.slice('[evaluate] '.length));
    const [, firstId, secondId] = text.join('\n').match(/START RequestId: (\S+)[\s\S]*START RequestId: (\S+)/) ?? [];
    expect(text[0]).toMatch(/^INIT_START Runtime Version: nodejs22\.x/);
    expect(text[1]).toMatch(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z\tundefined\tINFO\tloading thresholds$/);
    expect(text.slice(2, 8)).toEqual([
      `START RequestId: ${firstId} Version: $LATEST`,
      expect.stringMatching(new RegExp(`Z\\t${firstId}\\tINFO\\tevaluating { deviceId: 'd-1' }$`)),
      expect.stringMatching(new RegExp(`Z\\t${firstId}\\tERROR\\tthreshold crossed$`)),
      'raw line',
      'bytes line',
      `END RequestId: ${firstId}`,
    ]);
    expect(text[8]).toMatch(
      new RegExp(
        `^REPORT RequestId: ${firstId}\\tDuration: [\\d.]+ ms\\tBilled Duration: \\d+ ms\\tMemory Size: 512 MB` +
          '\\tMax Memory Used: \\d+ MB\\tInit Duration: [\\d.]+ ms$',
      ),
    );
    expect(text.at(-1)).toMatch(new RegExp(`^REPORT RequestId: ${secondId}\\t.*Max Memory Used: \\d+ MB$`));
    expect(consoleLines).toEqual(lines);
  });
});
