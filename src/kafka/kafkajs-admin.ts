import kafkajs, { type Admin } from 'kafkajs';
import { type Logger, silentLogger } from '../observe/logger.ts';
import { createKafkajsClient } from './kafkajs-connection.ts';
import { partitionKey } from './partition-set.ts';
import type { KafkaAdmin, KafkaConnectionOptions } from './types.ts';

/** KafkaAdmin on kafkajs' admin client. Connects lazily on the first query. */
export class KafkajsAdmin implements KafkaAdmin {
  private readonly admin: Admin;
  private connected: Promise<void> | null = null;

  constructor(options: KafkaConnectionOptions, logger: Logger = silentLogger()) {
    this.admin = createKafkajsClient(options, logger).admin();
  }

  async endOffsets(topics: readonly string[]): Promise<Map<string, bigint>> {
    const admin = await this.ready();
    const offsets = new Map<string, bigint>();
    for (const topic of topics) {
      for (const { partition, high } of await admin.fetchTopicOffsets(topic)) {
        offsets.set(partitionKey({ topic, partition }), BigInt(high));
      }
    }
    return offsets;
  }

  /** Partitions the group never committed are absent from the map. */
  async committedOffsets(group: string, topics: readonly string[]): Promise<Map<string, bigint>> {
    const admin = await this.ready();
    const offsets = new Map<string, bigint>();
    for (const { topic, partitions } of await admin.fetchOffsets({ groupId: group, topics: [...topics] })) {
      for (const { partition, offset } of partitions) {
        const committed = BigInt(offset);
        if (committed >= 0n) offsets.set(partitionKey({ topic, partition }), committed);
      }
    }
    return offsets;
  }

  async retention(topics: readonly string[]): Promise<Map<string, { ms: number; bytes: number }>> {
    if (topics.length === 0) return new Map();
    const admin = await this.ready();
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({
        type: kafkajs.ConfigResourceTypes.TOPIC,
        name,
        configNames: ['retention.ms', 'retention.bytes'],
      })),
    });
    const retention = new Map<string, { ms: number; bytes: number }>();
    for (const resource of described.resources) {
      const value = (name: string): number => {
        const entry = resource.configEntries.find((candidate) => candidate.configName === name);
        return entry === undefined ? -1 : Number(entry.configValue);
      };
      retention.set(resource.resourceName, { ms: value('retention.ms'), bytes: value('retention.bytes') });
    }
    return retention;
  }

  async ensureTopic(topic: string, partitions: number): Promise<'created' | 'exists'> {
    const admin = await this.ready();
    if ((await admin.listTopics()).includes(topic)) return 'exists';
    // createTopics answers false (not an error) when a concurrent replica created it first.
    const created = await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }] });
    return created ? 'created' : 'exists';
  }

  async close(): Promise<void> {
    if (this.connected === null) return;
    this.connected = null;
    await this.admin.disconnect();
  }

  private async ready(): Promise<Admin> {
    this.connected ??= this.admin.connect();
    await this.connected;
    return this.admin;
  }
}
