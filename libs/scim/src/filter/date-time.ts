/**
 * dateTime values in filters (RFC 7643 §2.3.5: xsd:dateTime) and in cursors, checked as calendar
 * dates before anything reaches a database: `2020-13-01`, `2020-02-30`, `0000-01-01` or a `+99:99`
 * offset must be the client's 400, never a cast failing in SQL.
 *
 * Accepted: `YYYY-MM-DDThh:mm:ss`, optional fraction (Entra sends seven digits), optional `Z` or
 * `±hh:mm` offset (none means UTC). Years 0001-9999 only: the range that xsd, JavaScript and
 * PostgreSQL all read the same way. Hour 24 and leap seconds are refused (PostgreSQL would roll
 * them over into another instant).
 */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|([+-])(\d{2}):(\d{2}))?$/i;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * The canonical text of a valid dateTime (upper-case `T`, explicit offset), or undefined when the
 * value is not one. The canonical text is what may be handed to SQL as a timestamptz parameter.
 */
export function canonicalDateTime(value: string): string | undefined {
  const text = value.trim();
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  if (m[9] !== undefined) {
    const offsetHours = Number(m[10]);
    const offsetMinutes = Number(m[11]);
    if (offsetMinutes > 59 || offsetHours > 14 || (offsetHours === 14 && offsetMinutes !== 0)) return undefined;
  }
  const offset = m[8] === undefined || m[8].toUpperCase() === 'Z' ? 'Z' : m[8];
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ''}${offset}`;
}
