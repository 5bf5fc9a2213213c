// A journey's own page (/journeys/<id>): its state with the moves it allows
// (switch on, pause, resume, archive — senders), its steps in words with how
// many contacts entered, finished, were sent, replied and left at each
// (GET …/stats), enrolling contacts by number or id (POST …/enroll), and who is
// where (GET …/enrollments). Counts refresh every few seconds while it is on.
import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { ErrorSummary, LoadError, PageTitle } from '../components.jsx';
import { can } from '../contacts_logic.js';
import { formatCount, formatDateTime } from '../format.js';
import { contactsToEnroll, describeStep, describeTrigger, exitReason, stateActions, stateLabel } from '../journeys_logic.js';
import { Link } from '../router.jsx';

const REFRESH_MS = 3000;

export function JourneyPage({ id, session }) {
  const [j, setJ] = useState(null);
  const [stats, setStats] = useState(null);
  const [people, setPeople] = useState(null);
  const [error, setError] = useState(null);
  const [actionError, setActionError] = useState(null);
  const [message, setMessage] = useState(null);
  const sender = can(session, 'sender');
  const path = `/v1/journeys/${encodeURIComponent(id)}`;

  const load = async () => {
    try {
      const [a, b, c] = await Promise.all([api.get(path), api.get(`${path}/stats`), api.get(`${path}/enrollments?limit=100`)]);
      setJ(a);
      setStats(b);
      setPeople(c.data);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    load();
  }, [id]);
  useEffect(() => {
    if (j?.state !== 'active') return undefined;
    const t = setTimeout(load, REFRESH_MS);
    return () => clearTimeout(t);
  }, [j, stats]);

  const move = async (action, label) => {
    setActionError(null);
    setMessage(null);
    try {
      await api.post(`${path}/${action}`, {});
      await load();
      setMessage(`${label}: done.`);
    } catch (e) {
      setActionError(e);
    }
  };

  if (error) return <LoadError error={error} />;
  if (!j) return <p class="loading">Loading…</p>;
  const byStep = Object.fromEntries((stats?.steps ?? []).map((s) => [s.step, s]));
  return (
    <>
      <PageTitle>{j.name}</PageTitle>
      <p>
        <Link to="/journeys">All journeys</Link>
      </p>
      <dl class="summary">
        <dt>State</dt>
        <dd id="journey-state">{stateLabel(j.state)}</dd>
        <dt>Starts when</dt>
        <dd>{describeTrigger(j.trigger)}</dd>
        <dt>Version</dt>
        <dd>{j.version}</dd>
        {j.quiet_hours && (
          <>
            <dt>Quiet hours</dt>
            <dd>{j.quiet_hours}</dd>
          </>
        )}
      </dl>
      {message && (
        <p class="notice" role="status">
          {message}
        </p>
      )}
      {actionError && <ErrorSummary errors={[{ text: actionError.detail }]} />}
      {sender && (
        <p>
          {stateActions(j.state).map(([action, label]) => (
            <span key={action}>
              <button type="button" class={action === 'archive' ? 'button button--ghost' : 'button'} onClick={() => move(action, label)}>
                {label}
              </button>{' '}
            </span>
          ))}
          {j.state !== 'archived' && (
            <Link to={`/journeys/${encodeURIComponent(j.id)}/edit`} class="button button--ghost">
              Edit
            </Link>
          )}
        </p>
      )}
      <h2>Steps</h2>
      <div class="table-wrap" role="region" aria-label="Steps table" tabIndex={0}>
        <table class="table">
          <caption class="visually-hidden">Steps with how many contacts reached each</caption>
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col">What happens</th>
              <th scope="col">Entered</th>
              <th scope="col">Finished</th>
              <th scope="col">Sent</th>
              <th scope="col">Delivered</th>
              <th scope="col">Replied</th>
              <th scope="col">Left here</th>
            </tr>
          </thead>
          <tbody>
            {j.steps.map((s) => {
              const c = byStep[s.id] ?? {};
              return (
                <tr key={s.id}>
                  <td>{s.id}</td>
                  <td>{describeStep(s)}</td>
                  <td>{formatCount(c.entered ?? 0)}</td>
                  <td>{formatCount(c.completed ?? 0)}</td>
                  <td>{formatCount(c.sent ?? 0)}</td>
                  <td>{formatCount(c.delivered ?? 0)}</td>
                  <td>{formatCount(c.replied ?? 0)}</td>
                  <td>{formatCount(c.exited ?? 0)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {sender && (j.state === 'active' || j.state === 'paused') && <Enroll path={path} onDone={load} />}
      <h2>Contacts on this journey</h2>
      {people && people.length === 0 && <p class="empty">Nobody yet.</p>}
      {people && people.length > 0 && (
        <div class="table-wrap" role="region" aria-label="Enrolments table" tabIndex={0}>
          <table class="table">
            <caption class="visually-hidden">Contacts on this journey and where they are</caption>
            <thead>
              <tr>
                <th scope="col">Number</th>
                <th scope="col">At step</th>
                <th scope="col">Waiting for</th>
                <th scope="col">Next step at</th>
                <th scope="col">Ended</th>
                <th scope="col">Started</th>
              </tr>
            </thead>
            <tbody>
              {people.map((p) => (
                <tr key={p.id}>
                  <td>
                    <Link to={`/contacts/${encodeURIComponent(p.contact_id)}`}>{p.phone}</Link>
                  </td>
                  <td>{p.step}</td>
                  <td>{p.waiting === 'reply' ? 'A reply' : p.waiting === 'wait' ? 'Time' : ''}</td>
                  <td>{p.due_at && p.state === 'active' ? formatDateTime(p.due_at) : ''}</td>
                  <td>{p.state === 'active' ? 'Not yet' : exitReason(p.exit_reason)}</td>
                  <td>{formatDateTime(p.started_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

const RESULT = { enrolled: 'enrolled', already_enrolled: 'already on it', opted_out: 'opted out: not enrolled', not_found: 'not found' };

function Enroll({ path, onDone }) {
  const [text, setText] = useState('');
  const [error, setError] = useState(null);
  const [results, setResults] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    setResults(null);
    try {
      const r = await api.post(`${path}/enroll`, { contacts: contactsToEnroll(text) });
      setResults(r.results);
      setText('');
      await onDone();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section aria-labelledby="enroll-title">
      <h2 id="enroll-title">Enrol contacts</h2>
      <form class="form" onSubmit={submit} noValidate>
        <ErrorSummary errors={error ? [{ field: 'jy-enroll', text: error.detail }] : []} />
        <div class={error ? 'field field--error' : 'field'}>
          <label class="label" for="jy-enroll">
            Phone numbers or contact ids
          </label>
          <p class="hint" id="jy-enroll-hint">
            One per line, in international format (+447400123456). A number smsgate does not know becomes a contact.
          </p>
          <textarea id="jy-enroll" class="input" rows={4} aria-describedby="jy-enroll-hint" value={text}
            onInput={(e) => setText(e.currentTarget.value)} />
        </div>
        <button type="submit" class="button">
          Enrol
        </button>
      </form>
      {results && (
        <ul aria-label="Enrolment results">
          {results.map((r, i) => (
            <li key={i}>{`${r.contact}: ${RESULT[r.result] ?? r.result}`}</li>
          ))}
        </ul>
      )}
    </section>
  );
}
