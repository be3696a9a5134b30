/** The RFC 4475 / RFC 5118 torture-test fixtures and their manifest (see fixtures/README.md). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Fixture {
  file: string;
  rfc: '4475' | '5118';
  section: string;
  kind: 'request' | 'response';
  expect: 'valid' | 'invalid-syntax' | 'invalid-semantic';
  status: number | null;
  notes: string;
}

const dir = fileURLToPath(new URL('./fixtures/', import.meta.url));

export const FIXTURES: readonly Fixture[] = JSON.parse(
  readFileSync(`${dir}manifest.json`, 'utf8'),
) as Fixture[];

export function fixtureBytes(file: string): Buffer {
  return readFileSync(dir + file);
}

/** Short name: "rfc4475/wsinv.sip" → "wsinv". */
export function nameOf(f: Fixture): string {
  return f.file.replace(/^.*\//, '').replace(/\.sip$/, '');
}

export function fixture(name: string): Buffer {
  const f = FIXTURES.find((x) => nameOf(x) === name);
  if (f === undefined) throw new Error(`no fixture ${name}`);
  return fixtureBytes(f.file);
}
