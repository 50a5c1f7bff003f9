import { readFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server } from 'node:http';
import { join } from 'node:path';
import { AddressInfo } from 'node:net';
import { startTracing } from '../../apps/api/src/ops/tracing';
import { ADMIN_TOKEN, freePort, startServer, TestServer } from '../support/app';
import { PATCH_OP, USER } from '../support/traces';
import pino from 'pino';

const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

describe('Operations: /metrics', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('needs roster.admin by default, and has the request, error, database, process, Bulk, token and MCP families', async () => {
    expect((await server.get('/metrics', { token: null })).status).toBe(401);
    const created = await server.post('/v2/Users', { schemas: [USER], userName: 'metrics@example.com' });
    expect(created.status).toBe(201);
    expect((await server.get(`/v2/Users/${created.body.id}`)).status).toBe(200);
    expect((await server.get('/v2/Users?filter=userName%20zz%20%22x%22')).status).toBe(400);
    await server.post('/v2/Bulk', {
      schemas: [BULK],
      Operations: [
        { method: 'POST', path: '/Users', bulkId: 'a', data: { schemas: [USER], userName: 'bulk@example.com' } },
      ],
    });
    await server.request('POST', '/v2/Login/Oauth2/Token', {
      raw: 'grant_type=client_credentials&client_id=nobody&client_secret=nope',
      token: null,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    await server.request('POST', '/v2/mcp', {
      raw: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'whoami', arguments: {} } }),
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    });

    const scrape = await server.get('/metrics');
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toContain('text/plain');
    const text = scrape.text;
    expect(text).toMatch(/roster_http_requests_total\{method="GET",route="\/v2\/Users\/:id",status="200"\} 1/);
    expect(text).toContain('roster_http_request_duration_seconds_bucket{');
    expect(text).toMatch(/roster_scim_errors_total\{status="400",scimType="invalidFilter"\} 1/);
    expect(text).toMatch(/roster_db_query_duration_seconds_count\{operation="select",outcome="ok"\} \d+/);
    expect(text).toMatch(/roster_db_pool_connections\{state="total"\} \d+/);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).toContain('nodejs_heap_size_used_bytes');
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).toMatch(/roster_bulk_operations_total\{method="POST",resource="User",outcome="ok"\} 1/);
    expect(text).toMatch(/roster_oauth_token_requests_total\{grant="client_credentials",outcome="invalid_client"\} 1/);
    expect(text).toMatch(/roster_mcp_tool_calls_total\{tool="whoami",outcome="ok"\} 1/);
    // Every series the Grafana dashboard queries exists.
    const dashboard = readFileSync(join(__dirname, '../../deploy/grafana/roster-dashboard.json'), 'utf8');
    const used = new Set(
      [...dashboard.matchAll(/\b((?:roster|nodejs|process)_[a-z_]+?)(?:_bucket)?\{/g)].map((m) => m[1]),
    );
    expect(used.size).toBeGreaterThan(8);
    for (const family of used) {
      expect({ family, present: text.includes(`# TYPE ${family} `) }).toEqual({ family, present: true });
    }
  });

  it('can be public, or on a port of its own', async () => {
    const open = await startServer({ METRICS_PUBLIC: 'true' });
    try {
      expect((await open.get('/metrics', { token: null })).status).toBe(200);
    } finally {
      await open.close();
    }
    const port = await freePort();
    const separate = await startServer({ METRICS_PORT: String(port) });
    try {
      expect((await separate.get('/metrics')).status).toBe(404);
      const scraped = await fetch(`http://127.0.0.1:${port}/metrics`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('roster_http_requests_total');
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
    } finally {
      await separate.close();
    }
  });
});

describe('Operations: request logs', () => {
  it('logs one line per request with one requestId field, the route, the principal and the SCIM error; probes at debug', async () => {
    const lines: string[] = [];
    const server = await startServer({ LOG_LEVEL: 'info' }, { logStream: { write: (line) => void lines.push(line) } });
    try {
      await server.get('/health', { token: null });
      const bad = await server.get('/v2/Users?filter=userName%20zz%20%22x%22', {
        headers: { 'x-request-id': 'req-400' },
      });
      expect(bad.status).toBe(400);
      await server.get('/v2/Users', { token: 'wrong-token-0123456789', headers: { 'x-request-id': 'req-401' } });
      const ok = await server.patch(
        '/v2/Users/00000000-0000-4000-8000-000000000000',
        { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] },
        { headers: { 'x-request-id': 'req-404' } },
      );
      expect(ok.status).toBe(404);
    } finally {
      await server.close();
    }
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries.some((e) => 'reqId' in e)).toBe(false);
    expect(entries.some((e) => e.route === '/health')).toBe(false);
    expect(entries.find((e) => e.requestId === 'req-400' && e.statusCode === 400)).toMatchObject({
      level: 40,
      method: 'GET',
      route: '/v2/Users',
      scimType: 'invalidFilter',
      detail: expect.any(String),
      principal: { kind: 'admin', name: 'admin' },
      msg: 'GET /v2/Users 400',
    });
    const unauthorized = entries.find((e) => e.requestId === 'req-401');
    expect(unauthorized).toMatchObject({ statusCode: 401, detail: expect.any(String) });
    expect(unauthorized?.principal).toBeUndefined();
    expect(entries.find((e) => e.requestId === 'req-404')).toMatchObject({ route: '/v2/Users/:id', statusCode: 404 });
    expect(lines.join('\n')).not.toContain(ADMIN_TOKEN);
    expect(lines.join('\n')).not.toContain('wrong-token-0123456789');
  });
});

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string } }[];
}

describe('Operations: tracing (OpenTelemetry, OTLP/HTTP)', () => {
  let receiver: Server;
  const spans: OtlpSpan[] = [];
  const saved = { ...process.env };

  beforeAll(async () => {
    // An in-process OTLP/HTTP receiver: what a collector would get.
    receiver = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        if (req.url === '/v1/traces') {
          const parsed = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
          for (const resource of parsed.resourceSpans) {
            for (const scope of resource.scopeSpans) {
              spans.push(...scope.spans);
            }
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    process.env = saved;
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('sends a server span per request with the database statements as its children, and logs the trace id', async () => {
    const { port } = receiver.address() as AddressInfo;
    // The standard variables, read by the SDK itself.
    Object.assign(process.env, {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_SERVICE_NAME: 'roster-test',
    });
    const tracing = await startTracing(process.env, pino({ level: 'silent' }));
    expect(tracing.enabled).toBe(true);
    const lines: string[] = [];
    const server = await startServer({ LOG_LEVEL: 'info' }, { logStream: { write: (line) => void lines.push(line) } });
    try {
      const res = await server.get('/v2/Users?filter=userName%20eq%20%22nobody%22', {
        headers: { 'x-request-id': 'traced-1' },
      });
      expect(res.status).toBe(200);
    } finally {
      await server.close();
      await tracing.shutdown();
    }
    const request = spans.find((s) => s.name === 'GET /v2/Users' && s.kind === 2);
    expect(request).toBeDefined();
    const queries = spans.filter((s) => s.traceId === request!.traceId && s.parentSpanId === request!.spanId);
    expect(queries.length).toBeGreaterThan(0);
    expect(queries.every((q) => q.kind === 3 && q.name.startsWith('db '))).toBe(true);
    expect(
      queries.some((q) =>
        q.attributes.some((a) => a.key === 'db.query.text' && /select/i.test(a.value.stringValue ?? '')),
      ),
    ).toBe(true);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.requestId === 'traced-1');
    expect(logged).toMatchObject({ traceId: request!.traceId });
  });

  it('stays off without OTEL_* variables', async () => {
    expect((await startTracing({}, pino({ level: 'silent' }))).enabled).toBe(false);
    expect(
      (
        await startTracing(
          { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_SDK_DISABLED: 'true' },
          pino({ level: 'silent' }),
        )
      ).enabled,
    ).toBe(false);
  });
});
