/**
 * Decimal text of a port, made once per port number.
 *
 * A number turned into a string goes through V8's number-to-string cache,
 * an old-generation table: every new number's string is stored there, which
 * keeps it alive past the next scavenge and makes it an old-to-new pointer
 * the scavenger must visit. A port written per message (rport=, flow and
 * connection keys) is a new number for each new client, so with many
 * clients that cache churns: the received/rport forward measured +150–350 ns
 * per message with 60 000 source ports in turn, +30–80 ns with 10 000, and
 * nothing with one (README, "Session 5"). Ports are a closed set of 65 536,
 * so their texts are kept here instead, for the life of the process.
 */
const PORTS = 65_536;

/** Holey, but fast elements (a sparse `[]` would fall back to a dictionary). */
const TEXT = new Array<string | undefined>(PORTS);

export function portText(port: number): string {
  const known = TEXT[port];
  if (known !== undefined) return known;
  const text = String(port);
  if (Number.isInteger(port) && port >= 0 && port < PORTS) TEXT[port] = text;
  return text;
}
