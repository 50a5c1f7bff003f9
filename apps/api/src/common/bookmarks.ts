/**
 * Where the next `startIndex` page begins, left by the page before it (issue 12 item 7): a client
 * that walks a directory with startIndex=1, 101, 201, ... (Okta's import does) gets page N+1 from
 * a keyset condition after page N's last row instead of an OFFSET that reads and throws away
 * every row before it. A bookmark is for one instance, one query (filter, sort, page size) and
 * one position, lives briefly, and only serves while the data's stamp (the counts and the latest
 * modification) is what it was when the bookmark was left: then the keyset page is exactly the
 * OFFSET page. Otherwise, and for any position without a bookmark, the page is read by OFFSET.
 */
export interface Bookmark {
  /** Sort key of the last row of the page before. */
  k: unknown;
  /** Its id. */
  i: string;
}

interface Entry extends Bookmark {
  stamp: string;
  at: number;
}

export class PageBookmarks {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs = 120_000,
    private readonly maxEntries = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The bookmark for `position` of query `scope`, if one is fresh and the data unchanged. */
  take(scope: string, position: number, stamp: string): Bookmark | undefined {
    const key = `${scope}@${position}`;
    const entry = this.entries.get(key);
    if (!entry) {
      return undefined;
    }
    if (entry.stamp !== stamp || this.now() - entry.at >= this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return { k: entry.k, i: entry.i };
  }

  /** Whether a fresh bookmark (of whatever stamp) waits at `position`: only then is the stamp worth reading. */
  has(scope: string, position: number): boolean {
    return this.peek(scope, position) !== undefined;
  }

  /**
   * The fresh bookmark at `position`, whatever its stamp: the page is read from it together with
   * the stamp, and `take` with that stamp then says whether the page is the one OFFSET would read.
   */
  peek(scope: string, position: number): Bookmark | undefined {
    const entry = this.entries.get(`${scope}@${position}`);
    return entry !== undefined && this.now() - entry.at < this.ttlMs ? { k: entry.k, i: entry.i } : undefined;
  }

  leave(scope: string, position: number, stamp: string, mark: Bookmark): void {
    const key = `${scope}@${position}`;
    this.entries.delete(key);
    this.entries.set(key, { ...mark, stamp, at: this.now() });
    while (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

/** This process's bookmarks; keys carry the instance's base URL, so apps in one process never share one. */
export const PAGE_BOOKMARKS = new PageBookmarks();
