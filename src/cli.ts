/**
 * The `sluice` command. `sluice run` (the default) starts the service from SLUICE_* variables.
 * Exit codes: 0 clean stop (SIGTERM/SIGINT), 1 fatal error while running, 2 invalid settings.
 */
import { destinationNames, loadConnector } from '../connectors/index.ts';
import { coreSecretVariables, loadConfig, maskedEnvironment, type SluiceConfig } from './config/load.ts';
import { ConfigError } from './errors.ts';
import { createLogger } from './observe/logger.ts';
import { startService } from './service.ts';

type Environment = Readonly<Record<string, string | undefined>>;

/** Validates every setting (core and the chosen connector's); throws ConfigError naming the variable. */
export async function validateSettings(env: Environment): Promise<{ config: SluiceConfig; secrets: Set<string> }> {
  const config = loadConfig(env);
  if (!destinationNames.includes(config.destination)) {
    throw new ConfigError('SLUICE_DESTINATION', `unknown destination '${config.destination}'; expected one of: ${destinationNames.join(', ')}`);
  }
  const connector = await loadConnector(config.destination);
  connector.settings.validate(env);
  const secrets = coreSecretVariables();
  for (const doc of connector.settings.docs) if (doc.secret) secrets.add(doc.variable);
  return { config, secrets };
}

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

export async function main(argv: readonly string[], env: Environment): Promise<number> {
  const command = argv[0] ?? 'run';
  switch (command) {
    case 'run':
      return run(env);
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write('usage: sluice [run]\n  run    start the service (configured by SLUICE_* environment variables; see README)\n');
      return 0;
    default:
      process.stderr.write(`sluice: unknown command '${command}' (try: sluice help)\n`);
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
