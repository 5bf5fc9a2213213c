// The Nodes page's pure part: a node's state and heartbeat age in words, as
// GET /v1/nodes gives them (docs/postgresql.md, "Several nodes").

/** "Alive", "Stopped" (a clean stop) or "Dead" (no heartbeat within the bound). */
export function nodeState(n) {
  if (n.stopped_at) return 'Stopped';
  return n.alive ? 'Alive' : 'Dead';
}

/** The badge class of a node's state. */
export function nodeBadge(n) {
  const s = nodeState(n);
  return s === 'Alive' ? 'badge badge--ok' : s === 'Dead' ? 'badge badge--bad' : 'badge badge--warn';
}

/** "0.8 s ago", "12 s ago", "3 min ago", "2 h ago" for a heartbeat age in ms. */
export function heartbeatAge(ms) {
  const s = Math.max(0, Number(ms) || 0) / 1000;
  if (s < 10) return `${s.toFixed(1)} s ago`;
  if (s < 120) return `${Math.round(s)} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

/** A line for the page's lead: how many nodes are alive of those listed. */
export function nodesSummary(nodes) {
  const alive = nodes.filter((n) => nodeState(n) === 'Alive').length;
  return `${alive} of ${nodes.length} node${nodes.length === 1 ? '' : 's'} alive`;
}
