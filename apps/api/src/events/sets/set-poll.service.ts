import { Inject, Injectable, Logger } from '@nestjs/common';
import { EventsRepository, SetReceiversRepository, currentQueryScope } from '@roster/db';
import { changeTypesFor, jtiPosition } from '@roster/scim';
import { APP_CONFIG, AppConfig } from '../../config';
import { SetEncoder, receiverTag } from './set-encoder.service';
import { SetReceiversService } from './set-receivers.service';

/** Feed positions past a receiver's cursor one poll looks at: what bounds a poll's cost. */
export const SET_POLL_WINDOW = 20_000;
/** Most jtis one request may acknowledge, and most errors it may report. */
export const MAX_POLL_ACKS = 1000;
const MAX_JTI = 64;
const MAX_ERR = 64;
const MAX_DESCRIPTION = 1000;
/** How long a poll waits at most for committed events held back by an older running transaction. */
const POSITION_WAIT_MS = 2000;

/** An RFC 8936 error response (RFC 8935 §2.4 shape: `err`, `description`), status 400. */
export class SetPollError extends Error {
  constructor(
    readonly err: string,
    readonly description: string,
  ) {
    super(description);
    this.name = 'SetPollError';
  }

  toJSON(): { err: string; description: string } {
    return { err: this.err, description: this.description };
  }
}

export interface PollRequest {
  maxEvents?: number;
  returnImmediately: boolean;
  ack: string[];
  setErrs: Record<string, { err: string; description?: string }>;
}

export interface PollResponse {
  sets: Record<string, string>;
  moreAvailable?: boolean;
}

/**
 * Parses an RFC 8936 poll request body: `maxEvents` (0 acknowledges only), `returnImmediately`
 * (default false: a long poll), `ack` (jtis) and `setErrs` (jti → { err, description }). Unknown
 * members are ignored, as RFC 8936 leaves room for extensions; anything malformed is a SetPollError.
 */
export function parsePollRequest(body: unknown): PollRequest {
  if (body === undefined || body === null) {
    return { returnImmediately: false, ack: [], setErrs: {} };
  }
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new SetPollError('invalid_request', 'The poll request must be a JSON object.');
  }
  const input = body as Record<string, unknown>;
  const request: PollRequest = { returnImmediately: false, ack: [], setErrs: {} };
  if (input.maxEvents !== undefined) {
    if (typeof input.maxEvents !== 'number' || !Number.isInteger(input.maxEvents) || input.maxEvents < 0) {
      throw new SetPollError('invalid_request', 'maxEvents must be a non-negative integer.');
    }
    request.maxEvents = input.maxEvents;
  }
  if (input.returnImmediately !== undefined) {
    if (typeof input.returnImmediately !== 'boolean') {
      throw new SetPollError('invalid_request', 'returnImmediately must be true or false.');
    }
    request.returnImmediately = input.returnImmediately;
  }
  if (input.ack !== undefined) {
    if (!Array.isArray(input.ack) || input.ack.some((j) => typeof j !== 'string' || !j || j.length > MAX_JTI)) {
      throw new SetPollError('invalid_request', `ack must be an array of jti strings (1 to ${MAX_JTI} characters).`);
    }
    if (input.ack.length > MAX_POLL_ACKS) {
      throw new SetPollError('invalid_request', `ack may list at most ${MAX_POLL_ACKS} jtis per request.`);
    }
    request.ack = input.ack as string[];
  }
  if (input.setErrs !== undefined) {
    if (typeof input.setErrs !== 'object' || input.setErrs === null || Array.isArray(input.setErrs)) {
      throw new SetPollError('invalid_request', 'setErrs must be an object of jti to { err, description }.');
    }
    const entries = Object.entries(input.setErrs as Record<string, unknown>);
    if (entries.length > MAX_POLL_ACKS) {
      throw new SetPollError('invalid_request', `setErrs may report at most ${MAX_POLL_ACKS} SETs per request.`);
    }
    for (const [jti, value] of entries) {
      const error = value as Record<string, unknown> | null;
      if (
        !jti ||
        jti.length > MAX_JTI ||
        typeof error !== 'object' ||
        error === null ||
        typeof error.err !== 'string' ||
        !error.err ||
        error.err.length > MAX_ERR ||
        (error.description !== undefined &&
          (typeof error.description !== 'string' || error.description.length > MAX_DESCRIPTION))
      ) {
        throw new SetPollError(
          'invalid_request',
          `setErrs["${jti.slice(0, MAX_JTI)}"] must be { "err": a code of 1 to ${MAX_ERR} characters, "description": at most ${MAX_DESCRIPTION} characters }.`,
        );
      }
      request.setErrs[jti] = {
        err: error.err,
        ...(typeof error.description === 'string' ? { description: error.description } : {}),
      };
    }
  }
  return request;
}

/**
 * RFC 8936 poll delivery for one receiver, at least once: acknowledgements (and reported errors,
 * which settle a SET as well) are applied first, then the oldest unacknowledged events of the
 * receiver's types come back as SETs, keyed by jti, up to maxEvents (at most SET_POLL_MAX_EVENTS).
 * A SET not acknowledged comes again in the next poll. A long poll (returnImmediately false) waits
 * up to SET_POLL_WAIT_MS for a first event, checking at growing intervals, and ends early when the
 * client goes away. Each round reads a bounded window of feed positions past the cursor.
 */
@Injectable()
export class SetPollService {
  private readonly logger = new Logger('SetPoll');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly receivers: SetReceiversService,
    private readonly repository: SetReceiversRepository,
    private readonly events: EventsRepository,
    private readonly encoder: SetEncoder,
  ) {}

  async poll(receiverId: string, body: unknown): Promise<PollResponse> {
    const request = parsePollRequest(body);
    const receiver = await this.receivers.find(receiverId);
    const tag = receiverTag(receiver.id);
    const types = changeTypesFor(receiver.events);
    const acks: bigint[] = [];
    let unknown = 0;
    for (const jti of request.ack) {
      const seq = jtiPosition(tag, jti);
      if (seq === undefined) {
        unknown++;
      } else {
        acks.push(seq);
      }
    }
    const errors: { jti: string; seq: bigint; err: string; description: string | null }[] = [];
    const reported = Object.entries(request.setErrs);
    if (reported.length) {
      // One line per poll, not per SET: a receiver may report up to MAX_POLL_ACKS at once.
      this.logger.warn(
        {
          receiverId: receiver.id,
          count: reported.length,
          first: reported.slice(0, 5).map(([jti, e]) => ({ jti, err: e.err, description: e.description })),
        },
        `SET receiver "${receiver.name}" refused ${reported.length} SET(s): ${reported[0][1].err}${reported.length > 1 ? ', …' : ''}.`,
      );
    }
    for (const [jti, error] of reported) {
      const seq = jtiPosition(tag, jti);
      if (seq === undefined) {
        unknown++;
      } else {
        errors.push({ jti, seq, err: error.err, description: error.description ?? null });
      }
    }
    if (unknown) {
      this.logger.warn({ receiverId: receiver.id, unknown }, 'A poll named jtis this receiver was never sent.');
    }
    if (request.maxEvents !== 0) {
      // Before anything is acknowledged: a poll that could not be answered changes nothing.
      await this.encoder.signer();
    }
    await this.position();
    let state = await this.repository.acknowledge(receiver.id, types, SET_POLL_WINDOW, acks, errors);
    if (!state) {
      return { sets: {} };
    }
    void this.repository.touch(receiver.id, new Date()).catch(() => undefined);
    const max = Math.min(request.maxEvents ?? this.config.sets.pollMaxEvents, this.config.sets.pollMaxEvents);
    if (max === 0 || !receiver.enabled) {
      return { sets: {} };
    }
    const deadline = Date.now() + (request.returnImmediately ? 0 : this.config.sets.pollWaitMs);
    const signal = currentQueryScope()?.signal;
    let pause = 100;
    for (;;) {
      const rows = await this.repository.pending(receiver.id, state.ackedThrough, types, SET_POLL_WINDOW, max + 1);
      const sets: Record<string, string> = {};
      // An event of the receiver's types that still makes no SET for it (an update that changed
      // nothing it can be told about) is settled here, so that it cannot hold the cursor back.
      const settled: bigint[] = [];
      for (const row of rows.slice(0, max)) {
        const claims = this.encoder.claims(row, receiver);
        if (claims) {
          sets[claims.jti] = await this.encoder.encode(row, receiver);
        } else {
          settled.push(row.seq);
        }
      }
      // More: past maxEvents, past the window, or committed events still waiting for a position
      // (a sequencing round positions at most 10,000).
      const beyond = (await this.repository.head()) > state.ackedThrough + BigInt(SET_POLL_WINDOW);
      const more = rows.length > max || beyond || (await this.events.hasPending());
      if (Object.keys(sets).length) {
        if (settled.length) {
          await this.repository.acknowledge(receiver.id, types, SET_POLL_WINDOW, settled, []);
        }
        return { sets, ...(more ? { moreAvailable: true } : {}) };
      }
      if (Date.now() >= deadline || signal?.aborted) {
        if (settled.length) {
          await this.repository.acknowledge(receiver.id, types, SET_POLL_WINDOW, settled, []);
        }
        return { sets: {}, ...(more ? { moreAvailable: true } : {}) };
      }
      // The next round goes on at once only when it can move (past the window, past settled
      // events); events held back by an older running transaction are waited for like new ones.
      if (!beyond && !settled.length) {
        await sleep(Math.min(pause, deadline - Date.now()), signal);
        pause = Math.min(pause * 2, 1000);
      }
      // Nothing to send in the window: move the cursor past it (and past what another poll
      // acknowledged meanwhile), then look again.
      await this.position();
      state = await this.repository.acknowledge(receiver.id, types, SET_POLL_WINDOW, settled, []);
      if (!state) {
        return { sets: {} };
      }
    }
  }

  /**
   * Positions what has committed, as EventsService.list does for the feed: committed events held
   * back by an older transaction still running anywhere in the cluster are waited for, up to
   * POSITION_WAIT_MS, so that a poll normally sees a change that committed before it (also with
   * returnImmediately); past that they come in a later poll, still in order.
   */
  private async position(): Promise<void> {
    let pause = 10;
    for (let waited = 0; ; waited += pause, pause = Math.min(pause * 2, 200)) {
      await this.events.sequence();
      if (waited >= POSITION_WAIT_MS || !(await this.events.hasPending())) {
        return;
      }
      await sleep(pause);
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
