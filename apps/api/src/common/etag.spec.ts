import { ScimError } from '@roster/scim';
import { assertIfMatch, ifNoneMatchHits, isResourceId } from './etag';

describe('ETag preconditions', () => {
  it.each([undefined, '', '*', 'W/"3"', '"3"', 'W/"1", W/"3"'])('If-Match %j passes for version 3', (header) => {
    expect(() => assertIfMatch(header, 3)).not.toThrow();
  });

  it.each(['W/"2"', '"4"', 'W/"30"'])('If-Match %j fails with 412 for version 3', (header) => {
    let error: unknown;
    try {
      assertIfMatch(header, 3);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScimError);
    expect((error as ScimError).status).toBe(412);
  });

  it.each([
    [undefined, false],
    ['W/"3"', true],
    ['*', true],
    ['W/"2"', false],
  ])('If-None-Match %j → %s', (header, expected) => {
    expect(ifNoneMatchHits(header, 3)).toBe(expected);
  });

  it.each([
    ['2819c223-7f76-453a-919d-413861904646', true],
    ['010101001010101011001010101011', false],
    ['string id 1', false],
    ["' or 1=1 --", false],
  ])('%s is a resource id: %s', (id, expected) => {
    expect(isResourceId(id)).toBe(expected);
  });
});
