// Routes (GET /v1/routes): the routes between providers in the order they are
// evaluated; admins move one up or down (PATCH position), create and edit them
// (POST, PATCH /v1/routes: name, countries, prefixes, providers chosen from the
// provider list and put in order, strategy, weights, on_unknown) and delete one
// after confirmation. The API's refusals show beside the fields they name.
import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { ErrorSummary, Field, LoadError, PageTitle } from '../components.jsx';
import { can } from '../contacts_logic.js';
import {
  ON_UNKNOWN, STRATEGIES, formToBody, matchText, moveItem, providerNames, routeToForm,
} from '../routes_logic.js';
import { SelectField, formErrors } from './admin_parts.jsx';
import { Confirm } from './contact_parts.jsx';

export function Routes({ session }) {
  const [rows, setRows] = useState(null);
  const [providers, setProviders] = useState([]);
  const [error, setError] = useState(null);
  const [message, setMessage] = useState(null);
  const [editing, setEditing] = useState(null); // null: closed; {}: new; a route: edit
  const [confirming, setConfirming] = useState(null);
  const admin = can(session, 'admin');

  const load = async () => {
    try {
      const [r, p] = await Promise.all([api.get('/v1/routes'), api.get('/v1/providers')]);
      setRows(r.data);
      setProviders(p.data);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    load();
  }, []);

  const act = async (fn, done) => {
    try {
      await fn();
      setError(null);
      setMessage(done);
      await load();
    } catch (e) {
      setMessage(null);
      setError(e);
    }
  };
  const move = (r, delta) =>
    act(() => api.patch(`/v1/routes/${encodeURIComponent(r.id)}`, { position: r.position + delta }),
      `${r.name} is now evaluated ${delta < 0 ? 'earlier' : 'later'}.`);
  const remove = (r) => {
    setConfirming(null);
    act(() => api.del(`/v1/routes/${encodeURIComponent(r.id)}`), `${r.name} is deleted.`);
  };

  return (
    <>
      <PageTitle>Routes</PageTitle>
      <p class="lead">
        A message goes to the providers of the first route that matches its destination, in the route's order; when a
        provider fails, the next one takes it. Without a matching route, the default provider sends it.
      </p>
      {error && <LoadError error={error} />}
      {message && (
        <p class="notice" role="status">
          {message}
        </p>
      )}
      {!rows && !error && <p class="loading">Loading…</p>}
      {rows && rows.length === 0 && <p class="empty">There is no route: every message goes to the default provider.</p>}
      {rows && rows.length > 0 && (
        <div class="table-wrap" role="region" aria-label="Routes table" tabIndex={0}>
          <table class="table">
            <caption class="visually-hidden">Routes, in the order they are evaluated</caption>
            <thead>
              <tr>
                <th scope="col">Order</th>
                <th scope="col">Name</th>
                <th scope="col">Destinations</th>
                <th scope="col">Providers</th>
                <th scope="col">Strategy</th>
                {admin && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={r.id}>
                  <td>{r.position}</td>
                  <td>{r.name}</td>
                  <td>{matchText(r)}</td>
                  <td>{providerNames(r.providers, providers).join(' → ')}</td>
                  <td>{r.strategy}</td>
                  {admin && (
                    <td>
                      {confirming === r.id ? (
                        <Confirm question={`Delete the route ${r.name}?`} confirmLabel="Yes, delete this route"
                          onConfirm={() => remove(r)} onCancel={() => setConfirming(null)} />
                      ) : (
                        <>
                          <button type="button" class="button button--plain" disabled={i === 0} onClick={() => move(r, -1)}>
                            Up<span class="visually-hidden"> {r.name}</span>
                          </button>{' '}
                          <button type="button" class="button button--plain" disabled={i === rows.length - 1}
                            onClick={() => move(r, 1)}>
                            Down<span class="visually-hidden"> {r.name}</span>
                          </button>{' '}
                          <button type="button" class="button button--ghost" onClick={() => setEditing(r)}>
                            Edit<span class="visually-hidden"> {r.name}</span>
                          </button>{' '}
                          <button type="button" class="button button--ghost" onClick={() => setConfirming(r.id)}>
                            Delete<span class="visually-hidden"> {r.name}</span>
                          </button>
                        </>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {admin && !editing && (
        <p>
          <button type="button" class="button" onClick={() => setEditing({})}>
            Add a route
          </button>
        </p>
      )}
      {admin && editing && (
        <RouteForm key={editing.id ?? 'new'} route={editing.id ? editing : null} providers={providers}
          onCancel={() => setEditing(null)}
          onSaved={async (r, created) => {
            setEditing(null);
            setError(null);
            setMessage(`${r.name} is ${created ? 'created' : 'saved'}.`);
            await load();
          }} />
      )}
    </>
  );
}

const IDS = {
  name: 'route-name', 'match.countries': 'route-countries', 'match.prefixes': 'route-prefixes', match: 'route-countries',
  providers: 'route-add-provider', strategy: 'route-strategy', weights: 'route-weights', on_unknown: 'route-on-unknown',
};

function RouteForm({ route, providers, onSaved, onCancel }) {
  const [form, setForm] = useState(routeToForm(route));
  const [adding, setAdding] = useState('');
  const [err, setErr] = useState(null);
  const set = (k) => (e) => setForm({ ...form, [k]: e.currentTarget.value });
  const names = new Map(providers.map((p) => [p.id, p.name]));
  const left = providers.filter((p) => !form.providers.includes(p.id));
  const add = () => {
    const id = adding || left[0]?.id;
    if (id) setForm({ ...form, providers: [...form.providers, id] });
    setAdding('');
  };
  const submit = async (e) => {
    e.preventDefault();
    try {
      const body = formToBody(form);
      const saved = route
        ? await api.patch(`/v1/routes/${encodeURIComponent(route.id)}`, body)
        : await api.post('/v1/routes', body);
      await onSaved(saved, !route);
    } catch (x) {
      setErr(x);
    }
  };
  const fe = err?.fieldErrors ?? {};
  return (
    <section aria-labelledby="route-form-title">
      <h2 id="route-form-title">{route ? `Edit the route ${route.name}` : 'Add a route'}</h2>
      <form class="form form--wide" onSubmit={submit} noValidate>
        <ErrorSummary errors={formErrors(err, IDS)} />
        <Field id="route-name" label="Name" hint="Lower-case letters, digits, - and _, e.g. uk." value={form.name}
          error={fe.name} onInput={set('name')} />
        <Field id="route-countries" label="Countries (optional)" hint="Two-letter codes separated by commas, e.g. GB, IE."
          value={form.countries} error={fe['match.countries'] ?? fe.match} onInput={set('countries')} />
        <Field id="route-prefixes" label="Number prefixes (optional)"
          hint="A number starting with one of these matches too, e.g. +2547. With no countries and no prefixes, every destination matches."
          value={form.prefixes} error={fe['match.prefixes']} onInput={set('prefixes')} />
        <fieldset class="fieldset">
          <legend class="label">Providers, in the order they are tried</legend>
          {fe.providers && (
            <p class="field-error" id="route-providers-error">
              <span class="visually-hidden">Error: </span>
              {fe.providers}
            </p>
          )}
          {form.providers.length === 0 && <p class="hint">No provider chosen yet.</p>}
          <ol class="route-providers">
            {form.providers.map((id, i) => (
              <li key={id}>
                <span>{names.get(id) ?? '(removed)'}</span>{' '}
                <button type="button" class="button button--plain" disabled={i === 0}
                  onClick={() => setForm({ ...form, providers: moveItem(form.providers, i, -1) })}>
                  Up<span class="visually-hidden"> {names.get(id)}</span>
                </button>{' '}
                <button type="button" class="button button--plain" disabled={i === form.providers.length - 1}
                  onClick={() => setForm({ ...form, providers: moveItem(form.providers, i, 1) })}>
                  Down<span class="visually-hidden"> {names.get(id)}</span>
                </button>{' '}
                <button type="button" class="button button--plain"
                  onClick={() => setForm({ ...form, providers: form.providers.filter((x) => x !== id) })}>
                  Remove<span class="visually-hidden"> {names.get(id)}</span>
                </button>
                {form.strategy === 'weighted' && (
                  <Field id={i === 0 ? 'route-weights' : `route-weight-${i}`} label={`Weight of ${names.get(id) ?? id}`}
                    inputMode="numeric" value={form.weights[id] ?? '1'} error={i === 0 ? fe.weights : undefined}
                    onInput={(e) => setForm({ ...form, weights: { ...form.weights, [id]: e.currentTarget.value } })} />
                )}
              </li>
            ))}
          </ol>
          {left.length > 0 && (
            <div class="field">
              <label class="label" for="route-add-provider">
                Add a provider
              </label>
              <select class="input" id="route-add-provider" value={adding || left[0].id}
                aria-describedby={fe.providers ? 'route-providers-error' : undefined}
                onChange={(e) => setAdding(e.currentTarget.value)}>
                {left.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>{' '}
              <button type="button" class="button button--plain" onClick={add}>
                Add provider
              </button>
            </div>
          )}
        </fieldset>
        <SelectField id="route-strategy" label="Strategy"
          hint="priority: in order; weighted: the first drawn by weight; cheapest: by price for the country, else in order."
          options={STRATEGIES} value={form.strategy} error={fe.strategy} onChange={set('strategy')} />
        <SelectField id="route-on-unknown" label="When a provider's answer is lost and it cannot be asked"
          hint="retry: try it there again (never a duplicate); failover: move on at once (a duplicate is possible)."
          options={ON_UNKNOWN} value={form.on_unknown} error={fe.on_unknown} onChange={set('on_unknown')} />
        <button type="submit" class="button">
          {route ? 'Save route' : 'Create route'}
        </button>{' '}
        <button type="button" class="button button--ghost" onClick={onCancel}>
          Cancel
        </button>
      </form>
    </section>
  );
}
