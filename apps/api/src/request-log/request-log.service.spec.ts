import type { RequestLogErrorRow, RequestLogMinuteRow, RequestLogRepository } from '@roster/db';
import type { AppConfig } from '../config';
import { ERRORS_PER_CONNECTION_MINUTE, RequestLogService } from './request-log.service';

const MINUTE = Date.UTC(2026, 11, 6, 21, 0);

function service(requestLog: Partial<AppConfig['requestLog']> = {}) {
  const writes: { minutes: RequestLogMinuteRow[]; errors: RequestLogErrorRow[] }[] = [];
  let fail = false;
  const repository = {
    add: (minutes: RequestLogMinuteRow[], errors: RequestLogErrorRow[]) => {
      if (fail) {
        return Promise.reject(new Error('down'));
      }
      writes.push({ minutes, errors });
      return Promise.resolve();
    },
  } as unknown as RequestLogRepository;
  const config = {
    requestLog: { enabled: true, retentionHours: 48, flushMs: 5000, maxErrors: 1000, ...requestLog },
  } as AppConfig;
  return {
    log: new RequestLogService(config, repository),
    writes,
    failing: (value: boolean) => {
      fail = value;
    },
  };
}

const bad = (requestId: string) => ({
  method: 'GET',
  url: '/v2/Users?filter=x',
  status: 400,
  scimType: 'invalidFilter',
  detail: 'bad',
  requestId,
});

describe('RequestLogService (repository mocked)', () => {
  it('aggregates per connection and minute, and writes nothing when nothing happened', async () => {
    const { log, writes } = service();
    await log.flush();
    expect(writes).toEqual([]);
    log.record({ method: 'GET', url: '/v2/Users', status: 200, requestId: 'a' }, MINUTE + 1000);
    log.record(bad('b'), MINUTE + 2000);
    log.record({ method: 'GET', url: '/v2/Users', status: 200, requestId: 'c' }, MINUTE + 61_000);
    await log.flush();
    expect(writes).toHaveLength(1);
    expect(writes[0].minutes.map((m) => [m.minute.getTime(), m.requests, m.errors])).toEqual([
      [MINUTE, 2, 1],
      [MINUTE + 60_000, 1, 0],
    ]);
    expect(writes[0].errors.map((e) => e.requestId)).toEqual(['b']);
    await log.flush();
    expect(writes).toHaveLength(1);
  });

  it('keeps a bounded sample of errors and the whole count', async () => {
    const { log, writes } = service({ maxErrors: 30 });
    for (let i = 0; i < ERRORS_PER_CONNECTION_MINUTE + 10; i++) {
      log.record(bad(`r${i}`), MINUTE);
    }
    await log.flush();
    expect(writes[0].minutes[0].errors).toBe(ERRORS_PER_CONNECTION_MINUTE + 10);
    expect(writes[0].errors).toHaveLength(ERRORS_PER_CONNECTION_MINUTE);
  });

  it('puts back what a failed flush could not write, and writes it with the next one', async () => {
    const { log, writes, failing } = service();
    log.record(bad('first'), MINUTE);
    failing(true);
    await log.flush();
    log.record(bad('second'), MINUTE);
    failing(false);
    await log.flush();
    expect(writes).toHaveLength(1);
    expect(writes[0].minutes[0]).toMatchObject({ requests: 2, errors: 2 });
    expect(writes[0].errors.map((e) => e.requestId)).toEqual(['first', 'second']);
  });

  it('counts nothing when REQUEST_LOG_ENABLED=false', async () => {
    const { log, writes } = service({ enabled: false });
    log.record(bad('x'), MINUTE);
    await log.flush();
    expect(writes).toEqual([]);
  });
});
