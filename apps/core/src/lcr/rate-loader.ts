/**
 * Filling a RateTableBuilder from its sources: CSV text (`prefix,carrier,cost` per line,
 * `#` comments, an optional `prefix,…` header line; a "+" before the prefix is ignored) or
 * a Redis hash (field = prefix, value = `carrier:cost,carrier:cost`). Bad lines are
 * counted and the first few reported, never thrown. Long inputs yield to the event loop
 * every `chunk` lines so calls keep flowing while a table loads.
 */
import { readFile } from 'node:fs/promises';
import { setImmediate as nextTick } from 'node:timers/promises';
import type { RateTable } from './rate-table.js';
import { MAX_PREFIX_DIGITS, RateTableBuilder } from './rate-table.js';

export interface LoadReport {
  rows: number;
  bad: number;
  /** the first bad lines, "line N: text" */
  errors: string[];
}

const MAX_ERRORS = 5;

export async function loadCsvText(
  text: string,
  builder: RateTableBuilder,
  chunk = 50_000,
): Promise<LoadReport> {
  const report: LoadReport = { rows: 0, bad: 0, errors: [] };
  let pos = 0;
  let line = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    line++;
    const outcome = addCsvLine(text, pos, nl, builder, line === 1);
    if (outcome === ROW) report.rows++;
    else if (outcome === BAD) {
      report.bad++;
      if (report.errors.length < MAX_ERRORS)
        report.errors.push(`line ${line}: ${text.slice(pos, Math.min(nl, pos + 80)).trim()}`);
    }
    pos = nl + 1;
    if (line % chunk === 0) await nextTick();
  }
  return report;
}

const ROW = 0;
const SKIP = 1;
const BAD = 2;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d;
}

/**
 * One line, text[from, to): scanned in place (the prefix's key is computed digit by digit,
 * only the carrier name and the cost are sliced). SKIP: blank, comment or header line.
 */
function addCsvLine(
  text: string,
  from: number,
  to: number,
  builder: RateTableBuilder,
  first: boolean,
): number {
  let i = from;
  while (i < to && isSpace(text.charCodeAt(i))) i++;
  if (i === to || text.charCodeAt(i) === 0x23 /* # */) return SKIP;
  if (text.charCodeAt(i) === 0x2b /* + */) i++;
  let key = 1;
  let digits = 0;
  for (; i < to; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    key = key * 10 + d;
    digits++;
  }
  while (i < to && isSpace(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== 0x2c /* , */) {
    return first && /^\s*prefix\s*,/i.test(text.slice(from, to)) ? SKIP : BAD;
  }
  if (digits > MAX_PREFIX_DIGITS) return BAD;
  const c2 = text.indexOf(',', i + 1);
  if (c2 < 0 || c2 >= to) return BAD;
  const carrier = text.slice(i + 1, c2).trim();
  const costText = text.slice(c2 + 1, to).trim();
  return costText !== '' && builder.addKey(key, digits, carrier, Number(costText)) ? ROW : BAD;
}

export async function loadCsvFile(file: string): Promise<{ table: RateTable; report: LoadReport }> {
  const builder = new RateTableBuilder();
  const report = await loadCsvText(await readFile(file, 'utf8'), builder);
  return { table: builder.build(), report };
}

/** `HGETALL`-shaped input: prefix → "carrier:cost,carrier:cost". */
export async function loadHash(
  hash: Record<string, string>,
  builder: RateTableBuilder,
  chunk = 100_000,
): Promise<LoadReport> {
  const report: LoadReport = { rows: 0, bad: 0, errors: [] };
  let n = 0;
  for (const [field, value] of Object.entries(hash)) {
    const prefix = field.startsWith('+') ? field.slice(1) : field;
    for (const part of value.split(',')) {
      const colon = part.lastIndexOf(':');
      const ok =
        colon > 0 &&
        builder.add(prefix, part.slice(0, colon).trim(), Number(part.slice(colon + 1)));
      if (ok) report.rows++;
      else {
        report.bad++;
        if (report.errors.length < MAX_ERRORS)
          report.errors.push(`${field}: ${value.slice(0, 80)}`);
      }
    }
    if (++n % chunk === 0) await nextTick();
  }
  return report;
}
