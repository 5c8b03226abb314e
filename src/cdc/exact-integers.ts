/**
 * Recovers the exact digits of an integer that JSON.parse rounded (beyond 2^53), from the JSON
 * text it parsed, without parsing the text again.
 *
 * Every integer literal of 16 or more digits in the text is a candidate: a maximal run of digits
 * (with its sign) that is not part of a fraction or an exponent. The literal that produced a
 * rounded value is among the candidates whose own rounding equals that value. Candidates are also
 * taken from inside strings, which is harmless: when every candidate with that rounding has the
 * same text, that text is the literal; when they differ (two distinct ids within one float step,
 * or a look-alike inside a string), the answer is "unknown" and the caller falls back to the
 * lossless parser. So the digits returned are always the literal's.
 */

/** Integers of 15 digits or fewer are below 2^53 and never rounded. */
const MIN_DIGITS = 16;

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** Followed by a fraction or exponent, or preceded by one's marker: not an integer literal. */
function partOfLargerNumber(text: string, start: number, end: number): boolean {
  const next = text.charCodeAt(end);
  if (next === 0x2e || next === 0x65 || next === 0x45) return true;
  const previous = text.charCodeAt(start - 1);
  return isDigit(previous) || previous === 0x2e || previous === 0x65 || previous === 0x45 || previous === 0x2b || previous === 0x2d;
}

export class ExactIntegers {
  /** rounded value → literal text, or null when several different literals round to it. */
  private literals: Map<number, string | null> | null = null;

  constructor(private readonly text: string) {}

  /** The literal that JSON.parse read as `rounded`, or undefined when the text cannot tell. */
  literalOf(rounded: number): string | undefined {
    if (this.literals === null) this.literals = this.scan();
    return this.literals.get(rounded) ?? undefined;
  }

  private scan(): Map<number, string | null> {
    const literals = new Map<number, string | null>();
    const text = this.text;
    const length = text.length;
    // A run of MIN_DIGITS or more digits covers one of any MIN_DIGITS consecutive positions, so it
    // is enough to probe every MIN_DIGITS-th character and widen around the digits found.
    for (let probe = MIN_DIGITS - 1; probe < length; probe += MIN_DIGITS) {
      if (!isDigit(text.charCodeAt(probe))) continue;
      let start = probe;
      while (start > 0 && isDigit(text.charCodeAt(start - 1))) start--;
      let end = probe + 1;
      while (end < length && isDigit(text.charCodeAt(end))) end++;
      if (end - start >= MIN_DIGITS) this.consider(literals, start, end);
      // The next run starts after `end`; probing from end + MIN_DIGITS - 1 still hits it.
      probe = end;
    }
    return literals;
  }

  private consider(literals: Map<number, string | null>, digitsStart: number, end: number): void {
    const text = this.text;
    const start = digitsStart > 0 && text.charCodeAt(digitsStart - 1) === 0x2d ? digitsStart - 1 : digitsStart;
    if (partOfLargerNumber(text, start, end)) return;
    const literal = text.slice(start, end);
    const rounded = Number(literal);
    const known = literals.get(rounded);
    if (known === undefined) literals.set(rounded, literal);
    else if (known !== literal) literals.set(rounded, null);
  }
}
