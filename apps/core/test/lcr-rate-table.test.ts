import { describe, expect, it } from 'vitest';
import { NumberNormaliser } from '../src/lcr/normalise.js';
import { loadCsvText, loadHash } from '../src/lcr/rate-loader.js';
import type { RateTable } from '../src/lcr/rate-table.js';
import { prefixKey, RateTableBuilder } from '../src/lcr/rate-table.js';
import { normaliseSchema } from '../src/lcr/lcr-config.js';

async function fromCsv(text: string): Promise<RateTable> {
  const b = new RateTableBuilder();
  await loadCsvText(text, b);
  return b.build();
}

describe('rate table', () => {
  it('longest prefix wins; carriers come cheapest first', async () => {
    const t = await fromCsv(
      [
        'prefix,carrier,cost',
        '44,a,0.02',
        '44,b,0.01',
        '4420,c,0.05',
        '4420,a,0.03',
        '1,b,0.1',
      ].join('\n'),
    );
    expect(t.lookup('442071234567')).toEqual({
      prefix: '4420',
      routes: [
        { carrier: 'a', cost: 0.03 },
        { carrier: 'c', cost: 0.05 },
      ],
    });
    expect(t.lookup('447700900123')?.routes.map((r) => r.carrier)).toEqual(['b', 'a']);
    expect(t.lookup('4')).toBeNull();
    expect(t.lookup('33123')).toBeNull();
    expect(t.prefixes).toBe(3);
  });

  it('"044" and "44" are different prefixes; an empty prefix is the default route', async () => {
    const t = await fromCsv('044,x,1\n44,y,1\n,z,9\n');
    expect(t.lookup('0441')?.routes[0]!.carrier).toBe('x');
    expect(t.lookup('441')?.routes[0]!.carrier).toBe('y');
    expect(t.lookup('33')).toEqual({ prefix: '', routes: [{ carrier: 'z', cost: 9 }] });
  });

  it('a repeated (prefix, carrier) keeps the last cost; equal costs keep file order', async () => {
    const t = await fromCsv('49,a,5\n49,b,1\n49,c,1\n49,a,0.5\n');
    expect(t.lookup('4930')?.routes).toEqual([
      { carrier: 'a', cost: 0.5 },
      { carrier: 'b', cost: 1 },
      { carrier: 'c', cost: 1 },
    ]);
  });

  it('bad lines are counted and reported, never thrown; comments and blanks are skipped', async () => {
    const b = new RateTableBuilder();
    const r = await loadCsvText(
      '# rates\n\n44,a,1\n4x,a,1\n44,,1\n44,a,-1\n44,a,abc\n1234567890123456,a,1\nonly-one-field\n+33,a,2\n',
      b,
    );
    expect(r.rows).toBe(2);
    expect(r.bad).toBe(6);
    expect(r.errors[0]).toBe('line 4: 4x,a,1');
    expect(b.build().lookup('331')?.routes[0]!.carrier).toBe('a');
  });

  it('a lookup of a non-digit number finds nothing; numbers past 15 digits match on their first 15', async () => {
    const t = await fromCsv('123456789012345,a,1\n');
    expect(t.longestMatch('12a')).toBe(-1);
    expect(t.lookup('1234567890123456789')?.prefix).toBe('123456789012345');
  });

  it('grows past its initial capacity (100k prefixes) and finds every one', () => {
    const b = new RateTableBuilder();
    for (let i = 0; i < 100_000; i++) b.add(String(1_000_000 + i * 7), i % 2 ? 'a' : 'b', i);
    const t = b.build();
    expect(t.prefixes).toBe(100_000);
    for (let i = 0; i < 100_000; i += 997)
      expect(t.lookup(`${1_000_000 + i * 7}99`)?.routes[0]).toEqual({
        carrier: i % 2 ? 'a' : 'b',
        cost: i,
      });
    expect(t.lookup('999999999')).toBeNull();
  });

  it('prefixKey rejects non-digits and over-long prefixes', () => {
    expect(prefixKey('')).toBe(1);
    expect(prefixKey('07')).toBe(107);
    expect(prefixKey('1234567890123456')).toBe(-1);
    expect(prefixKey('12#')).toBe(-1);
  });

  it('loads a Redis-hash-shaped source', async () => {
    const b = new RateTableBuilder();
    const r = await loadHash({ '44': 'a:0.2,b:0.1', '+1': 'c:1', bad: 'a:1', '33': 'nocost' }, b);
    expect(r).toMatchObject({ rows: 3, bad: 2 });
    const t = b.build();
    expect(t.lookup('4471')?.routes.map((x) => x.carrier)).toEqual(['b', 'a']);
    expect(t.lookup('1555')?.routes[0]!.carrier).toBe('c');
  });
});

describe('number normalisation (E.164)', () => {
  const n = new NumberNormaliser(
    normaliseSchema.parse({
      countryCode: '44',
      rules: [{ match: '^9(\\d{6,})$', replace: '$1' }],
    }),
  );
  it.each([
    ['+44 20 7123-4567', '442071234567'],
    ['0044207123', '44207123'],
    ['02071234567', '442071234567'],
    ['900441234567', '441234567'],
    ['4420', '4420'],
    ['alice', null],
    ['+', null],
  ])('%s → %s', (input, out) => {
    expect(n.normalise(input)).toBe(out);
  });
});
