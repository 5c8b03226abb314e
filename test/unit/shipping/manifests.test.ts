/**
 * The shipping files without a Docker engine or a cluster: every YAML under docker/ parses, and
 * what they say agrees with the code — every SLUICE_* variable they set exists (core settings or
 * the connector's documented settings), probes point at paths the HTTP server really serves,
 * ports match, the grace period covers the shutdown timeout, KEDA targets the deployment's group
 * and topics, and the Grafana dashboard only queries metrics the service registers.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { loadConnector } from '../../../connectors/index.ts';
import { coreSettings } from '../../../src/config/settings.ts';
import { startHttpServer } from '../../../src/observe/http-server.ts';
import { SluiceMetrics } from '../../../src/observe/metrics.ts';

const dockerDir = fileURLToPath(new URL('../../../docker/', import.meta.url));
const repoRoot = path.resolve(dockerDir, '..');

type Node = Record<string, unknown>;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'local' ? [] : yamlFiles(full);
    return /\.ya?ml$/.test(name) ? [full] : [];
  });
}

function load(relative: string): Node[] {
  const text = readFileSync(path.join(dockerDir, relative), 'utf8');
  return parseAllDocuments(text).map((document) => {
    assert.deepEqual(document.errors, [], `${relative} parses`);
    return document.toJS() as Node;
  });
}

function object(value: unknown, what: string): Node {
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `${what} is a mapping`);
  return value as Node;
}

function list(value: unknown, what: string): unknown[] {
  assert.ok(Array.isArray(value), `${what} is a list`);
  return value;
}

function stringMap(value: unknown, what: string): Record<string, string> {
  const entries = Object.entries(object(value, what));
  for (const [key, v] of entries) assert.equal(typeof v, 'string', `${what}.${key} is a string (quote numbers in YAML env maps)`);
  return Object.fromEntries(entries) as Record<string, string>;
}

/** Every variable sluice reads: core settings, the destination's documented settings, their _FILE forms. */
async function knownVariables(destination: string): Promise<Set<string>> {
  const known = new Set<string>(Object.keys(coreSettings));
  const connector = await loadConnector(destination);
  for (const doc of connector.settings.docs) known.add(doc.variable);
  for (const [name, spec] of Object.entries(coreSettings)) if ('secret' in spec && spec.secret === true) known.add(`${name}_FILE`);
  return known;
}

async function assertKnown(env: Record<string, string>, where: string): Promise<void> {
  const destination = env.SLUICE_DESTINATION;
  assert.ok(destination !== undefined, `${where} sets SLUICE_DESTINATION`);
  const known = await knownVariables(destination);
  for (const name of Object.keys(env)) {
    if (!name.startsWith('SLUICE_')) continue;
    assert.ok(known.has(name), `${where} sets ${name}, which neither src/config/settings.ts nor the ${destination} connector documents`);
  }
}

describe('shipping files', () => {
  test('every YAML file under docker/ parses', () => {
    const files = yamlFiles(dockerDir);
    assert.ok(files.length >= 10, `found ${files.length} files`);
    for (const file of files) load(path.relative(dockerDir, file));
  });

  test('the HTTP server serves the paths the probes, Prometheus and the healthcheck use', async () => {
    const server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      metrics: new SluiceMetrics({ defaultMetrics: false }),
      status: { readiness: () => ({ ready: false, reasons: ['not assigned'] }), status: () => ({}) },
    });
    try {
      for (const [probe, expected] of [['/healthz', 200], ['/readyz', 503], ['/metrics', 200], ['/status', 200], ['/', 200]] as const) {
        const response = await fetch(`${server.url}${probe}`);
        await response.arrayBuffer();
        assert.equal(response.status, expected, probe);
      }
    } finally {
      await server.close();
    }
  });

  describe('docker/compose.yaml', () => {
    const [compose] = load('compose.yaml');
    const services = object(compose?.services, 'services');
    const sluice = object(services.sluice, 'services.sluice');
    const env = stringMap(sluice.environment, 'sluice.environment');

    test('sluice is built from docker/Dockerfile and configured only with variables it knows', async () => {
      const build = object(sluice.build, 'sluice.build');
      assert.ok(existsSync(path.resolve(dockerDir, String(build.context), String(build.dockerfile))), 'the Dockerfile exists');
      await assertKnown(env, 'compose sluice.environment');
      assert.equal(env.SLUICE_HTTP_HOST, '0.0.0.0', 'reachable from outside the container');
    });

    test('ports, brokers and the dead-letter topic agree across services', () => {
      const ports = list(sluice.ports, 'sluice.ports').map(String);
      assert.ok(ports.some((mapping) => mapping.endsWith(`:${env.SLUICE_HTTP_PORT}`)), `a port maps to SLUICE_HTTP_PORT ${env.SLUICE_HTTP_PORT}`);
      const kafka = object(services.kafka, 'services.kafka');
      assert.match(String(kafka.image), /^apache\/kafka:/, 'the official Apache Kafka image');
      const kafkaEnv = stringMap(kafka.environment, 'kafka.environment');
      assert.match(kafkaEnv.KAFKA_PROCESS_ROLES ?? '', /controller/, 'KRaft: the broker is its own controller');
      assert.ok((kafkaEnv.KAFKA_ADVERTISED_LISTENERS ?? '').split(',').some((listener) => listener.endsWith(`//${env.SLUICE_KAFKA_BROKERS}`)), 'sluice uses an advertised listener');
      for (const name of ['KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR', 'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR', 'KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR']) {
        assert.equal(kafkaEnv[name], '1', `${name} on a single broker`);
      }
      const init = object(services['kafka-init'], 'services.kafka-init');
      assert.match(list(init.command, 'kafka-init.command').join(' '), new RegExp(`--topic ${env.SLUICE_DLQ_TOPIC?.replaceAll('.', '\\.')} `), 'the dead-letter topic is created');
      const dependsOn = object(sluice.depends_on, 'sluice.depends_on');
      for (const dependency of ['kafka', 'postgres', 'kafka-init']) assert.ok(dependency in dependsOn, `sluice waits for ${dependency}`);
      const pgUrl = new URL(env.SLUICE_PG_URL ?? '');
      assert.ok(pgUrl.hostname in services, 'SLUICE_PG_URL points at a compose service');
    });

    test('the stop grace period covers SLUICE_SHUTDOWN_TIMEOUT_MS', () => {
      const grace = /^(\d+)s$/.exec(String(sluice.stop_grace_period));
      assert.ok(grace !== null, 'stop_grace_period in seconds');
      assert.ok(Number(grace[1]) * 1000 > Number(env.SLUICE_SHUTDOWN_TIMEOUT_MS));
    });

    test('Prometheus and Grafana are an optional profile, with their mounted files present', () => {
      for (const name of ['prometheus', 'grafana']) {
        const service = object(services[name], `services.${name}`);
        assert.deepEqual(service.profiles, ['monitoring']);
        for (const volume of list(service.volumes, `${name}.volumes`)) {
          const source = String(volume).split(':')[0]!;
          assert.ok(existsSync(path.resolve(dockerDir, source)), `${name} mounts ${source}`);
        }
      }
    });

    test('Prometheus scrapes sluice on its port and path', () => {
      const [prometheus] = load('prometheus/prometheus.yml');
      const jobs = list(prometheus?.scrape_configs, 'scrape_configs').map((job) => object(job, 'job'));
      const job = jobs.find((candidate) => candidate.job_name === 'sluice');
      assert.ok(job !== undefined);
      assert.equal(job.metrics_path, '/metrics');
      const targets = list(job.static_configs, 'static_configs').flatMap((config) => list(object(config, 'static_config').targets, 'targets'));
      assert.ok(targets.includes(`sluice:${env.SLUICE_HTTP_PORT}`), `targets ${targets.join(', ')}`);
    });
  });

  describe('docker/k8s', () => {
    const byKind = new Map<string, Node>();
    for (const file of readdirSync(path.join(dockerDir, 'k8s'))) {
      for (const document of load(path.join('k8s', file))) byKind.set(String(document.kind), document);
    }
    const kind = (name: string): Node => {
      const found = byKind.get(name);
      assert.ok(found !== undefined, `a ${name} in docker/k8s`);
      return found;
    };
    const deployment = kind('Deployment');
    const podSpec = object(object(object(deployment.spec, 'spec').template, 'template').spec, 'pod spec');
    const podLabels = object(object(object(object(deployment.spec, 'spec').template, 'template').metadata, 'pod metadata').labels, 'pod labels');
    const container = object(list(podSpec.containers, 'containers')[0], 'container');
    const configMap = kind('ConfigMap');
    const config = stringMap(configMap.data, 'ConfigMap data');
    const secret = stringMap(kind('Secret').stringData, 'Secret stringData');
    const named = (resource: Node): string => String(object(resource.metadata, 'metadata').name);

    test('the kustomization lists every manifest', () => {
      const kustomization = kind('Kustomization');
      const resources = list(kustomization.resources, 'resources').map(String).sort();
      const files = readdirSync(path.join(dockerDir, 'k8s')).filter((file) => file !== 'kustomization.yaml').sort();
      assert.deepEqual(resources, files);
    });

    test('env comes from the ConfigMap and the Secret, with variables sluice knows', async () => {
      const sources = list(container.envFrom, 'envFrom').map((entry) => object(entry, 'envFrom entry'));
      assert.ok(sources.some((s) => s.configMapRef !== undefined && object(s.configMapRef, 'configMapRef').name === named(configMap)));
      assert.ok(sources.some((s) => s.secretRef !== undefined && object(s.secretRef, 'secretRef').name === named(kind('Secret'))));
      await assertKnown({ ...config, ...secret }, 'ConfigMap + Secret');
      for (const entry of (container.env as unknown[] | undefined) ?? []) {
        await assertKnown({ SLUICE_DESTINATION: config.SLUICE_DESTINATION!, [String(object(entry, 'env').name)]: '' }, 'container env');
      }
      const known = await knownVariables(config.SLUICE_DESTINATION!);
      for (const name of Object.keys(secret)) assert.ok(/PASSWORD|SECRET|TOKEN|KEY|CREDENTIALS/.test(name) && known.has(name), `${name} belongs in the Secret`);
    });

    test('probes: readiness /readyz, liveness /healthz, on the port SLUICE_HTTP_PORT opens', () => {
      const ports = list(container.ports, 'ports').map((port) => object(port, 'port'));
      const http = ports.find((port) => port.name === 'http');
      assert.ok(http !== undefined);
      assert.equal(String(http.containerPort), config.SLUICE_HTTP_PORT);
      assert.equal(config.SLUICE_HTTP_HOST, '0.0.0.0');
      const probe = (name: string): Node => object(object(container[name], name).httpGet, `${name}.httpGet`);
      assert.equal(probe('readinessProbe').path, '/readyz');
      assert.equal(probe('livenessProbe').path, '/healthz');
      for (const name of ['readinessProbe', 'livenessProbe', 'startupProbe']) assert.ok(['http', Number(config.SLUICE_HTTP_PORT)].includes(probe(name).port as string | number), `${name} port`);
      const annotations = object(object(object(object(deployment.spec, 'spec').template, 'template').metadata, 'pod metadata').annotations, 'annotations');
      assert.equal(annotations['prometheus.io/port'], config.SLUICE_HTTP_PORT);
      assert.equal(annotations['prometheus.io/path'], '/metrics');
    });

    test('the grace period covers the preStop pause plus SLUICE_SHUTDOWN_TIMEOUT_MS', () => {
      const command = list(object(object(object(container.lifecycle, 'lifecycle').preStop, 'preStop').exec, 'exec').command, 'command');
      const preStopSeconds = Number(command[1]);
      assert.equal(command[0], 'sleep');
      const grace = Number(podSpec.terminationGracePeriodSeconds);
      assert.ok(grace * 1000 >= Number(config.SLUICE_SHUTDOWN_TIMEOUT_MS) + preStopSeconds * 1000, `${grace} s vs ${config.SLUICE_SHUTDOWN_TIMEOUT_MS} ms + ${preStopSeconds} s`);
    });

    test('runs as a non-root user without privilege escalation', () => {
      const pod = object(podSpec.securityContext, 'pod securityContext');
      assert.equal(pod.runAsNonRoot, true);
      assert.ok(Number(pod.runAsUser) > 0);
      const own = object(container.securityContext, 'container securityContext');
      assert.equal(own.allowPrivilegeEscalation, false);
      assert.deepEqual(object(own.capabilities, 'capabilities').drop, ['ALL']);
    });

    test('Service and PodDisruptionBudget select the pods; the Service targets the http port', () => {
      const service = object(kind('Service').spec, 'Service spec');
      assert.deepEqual(service.selector, podLabels);
      const port = object(list(service.ports, 'Service ports')[0], 'Service port');
      assert.equal(port.targetPort, 'http');
      const pdb = object(kind('PodDisruptionBudget').spec, 'PDB spec');
      assert.deepEqual(object(pdb.selector, 'PDB selector').matchLabels, podLabels);
      assert.equal(pdb.maxUnavailable, 1);
    });

    test('KEDA scales the deployment on its own group and topics, never past the partitions', () => {
      const scaled = kind('ScaledObject');
      const spec = object(scaled.spec, 'ScaledObject spec');
      assert.equal(object(spec.scaleTargetRef, 'scaleTargetRef').name, named(deployment));
      assert.ok(Number(spec.minReplicaCount) >= 1 && Number(spec.maxReplicaCount) >= Number(spec.minReplicaCount));
      const trigger = list(spec.triggers, 'triggers').map((t) => object(t, 'trigger')).find((t) => t.type === 'kafka');
      assert.ok(trigger !== undefined, 'a kafka lag trigger');
      const metadata = stringMap(trigger.metadata, 'kafka trigger metadata');
      assert.equal(metadata.consumerGroup, config.SLUICE_GROUP_ID);
      assert.equal(metadata.bootstrapServers, config.SLUICE_KAFKA_BROKERS);
      assert.ok((config.SLUICE_TOPICS ?? '').split(',').includes(metadata.topic ?? ''), 'the trigger watches a consumed topic');
      assert.equal(metadata.allowIdleConsumers, 'false', 'KEDA caps replicas at the partition count');
      const text = readFileSync(path.join(dockerDir, 'k8s/keda-scaledobject.yaml'), 'utf8');
      assert.match(text, /# - type: prometheus[\s\S]*max\(sluice_desired_replicas/, 'the commented Prometheus alternative on the scale hint');
    });
  });

  describe('docker/grafana', () => {
    test('the dashboard queries only metrics the service registers, from the provisioned datasource', async () => {
      const metrics = new SluiceMetrics();
      const registered = new Set<string>();
      for (const metric of await metrics.registry.getMetricsAsJSON()) {
        registered.add(metric.name);
        if (String(metric.type) === 'histogram') for (const suffix of ['_bucket', '_count', '_sum']) registered.add(`${metric.name}${suffix}`);
      }
      const dashboard = JSON.parse(readFileSync(path.join(dockerDir, 'grafana/dashboards/sluice.json'), 'utf8')) as { panels: { title: string; type: string; datasource?: { uid: string }; targets?: { expr: string }[] }[] };
      const [datasources] = load('grafana/provisioning/datasources/prometheus.yaml');
      const uid = object(list(datasources?.datasources, 'datasources')[0], 'datasource').uid;
      const used = new Set<string>();
      for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
        assert.equal(panel.datasource?.uid, uid, `${panel.title} uses the provisioned datasource`);
        assert.ok((panel.targets ?? []).length > 0, `${panel.title} has a query`);
        for (const target of panel.targets ?? []) {
          for (const name of target.expr.match(/\bsluice_[a-z0-9_]+/g) ?? []) {
            assert.ok(registered.has(name), `${panel.title}: ${name} is not a registered metric`);
            used.add(name);
          }
        }
      }
      for (const name of ['sluice_lag_records', 'sluice_stage_busy_ratio', 'sluice_bottleneck_stage', 'sluice_desired_replicas', 'sluice_dead_lettered_total', 'sluice_paused_partitions']) {
        assert.ok(used.has(name), `the dashboard shows ${name}`);
      }
      const [provider] = load('grafana/provisioning/dashboards/sluice.yaml');
      const dashboardsPath = object(object(list(provider?.providers, 'providers')[0], 'provider').options, 'options').path;
      const [compose] = load('compose.yaml');
      const grafanaVolumes = list(object(object(compose?.services, 'services').grafana, 'grafana').volumes, 'volumes').map(String);
      assert.ok(grafanaVolumes.some((volume) => volume.split(':')[1] === dashboardsPath), 'the dashboards folder is mounted where the provider reads');
      assert.ok(existsSync(path.join(repoRoot, 'docker/grafana/dashboards/sluice.json')));
    });
  });
});
