// Journeys: the list (GET /v1/journeys) with each one's state and trigger,
// "New journey" for senders (/journeys/new, journey_form.jsx), a journey's own
// page (/journeys/<id>, journey.jsx: its steps with their counts, switch on /
// pause / resume / archive, enrol contacts, who is where) and its editor
// (/journeys/<id>/edit).
import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { LoadError, PageTitle } from '../components.jsx';
import { can } from '../contacts_logic.js';
import { formatDateTime } from '../format.js';
import { describeTrigger, stateLabel } from '../journeys_logic.js';
import { Link } from '../router.jsx';
import { JourneyPage } from './journey.jsx';
import { JourneyForm } from './journey_form.jsx';

export function Journeys({ session, path }) {
  const rest = path && path.startsWith('/journeys/') ? path.slice('/journeys/'.length) : null;
  if (rest === 'new') return can(session, 'sender') ? <JourneyForm /> : <JourneyList session={session} />;
  if (rest && rest.endsWith('/edit') && can(session, 'sender'))
    return <JourneyForm key={rest} id={decodeURIComponent(rest.slice(0, -'/edit'.length))} />;
  if (rest) return <JourneyPage key={rest} id={decodeURIComponent(rest)} session={session} />;
  return <JourneyList session={session} />;
}

function JourneyList({ session }) {
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    api.get('/v1/journeys?limit=200').then((r) => setRows(r.data), setError);
  }, []);

  return (
    <>
      <PageTitle>Journeys</PageTitle>
      <p class="lead">
        A journey takes each contact through steps: a text, a wait, a question with an answer to wait for, a change to a
        group. Each step happens once per contact, even if smsgate restarts in the middle. STOP ends every journey of
        that contact.
      </p>
      {can(session, 'sender') && (
        <p>
          <Link to="/journeys/new" class="button">
            New journey
          </Link>
        </p>
      )}
      {error && <LoadError error={error} />}
      {!rows && !error && <p class="loading">Loading…</p>}
      {rows && rows.length === 0 && <p class="empty">No journey yet.</p>}
      {rows && rows.length > 0 && (
        <div class="table-wrap" role="region" aria-label="Journeys table" tabIndex={0}>
          <table class="table">
            <caption class="visually-hidden">Journeys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">State</th>
                <th scope="col">Starts when</th>
                <th scope="col">Steps</th>
                <th scope="col">Changed</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((j) => (
                <tr key={j.id}>
                  <td>
                    <Link to={`/journeys/${encodeURIComponent(j.id)}`}>{j.name}</Link>
                  </td>
                  <td>{stateLabel(j.state)}</td>
                  <td>{describeTrigger(j.trigger)}</td>
                  <td>{j.steps?.length ?? 0}</td>
                  <td>{formatDateTime(j.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
