import { Injectable } from '@nestjs/common';

interface RouteEntry {
  pattern: RegExp;
  methods: Set<string>;
}

/**
 * Every route the server registered, so that a request that matches a path but not a method
 * can be answered 405 with an Allow header instead of Fastify's 404.
 */
@Injectable()
export class RouteTable {
  private readonly entries = new Map<string, RouteEntry>();
  private readonly registered: { method: string; url: string }[] = [];

  add(methods: string | string[], url: string): void {
    for (const method of Array.isArray(methods) ? methods : [methods]) {
      this.registered.push({ method: method.toUpperCase(), url });
    }
    const key = url.toLowerCase().replace(/\/+$/, '') || '/';
    let entry = this.entries.get(key);
    if (!entry) {
      const body = key
        .split('/')
        .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : escape(segment)))
        .join('/');
      entry = { pattern: new RegExp(`^${body === '' ? '' : body}/?$`, 'i'), methods: new Set() };
      this.entries.set(key, entry);
    }
    for (const method of Array.isArray(methods) ? methods : [methods]) {
      entry.methods.add(method.toUpperCase());
    }
  }

  /** Every registered method and path pattern, as registered. */
  list(): { method: string; url: string }[] {
    return [...this.registered];
  }

  /** Methods registered for a path (query string ignored), empty when no route matches it. */
  allowedMethods(url: string): string[] {
    const path = url.split('?')[0] || '/';
    const allowed = new Set<string>();
    for (const entry of this.entries.values()) {
      if (entry.pattern.test(path)) {
        entry.methods.forEach((m) => allowed.add(m));
      }
    }
    return [...allowed].sort();
  }
}

function escape(segment: string): string {
  return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
