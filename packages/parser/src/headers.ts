/**
 * The header section of a parsed message. Original header lines stay as
 * offsets into the source text until something asks for them, so the hot path
 * builds no object per header, and untouched lines serialise byte for byte.
 * Edits are recorded beside the originals: lines inserted at the top (Via,
 * Record-Route, Route are all pushed there: only the relative order of
 * same-name headers matters, RFC 3261 §7.3.1), lines appended at the end, and
 * per-original replacements or deletions.
 */
import {
  canonicalHeaderName,
  HotHeader,
  hotHeaderOf,
  normalizeHeaderName,
} from './header-names.js';
import { firstListComma, splitList, unfold } from './grammar.js';
import { writeLatin1 } from './latin1.js';

/** A header line created or replaced after parsing, written as `name: value`. */
export interface HeaderLine {
  /** lowercase full name */
  readonly lname: string;
  readonly hot: HotHeader;
  /** the name as written: canonical spelling, or as it came (a compact form, an original's) */
  readonly name: string;
  /** the value, unfolded */
  readonly value: string;
}

export function makeHeaderLine(name: string, value: string): HeaderLine {
  const n = nameInfo(name);
  return { lname: n.lname, hot: n.hot, name: n.written, value };
}

/** The same line with another value. */
function withValue(h: HeaderLine, value: string): HeaderLine {
  return { lname: h.lname, hot: h.hot, name: h.name, value };
}

interface NameInfo {
  readonly lname: string;
  readonly hot: HotHeader;
  readonly written: string;
}

/**
 * Names given to makeHeaderLine, resolved once: every forward pushes a "Via",
 * and normalising, classifying and canonicalising it per line was paid per
 * message. Names come from code, not from the wire; the cap bounds the table
 * anyway.
 */
const NAME_INFO = new Map<string, NameInfo>();

/** The last name looked up: a forward asks for "Via" twice (the edit, the push). */
let lastName = '';
let lastInfo: NameInfo | undefined;

function nameInfo(name: string): NameInfo {
  if (name === lastName) return lastInfo!;
  let n = NAME_INFO.get(name);
  if (n === undefined) {
    const lname = normalizeHeaderName(name);
    const written = name.length === 1 ? name : canonicalHeaderName(name);
    n = { lname, hot: hotHeaderOf(lname), written };
    if (NAME_INFO.size < 256) NAME_INFO.set(name, n);
  }
  lastName = name;
  lastInfo = n;
  return n;
}

/** Slots per original header in the offsets array. */
const SLOTS = 5;
// slot layout: hot id, name start, name end, value start, line end (value end)

export class SipHeaders {
  /** text the offsets point into (latin1 view of the message's header section) */
  private readonly src: string;
  private readonly offs: number[];
  readonly originalCount: number;

  private lnames: (string | undefined)[] | null = null;
  private prefix: HeaderLine[] | null = null;
  private tail: HeaderLine[] | null = null;
  private overrides: (HeaderLine | null | undefined)[] | null = null;
  /** bumped on every edit so callers can cache derived values */
  version = 0;
  /**
   * Bumped only by edits of a Call-ID, CSeq, Max-Forwards or Content-Length
   * line: the message's hot fields stay valid across the Via, Route and
   * Record-Route edits a proxy makes on every forward (re-reading them cost
   * a walk over every header and a CSeq parse per message).
   */
  hotFieldsVersion = 0;
  /** Bumped only by edits of Via lines (the message's parsed Vias and top Via). */
  viaVersion = 0;
  /** Bumped only by edits of From or To lines (the message's parsed From and To). */
  addressVersion = 0;
  /**
   * An original line firstCheckedHot's check accepted: its value is one
   * value without a line break (the check's contract), so holdsOneValue
   * needs no search. -1 when none.
   */
  private oneValueLine = -1;

  /**
   * Offset just after the last original line's line end (where the empty
   * line starts), when the parser passed it; -1: found on demand.
   */
  private readonly end: number;

  constructor(src: string, offs: number[], end = -1) {
    this.src = src;
    this.offs = offs;
    this.originalCount = offs.length / SLOTS;
    this.end = end;
  }

  static empty(): SipHeaders {
    return new SipHeaders('', []);
  }

  get edited(): boolean {
    return this.version !== 0;
  }

  // ---- originals ------------------------------------------------------------

  private origHot(i: number): HotHeader {
    return this.offs[i * SLOTS]!;
  }

  private origLname(i: number): string {
    const hot = this.origHot(i);
    if (hot !== HotHeader.Other) return HOT_NAMES[hot];
    this.lnames ??= new Array<string | undefined>(this.originalCount);
    let n = this.lnames[i];
    if (n === undefined) {
      const b = i * SLOTS;
      n = normalizeHeaderName(this.src.slice(this.offs[b + 1], this.offs[b + 2]));
      this.lnames[i] = n;
    }
    return n;
  }

  private origValue(i: number): string {
    const b = i * SLOTS;
    const raw = this.src.slice(this.offs[b + 3], this.offs[b + 4]);
    return raw.indexOf('\n') < 0 ? raw : unfold(raw).trim();
  }

  /**
   * splitFirst of original value i. The common line holds one unfolded
   * value: two native searches over the header text decide that, instead of
   * a character loop over the sliced value.
   */
  private splitOriginal(i: number): { first: string; rest: string | null } {
    if (this.holdsOneValue(i)) {
      const b = i * SLOTS;
      return { first: this.src.slice(this.offs[b + 3], this.offs[b + 4]), rest: null };
    }
    return splitFirst(this.origValue(i));
  }

  /** Original line i has no comma and no line break in its value: one unfolded value. */
  private holdsOneValue(i: number): boolean {
    if (i === this.oneValueLine) return true;
    const b = i * SLOTS;
    const vs = this.offs[b + 3]!;
    const ve = this.offs[b + 4]!;
    const comma = this.src.indexOf(',', vs);
    if (comma >= 0 && comma < ve) return false;
    const lf = this.src.indexOf('\n', vs);
    return lf < 0 || lf >= ve;
  }

  /** Index of the first original line named like `n`, or -1. */
  private firstOriginal(n: NameInfo): number {
    const offs = this.offs;
    if (n.hot !== HotHeader.Other) {
      for (let b = 0; b < offs.length; b += SLOTS) if (offs[b] === n.hot) return b / SLOTS;
      return -1;
    }
    for (let i = 0; i < this.originalCount; i++) if (this.origLname(i) === n.lname) return i;
    return -1;
  }

  private origRaw(i: number): string {
    const b = i * SLOTS;
    return this.src.slice(this.offs[b + 1], this.offs[b + 4]);
  }

  /** Original header's lowercase name as written in the message ("v" stays "v"). */
  private origWrittenName(i: number): string {
    const b = i * SLOTS;
    return this.src.slice(this.offs[b + 1], this.offs[b + 2]);
  }

  // ---- iteration ------------------------------------------------------------

  /**
   * Visit every current header in order: (lname, value, hot). Returning true
   * from the visitor stops the walk.
   */
  forEach(visit: (lname: string, value: string, hot: HotHeader) => boolean | void): void {
    if (this.prefix !== null)
      for (const h of this.prefix) if (visit(h.lname, h.value, h.hot) === true) return;
    const ov = this.overrides;
    for (let i = 0; i < this.originalCount; i++) {
      const o = ov === null ? undefined : ov[i];
      if (o === null) continue;
      if (o !== undefined) {
        if (visit(o.lname, o.value, o.hot) === true) return;
      } else if (visit(this.origLname(i), this.origValue(i), this.origHot(i)) === true) return;
    }
    if (this.tail !== null)
      for (const h of this.tail) if (visit(h.lname, h.value, h.hot) === true) return;
  }

  /** All current headers as [written name, value] pairs, in order. */
  entries(): [string, string][] {
    const out: [string, string][] = [];
    if (this.prefix !== null) for (const h of this.prefix) out.push([h.name, h.value]);
    for (let i = 0; i < this.originalCount; i++) {
      const o = this.overrides === null ? undefined : this.overrides[i];
      if (o === null) continue;
      if (o !== undefined) out.push([o.name, o.value]);
      else out.push([this.origWrittenName(i), this.origValue(i)]);
    }
    if (this.tail !== null) for (const h of this.tail) out.push([h.name, h.value]);
    return out;
  }

  get count(): number {
    let n = (this.prefix?.length ?? 0) + (this.tail?.length ?? 0);
    const ov = this.overrides;
    for (let i = 0; i < this.originalCount; i++) if (ov === null || ov[i] !== null) n++;
    return n;
  }

  // ---- lookups --------------------------------------------------------------

  /** First header value with this name (compact forms accepted), or undefined. */
  get(name: string): string | undefined {
    const lname = normalizeHeaderName(name);
    let found: string | undefined;
    this.eachLine(hotHeaderOf(lname), lname, (v) => {
      found = v;
      return true;
    });
    return found;
  }

  /**
   * The first value with this hot id, when `check` accepts that line's
   * whole value: an original line is checked where it stands in the header
   * text, a pushed or edited line as its own string (the check must accept
   * no comma and no line break, so the value is whole and unfolded).
   * undefined: there is no such line; null: `check` said no (the caller
   * takes the exact path). An edited top Via is the common case: the edge
   * reads topViaRaw after the transport's received/rport edit.
   */
  firstCheckedHot(
    hot: HotHeader,
    check: (text: string, start: number, end: number) => boolean,
  ): string | undefined | null {
    const prefix = this.prefix;
    if (prefix !== null)
      for (let j = 0; j < prefix.length; j++)
        if (prefix[j]!.hot === hot) return checkedLine(prefix[j]!, check);
    const ov = this.overrides;
    const offs = this.offs;
    for (let i = 0; i < this.originalCount; i++) {
      const o = ov === null ? undefined : ov[i];
      if (o === null) continue;
      if (o !== undefined) {
        if (o.hot === hot) return checkedLine(o, check);
        continue;
      }
      const b = i * SLOTS;
      if (offs[b] !== hot) continue;
      const vs = offs[b + 3]!;
      const ve = offs[b + 4]!;
      if (!check(this.src, vs, ve)) return null;
      this.oneValueLine = i;
      return this.src.slice(vs, ve);
    }
    const tail = this.tail;
    if (tail !== null)
      for (let j = 0; j < tail.length; j++)
        if (tail[j]!.hot === hot) return checkedLine(tail[j]!, check);
    return undefined;
  }

  /** First value of a hot header, found by id (used by the message's accessors). */
  getHot(hot: HotHeader): string | undefined {
    let found: string | undefined;
    this.eachLine(hot, HOT_NAMES[hot], (v) => {
      found = v;
      return true;
    });
    return found;
  }

  has(name: string): boolean {
    const lname = normalizeHeaderName(name);
    return this.hasLine(hotHeaderOf(lname), lname);
  }

  /** Every header line with this name, each value whole (not split on commas). */
  getAll(name: string): string[] {
    const lname = normalizeHeaderName(name);
    const out: string[] = [];
    this.eachLine(hotHeaderOf(lname), lname, (v) => {
      out.push(v);
    });
    return out;
  }

  /** Every comma-separated value of every line with this name, in order (RFC 3261 §7.3.1). */
  values(name: string): string[] {
    const out: string[] = [];
    for (const v of this.getAll(name)) for (const part of splitList(v)) out.push(part);
    return out;
  }

  /** Values of a hot header by id, split on commas. */
  hotValues(hot: HotHeader): string[] {
    const out: string[] = [];
    this.eachLine(hot, HOT_NAMES[hot], (v) => {
      if (v.indexOf(',') < 0) {
        // what splitList makes of one value: trimmed (a stray CR before the
        // line end stays in an original value), dropped when empty
        const one = v.trim();
        if (one.length > 0) out.push(one);
      } else for (const part of splitList(v)) out.push(part);
    });
    return out;
  }

  /**
   * Lines per hot id, in one walk: `counts[id]` for every HotHeader id
   * (`counts` has HOT_HEADER_IDS entries; Other counts every unclassified
   * line). validateRequest's mandatory-header check asked for six counts,
   * each a walk over every line.
   */
  hotLineCounts(counts: Int32Array): void {
    counts.fill(0);
    const prefix = this.prefix;
    if (prefix !== null) for (const h of prefix) counts[h.hot] = counts[h.hot]! + 1;
    const ov = this.overrides;
    const offs = this.offs;
    for (let i = 0; i < this.originalCount; i++) {
      const o = ov === null ? undefined : ov[i];
      if (o === null) continue;
      const hot = o !== undefined ? o.hot : offs[i * SLOTS]!;
      counts[hot] = counts[hot]! + 1;
    }
    const tail = this.tail;
    if (tail !== null) for (const h of tail) counts[h.hot] = counts[h.hot]! + 1;
  }

  /**
   * Visit the value of every current line named `lname` (hot id `hot`), in
   * order, until `visit` returns true. Lines are matched by id (or, for
   * unclassified names, by lowercase name) and only a match's value is read:
   * after an edit (the transport's received/rport on every request) lookups
   * no longer slice and unfold every header of the message.
   */
  private eachLine(hot: HotHeader, lname: string, visit: (value: string) => boolean | void): void {
    const prefix = this.prefix;
    if (prefix !== null)
      for (const h of prefix) if (lineIs(h, hot, lname) && visit(h.value) === true) return;
    const ov = this.overrides;
    for (let i = 0; i < this.originalCount; i++) {
      const o = ov === null ? undefined : ov[i];
      if (o === null) continue;
      if (o !== undefined) {
        if (lineIs(o, hot, lname) && visit(o.value) === true) return;
      } else if (this.origIs(i, hot, lname) && visit(this.origValue(i)) === true) return;
    }
    const tail = this.tail;
    if (tail !== null)
      for (const h of tail) if (lineIs(h, hot, lname) && visit(h.value) === true) return;
  }

  /** A line eachLine would visit exists (found without reading values). */
  private hasLine(hot: HotHeader, lname: string): boolean {
    const prefix = this.prefix;
    if (prefix !== null) for (const h of prefix) if (lineIs(h, hot, lname)) return true;
    const ov = this.overrides;
    for (let i = 0; i < this.originalCount; i++) {
      const o = ov === null ? undefined : ov[i];
      if (o === null) continue;
      if (o !== undefined ? lineIs(o, hot, lname) : this.origIs(i, hot, lname)) return true;
    }
    const tail = this.tail;
    if (tail !== null) for (const h of tail) if (lineIs(h, hot, lname)) return true;
    return false;
  }

  /** Original line i is named `lname` (hot id `hot`). */
  private origIs(i: number, hot: HotHeader, lname: string): boolean {
    const h = this.origHot(i);
    return hot !== HotHeader.Other
      ? h === hot
      : h === HotHeader.Other && this.origLname(i) === lname;
  }

  /**
   * For every current line of a Via, From, To, Contact, Route, Record-Route or
   * Date header, in order: visit(text, start, end, hot, arg) with the value at
   * text[start, end). Original lines are passed in place in the header text
   * (no copy); edited lines as their own value. `arg` is passed through, so
   * the visitor can be a module-level function (no closure per call).
   */
  forEachHotValue<A>(
    visit: (text: string, start: number, end: number, hot: HotHeader, arg: A) => void,
    arg: A,
  ): void {
    if (this.prefix !== null)
      for (const h of this.prefix)
        if (isStructured(h.hot)) visit(h.value, 0, h.value.length, h.hot, arg);
    const ov = this.overrides;
    const offs = this.offs;
    for (let i = 0; i < this.originalCount; i++) {
      const o = ov === null ? undefined : ov[i];
      if (o === null) continue;
      if (o !== undefined) {
        if (isStructured(o.hot)) visit(o.value, 0, o.value.length, o.hot, arg);
      } else {
        const b = i * SLOTS;
        const hot = offs[b]!;
        if (isStructured(hot)) visit(this.src, offs[b + 3]!, offs[b + 4]!, hot, arg);
      }
    }
    if (this.tail !== null)
      for (const h of this.tail)
        if (isStructured(h.hot)) visit(h.value, 0, h.value.length, h.hot, arg);
  }

  // ---- edits ----------------------------------------------------------------

  /** Insert a header line above every existing one: the way to push Via, Record-Route, Route. */
  prepend(name: string, value: string): void {
    const line = makeHeaderLine(name, value);
    // the first push makes an array of one (an empty literal grown by
    // unshift reserves room for 17)
    if (this.prefix === null) this.prefix = [line];
    else this.prefix.unshift(line);
    this.changed(line.hot);
  }

  /** Add a header line after all others. */
  append(name: string, value: string): void {
    const line = makeHeaderLine(name, value);
    (this.tail ??= []).push(line);
    this.changed(line.hot);
  }

  /** Replace every line with this name by one line, kept at the first one's position. */
  set(name: string, value: string): void {
    const line = makeHeaderLine(name, value);
    if (!this.replaceAll(line.lname, line)) (this.tail ??= []).push(line);
    this.changed(line.hot);
  }

  /** Remove every line with this name. Returns how many were removed. */
  remove(name: string): number {
    const lname = normalizeHeaderName(name);
    let removed = 0;
    if (this.prefix !== null) {
      const before = this.prefix.length;
      this.prefix = this.prefix.filter((h) => h.lname !== lname);
      removed += before - this.prefix.length;
    }
    for (let i = 0; i < this.originalCount; i++) {
      const o = this.overrides === null ? undefined : this.overrides[i];
      if (o === null) continue;
      if ((o !== undefined ? o.lname : this.origLname(i)) === lname) {
        this.override(i, null);
        removed++;
      }
    }
    if (this.tail !== null) {
      const before = this.tail.length;
      this.tail = this.tail.filter((h) => h.lname !== lname);
      removed += before - this.tail.length;
    }
    if (removed > 0) this.changed(hotHeaderOf(lname));
    return removed;
  }

  /**
   * Remove the first comma-separated value of the first line with this name
   * (pop the top Via, the top Route). The rest of that line is kept as
   * written; other lines are untouched. Returns the removed value.
   */
  removeFirstValue(name: string): string | undefined {
    return this.editFirstValue(normalizeHeaderName(name), null);
  }

  /**
   * Replace the first comma-separated value of the first line with this name
   * (the top Via's received/rport edit, RFC 3261 §18.2.1): the line is
   * rewritten where it stands, the values after the first one kept; every
   * other line keeps its bytes. Returns false when there is no such line.
   */
  replaceFirstValue(name: string, value: string): boolean {
    const n = nameInfo(name);
    // The received/rport edit of a fresh request: nothing pushed or edited
    // yet, and the first such line holds one value — it becomes the new
    // value, with no split of the old one.
    if (this.prefix === null && this.overrides === null) {
      const i = this.firstOriginal(n);
      if (i >= 0 && this.holdsOneValue(i)) {
        this.override(i, { lname: n.lname, hot: n.hot, name: this.origWrittenName(i), value });
        this.changed(n.hot);
        return true;
      }
    }
    return this.editFirstValue(n.lname, value) !== undefined;
  }

  /**
   * Pop (replacement null) or replace the first value of the first line
   * named `lname`. Returns the value taken out, or undefined when no line
   * has that name.
   */
  private editFirstValue(lname: string, replacement: string | null): string | undefined {
    const prefix = this.prefix;
    if (prefix !== null) {
      for (let idx = 0; idx < prefix.length; idx++) {
        const h = prefix[idx]!;
        if (h.lname !== lname) continue;
        const { first, rest } = splitFirst(h.value);
        const value = joinFirst(replacement, rest);
        if (value === null) prefix.splice(idx, 1);
        else prefix[idx] = withValue(h, value);
        this.changed(h.hot);
        return first;
      }
    }
    const ov = this.overrides;
    for (let i = 0; i < this.originalCount; i++) {
      const o = ov === null ? undefined : ov[i];
      if (o === null) continue;
      if (o !== undefined ? o.lname !== lname : this.origLname(i) !== lname) continue;
      const { first, rest } = o !== undefined ? splitFirst(o.value) : this.splitOriginal(i);
      const value = joinFirst(replacement, rest);
      this.override(
        i,
        value === null
          ? null
          : o !== undefined
            ? withValue(o, value)
            : { lname, hot: this.origHot(i), name: this.origWrittenName(i), value },
      );
      this.changed(this.origHot(i));
      return first;
    }
    const tail = this.tail;
    if (tail !== null) {
      for (let idx = 0; idx < tail.length; idx++) {
        const h = tail[idx]!;
        if (h.lname !== lname) continue;
        const { first, rest } = splitFirst(h.value);
        const value = joinFirst(replacement, rest);
        if (value === null) tail.splice(idx, 1);
        else tail[idx] = withValue(h, value);
        this.changed(h.hot);
        return first;
      }
    }
    return undefined;
  }

  private replaceAll(lname: string, line: HeaderLine): boolean {
    let placed = false;
    if (this.prefix !== null) {
      const out: HeaderLine[] = [];
      for (const h of this.prefix) {
        if (h.lname !== lname) out.push(h);
        else if (!placed) {
          out.push(line);
          placed = true;
        }
      }
      this.prefix = out;
    }
    for (let i = 0; i < this.originalCount; i++) {
      const o = this.overrides === null ? undefined : this.overrides[i];
      if (o === null) continue;
      if ((o !== undefined ? o.lname : this.origLname(i)) !== lname) continue;
      this.override(i, placed ? null : line);
      placed = true;
    }
    if (this.tail !== null) {
      const out: HeaderLine[] = [];
      for (const h of this.tail) {
        if (h.lname !== lname) out.push(h);
        else if (!placed) {
          out.push(line);
          placed = true;
        }
      }
      this.tail = out;
    }
    return placed;
  }

  /** Record an edit of lines whose name has hot id `hot`. */
  private changed(hot: HotHeader): void {
    this.version++;
    switch (hot) {
      case HotHeader.CallId:
      case HotHeader.CSeq:
      case HotHeader.MaxForwards:
      case HotHeader.ContentLength:
        this.hotFieldsVersion++;
        break;
      case HotHeader.Via:
        this.viaVersion++;
        break;
      case HotHeader.From:
      case HotHeader.To:
        this.addressVersion++;
        break;
      default:
        break;
    }
  }

  private override(i: number, line: HeaderLine | null): void {
    this.overrides ??= new Array<HeaderLine | null | undefined>(this.originalCount);
    this.overrides[i] = line;
  }

  // ---- serialisation --------------------------------------------------------

  /**
   * The header lines, each followed by CRLF. Runs of untouched original lines
   * are copied as one slice of the source, so they keep their exact bytes
   * (folding, spacing, compact names, LF-only line ends if that is what came).
   */
  serialize(): string {
    let out = this.serializeHead(this.originalCount);
    if (this.tail !== null) for (const h of this.tail) out += lineText(h);
    return out;
  }

  /**
   * The lines before original line `limit`, as serialize() writes them: the
   * pushed lines, then originals [0, limit) with their edits.
   */
  serializeHead(limit: number): string {
    let out = '';
    if (this.prefix !== null) for (const h of this.prefix) out += lineText(h);
    const ov = this.overrides;
    let runStart = -1;
    let runEnd = -1;
    for (let i = 0; i < limit; i++) {
      const o = ov === null ? undefined : ov[i];
      if (o === undefined) {
        if (runStart < 0) runStart = i;
        runEnd = i;
        continue;
      }
      if (runStart >= 0) {
        out += this.originalRun(runStart, runEnd);
        runStart = -1;
      }
      if (o !== null) out += lineText(o);
    }
    if (runStart >= 0) out += this.originalRun(runStart, runEnd);
    return out;
  }

  /**
   * First original line of the untouched suffix: lines [i, originalCount)
   * are unedited and nothing was appended after them, so they can be copied
   * with whatever follows them in the source. -1 when there is none.
   */
  untouchedSuffix(): number {
    const n = this.originalCount;
    if (n === 0 || (this.tail !== null && this.tail.length > 0)) return -1;
    const ov = this.overrides;
    if (ov === null) return 0;
    let i = n;
    while (i > 0 && ov[i - 1] === undefined) i--;
    return i === n ? -1 : i;
  }

  /** The header text (the latin1 decoding of the message from its start line) in [start, end). */
  sourceText(start: number, end: number): string {
    return this.src.slice(start, end);
  }

  /** Offset in the header text where original line i starts. */
  originalStart(i: number): number {
    return this.runStart(i);
  }

  /** Offset just after the line end of the last original line (0 when there is none). */
  originalEnd(): number {
    if (this.originalCount === 0) return 0;
    return this.end >= 0 ? this.end : this.runEnd(this.originalCount - 1);
  }

  /**
   * Byte length of what writeTo writes: the same lines as serialize(), each
   * character one byte (latin1, as the header text came).
   */
  serializedLength(): number {
    let n = 0;
    if (this.prefix !== null) for (const h of this.prefix) n += lineLength(h);
    const ov = this.overrides;
    if (ov === null) {
      if (this.originalCount > 0) n += this.runEnd(this.originalCount - 1) - this.runStart(0);
    } else {
      let runStart = -1;
      for (let i = 0; i < this.originalCount; i++) {
        const o = ov[i];
        if (o === undefined) {
          if (runStart < 0) runStart = i;
          continue;
        }
        if (runStart >= 0) {
          n += this.runEnd(i - 1) - this.runStart(runStart);
          runStart = -1;
        }
        if (o !== null) n += lineLength(o);
      }
      if (runStart >= 0) n += this.runEnd(this.originalCount - 1) - this.runStart(runStart);
    }
    if (this.tail !== null) for (const h of this.tail) n += lineLength(h);
    return n;
  }

  /**
   * Write the header lines (each with its line end) into `out` at `at`;
   * returns the offset after them. `source` is the buffer the header text is
   * the latin1 decoding of (a parsed message's `source`, whose offsets equal
   * the text's): runs of untouched original lines are then copied as bytes,
   * not re-encoded. Without it they are written from the text.
   */
  writeTo(out: Buffer, at: number, source: Buffer | null): number {
    if (this.prefix !== null) for (const h of this.prefix) at = writeLine(out, at, h);
    const ov = this.overrides;
    if (ov === null) {
      if (this.originalCount > 0) at = this.copyRun(out, at, source, 0, this.originalCount - 1);
    } else {
      let runStart = -1;
      for (let i = 0; i < this.originalCount; i++) {
        const o = ov[i];
        if (o === undefined) {
          if (runStart < 0) runStart = i;
          continue;
        }
        if (runStart >= 0) {
          at = this.copyRun(out, at, source, runStart, i - 1);
          runStart = -1;
        }
        if (o !== null) at = writeLine(out, at, o);
      }
      if (runStart >= 0) at = this.copyRun(out, at, source, runStart, this.originalCount - 1);
    }
    if (this.tail !== null) for (const h of this.tail) at = writeLine(out, at, h);
    return at;
  }

  /** Offset where original line i starts (its name). */
  private runStart(i: number): number {
    return this.offs[i * SLOTS + 1]!;
  }

  /** Offset just after original line i's line end (LF), trailing whitespace included. */
  private runEnd(i: number): number {
    const lf = this.src.indexOf('\n', this.offs[i * SLOTS + 4]);
    return lf < 0 ? this.src.length : lf + 1;
  }

  private copyRun(
    out: Buffer,
    at: number,
    source: Buffer | null,
    first: number,
    last: number,
  ): number {
    const start = this.runStart(first);
    const end = this.runEnd(last);
    if (source !== null && end <= source.length) return at + source.copy(out, at, start, end);
    return at + writeLatin1(out, this.src.slice(start, end), at);
  }

  private originalRun(first: number, last: number): string {
    const start = this.offs[first * SLOTS + 1]!;
    const end = this.offs[last * SLOTS + 4]!;
    // line ends inside the run are copied as they came; the last one is ours
    return this.src.slice(start, end) + lineEndAfter(this.src, end);
  }

  /** Original raw line i (for diagnostics and tests). */
  originalLine(i: number): string {
    return this.origRaw(i);
  }
}

/** Created line h is named `lname` (hot id `hot`), as SipHeaders.origIs decides for originals. */
function lineIs(h: HeaderLine, hot: HotHeader, lname: string): boolean {
  return hot !== HotHeader.Other ? h.hot === hot : h.hot === HotHeader.Other && h.lname === lname;
}

/** A created line's value when `check` accepts all of it, else null (see firstCheckedHot). */
function checkedLine(
  h: HeaderLine,
  check: (text: string, start: number, end: number) => boolean,
): string | null {
  return check(h.value, 0, h.value.length) ? h.value : null;
}

/** A created line and its CRLF, written as latin1 (one byte per character). */
function writeLine(out: Buffer, at: number, h: HeaderLine): number {
  return at + writeLatin1(out, lineText(h), at);
}

/** A created line as written, with its CRLF. */
function lineText(h: HeaderLine): string {
  return h.name + ': ' + h.value + '\r\n';
}

/** Bytes of lineText(h) (latin1: one per character). */
function lineLength(h: HeaderLine): number {
  return h.name.length + h.value.length + 4;
}

/** Hot headers whose values have a grammar beyond a scalar (checked by check.ts). */
function isStructured(hot: HotHeader): boolean {
  return (
    hot === HotHeader.Via ||
    hot === HotHeader.From ||
    hot === HotHeader.To ||
    hot === HotHeader.Contact ||
    hot === HotHeader.Route ||
    hot === HotHeader.RecordRoute ||
    hot === HotHeader.Date
  );
}

/** The line terminator that followed `end` in the source: CRLF or LF. */
function lineEndAfter(src: string, end: number): string {
  // the value end may sit before trailing whitespace; copy it too
  let i = end;
  while (i < src.length && (src.charCodeAt(i) === 0x20 || src.charCodeAt(i) === 0x09)) i++;
  const ws = src.slice(end, i);
  return src.charCodeAt(i) === 0x0d ? ws + '\r\n' : ws + '\n';
}

function splitFirst(value: string): { first: string; rest: string | null } {
  const comma = firstListComma(value);
  if (comma < 0) return { first: value.trim(), rest: null };
  const rest = value.slice(comma + 1).trim();
  return { first: value.slice(0, comma).trim(), rest: rest.length > 0 ? rest : null };
}

/** The line's new value: the replacement before the values that followed the first one. */
function joinFirst(replacement: string | null, rest: string | null): string | null {
  if (replacement === null) return rest;
  return rest === null ? replacement : `${replacement}, ${rest}`;
}

const HOT_NAMES: Record<HotHeader, string> = {
  [HotHeader.Other]: '',
  [HotHeader.Via]: 'via',
  [HotHeader.CallId]: 'call-id',
  [HotHeader.CSeq]: 'cseq',
  [HotHeader.MaxForwards]: 'max-forwards',
  [HotHeader.ContentLength]: 'content-length',
  [HotHeader.Route]: 'route',
  [HotHeader.From]: 'from',
  [HotHeader.To]: 'to',
  [HotHeader.RecordRoute]: 'record-route',
  [HotHeader.Contact]: 'contact',
  [HotHeader.Date]: 'date',
};

export { SLOTS as HEADER_SLOTS };
