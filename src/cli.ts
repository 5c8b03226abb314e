/**
 * The `sluice` command. `sluice run` (the default) starts the service from SLUICE_* variables;
 * the operator commands (`lag`, `check`, `dlq replay`) live in src/cli/.
 * Exit codes: 0 clean stop (SIGTERM/SIGINT) or success, 1 fatal error while running or a failed
 * check, 2 invalid settings or arguments.
 */
import { maskedEnvironment } from './config/load.ts';
import { checkCommand } from './cli/check.ts';
import { CommandError, type CommandOutput, processOutput } from './cli/command.ts';
import { dlqCommand } from './cli/dlq-replay.ts';
import { lagCommand } from './cli/lag.ts';
import { validateSettings } from './cli/validate-settings.ts';
import { ConfigError } from './errors.ts';
import { createLogger } from './observe/logger.ts';
import { startService } from './service.ts';

export { validateSettings } from './cli/validate-settings.ts';

type Environment = Readonly<Record<string, string | undefined>>;

const usage = `usage: sluice <command> [options]
  run           start the service (configured by SLUICE_* environment variables; the default)
  lag           consumer-group lag per partition with slope, class and retention ETA
  check         validate the settings, connect to Kafka and the destination, exit 0/1/2
  dlq replay    re-inject dead-lettered records into their original topic
  help          this text; \`sluice <command> --help\` for a command's options`;

async function run(env: Environment): Promise<number> {
  let validated: Awaited<ReturnType<typeof validateSettings>>;
  try {
    validated = await validateSettings(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`sluice: invalid configuration: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const { config, secrets } = validated;
  const logger = createLogger({ level: config.logLevel });
  logger.info({ event: 'config', settings: maskedEnvironment(env, secrets) }, `starting sluice → ${config.destination}`);
  let service: Awaited<ReturnType<typeof startService>>;
  try {
    service = await startService(config, env, logger);
  } catch (error) {
    logger.fatal({ event: 'start-failed', err: error }, `could not start: ${(error as Error).message}`);
    return 1;
  }
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      logger.warn({ event: 'forced-exit', signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    signalled = true;
    logger.info({ event: 'shutdown', signal }, `${signal}: finishing in-flight writes, committing, leaving the group`);
    void service.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const error = await service.finished;
  if (error !== null) {
    logger.fatal({ event: 'stopped', err: error }, `stopped after a fatal error: ${error.message}`);
    return 1;
  }
  logger.info({ event: 'stopped' }, 'stopped cleanly');
  return 0;
}

/** Runs an operator command: usage errors and invalid settings are exit code 2. */
async function operatorCommand(command: (argv: readonly string[], env: Environment, output: CommandOutput) => Promise<number>, argv: readonly string[], env: Environment, output: CommandOutput): Promise<number> {
  try {
    return await command(argv, env, output);
  } catch (error) {
    if (error instanceof CommandError) {
      output.err(`sluice: ${error.message}\n${error.usage}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      output.err(`sluice: invalid configuration: ${error.message}`);
      return 2;
    }
    if (error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS') === true) {
      output.err(`sluice: ${error.message} (try: sluice help)`);
      return 2;
    }
    throw error;
  }
}

export async function main(argv: readonly string[], env: Environment, output: CommandOutput = processOutput()): Promise<number> {
  const [command = 'run', ...rest] = argv;
  switch (command) {
    case 'run':
      return run(env);
    case 'lag':
      return operatorCommand(lagCommand, rest, env, output);
    case 'check':
      return operatorCommand(checkCommand, rest, env, output);
    case 'dlq':
      return operatorCommand(dlqCommand, rest, env, output);
    case 'help':
    case '--help':
    case '-h':
      output.out(usage);
      return 0;
    default:
      output.err(`sluice: unknown command '${command}' (try: sluice help)`);
      return 2;
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (invokedDirectly) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`sluice: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
