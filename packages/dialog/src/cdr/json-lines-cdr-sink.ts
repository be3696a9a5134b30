import { open, type FileHandle } from 'node:fs/promises';
import type { CdrRecord } from './cdr-record.js';
import type { CdrSink } from './cdr-sink.js';

/**
 * The default sink: one JSON object per line, appended. The file is opened with O_APPEND
 * and each record is one write(2), so concurrent writers never interleave inside a line.
 */
export class JsonLinesCdrSink implements CdrSink {
  readonly name = 'json-lines';
  private handle: Promise<FileHandle> | null = null;

  constructor(private readonly path: string) {}

  async write(record: CdrRecord): Promise<void> {
    this.handle ??= open(this.path, 'a');
    const fh = await this.handle;
    await fh.write(`${JSON.stringify(record)}\n`);
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = null;
    if (h !== null) await (await h).close();
  }
}
