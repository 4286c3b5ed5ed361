#!/usr/bin/env node
/**
 * Makes sure the command-line clients the acceptance tests drive the local IoT Core with are installed: Debian's
 * mosquitto-clients (`mosquitto_pub`, `mosquitto_sub`). Run by the root `pnpm test` before Jest, and by the IoT Core
 * acceptance test when they are missing. As root (or with password-less sudo) on a Debian-like system it installs them
 * with apt-get; otherwise it fails, saying what to install.
 *
 * Exit code 0 when the tools are there (or were installed), 1 otherwise.
 */
import { spawnSync } from 'node:child_process';

const TOOLS = ['mosquitto_pub', 'mosquitto_sub'];
const PACKAGE = 'mosquitto-clients';

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
const missing = () => TOOLS.filter((tool) => !has(tool));

function run(command, args) {
  console.log(`ensure-test-tools: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return result.status === 0;
}

/** apt-get as root, or through sudo when it needs no password. */
function aptGet() {
  if (!has('apt-get')) return undefined;
  if (process.getuid?.() === 0) return (args) => run('apt-get', args);
  if (has('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0) {
    return (args) => run('sudo', ['-n', 'apt-get', ...args]);
  }
  return undefined;
}

function main() {
  const absent = missing();
  if (absent.length === 0) return 0;
  const apt = aptGet();
  if (apt) {
    apt(['update']);
    apt(['install', '-y', '--no-install-recommends', PACKAGE]);
    const still = missing();
    if (still.length === 0) return 0;
    console.error(`ensure-test-tools: ${still.join(', ')} still missing after installing ${PACKAGE}.`);
    return 1;
  }
  console.error(
    [
      `ensure-test-tools: the IoT acceptance tests need ${absent.join(' and ')}, which are not installed.`,
      `Install them, then run the tests again:`,
      `  Debian / Ubuntu: sudo apt-get install -y ${PACKAGE}`,
      `  Fedora:          sudo dnf install -y mosquitto`,
      `  macOS:           brew install mosquitto`,
    ].join('\n'),
  );
  return 1;
}

process.exitCode = main();
