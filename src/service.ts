/**
 * Assembles one sluice service from its configuration: the connector's writer, the Kafka
 * source, the decoder, the adaptive controller, the pipeline, the lag sampler and the HTTP
 * server. Everything is created here and nowhere else, so the process entry point, the demo
 * and the end-to-end tests run the same service.
 */
import { createRegistryAvroDecoder } from './cdc/avro/registry-decoder.ts';
import { createDecoder } from './cdc/decode.ts';
import { Controller } from './control/controller.ts';
import type { SluiceConfig } from './config/load.ts';
import { loadConnector } from '../connectors/index.ts';
import { createKafkaAdmin, createKafkaSource, createRecordProducer } from './kafka/index.ts';
import type { KafkaAdmin, KafkaConnectionOptions, RecordProducer, TopicPartition } from './kafka/types.ts';
import { startHttpServer } from './observe/http-server.ts';
import type { Logger } from './observe/logger.ts';
import { SluiceMetrics } from './observe/metrics.ts';
import { Pipeline } from './pipeline/pipeline.ts';
import { HealthMonitor } from './observe/health.ts';
import { LagSampler } from './observe/lag-sampler.ts';
import { fanOutObservers } from './observe/observer-fan-out.ts';
import { RecentDeadLetters } from './observe/recent-dead-letters.ts';
import { ScaleHintPublisher } from './observe/scale-hint-publisher.ts';

export interface RunningService {
  readonly pipeline: Pipeline;
  readonly controller: Controller;
  readonly metrics: SluiceMetrics;
  /** Base URL of the HTTP server (metrics, health, status). */
  readonly url: string;
  /** Resolves when the service stopped: null after a clean stop, the error after a fatal one. */
  readonly finished: Promise<Error | null>;
  stop(): Promise<void>;
}

export async function startService(config: SluiceConfig, env: Readonly<Record<string, string | undefined>>, logger: Logger): Promise<RunningService> {
  const connector = await loadConnector(config.destination);
  const writer = connector.createWriter({ env, logger });
  const connection: KafkaConnectionOptions = {
    brokers: config.kafka.brokers,
    clientId: config.kafka.clientId,
    ssl: config.kafka.ssl,
    ...(config.kafka.sasl === null ? {} : { sasl: config.kafka.sasl }),
  };
  const source = createKafkaSource(
    {
      ...connection,
      groupId: config.kafka.groupId,
      topics: config.kafka.topics,
      fromBeginning: config.kafka.fromBeginning,
      fetchMaxBytes: config.kafka.fetchMaxBytes,
      partitionFetchMaxBytes: config.kafka.partitionFetchMaxBytes,
      fetchMaxWaitMs: config.kafka.fetchMaxWaitMs,
      sessionTimeoutMs: config.kafka.sessionTimeoutMs,
      heartbeatIntervalMs: config.kafka.heartbeatIntervalMs,
    },
    config.kafka.client,
    logger.child({ component: 'kafka' }),
  );
  const producer: RecordProducer = createRecordProducer(connection, logger.child({ component: 'dead-letter' }));
  const admin: KafkaAdmin = createKafkaAdmin(connection, logger.child({ component: 'kafka-admin' }));
  const controller = new Controller(controllerConfig(config));
  const metrics = new SluiceMetrics();
  metrics.inflightLimit.set(config.control.maxInflightBytes);
  const recentDeadLetters = new RecentDeadLetters();
  const scaleHint: ScaleHintPublisher = new ScaleHintPublisher({ admin, controller, metrics, assignment: (): readonly TopicPartition[] => pipeline.assignment(), logger });

  const pipeline = new Pipeline({
    source,
    decoder:
      config.decoding.schemaRegistry !== null
        ? createRegistryAvroDecoder({ registry: config.decoding.schemaRegistry, unavailableValuePlaceholder: config.decoding.unavailableValuePlaceholder, logger: logger.child({ component: 'avro' }) })
        : createDecoder({ schemas: config.decoding.schemas, unavailableValuePlaceholder: config.decoding.unavailableValuePlaceholder }),
    writer,
    deadLetters: producer,
    dlqTopic: config.dlqTopic,
    controller,
    maxInflightBytes: config.control.maxInflightBytes,
    naming: config.naming,
    lingerMs: config.batch.lingerMs,
    maxBatchRows: config.control.adaptive ? config.batch.maxRows : config.control.fixedBatchRows,
    retry: config.retry,
    commitIntervalMs: config.commitIntervalMs,
    controlIntervalMs: config.control.intervalMs,
    delivery: config.delivery,
    groupId: config.kafka.groupId,
    logger,
    observer: fanOutObservers([metrics, recentDeadLetters, scaleHint]),
  });
  const health = new HealthMonitor(pipeline, controller, metrics, config.readiness);
  health.addStatusSection('deadLetters', () => recentDeadLetters.snapshot());
  health.addStatusSection('scaleHint', () => scaleHint.latest());
  const serviceFacts = { destination: config.destination, groupId: config.kafka.groupId, dlqTopic: config.dlqTopic };
  health.addStatusSection('service', () => serviceFacts);
  const lagSampler = new LagSampler({ admin, controller, pipeline, metrics, groupId: config.kafka.groupId, logger });
  const http = await startHttpServer({ host: config.http.host, port: config.http.port, metrics, status: health });
  logger.info({ event: 'http-listening', url: http.url }, `metrics, health and status on ${http.url}`);

  try {
    // Dead letters must never wait on a topic nobody created: make sure it exists first, and
    // stop with a clear message when the broker will not let us create it.
    const dlq = await admin.ensureTopic(config.dlqTopic, 1).catch((error: unknown) => {
      throw new Error(
        `could not make sure the dead-letter topic '${config.dlqTopic}' (SLUICE_DLQ_TOPIC) exists — is Kafka reachable at ${config.kafka.brokers.join(',')} (SLUICE_KAFKA_BROKERS), and may this client create topics? ${(error as Error).message}`,
        { cause: error },
      );
    });
    if (dlq === 'created') logger.info({ event: 'dead-letter-topic-created', topic: config.dlqTopic }, `created the dead-letter topic ${config.dlqTopic}`);
    await pipeline.start();
  } catch (error) {
    await Promise.allSettled([http.close(), producer.close(), admin.close(), writer.close()]);
    throw error;
  }
  lagSampler.start(config.control.lagSampleIntervalMs);
  scaleHint.start(config.control.lagSampleIntervalMs);
  health.start();

  let stopping: Promise<void> | null = null;
  const cleanup = async (): Promise<void> => {
    lagSampler.stop();
    scaleHint.stop();
    health.stop();
    await Promise.allSettled([producer.close(), admin.close(), http.close()]);
  };
  const finished = pipeline.finished.then(async (error) => {
    await cleanup();
    return error;
  });
  return {
    pipeline,
    controller,
    metrics,
    url: http.url,
    finished,
    stop() {
      stopping ??= pipeline.stop(config.shutdownTimeoutMs).then(() => finished.then(() => undefined));
      return stopping;
    },
  };
}

function controllerConfig(config: SluiceConfig): ConstructorParameters<typeof Controller>[0] {
  const control = config.control;
  const fixed = !control.adaptive;
  return {
    intervalMs: control.intervalMs,
    maxInflightBytes: control.maxInflightBytes,
    headroomBytes: Math.min(config.kafka.fetchMaxBytes, Math.floor(control.maxInflightBytes / 2)),
    retentionWarningSeconds: config.retentionWarningSeconds,
    batchSize: fixed
      ? { min: control.fixedBatchRows, max: control.fixedBatchRows, initial: control.fixedBatchRows, latencyTargetMs: control.latencyTargetMs }
      : { min: config.batch.minRows, max: config.batch.maxRows, initial: config.batch.minRows, latencyTargetMs: control.latencyTargetMs },
    concurrency: fixed
      ? { min: control.fixedConcurrency, max: control.fixedConcurrency, initial: control.fixedConcurrency }
      : { min: 1, max: control.concurrencyMax, initial: 1 },
  };
}
