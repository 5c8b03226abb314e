/**
 * Every setting checked once, core and the chosen connector's, as `sluice run` and `sluice check`
 * do at start: a wrong value throws ConfigError naming the variable (exit code 2).
 */
import { destinationNames, loadConnector } from '../../connectors/index.ts';
import { coreSecretVariables, type Environment, loadConfig, type SluiceConfig } from '../config/load.ts';
import { ConfigError } from '../errors.ts';

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
