/**
 * Best-response selection, §16.7 item 6: "It MUST choose from the 6xx class
 * responses if any exist in the context. If no 6xx class responses are
 * present, the proxy SHOULD choose from the lowest response class stored in
 * the response context. The proxy MAY select any response within that chosen
 * class. The proxy SHOULD give preference to responses that provide
 * information affecting resubmission of this request, such as 401, 407, 415,
 * 420, and 484 if the 4xx class is chosen." and "A proxy which receives a 503
 * (Service Unavailable) response SHOULD NOT forward it upstream [...]. If the
 * only response that was received is a 503, the proxy SHOULD generate a 500
 * response and forward that upstream."
 *
 * Within a class, a preferred code wins, a 408 (often our own timeout, no
 * information) and a 503 lose, and otherwise the earliest response (lowest
 * index) wins.
 */

const PREFERRED_4XX = new Set([401, 407, 415, 420, 484]);

function rank(status: number): number {
  const cls = Math.floor(status / 100);
  // lower is better; 6xx first, then ascending class
  const classRank = cls === 6 ? 0 : cls;
  let within = 1;
  if (cls === 4 && PREFERRED_4XX.has(status)) within = 0;
  else if (status === 503 || status === 408) within = 2;
  return classRank * 10 + within;
}

/** Index of the best final response among `statuses` (all ≥ 200), or -1 when empty. */
export function selectBestResponse(statuses: readonly number[]): number {
  let best = -1;
  let bestRank = Infinity;
  for (let i = 0; i < statuses.length; i++) {
    const r = rank(statuses[i]!);
    if (r < bestRank) {
      bestRank = r;
      best = i;
    }
  }
  return best;
}

/** The status to send upstream for a selected status (503 becomes 500). */
export function upstreamStatus(selected: number): number {
  return selected === 503 ? 500 : selected;
}

/** §16.7 item 7: challenges of every 401/407 are gathered into the one forwarded. */
export function isChallenge(status: number): boolean {
  return status === 401 || status === 407;
}
