import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { ChartRenderer, renderChart } from '../support/helm-template';

const CHART = join(__dirname, '../../deploy/helm/roster');

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

/** Renders the chart and parses each document as Kubernetes would receive it. */
function objects(values: Record<string, unknown> = {}): K8sObject[] {
  const out: K8sObject[] = [];
  for (const [file, text] of Object.entries(renderChart(CHART, values))) {
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length) {
        throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}\n${text}`);
      }
      const object = doc.toJS() as K8sObject | null;
      if (object) {
        expect({
          file,
          apiVersion: typeof object.apiVersion,
          kind: typeof object.kind,
          name: typeof object.metadata?.name,
        }).toEqual({
          file,
          apiVersion: 'string',
          kind: 'string',
          name: 'string',
        });
        out.push(object);
      }
    }
  }
  return out;
}

const find = (all: K8sObject[], kind: string) => all.filter((o) => o.kind === kind);

describe('the Go-template subset used to render the chart', () => {
  it.each([
    ['{{ .Values.a }}', { a: 'x' }, 'x'],
    ['a {{- " b" }} {{- " c" -}}  d', {}, 'a b cd'],
    ['{{ if .Values.on }}yes{{ else }}no{{ end }}', { on: false }, 'no'],
    ['{{ range $k, $v := .Values.m }}{{ $k }}={{ $v }};{{ end }}', { m: { b: 2, a: 1 } }, 'a=1;b=2;'],
    ['{{ .Values.missing | default "d" | quote }}', {}, '"d"'],
    ['{{ and (eq .Values.x "p") (not .Values.y) }}', { x: 'p', y: '' }, 'true'],
    ['{{- toYaml .Values.r | nindent 2 }}', { r: { a: 1 } }, '\n  a: 1'],
  ])('%s', (template, values, expected) => {
    expect(new ChartRenderer({ Values: values }).render(template)).toBe(expected);
  });

  it('refuses what it does not implement', () => {
    expect(() => new ChartRenderer({ Values: {} }).render('{{ lookup "v1" "Secret" "" "" }}')).toThrow('Unknown');
  });
});

describe('deploy/helm/roster', () => {
  it('has the application version of package.json', () => {
    const chart = parseYaml(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { appVersion: string };
    const pkg = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(chart.appVersion).toBe(pkg.version);
  });

  it('renders PostgreSQL mode: replicas, probes, config, secret, PDB; no volume claim', () => {
    const all = objects({
      database: { url: 'postgresql://roster:pw@db:5432/roster' },
      keyEncryptionKey: 'k'.repeat(44),
    });
    const [deployment] = find(all, 'Deployment');
    expect(deployment.spec.replicas).toBe(2);
    const container = deployment.spec.template.spec.containers[0];
    expect(container.image).toBe('roster:0.1.0');
    expect(container.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(deployment.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(deployment.spec.selector.matchLabels).toEqual(deployment.spec.template.metadata.labels);
    const [config] = find(all, 'ConfigMap');
    expect(config.data).toMatchObject({ HOST: '0.0.0.0', PORT: '3000', DATABASE_POOL_SIZE: '10', LOG_LEVEL: 'info' });
    expect(config.data?.DATA_DIR).toBeUndefined();
    const [secret] = find(all, 'Secret');
    expect(secret.stringData).toEqual({
      DATABASE_URL: 'postgresql://roster:pw@db:5432/roster',
      ROSTER_KEY_ENCRYPTION_KEY: 'k'.repeat(44),
    });
    expect(find(all, 'PodDisruptionBudget')[0].spec).toMatchObject({ minAvailable: 1 });
    expect(find(all, 'Service')[0].spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http' }]);
    expect(find(all, 'PersistentVolumeClaim')).toEqual([]);
    expect(find(all, 'Ingress')).toEqual([]);
    expect(find(all, 'ServiceMonitor')).toEqual([]);
  });

  it('renders embedded mode: one replica, Recreate, /data on a claim, no PDB', () => {
    const all = objects({ database: { mode: 'embedded' } });
    const [deployment] = find(all, 'Deployment');
    expect(deployment.spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
    const pod = deployment.spec.template.spec;
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' });
    expect(pod.volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'roster-data' } });
    expect(find(all, 'PersistentVolumeClaim')[0].spec.resources.requests.storage).toBe('1Gi');
    expect(find(all, 'ConfigMap')[0].data?.DATA_DIR).toBe('/data');
    expect(find(all, 'PodDisruptionBudget')).toEqual([]);
  });

  it('renders the optional Ingress and ServiceMonitor, and existing secrets', () => {
    const all = objects({
      ingress: { enabled: true, className: 'nginx', tlsSecret: 'scim-tls' },
      metrics: { serviceMonitor: { enabled: true } },
      existingSecret: 'roster-secrets',
      database: { existingSecret: 'roster-db' },
    });
    expect(find(all, 'Ingress')[0].spec).toMatchObject({
      ingressClassName: 'nginx',
      tls: [{ hosts: ['scim.example.com'], secretName: 'scim-tls' }],
    });
    expect(find(all, 'ServiceMonitor')[0].spec.endpoints).toEqual([
      { port: 'http', path: '/metrics', interval: '30s' },
    ]);
    expect(find(all, 'Secret')).toEqual([]);
    const envFrom = find(all, 'Deployment')[0].spec.template.spec.containers[0].envFrom;
    expect(envFrom).toEqual([
      { configMapRef: { name: 'roster' } },
      { secretRef: { name: 'roster-secrets' } },
      { secretRef: { name: 'roster-db' } },
    ]);
  });
});
