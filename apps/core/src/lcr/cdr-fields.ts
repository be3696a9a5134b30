/**
 * Extra CDR fields by Call-ID (LCR: carrier and attempts; forwarding: the diversion
 * history): the sinks are wrapped so each record gets what the features know of its call.
 */
import type { CdrRecord, CdrSink } from '@strata/dialog';

export type CdrFieldSource = (callId: string) => Record<string, unknown> | undefined;

export class CdrFields {
  private readonly sources: CdrFieldSource[] = [];

  add(source: CdrFieldSource): void {
    this.sources.push(source);
  }

  fieldsFor(callId: string): Record<string, unknown> | undefined {
    let out: Record<string, unknown> | undefined;
    for (const s of this.sources) {
      const f = s(callId);
      if (f !== undefined) out = { ...out, ...f };
    }
    return out;
  }
}

export class EnrichingCdrSink implements CdrSink {
  readonly name: string;

  constructor(
    private readonly inner: CdrSink,
    private readonly fields: CdrFields,
  ) {
    this.name = inner.name;
  }

  write(record: CdrRecord): Promise<void> {
    const extra = this.fields.fieldsFor(record.callId);
    return this.inner.write(extra === undefined ? record : { ...record, ...extra });
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
