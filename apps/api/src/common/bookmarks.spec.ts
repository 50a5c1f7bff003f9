import { PageBookmarks } from './bookmarks';

describe('PageBookmarks', () => {
  const mark = { k: '2026-01-01T00:00:00.000Z', i: '2819c223-7f76-453a-919d-413861904646' };

  function bookmarks(ttlMs = 1000, max = 3) {
    let t = 0;
    return { marks: new PageBookmarks(ttlMs, max, () => t), advance: (ms: number) => (t += ms) };
  }

  it('serves a bookmark for its query and position while the stamp is the same', () => {
    const { marks } = bookmarks();
    marks.leave('q', 101, 's1', mark);
    expect(marks.has('q', 101)).toBe(true);
    expect(marks.take('q', 101, 's1')).toEqual(mark);
    expect(marks.take('q', 201, 's1')).toBeUndefined();
    expect(marks.take('other', 101, 's1')).toBeUndefined();
  });

  it('drops a bookmark whose data changed', () => {
    const { marks } = bookmarks();
    marks.leave('q', 101, 's1', mark);
    expect(marks.take('q', 101, 's2')).toBeUndefined();
    expect(marks.take('q', 101, 's1')).toBeUndefined();
  });

  it('forgets bookmarks after their lifetime', () => {
    const { marks, advance } = bookmarks(1000);
    marks.leave('q', 101, 's', mark);
    advance(999);
    expect(marks.has('q', 101)).toBe(true);
    advance(1);
    expect(marks.has('q', 101)).toBe(false);
    expect(marks.take('q', 101, 's')).toBeUndefined();
  });

  it('holds at most its bound, dropping the oldest', () => {
    const { marks } = bookmarks(1000, 3);
    for (let p = 1; p <= 5; p++) {
      marks.leave('q', p, 's', mark);
    }
    expect(marks.size).toBe(3);
    expect(marks.has('q', 2)).toBe(false);
    expect(marks.has('q', 5)).toBe(true);
  });
});
