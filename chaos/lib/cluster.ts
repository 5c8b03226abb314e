/**
 * One Kafka + PostgreSQL pair a fault runs against: the shared services (127.0.0.1:9092/5433)
 * or the chaos-owned ones it may stop (own-services.ts). Everything a fault needs to set up and
 * to count is here, parameterised by the endpoints (test/support's helpers are bound to the
 * shared ones).
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { verifyPostgres, type VerifyReport, type Workload } from '../../src/loadgen/index.ts';

export interface Endpoints {
  readonly brokers: readonly string[];
  /** Superuser URL of the server's `postgres` database. */
  readonly postgresUrl: string;
}

export function sharedEndpoints(): Endpoints {
  return {
    brokers: (process.env.SLUICE_TEST_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((broker) => broker.trim()),
    postgresUrl: process.env.SLUICE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5433/postgres',
  };
}

/** Lower case, unique across processes, valid as topic, group and unquoted identifier (≤ 63). */
export function chaosName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`.toLowerCase().slice(0, 63);
}

export function quoteIdentifier(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

export class Cluster {
  constructor(readonly endpoints: Endpoints) {}

  kafka(clientId = 'sluice-chaos'): Kafka {
    return new Kafka({ clientId, brokers: [...this.endpoints.brokers], logLevel: logLevel.NOTHING, retry: { retries: 8 } });
  }

  databaseUrl(database: string): string {
    const url = new URL(this.endpoints.postgresUrl);
    url.pathname = `/${encodeURIComponent(database)}`;
    return url.toString();
  }

  async withClient<T>(database: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: this.databaseUrl(database), connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async createDatabase(prefix: string): Promise<string> {
    const name = chaosName(prefix);
    await this.withClient('postgres', (client) => client.query(`CREATE DATABASE ${quoteIdentifier(name)}`));
    return name;
  }

  async dropDatabase(name: string): Promise<void> {
    await this.withClient('postgres', (client) => client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`));
  }

  async createTopic(topic: string, partitions: number, config: Readonly<Record<string, string>> = {}): Promise<void> {
    const admin = this.kafka('sluice-chaos-admin').admin();
    await admin.connect();
    try {
      await admin.createTopics({
        waitForLeaders: false,
        topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries: Object.entries(config).map(([name, value]) => ({ name, value })) }],
      });
      // kafkajs' waitForLeaders fails outright (UNKNOWN_TOPIC_OR_PARTITION) when the broker's
      // metadata lags the controller, as on a freshly started node: poll the offsets instead.
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          const offsets = await admin.fetchTopicOffsets(topic);
          if (offsets.length === partitions) break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      await admin.disconnect();
    }
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    const admin = this.kafka('sluice-chaos-admin').admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const present = topics.filter((topic) => existing.has(topic));
      if (present.length > 0) await admin.deleteTopics({ topics: present });
    } finally {
      await admin.disconnect();
    }
  }

  /** Committed offsets of `group` and log-end offsets, summed over `topics` (and log starts). */
  async groupProgress(group: string, topics: readonly string[]): Promise<{ committed: number; end: number; start: number }> {
    const admin = this.kafka('sluice-chaos-progress').admin();
    await admin.connect();
    try {
      let committed = 0;
      let end = 0;
      let start = 0;
      for (const topic of topics) {
        for (const partition of await admin.fetchTopicOffsets(topic)) {
          end += Number(partition.high);
          start += Number(partition.low);
        }
      }
      const offsets = await admin.fetchOffsets({ groupId: group, topics: [...topics] });
      for (const topic of offsets) for (const partition of topic.partitions) if (Number(partition.offset) >= 0) committed += Number(partition.offset);
      return { committed, end, start };
    } finally {
      await admin.disconnect();
    }
  }

  /** Records in `topic` now (log end − log start, summed); 0 when it does not exist. */
  async topicRecords(topic: string): Promise<number> {
    const admin = this.kafka('sluice-chaos-count').admin();
    await admin.connect();
    try {
      if (!(await admin.listTopics()).includes(topic)) return 0;
      let count = 0;
      for (const partition of await admin.fetchTopicOffsets(topic)) count += Number(partition.high) - Number(partition.low);
      return count;
    } finally {
      await admin.disconnect();
    }
  }

  async verify(database: string, workload: Workload): Promise<VerifyReport> {
    return this.withClient(database, (client) => verifyPostgres({ client, workload }));
  }
}

/**
 * The counts of FaultCounts for a workload sunk into `database` by `group` (see result.ts for
 * the definitions).
 */
export async function workloadCounts(options: {
  cluster: Cluster;
  workload: Workload;
  database: string;
  group: string;
  dlqTopic: string;
}): Promise<{ produced: number; written: number; dead_lettered: number; lost: number; duplicated_in_final_state: number; report: VerifyReport }> {
  const topics = options.workload.topics().map((spec) => spec.topic);
  const progress = await options.cluster.groupProgress(options.group, topics);
  const deadLettered = await options.cluster.topicRecords(options.dlqTopic);
  const report = await options.cluster.verify(options.database, options.workload);
  const uncommitted = Math.max(0, progress.end - progress.committed);
  return {
    produced: progress.end,
    written: progress.committed - deadLettered,
    dead_lettered: deadLettered,
    lost: report.missing + report.different + uncommitted,
    duplicated_in_final_state: report.extra,
    report,
  };
}
