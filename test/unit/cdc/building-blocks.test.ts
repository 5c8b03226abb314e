/**
 * The decoder's building blocks on their own: the lossless JSON parser, the schema LRU and the
 * schema frame scanner.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { smallTwosComplementFromBase64 } from '../../../src/cdc/decimal.ts';
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
