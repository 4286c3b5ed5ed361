const BASIC_INGEST_PREFIX = '$aws/rules/';

/**
 * Tells whether an MQTT topic matches a topic filter (`+` one level, `#` this level and every level below).
 * A filter starting with a wildcard does not match a topic starting with `$`, as in MQTT.
 */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  return compileTopicMatcher(filter)(topic);
}

/** Compiles a topic filter once into a predicate on topics. */
export function compileTopicMatcher(filter: string): (topic: string) => boolean {
  if (!filter.includes('+') && !filter.includes('#')) return (topic) => topic === filter;
  const levels = filter.split('/');
  const n = levels.length;
  const wildcardFirst = filter.startsWith('+') || filter.startsWith('#');
  return (topic) => {
    if (wildcardFirst && topic.startsWith('$')) return false;
    const parts = topic.split('/');
    for (let i = 0; i < n; i++) {
      const level = levels[i];
      if (level === '#') return true;
      if (i >= parts.length) return false;
      if (level !== '+' && level !== parts[i]) return false;
    }
    return parts.length === n;
  };
}

/** Why a topic filter is not valid, or `undefined` when it is. */
export function topicFilterProblem(filter: string): string | undefined {
  if (filter.length === 0) return 'a topic filter cannot be empty';
  if (filter.includes('\u0000')) return 'a topic filter cannot contain the null character';
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] as string;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      return "'#' must be a whole level and the last one";
    }
    if (level.includes('+') && level !== '+') return "'+' must be a whole level";
  }
  return undefined;
}

/** A Basic Ingest topic split into the rule it addresses and the topic the rule sees. */
export interface BasicIngestTopic {
  /** The rule named by `$aws/rules/<ruleName>/...`. */
  readonly ruleName: string;
  /** The topic without the `$aws/rules/<ruleName>/` prefix: what `topic()` returns. */
  readonly topic: string;
}

/**
 * Splits a Basic Ingest topic (`$aws/rules/<ruleName>/<topic>`) into rule name and topic,
 * or returns `undefined` for any other topic.
 */
export function parseBasicIngestTopic(topic: string): BasicIngestTopic | undefined {
  if (!topic.startsWith(BASIC_INGEST_PREFIX)) return undefined;
  const end = topic.indexOf('/', BASIC_INGEST_PREFIX.length);
  const ruleName = end < 0 ? topic.slice(BASIC_INGEST_PREFIX.length) : topic.slice(BASIC_INGEST_PREFIX.length, end);
  if (ruleName.length === 0) return undefined;
  return { ruleName, topic: end < 0 ? '' : topic.slice(end + 1) };
}

/** The topic as `topic()` sees it: without a Basic Ingest prefix. */
export function ruleTopic(topic: string): string {
  return topic.startsWith(BASIC_INGEST_PREFIX) ? (parseBasicIngestTopic(topic)?.topic ?? topic) : topic;
}
