/**
 * Exact text for Debezium's temporal encodings (all UTC, proleptic Gregorian calendar, as
 * java.time uses). Integer arithmetic only: a value is split into whole days and a remainder
 * with floor division, so dates before 1970 and times with micro/nanoseconds stay exact.
 *
 * Years outside 0000–9999 follow java.time's ISO printing, which Debezium itself uses for
 * ZonedTimestamp: '+21016-11-04', '-0001-01-01'.
 */

const MICROS_PER_DAY = 86_400_000_000;

/** Civil date of a day count since 1970-01-01 (H. Hinnant's civil_from_days). */
export function formatEpochDay(epochDay: number): string {
  const z = epochDay + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${formatYear(year)}-${pad2(month)}-${pad2(day)}`;
}

function formatYear(year: number): string {
  if (year >= 0 && year <= 9999) return String(year).padStart(4, '0');
  if (year > 9999) return `+${year}`;
  return `-${String(-year).padStart(4, '0')}`;
}

function pad2(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

/**
 * 'HH:MM:SS.fraction' for a count of units since midnight, `digits` fraction digits (3 = ms,
 * 6 = µs, 9 = ns). 24:00:00 (PostgreSQL allows it) prints as such.
 */
export function formatTimeOfDay(unitsSinceMidnight: number, digits: 3 | 6 | 9): string {
  const unitsPerSecond = digits === 3 ? 1_000 : digits === 6 ? 1_000_000 : 1_000_000_000;
  const totalSeconds = Math.floor(unitsSinceMidnight / unitsPerSecond);
  const fraction = unitsSinceMidnight - totalSeconds * unitsPerSecond;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  return `${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}.${String(fraction).padStart(digits, '0')}`;
}

/**
 * 'YYYY-MM-DDTHH:MM:SS.fraction' for a count of units since the epoch. Takes a safe integer
 * (number) or, for values beyond 2^53 (nanosecond timestamps), a bigint.
 */
export function formatEpochTimestamp(unitsSinceEpoch: number | bigint, digits: 3 | 6 | 9): string {
  const unitsPerDay = digits === 3 ? 86_400_000 : digits === 6 ? MICROS_PER_DAY : 86_400_000_000_000;
  let days: number;
  let remainder: number;
  if (typeof unitsSinceEpoch === 'bigint') {
    const perDay = BigInt(unitsPerDay);
    let bigDays = unitsSinceEpoch / perDay;
    let bigRemainder = unitsSinceEpoch - bigDays * perDay;
    if (bigRemainder < 0n) {
      bigDays -= 1n;
      bigRemainder += perDay;
    }
    days = Number(bigDays);
    remainder = Number(bigRemainder);
  } else {
    // Floor division corrected by one step: the float quotient may be off by one near a day
    // boundary, the product days*unitsPerDay is exact below 2^53.
    days = Math.floor(unitsSinceEpoch / unitsPerDay);
    remainder = unitsSinceEpoch - days * unitsPerDay;
    if (remainder < 0) {
      days -= 1;
      remainder += unitsPerDay;
    } else if (remainder >= unitsPerDay) {
      days += 1;
      remainder -= unitsPerDay;
    }
  }
  return `${formatEpochDay(days)}T${formatTimeOfDay(remainder, digits)}`;
}

/**
 * ISO-8601 duration for io.debezium.time.MicroDuration (microseconds; Debezium already folded
 * months and years into days at 365.25/12 days per month, so only days and time remain).
 * Examples: 'P1DT2H3M4.000005S', 'PT0S'. A negative duration has every component negative
 * ('P-1DT-2H'), a form PostgreSQL reads back exactly.
 */
export function formatMicroDuration(micros: bigint): string {
  if (micros === 0n) return 'PT0S';
  const negative = micros < 0n;
  let rest = negative ? -micros : micros;
  const days = rest / BigInt(MICROS_PER_DAY);
  rest -= days * BigInt(MICROS_PER_DAY);
  const hours = rest / 3_600_000_000n;
  rest -= hours * 3_600_000_000n;
  const minutes = rest / 60_000_000n;
  rest -= minutes * 60_000_000n;
  const seconds = rest / 1_000_000n;
  const fraction = rest - seconds * 1_000_000n;
  const sign = negative ? '-' : '';
  let text = 'P';
  if (days > 0n) text += `${sign}${days}D`;
  if (hours > 0n || minutes > 0n || seconds > 0n || fraction > 0n) {
    text += 'T';
    if (hours > 0n) text += `${sign}${hours}H`;
    if (minutes > 0n) text += `${sign}${minutes}M`;
    if (seconds > 0n || fraction > 0n) {
      const fractionText = fraction > 0n ? `.${fraction.toString().padStart(6, '0').replace(/0+$/, '')}` : '';
      text += `${sign}${seconds}${fractionText}S`;
    }
  }
  return text;
}
