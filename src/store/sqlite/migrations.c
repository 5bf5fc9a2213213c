#include "store/migrations.h"

/* Never edit a migration that has shipped: add a new one. */
const sg_migration sg_sqlite_migrations[] = {
    {1, "initial schema",
     "CREATE TABLE api_keys ("
     "  id TEXT PRIMARY KEY,"
     "  name TEXT NOT NULL,"
     "  role TEXT NOT NULL CHECK (role IN ('admin', 'sender', 'viewer')),"
     "  secret_hash TEXT NOT NULL,"
     "  created_at INTEGER NOT NULL,"
     "  revoked_at INTEGER"
     ") WITHOUT ROWID;"
     "CREATE TABLE providers ("
     "  id TEXT PRIMARY KEY,"
     "  name TEXT NOT NULL UNIQUE,"
     "  kind TEXT NOT NULL,"
     "  title TEXT NOT NULL DEFAULT '',"
     "  active INTEGER NOT NULL DEFAULT 1,"
     "  is_default INTEGER NOT NULL DEFAULT 0,"
     "  config TEXT NOT NULL,"
     "  secrets TEXT NOT NULL,"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL"
     ");"
     "CREATE UNIQUE INDEX providers_one_default ON providers (is_default) WHERE is_default = 1;"
     "CREATE TABLE messages ("
     "  id TEXT PRIMARY KEY,"
     "  direction TEXT NOT NULL DEFAULT 'outbound',"
     "  status TEXT NOT NULL,"
     "  to_number TEXT NOT NULL,"
     "  from_number TEXT NOT NULL DEFAULT '',"
     "  body TEXT NOT NULL,"
     "  provider_id TEXT NOT NULL DEFAULT '',"
     "  provider_message_id TEXT NOT NULL DEFAULT '',"
     "  segments INTEGER NOT NULL,"
     "  encoding TEXT NOT NULL,"
     "  error_code TEXT NOT NULL DEFAULT '',"
     "  error_message TEXT,"
     "  attempts INTEGER NOT NULL DEFAULT 0,"
     "  send_at INTEGER NOT NULL DEFAULT 0,"
     "  due_at INTEGER NOT NULL DEFAULT 0," /* when the dispatcher should look at it next */
     "  contact_id TEXT NOT NULL DEFAULT '',"
     "  metadata TEXT,"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL"
     ") WITHOUT ROWID;"
     "CREATE INDEX messages_due ON messages (due_at)"
     "  WHERE status IN ('scheduled', 'queued', 'sending');"
     "CREATE INDEX messages_status ON messages (status, id);"
     "CREATE INDEX messages_to ON messages (to_number, id);"
     "CREATE INDEX messages_provider ON messages (provider_id, id);"
     "CREATE INDEX messages_provider_msg ON messages (provider_id, provider_message_id)"
     "  WHERE provider_message_id != '';"
     "CREATE TABLE message_events ("
     "  id INTEGER PRIMARY KEY,"
     "  message_id TEXT NOT NULL,"
     "  status TEXT NOT NULL,"
     "  at INTEGER NOT NULL,"
     "  detail TEXT"
     ");"
     "CREATE INDEX message_events_message ON message_events (message_id, id);"
     "CREATE TABLE idempotency ("
     "  key_id TEXT NOT NULL,"
     "  idem_key TEXT NOT NULL,"
     "  fingerprint TEXT NOT NULL,"
     "  status INTEGER NOT NULL,"
     "  response TEXT NOT NULL,"
     "  created_at INTEGER NOT NULL,"
     "  PRIMARY KEY (key_id, idem_key)"
     ") WITHOUT ROWID;"
     "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
     "INSERT INTO meta (key, value) VALUES ('provider_generation', 0);"},
    {2, "two-way: contacts, opt-outs, consent events, inbound messages",
     "ALTER TABLE messages ADD COLUMN purpose TEXT NOT NULL DEFAULT '';"
     "CREATE INDEX messages_inbound_from ON messages (from_number, id)"
     "  WHERE direction = 'inbound';"
     "CREATE TABLE contacts ("
     "  id TEXT PRIMARY KEY,"
     "  phone TEXT NOT NULL UNIQUE,"
     "  first_name TEXT NOT NULL DEFAULT '',"
     "  last_name TEXT NOT NULL DEFAULT '',"
     "  attributes TEXT NOT NULL DEFAULT '{}',"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL"
     ") WITHOUT ROWID;"
     "CREATE TABLE optouts ("
     "  phone TEXT PRIMARY KEY,"
     "  source TEXT NOT NULL,"
     "  reason TEXT NOT NULL DEFAULT '',"
     "  message_id TEXT NOT NULL DEFAULT '',"
     "  created_at INTEGER NOT NULL"
     ") WITHOUT ROWID;"
     "CREATE TABLE consent_events ("
     "  id INTEGER PRIMARY KEY,"
     "  phone TEXT NOT NULL,"
     "  old_state TEXT NOT NULL,"
     "  new_state TEXT NOT NULL,"
     "  source TEXT NOT NULL,"
     "  message_id TEXT NOT NULL DEFAULT '',"
     "  detail TEXT,"
     "  at INTEGER NOT NULL"
     ");"
     "CREATE INDEX consent_events_phone ON consent_events (phone, at);"},
    {3, "app webhooks",
     "CREATE TABLE webhooks ("
     "  id TEXT PRIMARY KEY,"
     "  url TEXT NOT NULL,"
     "  events TEXT NOT NULL,"
     "  secret TEXT NOT NULL,"
     "  active INTEGER NOT NULL DEFAULT 1,"
     "  created_at INTEGER NOT NULL"
     ") WITHOUT ROWID;"
     "CREATE TABLE webhook_deliveries ("
     "  id INTEGER PRIMARY KEY,"
     "  webhook_id TEXT NOT NULL,"
     "  event TEXT NOT NULL,"
     "  payload TEXT NOT NULL,"
     "  state TEXT NOT NULL,"
     "  attempts INTEGER NOT NULL DEFAULT 0,"
     "  last_status INTEGER NOT NULL DEFAULT 0,"
     "  last_error TEXT NOT NULL DEFAULT '',"
     "  next_attempt_at INTEGER NOT NULL,"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL"
     ");"
     "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)"
     "  WHERE state = 'pending';"
     "CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);"},
    {4, "audiences: groups, segments, templates, broadcasts, tracked links",
     /* mobile: NULL until computed from the phone (done right after this migration
      * for contacts that existed before it). */
     "ALTER TABLE contacts ADD COLUMN mobile INTEGER;"
     "ALTER TABLE contacts ADD COLUMN last_activity_at INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE messages ADD COLUMN broadcast_id TEXT NOT NULL DEFAULT '';"
     "CREATE INDEX messages_broadcast ON messages (broadcast_id, status)"
     "  WHERE broadcast_id != '';"
     "CREATE INDEX messages_created ON messages (created_at) WHERE direction = 'outbound';"
     "CREATE INDEX messages_inbound_created ON messages (created_at)"
     "  WHERE direction = 'inbound';"
     "CREATE INDEX consent_events_at ON consent_events (at);"
     "CREATE TABLE groups ("
     "  id TEXT PRIMARY KEY,"
     "  name TEXT NOT NULL UNIQUE,"
     "  created_at INTEGER NOT NULL"
     ") WITHOUT ROWID;"
     "CREATE TABLE group_members ("
     "  group_id TEXT NOT NULL,"
     "  contact_id TEXT NOT NULL,"
     "  added_at INTEGER NOT NULL,"
     "  PRIMARY KEY (group_id, contact_id)"
     ") WITHOUT ROWID;"
     "CREATE INDEX group_members_contact ON group_members (contact_id);"
     "CREATE TABLE segments ("
     "  id TEXT PRIMARY KEY,"
     "  name TEXT NOT NULL UNIQUE,"
     "  filter TEXT NOT NULL,"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL"
     ") WITHOUT ROWID;"
     "CREATE TABLE templates ("
     "  id TEXT PRIMARY KEY,"
     "  name TEXT NOT NULL UNIQUE,"
     "  body TEXT NOT NULL,"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL"
     ") WITHOUT ROWID;"
     "CREATE TABLE broadcasts ("
     "  id TEXT PRIMARY KEY,"
     "  name TEXT NOT NULL,"
     "  body TEXT NOT NULL,"
     "  template_id TEXT NOT NULL DEFAULT '',"
     "  audience_kind TEXT NOT NULL CHECK (audience_kind IN ('group', 'segment')),"
     "  audience_id TEXT NOT NULL,"
     "  provider_id TEXT NOT NULL,"
     "  from_number TEXT NOT NULL DEFAULT '',"
     "  send_at INTEGER NOT NULL,"
     "  rate REAL NOT NULL DEFAULT 0,"
     "  quiet_start INTEGER NOT NULL DEFAULT -1,"
     "  quiet_end INTEGER NOT NULL DEFAULT -1,"
     "  timezone TEXT NOT NULL DEFAULT 'UTC',"
     "  track_clicks INTEGER NOT NULL DEFAULT 0,"
     "  status TEXT NOT NULL,"
     "  materialized INTEGER NOT NULL DEFAULT 0,"
     "  cursor TEXT NOT NULL DEFAULT '',"
     "  recipients INTEGER NOT NULL DEFAULT 0,"
     "  skipped_opted_out INTEGER NOT NULL DEFAULT 0,"
     "  skipped_not_mobile INTEGER NOT NULL DEFAULT 0,"
     "  skipped_invalid INTEGER NOT NULL DEFAULT 0,"
     "  queued INTEGER NOT NULL DEFAULT 0,"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL,"
     "  started_at INTEGER NOT NULL DEFAULT 0,"
     "  finished_at INTEGER NOT NULL DEFAULT 0"
     ") WITHOUT ROWID;"
     "CREATE INDEX broadcasts_active ON broadcasts (send_at)"
     "  WHERE status IN ('scheduled', 'sending');"
     /* One row per (broadcast, contact): the key that makes a broadcast reach each
      * contact at most once. state: pending, queued (message_id set), skipped. */
     "CREATE TABLE broadcast_recipients ("
     "  broadcast_id TEXT NOT NULL,"
     "  contact_id TEXT NOT NULL,"
     "  state TEXT NOT NULL,"
     "  reason TEXT NOT NULL DEFAULT '',"
     "  detail TEXT,"
     "  message_id TEXT NOT NULL DEFAULT '',"
     "  not_before INTEGER NOT NULL DEFAULT 0,"
     "  PRIMARY KEY (broadcast_id, contact_id)"
     ") WITHOUT ROWID;"
     "CREATE INDEX broadcast_recipients_pending ON broadcast_recipients"
     "  (broadcast_id, not_before, contact_id) WHERE state = 'pending';"
     "CREATE TABLE links ("
     "  code TEXT PRIMARY KEY,"
     "  url TEXT NOT NULL,"
     "  message_id TEXT NOT NULL,"
     "  contact_id TEXT NOT NULL DEFAULT '',"
     "  broadcast_id TEXT NOT NULL DEFAULT ''"
     ") WITHOUT ROWID;"
     "CREATE TABLE clicks ("
     "  id INTEGER PRIMARY KEY,"
     "  code TEXT NOT NULL,"
     "  message_id TEXT NOT NULL,"
     "  contact_id TEXT NOT NULL DEFAULT '',"
     "  broadcast_id TEXT NOT NULL DEFAULT '',"
     "  at INTEGER NOT NULL,"
     "  user_agent TEXT NOT NULL DEFAULT ''"
     ");"
     "CREATE INDEX clicks_message ON clicks (message_id);"
     "CREATE INDEX clicks_at ON clicks (at);"
     "CREATE INDEX clicks_contact ON clicks (contact_id, at);"},
    {5, "status reports that arrive before their send is recorded",
     "CREATE TABLE early_reports ("
     "  id INTEGER PRIMARY KEY,"
     "  provider_id TEXT NOT NULL,"
     "  provider_message_id TEXT NOT NULL,"
     "  status TEXT NOT NULL,"
     "  error_code TEXT NOT NULL DEFAULT '',"
     "  error_message TEXT,"
     "  detail TEXT,"
     "  at INTEGER NOT NULL,"
     "  received_at INTEGER NOT NULL"
     ");"
     "CREATE INDEX early_reports_message ON early_reports (provider_id, provider_message_id);"
     "CREATE INDEX early_reports_received ON early_reports (received_at);"},
    /* SQLite evaluates a partial index's WHERE on every insert and update of the
     * table; an IN list of three constants costs it a temporary table each time
     * (about 8,000 instructions, three times per message), equalities joined by
     * OR cost a few comparisons. */
    {6, "cheaper condition on the due-messages index",
     "DROP INDEX messages_due;"
     "CREATE INDEX messages_due ON messages (due_at)"
     "  WHERE status = 'scheduled' OR status = 'queued' OR status = 'sending';"},
    /* early_report_keep keeps each provider's newest SG_EARLY_PER_PROVIDER rows:
     * finding the oldest to drop walks this index from its end. */
    {7, "early reports bounded per provider",
     "CREATE INDEX early_reports_provider ON early_reports (provider_id, id);"},
    /* keys_generation changes whenever a key is revoked, so that every running
     * server drops its cached keys within a poll. Due deliveries are claimed per
     * webhook (a slow receiver's backlog is never scanned for another's). */
    {8, "API key revocation and last use; due webhook deliveries by webhook",
     "ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;"
     "INSERT INTO meta (key, value) VALUES ('keys_generation', 0);"
     "DROP INDEX webhook_deliveries_due;"
     "CREATE INDEX webhook_deliveries_due_hook ON webhook_deliveries"
     "  (webhook_id, next_attempt_at) WHERE state = 'pending';"},
    /* expires_at: a message's validity period as a time (ms, 0 = none);
     * first_attempt_at: when the first attempt of a message being retried started
     * (ms, 0 = not retried yet), the start of its provider's retry budget. */
    {9, "validity period and retry budget of messages",
     "ALTER TABLE messages ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE messages ADD COLUMN first_attempt_at INTEGER NOT NULL DEFAULT 0;"},
    /* A broadcast whose audience cannot be computed ends "failed" with the reason
     * in error. A contact's last activity is the creation time of its newest
     * inbound message, or outbound message a provider accepted, whether or not
     * the contact existed then: a new contact starts from its number's messages,
     * an outbound message counts when it is accepted (inbound messages and clicks
     * are recorded by the store's code), and the contacts already stored are
     * brought up to date once. */
    {10, "broadcast errors; last activity from messages sent before the contact existed",
     "ALTER TABLE broadcasts ADD COLUMN error TEXT NOT NULL DEFAULT '';"
     "CREATE TRIGGER contacts_activity_from_messages AFTER INSERT ON contacts"
     "  WHEN EXISTS (SELECT 1 FROM messages WHERE to_number = NEW.phone)"
     "    OR EXISTS (SELECT 1 FROM messages WHERE from_number = NEW.phone"
     "               AND direction = 'inbound')"
     "BEGIN"
     "  UPDATE contacts SET last_activity_at = max(last_activity_at,"
     "    coalesce((SELECT max(created_at) FROM messages WHERE to_number = NEW.phone"
     "              AND direction = 'outbound'"
     "              AND status IN ('sent', 'delivered', 'undelivered')), 0),"
     "    coalesce((SELECT max(created_at) FROM messages WHERE from_number = NEW.phone"
     "              AND direction = 'inbound'), 0))"
     "  WHERE id = NEW.id;"
     "END;"
     "CREATE TRIGGER messages_activity_on_send AFTER UPDATE OF status ON messages"
     "  WHEN NEW.direction = 'outbound' AND NEW.status IN ('sent', 'delivered', 'undelivered')"
     "    AND OLD.status NOT IN ('sent', 'delivered', 'undelivered')"
     "BEGIN"
     "  UPDATE contacts SET last_activity_at = max(last_activity_at, NEW.created_at)"
     "  WHERE phone = NEW.to_number;"
     "END;"
     "UPDATE contacts SET last_activity_at = max(last_activity_at,"
     "  coalesce((SELECT max(created_at) FROM messages WHERE to_number = contacts.phone"
     "            AND direction = 'outbound'"
     "            AND status IN ('sent', 'delivered', 'undelivered')), 0),"
     "  coalesce((SELECT max(created_at) FROM messages WHERE from_number = contacts.phone"
     "            AND direction = 'inbound'), 0));"},
    /* Issue 11, items 23-25: an external (DLT) template id on templates, broadcasts
     * and messages; per-key send limits and the per-day counts of the daily quota;
     * the audit log of erasures. */
    {11, "external template ids, per-key send limits, audit log",
     "ALTER TABLE messages ADD COLUMN external_template_id TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE templates ADD COLUMN external_template_id TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE broadcasts ADD COLUMN external_template_id TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE api_keys ADD COLUMN countries TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE api_keys ADD COLUMN daily_quota INTEGER NOT NULL DEFAULT 0;"
     "CREATE TABLE key_usage ("
     "  key_id TEXT NOT NULL,"
     "  day INTEGER NOT NULL," /* days since 1970-01-01, UTC */
     "  sent INTEGER NOT NULL,"
     "  PRIMARY KEY (key_id, day)"
     ") WITHOUT ROWID;"
     "CREATE TABLE audit_log ("
     "  id INTEGER PRIMARY KEY,"
     "  at INTEGER NOT NULL,"
     "  actor TEXT NOT NULL,"
     "  action TEXT NOT NULL,"
     "  subject TEXT NOT NULL,"
     "  detail TEXT"
     ");"},
    /* The trigger of migration 10 ran on every status update of every message (a
     * trigger program per updated row, on the send hot path): about 100,000
     * instructions per message sent (docs/performance.md). The store's two
     * statements that move an outbound message to sent, delivered or undelivered
     * now update the contact themselves (sqlite_store.c, activity_on_send), with
     * the same result. */
    {12, "contact activity on send recorded by the writer, not a trigger",
     "DROP TRIGGER IF EXISTS messages_activity_on_send;"},
    /* Issue 13: people who sign in to the console, their sessions, the counters
     * that throttle failed sign-ins (all in the store, so nodes share them), and
     * the source address of an audit entry. */
    {13, "users, sessions, sign-in throttle, audit source",
     "CREATE TABLE users ("
     "  id TEXT PRIMARY KEY,"
     "  email TEXT NOT NULL COLLATE NOCASE UNIQUE,"
     "  role TEXT NOT NULL CHECK (role IN ('admin', 'sender', 'viewer')),"
     "  password_hash TEXT NOT NULL,"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL,"
     "  last_sign_in_at INTEGER"
     ");"
     "CREATE TABLE sessions ("
     "  id_hash TEXT PRIMARY KEY," /* SHA-256 of the cookie's value */
     "  user_id TEXT NOT NULL,"
     "  csrf_token TEXT NOT NULL,"
     "  created_at INTEGER NOT NULL,"
     "  last_seen_at INTEGER NOT NULL,"
     "  expires_at INTEGER NOT NULL," /* absolute */
     "  source TEXT NOT NULL DEFAULT ''"
     ") WITHOUT ROWID;"
     "CREATE INDEX sessions_user ON sessions (user_id);"
     "CREATE TABLE signin_throttle ("
     "  scope TEXT NOT NULL," /* 'account' or 'address' */
     "  subject TEXT NOT NULL,"
     "  failures INTEGER NOT NULL,"
     "  window_start INTEGER NOT NULL,"
     "  locked_until INTEGER NOT NULL,"
     "  PRIMARY KEY (scope, subject)"
     ") WITHOUT ROWID;"
     "ALTER TABLE audit_log ADD COLUMN source TEXT NOT NULL DEFAULT '';"
     "CREATE INDEX audit_log_actor ON audit_log (actor, id);"},
    /* Issue 15: app accounts for the compatible endpoints (their auth token sealed
     * with the master key, since smsgate signs callbacks with it, and its SHA-256
     * to check a request), the app each message of theirs was sent by, with the
     * message's own StatusCallback, and the status callbacks owed to them. */
    {14, "app accounts",
     "CREATE TABLE apps ("
     "  id TEXT PRIMARY KEY,"
     "  name TEXT NOT NULL UNIQUE,"
     "  role TEXT NOT NULL CHECK (role IN ('sender', 'viewer')),"
     "  token_sealed TEXT NOT NULL,"
     "  token_hash TEXT NOT NULL,"
     "  provider_id TEXT NOT NULL DEFAULT '',"
     "  status_callback TEXT NOT NULL DEFAULT '',"
     "  inbound_url TEXT NOT NULL DEFAULT '',"
     "  inbound_method TEXT NOT NULL DEFAULT 'POST',"
     "  countries TEXT NOT NULL DEFAULT '',"
     "  daily_quota INTEGER NOT NULL DEFAULT 0,"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL,"
     "  token_rotated_at INTEGER NOT NULL"
     ");"
     "CREATE TABLE app_messages ("
     "  message_id TEXT PRIMARY KEY,"
     "  app_id TEXT NOT NULL,"
     "  status_callback TEXT NOT NULL DEFAULT ''"
     ") WITHOUT ROWID;"
     "CREATE INDEX app_messages_app ON app_messages (app_id, message_id);"
     /* Twilio-format status callbacks and inbound messages of apps: queued in the
      * transaction of the change, delivered and retried by compat/twilio_callbacks.c */
     "CREATE TABLE app_callbacks ("
     "  id INTEGER PRIMARY KEY,"
     "  kind TEXT NOT NULL DEFAULT 'status'," /* status | inbound */
     "  method TEXT NOT NULL DEFAULT 'POST',"
     "  app_id TEXT NOT NULL,"
     "  message_id TEXT NOT NULL,"
     "  url TEXT NOT NULL,"
     "  status TEXT NOT NULL,"
     "  error_code TEXT NOT NULL DEFAULT '',"
     "  to_number TEXT NOT NULL DEFAULT '',"
     "  from_number TEXT NOT NULL DEFAULT '',"
     "  state TEXT NOT NULL DEFAULT 'pending',"
     "  attempts INTEGER NOT NULL DEFAULT 0,"
     "  last_status INTEGER NOT NULL DEFAULT 0,"
     "  last_error TEXT NOT NULL DEFAULT '',"
     "  next_attempt_at INTEGER NOT NULL,"
     "  created_at INTEGER NOT NULL"
     ");"
     "CREATE INDEX app_callbacks_due ON app_callbacks (next_attempt_at) WHERE state = 'pending';"
     "CREATE INDEX app_callbacks_message ON app_callbacks (message_id);"
     /* API keys of an app ("SK" + the 128 bits of the id as the Basic user; only
      * a SHA-256 of the secret is kept) */
     "CREATE TABLE app_keys ("
     "  id TEXT PRIMARY KEY,"
     "  app_id TEXT NOT NULL,"
     "  name TEXT NOT NULL DEFAULT '',"
     "  secret_hash TEXT NOT NULL,"
     "  created_at INTEGER NOT NULL"
     ");"
     "CREATE INDEX app_keys_app ON app_keys (app_id, id);"},
    /* Issue 13: contact search. A phrase is looked for in a contact's "first last"
     * name and email attribute, lower-cased, kept in contact_search: a narrow table
     * in contact id order, so that a search reads some 50 bytes a contact, newest
     * first, and stops when its page is full (a trigram index, FTS5, made an import
     * five times slower: docs/internals/store.md). Triggers keep it in step with
     * every write to contacts (create, edit, import upsert, delete, erasure). */
    {15, "contact search text, contact import jobs",
     "CREATE TABLE contact_search ("
     "  contact_id TEXT PRIMARY KEY,"
     "  text TEXT NOT NULL" /* lower(first || ' ' || last || char(10) || email) */
     ") WITHOUT ROWID;"
     "CREATE TRIGGER contacts_search_ai AFTER INSERT ON contacts BEGIN"
     "  INSERT INTO contact_search (contact_id, text) VALUES (NEW.id,"
     "    lower(NEW.first_name || ' ' || NEW.last_name || char(10) ||"
     "      coalesce(CAST(CASE WHEN json_valid(NEW.attributes)"
     "        THEN json_extract(NEW.attributes, '$.email') END AS TEXT), '')));"
     "END;"
     "CREATE TRIGGER contacts_search_au AFTER UPDATE OF first_name, last_name, attributes"
     "  ON contacts WHEN OLD.first_name IS NOT NEW.first_name"
     "    OR OLD.last_name IS NOT NEW.last_name OR OLD.attributes IS NOT NEW.attributes BEGIN"
     "  UPDATE contact_search SET text ="
     "    lower(NEW.first_name || ' ' || NEW.last_name || char(10) ||"
     "      coalesce(CAST(CASE WHEN json_valid(NEW.attributes)"
     "        THEN json_extract(NEW.attributes, '$.email') END AS TEXT), ''))"
     "  WHERE contact_id = NEW.id;"
     "END;"
     "CREATE TRIGGER contacts_search_ad AFTER DELETE ON contacts BEGIN"
     "  DELETE FROM contact_search WHERE contact_id = OLD.id;"
     "END;"
     "INSERT INTO contact_search (contact_id, text)"
     "  SELECT id, lower(first_name || ' ' || last_name || char(10) ||"
     "    coalesce(CAST(CASE WHEN json_valid(attributes)"
     "      THEN json_extract(attributes, '$.email') END AS TEXT), '')) FROM contacts;"
     /* The progress of a CSV import, in the store so that any node answers
      * GET /v1/contacts/imports/{id} while another one reads the upload. */
     "CREATE TABLE import_jobs ("
     "  id TEXT PRIMARY KEY,"
     "  status TEXT NOT NULL,"
     "  size INTEGER NOT NULL DEFAULT 0,"
     "  bytes INTEGER NOT NULL DEFAULT 0,"
     "  rows INTEGER NOT NULL DEFAULT 0,"
     "  imported INTEGER NOT NULL DEFAULT 0,"
     "  updated INTEGER NOT NULL DEFAULT 0,"
     "  rejected INTEGER NOT NULL DEFAULT 0,"
     "  rejections TEXT,"
     "  error TEXT NOT NULL DEFAULT '',"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL"
     ") WITHOUT ROWID;"
     "CREATE INDEX import_jobs_created ON import_jobs (created_at);"},
    /* Issue 12: routes between providers, evaluated by position; a message's
     * route, whether it may fail over, and the providers it was tried on. The
     * route's lists are comma-separated text (providers by id, so a rename does
     * not break a route). */
    {16, "routes; a message's route, failover, providers tried, unknown outcome",
     "CREATE TABLE routes ("
     "  id TEXT PRIMARY KEY,"
     "  name TEXT NOT NULL UNIQUE,"
     "  position INTEGER NOT NULL,"
     "  countries TEXT NOT NULL DEFAULT '',"
     "  prefixes TEXT NOT NULL DEFAULT '',"
     "  providers TEXT NOT NULL,"
     "  weights TEXT NOT NULL DEFAULT '',"
     "  strategy TEXT NOT NULL CHECK (strategy IN ('priority', 'weighted', 'cheapest')),"
     "  on_unknown TEXT NOT NULL DEFAULT 'retry' CHECK (on_unknown IN ('retry', 'failover')),"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL"
     ");"
     "CREATE INDEX routes_position ON routes (position, id);"
     "ALTER TABLE messages ADD COLUMN route_id TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE messages ADD COLUMN failover INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE messages ADD COLUMN providers_tried TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE messages ADD COLUMN outcome_unknown INTEGER NOT NULL DEFAULT 0;"},
    /* Issue 15: the Clickatell-style credentials of an app (its api_id, and its
     * api_key kept only as a SHA-256; the user and password are its Account SID
     * and auth token). */
    {17, "clickatell credentials of apps",
     "CREATE TABLE app_ck_credentials ("
     "  app_id TEXT PRIMARY KEY,"
     "  api_id TEXT NOT NULL UNIQUE,"
     "  api_key_hash TEXT NOT NULL UNIQUE"
     ");"},
    /* Issue 12: a price per provider per country (one SMS segment, in millionths
     * of the currency's unit, so that sums are exact), and the provider's events
     * (circuit breaker transitions, written by the node that saw them). */
    {18, "provider prices and provider events",
     "CREATE TABLE provider_prices ("
     "  provider_id TEXT NOT NULL,"
     "  country TEXT NOT NULL," /* ISO 3166 alpha-2, upper case */
     "  price_micros INTEGER NOT NULL CHECK (price_micros >= 0),"
     "  currency TEXT NOT NULL," /* ISO 4217, upper case */
     "  PRIMARY KEY (provider_id, country)"
     ") WITHOUT ROWID;"
     "CREATE TABLE provider_events ("
     "  id INTEGER PRIMARY KEY,"
     "  provider_id TEXT NOT NULL,"
     "  at INTEGER NOT NULL,"
     "  type TEXT NOT NULL,"
     "  detail TEXT NOT NULL DEFAULT ''"
     ");"
     "CREATE INDEX provider_events_provider ON provider_events (provider_id, id);"},
    /* Issue 16: keyword rules, and each match for the contact's timeline. */
    {19, "keyword rules and their matches",
     "CREATE TABLE keyword_rules ("
     "  id TEXT PRIMARY KEY,"
     "  keyword TEXT NOT NULL,"
     "  match TEXT NOT NULL CHECK (match IN ('exact', 'first_word', 'glob')),"
     "  to_number TEXT NOT NULL DEFAULT '',"
     "  priority INTEGER NOT NULL DEFAULT 0,"
     "  actions TEXT NOT NULL,"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL,"
     "  UNIQUE (keyword, match, to_number)"
     ");"
     "CREATE TABLE keyword_matches ("
     "  id INTEGER PRIMARY KEY,"
     "  rule_id TEXT NOT NULL,"
     "  keyword TEXT NOT NULL,"
     "  phone TEXT NOT NULL,"
     "  message_id TEXT NOT NULL,"
     "  at INTEGER NOT NULL"
     ");"
     "CREATE INDEX keyword_matches_phone ON keyword_matches (phone, at);"},
    /* Issue 15: callbacks in Clickatell's format. A message that came in by a
     * Clickatell-compatible endpoint is reported in Clickatell's fields ('ck'),
     * for the statuses its callback level (0-7) asks for, and so is a reply to
     * it; an app's status callbacks are sent by its callback_method. */
    {20, "clickatell-format callbacks of apps",
     "ALTER TABLE apps ADD COLUMN callback_method TEXT NOT NULL DEFAULT 'POST';"
     "ALTER TABLE app_messages ADD COLUMN callback_format TEXT NOT NULL DEFAULT 'tw';"
     "ALTER TABLE app_messages ADD COLUMN callback_level INTEGER NOT NULL DEFAULT 7;"
     "ALTER TABLE app_callbacks ADD COLUMN format TEXT NOT NULL DEFAULT 'tw';"
     "ALTER TABLE app_callbacks ADD COLUMN level INTEGER NOT NULL DEFAULT 7;"},
    /* Issue 14: the key-check value of the master key the database's secrets are
     * sealed with (sg_store_master_key_check), one row. */
    {21, "master key check",
     "CREATE TABLE master_key_check ("
     "  id INTEGER PRIMARY KEY CHECK (id = 1),"
     "  check_value TEXT NOT NULL,"
     "  created_at INTEGER NOT NULL"
     ");"},
    /* Issue 16: journeys, their versions (an edit is a new version; enrolments
     * keep theirs), enrolments (one active per contact and journey), the step
     * log, and the key of each message a send step queued: unique, so that a
     * step run again after a crash can never queue a second message. */
    {22, "journeys, versions, enrolments, step log, journey sends",
     "CREATE TABLE journeys ("
     "  id TEXT PRIMARY KEY,"
     "  name TEXT NOT NULL,"
     "  state TEXT NOT NULL CHECK (state IN ('draft', 'active', 'paused', 'archived')),"
     "  version INTEGER NOT NULL,"
     "  trigger_type TEXT NOT NULL,"
     "  trigger_value TEXT NOT NULL DEFAULT '',"
     "  trigger_cursor INTEGER NOT NULL DEFAULT 0,"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL"
     ");"
     "CREATE INDEX journeys_trigger ON journeys (state, trigger_type);"
     "CREATE TABLE journey_versions ("
     "  journey_id TEXT NOT NULL,"
     "  version INTEGER NOT NULL,"
     "  definition TEXT NOT NULL,"
     "  created_at INTEGER NOT NULL,"
     "  PRIMARY KEY (journey_id, version)"
     ");"
     "CREATE TABLE journey_enrollments ("
     "  id TEXT PRIMARY KEY,"
     "  journey_id TEXT NOT NULL,"
     "  version INTEGER NOT NULL,"
     "  contact_id TEXT NOT NULL,"
     "  phone TEXT NOT NULL,"
     "  state TEXT NOT NULL CHECK (state IN ('active', 'exited')),"
     "  step TEXT NOT NULL,"
     "  visit INTEGER NOT NULL DEFAULT 0,"
     "  waiting TEXT NOT NULL DEFAULT '',"
     "  due_at INTEGER NOT NULL,"
     "  lease_until INTEGER NOT NULL DEFAULT 0,"
     "  steps_taken INTEGER NOT NULL DEFAULT 0,"
     "  exit_reason TEXT NOT NULL DEFAULT '',"
     "  started_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL,"
     "  exited_at INTEGER NOT NULL DEFAULT 0"
     ");"
     "CREATE UNIQUE INDEX journey_enrollments_one ON journey_enrollments (journey_id, contact_id)"
     "  WHERE state = 'active';"
     "CREATE INDEX journey_enrollments_due ON journey_enrollments (state, due_at);"
     "CREATE INDEX journey_enrollments_contact ON journey_enrollments (contact_id, state);"
     "CREATE INDEX journey_enrollments_phone ON journey_enrollments (phone, state);"
     "CREATE INDEX journey_enrollments_journey ON journey_enrollments (journey_id, started_at);"
     "CREATE TABLE journey_steps ("
     "  id INTEGER PRIMARY KEY,"
     "  enrollment_id TEXT NOT NULL,"
     "  journey_id TEXT NOT NULL,"
     "  step TEXT NOT NULL,"
     "  visit INTEGER NOT NULL,"
     "  outcome TEXT NOT NULL,"
     "  detail TEXT NOT NULL DEFAULT '',"
     "  at INTEGER NOT NULL"
     ");"
     "CREATE INDEX journey_steps_enrollment ON journey_steps (enrollment_id, id);"
     "CREATE INDEX journey_steps_journey ON journey_steps (journey_id, step, outcome);"
     "CREATE TABLE journey_sends ("
     "  send_key TEXT PRIMARY KEY,"
     "  journey_id TEXT NOT NULL,"
     "  step TEXT NOT NULL,"
     "  message_id TEXT NOT NULL"
     ");"
     "CREATE INDEX journey_sends_journey ON journey_sends (journey_id, step);"},
    /* Issue 14 step 3: several serve on one database. A node's row is written at
     * its start and by its heartbeat; a claim records the node and the start
     * holding it (messages.node_id, messages.node_start). */
    {23, "nodes, and the node holding a claim",
     "CREATE TABLE nodes ("
     "  id TEXT PRIMARY KEY,"
     "  start_id TEXT NOT NULL,"
     "  listen TEXT NOT NULL DEFAULT '',"
     "  started_at INTEGER NOT NULL,"
     "  heartbeat_at INTEGER NOT NULL,"
     "  stopped_at INTEGER NOT NULL DEFAULT 0,"
     "  sent INTEGER NOT NULL DEFAULT 0"
     ") WITHOUT ROWID;"
     "ALTER TABLE messages ADD COLUMN node_id TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE messages ADD COLUMN node_start TEXT NOT NULL DEFAULT '';"},
    /* Issue 15: the numbers an app owns; a message to one is forwarded to the
     * app (docs/compat.md). A number belongs to at most one app. */
    {24, "numbers assigned to apps",
     "CREATE TABLE app_numbers ("
     "  number TEXT PRIMARY KEY,"
     "  app_id TEXT NOT NULL"
     ") WITHOUT ROWID;"
     "CREATE INDEX app_numbers_app ON app_numbers (app_id);"},
};

const size_t sg_sqlite_migrations_count =
    sizeof sg_sqlite_migrations / sizeof sg_sqlite_migrations[0];
