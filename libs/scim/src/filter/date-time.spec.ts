import { canonicalDateTime } from './date-time';

describe('canonicalDateTime', () => {
  it.each([
    ['2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z'],
    ['2020-01-01t00:00:00z', '2020-01-01T00:00:00Z'],
    ['2020-01-01T00:00:00', '2020-01-01T00:00:00Z'],
    ['  2020-01-01T00:00:00Z ', '2020-01-01T00:00:00Z'],
    ['2011-05-13T04:42:34.1234567Z', '2011-05-13T04:42:34.1234567Z'],
    ['2020-02-29T12:00:00+02:00', '2020-02-29T12:00:00+02:00'],
    ['2000-02-29T00:00:00Z', '2000-02-29T00:00:00Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00Z'],
    ['9999-12-31T23:59:59.999-14:00', '9999-12-31T23:59:59.999-14:00'],
    ['2020-06-30T23:59:59+14:00', '2020-06-30T23:59:59+14:00'],
    ['2020-06-30T23:59:59-00:00', '2020-06-30T23:59:59-00:00'],
  ])('accepts %j as %j', (input, canonical) => {
    expect(canonicalDateTime(input)).toBe(canonical);
  });

  it.each([
    ['2020-13-01T00:00:00Z', 'month 13'],
    ['2020-00-01T00:00:00Z', 'month 0'],
    ['2020-02-30T00:00:00Z', 'February 30th'],
    ['2019-02-29T00:00:00Z', 'February 29th of a common year'],
    ['1900-02-29T00:00:00Z', 'a century that is not a leap year'],
    ['2020-04-31T00:00:00Z', 'April 31st'],
    ['2020-01-00T00:00:00Z', 'day 0'],
    ['0000-01-01T00:00:00Z', 'year 0'],
    ['-0001-01-01T00:00:00Z', 'a negative year'],
    ['10000-01-01T00:00:00Z', 'a five-digit year'],
    ['-271821-04-20T00:00:00Z', "JavaScript's smallest date"],
    ['2020-01-01T24:00:00Z', 'hour 24'],
    ['2020-01-01T23:60:00Z', 'minute 60'],
    ['2020-01-01T23:59:60Z', 'a leap second'],
    ['2020-01-01T00:00:00+99:99', 'offset +99:99'],
    ['2020-01-01T00:00:00+15:00', 'offset beyond +14:00'],
    ['2020-01-01T00:00:00+14:30', 'offset beyond +14:00 by minutes'],
    ['2020-01-01T00:00:00+05:60', 'offset minute 60'],
    ['2020-01-01T00:00:00.Z', 'an empty fraction'],
    ['2020-01-01T00:00:00.1234567890Z', 'a fraction past nanoseconds'],
    ['2020-01-01', 'a date without a time'],
    ['2020-01-01 00:00:00Z', 'a space instead of T'],
    ['1', 'a number'],
    ['March 7', 'prose'],
    ['2020-01-01T00:00:00Z\u0000', 'a NUL after it'],
    ['', 'nothing'],
  ])('refuses %j (%s)', (input) => {
    expect(canonicalDateTime(input)).toBeUndefined();
  });
});
