/**
 * The decoder's building blocks on their own: the lossless JSON parser, the schema LRU and the
 * schema frame scanner.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { smallTwosComplementFromBase64 } from '../../../src/cdc/decimal.ts';
import { ExactIntegers } from '../../../src/cdc/exact-integers.ts';
import { scanSchemaFrame } from '../../../src/cdc/frame.ts';
import { JsonNumberText, JsonSyntaxError, parseLosslessJson, stringifyLosslessJson } from '../../../src/cdc/lossless-json.ts';
import { LruCache } from '../../../src/cdc/schema-cache.ts';
import { base64, seededRandom, twosComplement } from './debezium-encoder.ts';

describe('lossless JSON', () => {
  it('keeps the text of big integers and non-integers, parses the rest like JSON.parse', () => {
    const parsed = parseLosslessJson('{"a":9223372036854775807,"b":1.50,"c":[1,-2,true,null,"x\\u00e9\\n"],"d":{},"e":[],"f":-0,"g":1e400}');
    assert.deepEqual(parsed, {
      a: new JsonNumberText('9223372036854775807'),
      b: new JsonNumberText('1.50'),
      c: [1, -2, true, null, 'xé\n'],
      d: {},
      e: [],
      f: -0,
      g: new JsonNumberText('1e400'),
    });
    assert.equal(stringifyLosslessJson(parsed), '{"a":9223372036854775807,"b":1.50,"c":[1,-2,true,null,"xé\\n"],"d":{},"e":[],"f":0,"g":1e400}');
  });

  it('"__proto__" is an own property, as with JSON.parse', () => {
    const parsed = parseLosslessJson('{"__proto__":{"polluted":1}}') as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
    assert.deepEqual(Object.keys(parsed), ['__proto__']);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it('rejects what JSON.parse rejects', () => {
    for (const text of ['', '{', '[1,]', '{"a" 1}', '01', '"\\x"', '"a\nb"', 'tru', '{"a":1}x', '1.', '-']) {
      assert.throws(() => JSON.parse(text), SyntaxError, `JSON.parse accepts ${JSON.stringify(text)}`);
      assert.throws(() => parseLosslessJson(text), JsonSyntaxError, `accepted ${JSON.stringify(text)}`);
    }
  });

  it('agrees with JSON.parse on random documents without big numbers (seeded)', () => {
    const random = seededRandom(99);
    const make = (depth: number): unknown => {
      const pick = Math.floor(random() * (depth > 3 ? 4 : 6));
      if (pick === 0) return Math.floor((random() - 0.5) * 1e9);
      if (pick === 1) return String.fromCharCode(...Array.from({ length: Math.floor(random() * 8) }, () => Math.floor(random() * 0x2fff)));
      if (pick === 2) return random() < 0.5;
      if (pick === 3) return null;
      if (pick === 4) return Array.from({ length: Math.floor(random() * 4) }, () => make(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, (_, i) => [`k${i}`, make(depth + 1)]));
    };
    for (let i = 0; i < 200; i++) {
      const text = JSON.stringify(make(0));
      assert.deepEqual(parseLosslessJson(text), JSON.parse(text));
    }
  });
});

describe('LruCache', () => {
  it('keeps at most `capacity` entries and drops the least recently used', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    assert.equal(cache.get('a'), 1); // a is now the most recent
    cache.set('c', 3);
    assert.equal(cache.size, 2);
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('a'), 1);
    assert.equal(cache.get('c'), 3);
    assert.throws(() => new LruCache(0), RangeError);
  });
});

describe('scanSchemaFrame', () => {
  it('finds the schema value and the payload start of a compact envelope', () => {
    const schema = '{"type":"struct","fields":[{"type":"string","optional":true,"default":"}\\"payload\\":","field":"payload"}]}';
    const bytes = Buffer.from(`{"schema":${schema},"payload":{"payload":"x"}}`);
    const frame = scanSchemaFrame(bytes);
    assert.ok(frame !== null);
    assert.equal(bytes.toString('utf8', frame.schemaStart, frame.schemaEnd), schema);
    assert.equal(bytes.toString('utf8', frame.payloadStart), '{"payload":"x"}}');
  });
  it('returns null for other layouts', () => {
    for (const text of ['{"payload":{},"schema":{}}', '{ "schema": {}, "payload": {} }', '{"schema":{"a":1}', '[]', '']) {
      assert.equal(scanSchemaFrame(Buffer.from(text)), null, text);
    }
    assert.ok(scanSchemaFrame(Buffer.from('{"schema":null,"payload":1}')) !== null);
  });
});

describe('smallTwosComplementFromBase64 (the allocation-free decimal path)', () => {
  it('agrees with BigInt two\'s complement for 1–6 byte values (seeded) and refuses the rest', () => {
    const random = seededRandom(5);
    for (let i = 0; i < 3000; i++) {
      const magnitude = BigInt(Math.floor(random() * 2 ** 47));
      const value = random() < 0.5 ? -magnitude - 1n : magnitude;
      assert.equal(smallTwosComplementFromBase64(base64(twosComplement(value))), Number(value), String(value));
    }
    assert.equal(smallTwosComplementFromBase64(base64(twosComplement(2n ** 50n))), undefined); // 7 bytes
    for (const text of ['', 'AQ=', 'A===', 'AR==', '!!!!', 'AQI=x']) assert.equal(smallTwosComplementFromBase64(text), undefined, text);
  });
});

describe('ExactIntegers (digits of integers JSON.parse rounded)', () => {
  it('finds the literal behind a rounded value', () => {
    const text = '{"id":9007199254740993,"ts_ns":1700000000000000001,"neg":-9223372036854775808}';
    const parsed = JSON.parse(text) as Record<string, number>;
    const exact = new ExactIntegers(text);
    assert.equal(exact.literalOf(parsed['id']!), '9007199254740993');
    assert.equal(exact.literalOf(parsed['ts_ns']!), '1700000000000000001');
    assert.equal(exact.literalOf(parsed['neg']!), '-9223372036854775808');
  });
  it('answers "unknown" when two different literals round alike, even if one is inside a string', () => {
    const twins = '{"before":{"id":1500000000000000001},"after":{"id":1500000000000000002}}';
    const parsed = JSON.parse(twins) as { after: { id: number } };
    assert.equal(new ExactIntegers(twins).literalOf(parsed.after.id), undefined);
    const lookAlike = '{"id":1500000000000000001,"note":"ref 1500000000000000002"}';
    assert.equal(new ExactIntegers(lookAlike).literalOf((JSON.parse(lookAlike) as { id: number }).id), undefined);
    const sameText = '{"id":1500000000000000001,"note":"ref 1500000000000000001"}';
    assert.equal(new ExactIntegers(sameText).literalOf((JSON.parse(sameText) as { id: number }).id), '1500000000000000001');
  });
  it('finds every long integer wherever it sits (seeded texts against a regular-expression reference)', () => {
    const random = seededRandom(77);
    for (let round = 0; round < 300; round++) {
      let text = '';
      const literals: string[] = [];
      while (text.length < 400) {
        const pick = Math.floor(random() * 4);
        if (pick === 0) text += ' ,:"[{x'.charAt(Math.floor(random() * 7)).repeat(1 + Math.floor(random() * 20));
        else if (pick === 1) text += String(Math.floor(random() * 1e12));
        else {
          let digits = String(1 + Math.floor(random() * 9));
          for (let i = 14 + Math.floor(random() * 8); i > 0; i--) digits += String(Math.floor(random() * 10));
          const literal = random() < 0.3 ? `-${digits}` : digits;
          literals.push(literal);
          text += `${literal},`;
        }
      }
      const reference = new Map<number, Set<string>>();
      for (const match of text.matchAll(/-?[0-9]{16,}/g)) {
        const before = text.charAt(match.index - 1);
        if (/[0-9.eE+-]/.test(before)) continue;
        const set = reference.get(Number(match[0])) ?? new Set<string>();
        set.add(match[0]);
        reference.set(Number(match[0]), set);
      }
      const exact = new ExactIntegers(text);
      for (const literal of literals) {
        const candidates = reference.get(Number(literal));
        const expected = candidates !== undefined && candidates.size === 1 ? [...candidates][0] : undefined;
        assert.equal(exact.literalOf(Number(literal)), expected, `${literal} in ${text}`);
      }
    }
  });

  it('ignores digit runs that are fractions or exponents', () => {
    const text = '{"a":1.12345678901234567890,"b":1e-12345678901234567890,"c":12345678901234567.5}';
    const exact = new ExactIntegers(text);
    assert.equal(exact.literalOf(Number('12345678901234567')), undefined);
    assert.equal(exact.literalOf(Number('12345678901234567890')), undefined);
  });
});
