#!/usr/bin/env node
// The local cloud's command line. The package has no build step: its TypeScript runs through tsx's loader, which
// the worker threads of the Lambda runtime inherit along with the other execArgv.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// The AWS SDK's notice that its releases after January 2027 need Node 22 would fill the start-up output, once from
// this process and once from every `serverless package`; the README says which Node versions work. The SDK reads this
// variable to leave it out.
const child = spawn(
  process.execPath,
  ['--import', import.meta.resolve('tsx'), join(here, '..', 'src', 'cli', 'main.ts'), ...process.argv.slice(2)],
  { stdio: 'inherit', env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...process.env } },
);
// Ctrl-C reaches both processes; the child shuts down cleanly and its exit code is ours.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
