import { prefersHtml } from './accept';

describe('prefersHtml', () => {
  it.each([
    ['text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8', true],
    ['text/html', true],
    ['application/xhtml+xml', true],
    ['text/html;q=0.9, application/json;q=0.5', true],
  ])('a browser (%s) gets the page', (accept, expected) => {
    expect(prefersHtml(accept)).toBe(expected);
  });

  it.each([
    [undefined],
    [''],
    ['*/*'],
    ['application/scim+json'],
    ['application/json'],
    ['application/scim+json, text/html'],
    ['application/json, text/html;q=0.5'],
    ['text/html;q=0'],
    ['text/html;q=abc'],
    ['text/html, application/scim+json;q=1'.padEnd(2000, ' ')],
  ])('a SCIM client (%s) gets the document', (accept) => {
    expect(prefersHtml(accept)).toBe(false);
  });
});
