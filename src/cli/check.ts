/**
 * `sluice check`: validates the settings, then connects to Kafka and to the destination the way
 * the service would, and exits — a pre-flight for a deployment (or a Kubernetes init container).
 * One line per check: ✓ passed, ✗ failed, ! a warning that does not fail the check.
 * Exit codes: 0 every check passed, 1 a connection check failed, 2 invalid settings.
 */
import { parseArgs } from 'node:util';
import { loadConnector } from '../../connectors/index.ts';
import type { Environment, SluiceConfig } from '../config/load.ts';
import { ConfigError } from '../errors.ts';
import { createKafkajsClient } from '../kafka/kafkajs-connection.ts';
import { silentLogger } from '../observe/logger.ts';
import type { CommandOutput } from './command.ts';
import { validateSettings } from './validate-settings.ts';

export const checkUsage = `usage: sluice check [--json] [--timeout MS]
  Validates the SLUICE_* settings, connects to the Kafka brokers (and checks the topics exist)
  and opens and closes the destination writer. Exit 0 when all pass, 1 when a check fails,
  2 on invalid settings.`;

export type CheckStatus = 'pass' | 'fail' | 'warn';

export interface CheckLine {
  readonly check: 'config' | 'kafka' | 'topics' | 'dead-letter-topic' | 'destination';
  readonly status: CheckStatus;
  readonly message: string;
}

const marks: Record<CheckStatus, string> = { pass: '✓', fail: '✗', warn: '!' };

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function checkKafka(config: SluiceConfig, timeoutMs: number): Promise<CheckLine[]> {
  const k = config.kafka;
  const admin = createKafkajsClient({ brokers: k.brokers, clientId: `${k.clientId}-check`, ssl: k.ssl, ...(k.sasl === null ? {} : { sasl: k.sasl }) }, silentLogger()).admin();
  const lines: CheckLine[] = [];
  try {
    const topics = await withTimeout(
      (async () => {
        await admin.connect();
        return admin.listTopics();
      })(),
      timeoutMs,
      `Kafka at ${k.brokers.join(',')}`,
    );
    lines.push({ check: 'kafka', status: 'pass', message: `connected to ${k.brokers.join(',')} (${topics.length} topics visible)` });
    const existing = new Set(topics);
    if (k.topics instanceof RegExp) {
      const pattern = k.topics;
      const matching = topics.filter((topic) => pattern.test(topic));
      lines.push(
        matching.length > 0
          ? { check: 'topics', status: 'pass', message: `pattern ${pattern.source} matches ${matching.length} topic(s): ${matching.slice(0, 5).join(', ')}${matching.length > 5 ? ', …' : ''}` }
          : { check: 'topics', status: 'warn', message: `pattern ${pattern.source} matches no topic yet (the group will pick them up when they appear)` },
      );
    } else {
      const missing = k.topics.filter((topic) => !existing.has(topic));
      lines.push(
        missing.length === 0
          ? { check: 'topics', status: 'pass', message: `${k.topics.length} topic(s) exist: ${k.topics.join(', ')}` }
          : { check: 'topics', status: 'fail', message: `topic(s) not found: ${missing.join(', ')}` },
      );
    }
    lines.push(
      existing.has(config.dlqTopic)
        ? { check: 'dead-letter-topic', status: 'pass', message: `${config.dlqTopic} exists` }
        : { check: 'dead-letter-topic', status: 'warn', message: `${config.dlqTopic} does not exist: create it unless the brokers auto-create topics, or a record that cannot be written will hold its partition until it can be dead-lettered` },
    );
  } catch (error) {
    lines.push({ check: 'kafka', status: 'fail', message: `cannot reach the brokers: ${(error as Error).message}` });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  return lines;
}

async function checkDestination(config: SluiceConfig, env: Environment, timeoutMs: number): Promise<CheckLine> {
  const connector = await loadConnector(config.destination);
  const writer = connector.createWriter({ env, logger: silentLogger() });
  try {
    await withTimeout(writer.open(), timeoutMs, `destination ${config.destination}`);
    return { check: 'destination', status: 'pass', message: `${config.destination}: writer opened and closed` };
  } catch (error) {
    return { check: 'destination', status: 'fail', message: `${config.destination}: ${(error as Error).message}` };
  } finally {
    await withTimeout(writer.close(), timeoutMs, 'closing the writer').catch(() => undefined);
  }
}

export async function checkCommand(argv: readonly string[], env: Environment, output: CommandOutput): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: { json: { type: 'boolean', default: false }, timeout: { type: 'string', default: '15000' }, help: { type: 'boolean', short: 'h', default: false } },
    strict: true,
  });
  if (values.help) {
    output.out(checkUsage);
    return 0;
  }
  const timeoutMs = Number(values.timeout);
  const lines: CheckLine[] = [];
  const report = (line: CheckLine): void => {
    lines.push(line);
    if (!values.json) output.err(`${marks[line.status]} ${line.check}: ${line.message}`);
  };
  let code = 0;
  try {
    const { config } = await validateSettings(env);
    const topics = config.kafka.topics instanceof RegExp ? `pattern ${config.kafka.topics.source}` : `${config.kafka.topics.length} topic(s)`;
    report({ check: 'config', status: 'pass', message: `destination ${config.destination}, ${topics}, group ${config.kafka.groupId}, dead-letter topic ${config.dlqTopic}` });
    for (const line of await checkKafka(config, timeoutMs)) report(line);
    report(await checkDestination(config, env, timeoutMs));
    code = lines.some((line) => line.status === 'fail') ? 1 : 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    report({ check: 'config', status: 'fail', message: error.message });
    code = 2;
  }
  if (values.json) output.out(JSON.stringify({ ok: code === 0, exitCode: code, checks: lines }, null, 2));
  return code;
}
