import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { validateSql } from '@iot/iot-sql';
import { parseServerlessYml } from './serverless-yml';

/** A topic rule declared in a service's serverless.yml. */
export interface DeclaredTopicRule {
  /** `services/<name>/serverless.yml`. */
  file: string;
  logicalId: string;
  /** The RuleName property as written (it may hold Serverless variables). */
  ruleName: string;
  sql: string;
  sqlVersion: '2015-10-08' | '2016-03-23' | 'beta' | undefined;
}

/** A rule whose SQL AWS IoT would refuse, and why. */
export interface TopicRuleProblem {
  rule: DeclaredTopicRule;
  message: string;
}

type TopicRulePayload = { Sql?: unknown; AwsIotSqlVersion?: DeclaredTopicRule['sqlVersion'] };

/** Every AWS::IoT::TopicRule in `services/*\/serverless.yml` under `root`. */
export async function findTopicRules(root: string): Promise<DeclaredTopicRule[]> {
  const servicesDir = join(root, 'services');
  const services = (await readdir(servicesDir, { withFileTypes: true })).filter((e) => e.isDirectory());
  const rules: DeclaredTopicRule[] = [];
  for (const service of services.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(servicesDir, service.name, 'serverless.yml');
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const resources = parseServerlessYml(text).resources?.Resources ?? {};
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (resource.Type !== 'AWS::IoT::TopicRule') continue;
      const payload = (resource.Properties?.TopicRulePayload ?? {}) as TopicRulePayload;
      rules.push({
        file: relative(root, path),
        logicalId,
        ruleName: String(resource.Properties?.RuleName ?? logicalId),
        sql: typeof payload.Sql === 'string' ? payload.Sql : '',
        sqlVersion: payload.AwsIotSqlVersion,
      });
    }
  }
  return rules;
}

/** Parses the SQL of each rule as AWS IoT would when the rule is created. */
export function checkTopicRules(rules: DeclaredTopicRule[]): TopicRuleProblem[] {
  return rules.flatMap((rule) => {
    if (!rule.sql) return [{ rule, message: 'TopicRulePayload.Sql is missing or not a string' }];
    const result = validateSql(rule.sql, rule.sqlVersion);
    return result.ok ? [] : [{ rule, message: result.error.message }];
  });
}

/** One line per problem: where the rule is, its name, and the parse error. */
export function describeTopicRuleProblems(problems: TopicRuleProblem[]): string {
  return problems
    .map(
      ({ rule, message }) =>
        `${rule.file}: topic rule ${rule.logicalId} (${rule.ruleName}, SQL ${rule.sqlVersion ?? '2015-10-08'}): ${message}`,
    )
    .join('\n');
}
