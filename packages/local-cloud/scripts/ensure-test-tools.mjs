#!/usr/bin/env node
/**
 * Makes sure the programs the acceptance tests drive the local cloud with are installed: Debian's mosquitto-clients
 * (`mosquitto_pub`, `mosquitto_sub`) for the IoT Core, and Debian's chromium for the dashboard's browser tests
 * (driven by playwright-core). Run by the root `pnpm test` before Jest, and by the IoT Core acceptance test when they
 * are missing. As root (or with password-less sudo) on a Debian-like system it installs them with apt-get; otherwise it
 * fails, saying what to install.
 *
 * Exit code 0 when the tools are there (or were installed), 1 otherwise.
 */
import { spawnSync } from 'node:child_process';

/** The Debian packages and the commands each provides. */
const PACKAGES = [
  { name: 'mosquitto-clients', commands: ['mosquitto_pub', 'mosquitto_sub'], fedora: 'mosquitto', brew: 'mosquitto' },
  { name: 'chromium', commands: ['chromium'], fedora: 'chromium', brew: '--cask chromium' },
];

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
const missingPackages = () => PACKAGES.filter((pkg) => pkg.commands.some((command) => !has(command)));

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
  const absent = missingPackages();
  if (absent.length === 0) return 0;
  const names = absent.map((pkg) => pkg.name);
  const apt = aptGet();
  if (apt) {
    apt(['update']);
    apt(['install', '-y', '--no-install-recommends', ...names]);
    const still = missingPackages();
    if (still.length === 0) return 0;
    console.error(
      `ensure-test-tools: ${still.map((pkg) => pkg.commands.join(', ')).join(', ')} still missing after installing ${names.join(' ')}.`,
    );
    return 1;
  }
  console.error(
    [
      `ensure-test-tools: the acceptance tests need ${absent.flatMap((pkg) => pkg.commands).join(', ')}, which are not installed.`,
      `Install them, then run the tests again:`,
      `  Debian / Ubuntu: sudo apt-get install -y ${names.join(' ')}`,
      `  Fedora:          sudo dnf install -y ${absent.map((pkg) => pkg.fedora).join(' ')}`,
      `  macOS:           brew install ${absent.map((pkg) => pkg.brew).join(' ')}`,
    ].join('\n'),
  );
  return 1;
}

process.exitCode = main();
