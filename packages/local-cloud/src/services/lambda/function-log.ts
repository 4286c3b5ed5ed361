import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Where a function's log lines go besides its log file: the host console by default. */
export type LogConsole = (line: string) => void;

export const hostConsole: LogConsole = (line) => {
  process.stdout.write(`${line}\n`);
};

/**
 * One function's log, the local CloudWatch log group: each line goes, prefixed with `[functionName]`, to the host
 * console and to `<logsDir>/<functionName>.log`. Writes are synchronous so the file holds a line once it is written;
 * an execution environment writes the lines of an invocation together (see `Sandbox`).
 */
export class FunctionLog {
  private fd: number | undefined;

  constructor(
    readonly functionName: string,
    private readonly logsDir: string,
    private readonly console: LogConsole | undefined,
  ) {}

  get path(): string {
    return join(this.logsDir, `${this.functionName}.log`);
  }

  /** Writes lines; a text with line breaks is several lines. */
  write(text: string): void {
    this.writeLines([text]);
  }

  /** Writes several texts at once (one write to the file), in order. */
  writeLines(texts: readonly string[]): void {
    if (texts.length === 0) return;
    const prefix = `[${this.functionName}] `;
    let block = '';
    for (const text of texts) {
      const prefixed = text.includes('\n') ? text.split('\n').join(`\n${prefix}`) : text;
      block += `${prefix}${prefixed}\n`;
      this.console?.(`${prefix}${prefixed}`);
    }
    if (this.fd === undefined) {
      mkdirSync(this.logsDir, { recursive: true });
      this.fd = openSync(this.path, 'a');
    }
    writeSync(this.fd, block);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Splits chunks of output into lines, keeping an unfinished line until it ends or is flushed. */
export class LineBuffer {
  private partial = '';

  /** Adds output; answers the lines it completes. */
  push(chunk: string): string[] {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    return lines;
  }

  /** Answers the unfinished line, if any, as a line. */
  flush(): string[] {
    const rest = this.partial;
    this.partial = '';
    return rest === '' ? [] : [rest];
  }
}
