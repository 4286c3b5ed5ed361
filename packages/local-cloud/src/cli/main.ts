import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveOutputsOffline } from '../cloudformation';
import { packageServices } from '../compose';

const USAGE = `Usage: iot-local <command> [options]

Commands:
  package    Package every service of serverless-compose.yml offline, in deployment order, each with its
             upstream services' outputs (derived from their packaged templates) as params.

Options:
  --stage <name>   Stage to package (default: local; env IOT_LOCAL_STAGE)
  --region <name>  Region (default: us-east-1; env AWS_REGION)
  --force          Package again even where nothing changed
  --root <dir>     Repository root (default: the current folder)
  -h, --help       Show this help
`;

async function packageCommand(options: { root: string; stage: string; region: string; force: boolean }) {
  const started = Date.now();
  const packaged = await packageServices({
    root: options.root,
    stage: options.stage,
    force: options.force,
    onProgress: ({ service, step }) => {
      if (step === 'packaging') process.stdout.write(`  ${service.padEnd(22)} packaging...`);
      else process.stdout.write(step === 'reused' ? ' unchanged, reused\n' : ' packaged\n');
    },
    outputsOf: async ({ template, stackName }) =>
      resolveOutputsOffline(template, { stackName, region: options.region }).outputs,
  });
  console.log(
    `\nPackaged ${packaged.length} services for stage ${options.stage} in ${((Date.now() - started) / 1000).toFixed(1)} s:`,
  );
  for (const service of packaged) {
    console.log(
      `  ${service.name.padEnd(22)} ${service.serviceDir}/.serverless/cloudformation-template-update-stack.json`,
    );
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      stage: { type: 'string', default: process.env.IOT_LOCAL_STAGE ?? 'local' },
      region: { type: 'string', default: process.env.AWS_REGION ?? 'us-east-1' },
      force: { type: 'boolean', default: false },
      root: { type: 'string', default: process.cwd() },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 1;
  }
  const common = { root: resolve(values.root), stage: values.stage, region: values.region, force: values.force };
  switch (command) {
    case 'package':
      await packageCommand(common);
      return 0;
    default:
      console.error(`Unknown command "${command}".\n\n${USAGE}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
