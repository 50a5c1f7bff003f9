import type { FastifyReply } from 'fastify';

/** A piece of HTML that is already safe; only `html` and `escapeHtml` make one. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The one escaping helper: text and attribute values alike (quotes included). */
export function escapeHtml(value: string | number | boolean | null | undefined): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/**
 * A tagged template whose interpolations are escaped unless they are SafeHtml (or arrays of
 * it), so a template cannot forget to escape a value.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0];
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1];
  });
  return new SafeHtml(out);
}

function render(value: unknown): string {
  if (value instanceof SafeHtml) {
    return value.value;
  }
  if (Array.isArray(value)) {
    return value.map(render).join('');
  }
  if (value === undefined || value === null || value === false) {
    return '';
  }
  return escapeHtml(typeof value === 'object' ? JSON.stringify(value) : (value as string | number | boolean));
}

export interface PageOptions {
  status?: number;
  /** Origins (besides 'self') that the page's forms may post to or be redirected to. */
  formTargets?: string[];
}

/**
 * Sends a page with the headers every Roster page carries: a strict CSP (no script at all, no
 * framing), X-Frame-Options, no caching, no referrer.
 */
export function sendPage(reply: FastifyReply, body: SafeHtml, options: PageOptions = {}): FastifyReply {
  const formAction = ["'self'", ...(options.formTargets ?? [])].join(' ');
  return reply
    .status(options.status ?? 200)
    .headers({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': `default-src 'none'; style-src 'self'; img-src 'self'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
      'x-frame-options': 'DENY',
      'cache-control': 'no-store',
      pragma: 'no-cache',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
    })
    .send(body.value);
}

/** A 303 to `location` with the page headers (no caching, no referrer). */
export function redirect(reply: FastifyReply, location: string, status = 303): FastifyReply {
  return reply
    .status(status)
    .headers({ location, 'cache-control': 'no-store', pragma: 'no-cache', 'referrer-policy': 'no-referrer' })
    .send();
}
