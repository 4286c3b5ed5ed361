/** Why the rules registry refused a request; the control plane answers each with its AWS error code. */
export class TopicRuleError extends Error {
  constructor(
    /** The AWS error code: SqlParseException, InvalidRequestException, ResourceNotFoundException, ... */
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'TopicRuleError';
  }
}

/** The rule's SQL (or a template of its actions) does not parse; the message names the position. */
export class SqlParseRuleError extends TopicRuleError {
  constructor(message: string) {
    super('SqlParseException', message, 400);
  }
}

export class InvalidTopicRuleError extends TopicRuleError {
  constructor(message: string) {
    super('InvalidRequestException', message, 400);
  }
}

export class TopicRuleNotFoundError extends TopicRuleError {
  constructor(ruleName: string) {
    super('UnauthorizedException', `Rule ${ruleName} does not exist`, 401);
  }
}

export class TopicRuleExistsError extends TopicRuleError {
  constructor(ruleName: string) {
    super('ResourceAlreadyExistsException', `Rule ${ruleName} already exists`, 409);
  }
}
