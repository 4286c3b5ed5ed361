/**
 * The build-time check of IoT SQL: every topic rule of every service's serverless.yml must parse as AWS IoT would
 * parse it when the rule is created, so a broken rule fails here rather than at deploy time, or worse, never fires.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkTopicRules, describeTopicRuleProblems, findTopicRules } from '../src/topic-rules';

const ROOT = join(__dirname, '..', '..', '..');

describe('IoT SQL of the services', () => {
  it('parses every topic rule declared in services/*/serverless.yml', async () => {
    // Prepare
    const rules = await findTopicRules(ROOT);

    // Act
    const problems = checkTopicRules(rules);

    // Assess
    expect(rules.map((r) => r.logicalId)).toContain('TelemetryRule');
    expect(describeTopicRuleProblems(problems)).toBe('');
  });

  it('names the file, the rule and the position of a parse error', async () => {
    // Prepare
    const root = await mkdtemp(join(tmpdir(), 'rules-'));
    await mkdir(join(root, 'services', 'broken'), { recursive: true });
    await writeFile(
      join(root, 'services', 'broken', 'serverless.yml'),
      [
        'service: iot-broken',
        'provider: { name: aws }',
        'resources:',
        '  Resources:',
        '    AlertRule:',
        '      Type: AWS::IoT::TopicRule',
        '      Properties:',
        '        RuleName: broken_${sls:stage}_alerts',
        '        TopicRulePayload:',
        "          AwsIotSqlVersion: '2016-03-23'",
        "          Sql: SELECT temperature, FROM 'devices/+/telemetry'",
      ].join('\n'),
    );

    // Act
    const report = describeTopicRuleProblems(checkTopicRules(await findTopicRules(root)));

    // Assess
    expect(report).toMatch(
      /^services\/broken\/serverless\.yml: topic rule AlertRule \(broken_\$\{sls:stage\}_alerts, SQL 2016-03-23\): .*column \d+/,
    );
  });
});
