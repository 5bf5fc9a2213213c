// A broadcast's page (/broadcasts/<id>): its settings, live progress (polling
// GET /v1/broadcasts/{id} and …/stats every second while it runs, and for a
// while after for late delivery reports), the actions its status allows
// (send, pause, resume, cancel after confirmation; a 409 invalid_state shown
// in the API's words), and its stats: a chart by status and the failures by
// error code with the catalogue's description.
import { useEffect, useRef, useState } from 'preact/hooks';

import { api } from '../api.js';
import { LoadError, PageTitle } from '../components.jsx';
import { can } from '../contacts_logic.js';
import { formatCount, formatDateTime, formatRate } from '../format.js';
import { ACTIONS, allowedActions, audienceText, progress, shouldPoll } from '../broadcasts_logic.js';
import { Link } from '../router.jsx';
import { FailuresTable, ProgressBar, StatusChart } from './broadcast_parts.jsx';
import { Confirm } from './contact_parts.jsx';

const POLL_MS = 1000;

/** The broadcast and its stats, polled while shouldPoll() says so;
 * reload() fetches them now (after an action). Only the newest load's answer
 * is used (and schedules the next poll): a poll asked before a Pause that
 * answers after the Pause's reload would show the old status again. */
function useBroadcast(id) {
  const [state, setState] = useState({ b: null, stats: null, error: null });
  const timer = useRef(null);
  const seq = useRef(0); // the newest load; -1 once the page is gone
  const load = async () => {
    clearTimeout(timer.current);
    const mine = ++seq.current;
    try {
      const path = `/v1/broadcasts/${encodeURIComponent(id)}`;
      const [b, stats] = await Promise.all([api.get(path), api.get(`${path}/stats`)]);
      if (mine !== seq.current) return;
      setState({ b, stats, error: null });
      if (shouldPoll(b, Date.now())) timer.current = setTimeout(load, POLL_MS);
    } catch (error) {
      if (mine === seq.current) setState((s) => ({ ...s, error }));
    }
  };
  useEffect(() => {
    load();
    return () => {
      seq.current = -1;
      clearTimeout(timer.current);
    };
  }, [id]);
  return { ...state, reload: load };
}

export function BroadcastPage({ id, session }) {
  const { b, stats, error, reload } = useBroadcast(id);
  const [actionError, setActionError] = useState(null);
  const [message, setMessage] = useState(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [audienceName, setAudienceName] = useState(null);
  const audience = b ? `${b.audience.kind}s/${encodeURIComponent(b.audience.id)}` : null;
  useEffect(() => {
    if (audience) api.get(`/v1/${audience}`).then((g) => setAudienceName(g.name), () => setAudienceName(null));
  }, [audience]);

  const act = async (a) => {
    setConfirming(false);
    setBusy(true);
    try {
      await api.post(`/v1/broadcasts/${encodeURIComponent(id)}/${a.action}`);
      setActionError(null);
      setMessage(a.done);
    } catch (e) {
      setMessage(null);
      setActionError(e);
    } finally {
      setBusy(false);
      await reload();
    }
  };

  if (!b) {
    return (
      <>
        <PageTitle>Broadcast</PageTitle>
        <p class="back">
          <Link to="/broadcasts">Back to the broadcasts</Link>
        </p>
        {error ? <LoadError error={error} /> : <p class="loading">Loading…</p>}
      </>
    );
  }
  const p = progress(b.counts);
  const actions = can(session, 'sender') ? allowedActions(b.status) : [];
  return (
    <>
      <PageTitle>{b.name}</PageTitle>
      <p class="back">
        <Link to="/broadcasts">Back to the broadcasts</Link>
      </p>
      {error && <LoadError error={error} />}
      <p class="bstatus">
        Status: <strong class={`status status--${b.status}`} data-testid="broadcast-status">{b.status}</strong>
      </p>
      {b.error && (
        <div class="notice notice--error" role="alert">
          <p class="notice__title">The broadcast failed</p>
          <p>{b.error}</p>
        </div>
      )}
      {actionError && (
        <div class="notice notice--error" role="alert">
          <p class="notice__title">{actionError.status === 409 ? 'Not possible in this state' : actionError.title}</p>
          <p>{actionError.detail}</p>
        </div>
      )}
      {message && (
        <p class="notice" role="status">
          {message}
        </p>
      )}
      {actions.length > 0 && (
        <div class="row-actions">
          {actions.map((a) =>
            a.danger ? (
              !confirming && (
                <button key={a.action} type="button" class="button button--danger" disabled={busy}
                  onClick={() => setConfirming(true)}>
                  {a.label}
                </button>
              )
            ) : (
              <button key={a.action} type="button" class="button" disabled={busy} onClick={() => act(a)}>
                {a.label}
              </button>
            ),
          )}
        </div>
      )}
      {confirming && (
        <Confirm question={`Cancel ${b.name}? Messages not sent yet are canceled; this cannot be undone.`}
          confirmLabel="Yes, cancel the broadcast" busy={busy}
          onConfirm={() => act(ACTIONS.find((a) => a.action === 'cancel'))}
          onCancel={() => setConfirming(false)} />
      )}

      <section class="section" aria-labelledby="progress-title">
        <h2 id="progress-title">Progress</h2>
        <ProgressBar p={p} label="Broadcast progress" />
        <dl class="figures">
          <Figure k="recipients" label="Recipients" n={p.total} />
          <Figure k="queued" label="Queued" n={p.waiting} />
          <Figure k="sent" label="Sent" n={p.sent} />
          <Figure k="delivered" label="Delivered" n={p.delivered} />
          <Figure k="failed" label="Failed" n={p.failed + p.undelivered} />
          <Figure k="skipped" label="Skipped" n={p.skipped} />
        </dl>
      </section>

      <section class="section" aria-labelledby="settings-title">
        <h2 id="settings-title">Settings</h2>
        <dl class="detail">
          <Row term="Audience">{audienceText(b, audienceName ? { [b.audience.id]: audienceName } : null)}</Row>
          <Row term="Provider">{b.provider ?? b.provider_id}</Row>
          {b.from && <Row term="Sender">{b.from}</Row>}
          <Row term="Text">
            <span class="body-text">{b.body}</span>
          </Row>
          {b.template_id && <Row term="Template">{b.template_id}</Row>}
          <Row term="Start">{formatDateTime(b.send_at)}</Row>
          <Row term="Rate">{b.rate ? `${b.rate} messages per second` : 'As fast as the provider takes them'}</Row>
          <Row term="Quiet hours">{b.quiet_hours ? `${b.quiet_hours} (fallback zone ${b.timezone})` : 'None'}</Row>
          <Row term="Click tracking">{b.track_clicks ? 'On' : 'Off'}</Row>
          <Row term="Created">{formatDateTime(b.created_at)}</Row>
          {b.started_at && <Row term="Started">{formatDateTime(b.started_at)}</Row>}
          {b.finished_at && <Row term="Finished">{formatDateTime(b.finished_at)}</Row>}
        </dl>
      </section>

      {stats && (
        <section class="section" aria-labelledby="stats-title">
          <h2 id="stats-title">Stats</h2>
          <dl class="figures">
            <div class="figure">
              <dt>Delivery rate</dt>
              <dd data-figure="delivery_rate">{formatRate(stats.delivery_rate)}</dd>
            </div>
            <div class="figure">
              <dt>Click-through rate</dt>
              <dd data-figure="click_through_rate">{formatRate(stats.click_through_rate)}</dd>
            </div>
          </dl>
          <h3>Messages by status</h3>
          <StatusChart stats={stats} />
          <h3>Failures by error code</h3>
          <FailuresTable stats={stats} />
        </section>
      )}
    </>
  );
}

function Figure({ k, label, n }) {
  return (
    <div class="figure">
      <dt>{label}</dt>
      <dd data-figure={k}>{formatCount(n)}</dd>
    </div>
  );
}

function Row({ term, children }) {
  return (
    <div class="detail__row">
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}
