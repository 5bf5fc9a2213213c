// Nodes: every smsgate serve sharing the database (GET /v1/nodes): alive or
// dead, the last heartbeat, the messages each holds in sending and those its
// providers accepted since it started. Any signed-in user may read it.
import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { LoadError, PageTitle } from '../components.jsx';
import { formatCount, formatDateTime } from '../format.js';
import { heartbeatAge, nodeBadge, nodeState, nodesSummary } from '../nodes_logic.js';

export function Nodes() {
  const [view, setView] = useState(null);
  const [error, setError] = useState(null);
  const load = () => {
    setError(null);
    api.get('/v1/nodes').then(setView, setError);
  };
  useEffect(load, []);
  const nodes = view?.nodes ?? [];
  return (
    <>
      <PageTitle>Nodes</PageTitle>
      <p class="lead">
        Each <code>smsgate serve</code> on this database is a node. A node whose heartbeat is older than{' '}
        {view ? `${Math.round(view.node_timeout_ms / 1000)} seconds` : 'the node timeout'} is dead: the live nodes
        take over the messages it held.
      </p>
      {error && <LoadError error={error} />}
      {!view && !error && <p class="loading">Loading…</p>}
      {view && (
        <>
          <p class="count" role="status">
            {nodesSummary(nodes)}
          </p>
          <button type="button" class="button button--ghost" onClick={load}>
            Refresh
          </button>
          {nodes.length === 0 ? (
            <p class="empty">No node has registered yet.</p>
          ) : (
            <div class="table-wrap" role="region" aria-label="Nodes table" tabIndex={0}>
              <table class="table">
                <caption class="visually-hidden">Nodes</caption>
                <thead>
                  <tr>
                    <th scope="col">Node</th>
                    <th scope="col">State</th>
                    <th scope="col">Last heartbeat</th>
                    <th scope="col">Messages held</th>
                    <th scope="col">Sent since start</th>
                    <th scope="col">Started</th>
                    <th scope="col">Address</th>
                  </tr>
                </thead>
                <tbody>
                  {nodes.map((n) => (
                    <tr key={n.id}>
                      <td>
                        <code>{n.id}</code>
                        {n.this_node && ' (this node)'}
                      </td>
                      <td>
                        <span class={nodeBadge(n)}>{nodeState(n)}</span>
                      </td>
                      <td>{heartbeatAge(n.heartbeat_age_ms)}</td>
                      <td>{formatCount(n.claims)}</td>
                      <td>{formatCount(n.sent)}</td>
                      <td>{formatDateTime(n.started_at)}</td>
                      <td>{n.listen || '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </>
  );
}
