/* The row helpers of store.h, the same for every backend: freeing what the store
 * returns, and the names of broadcast and delivery states. */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

void sg_events_free(sg_event *ev, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ev[i].detail);
    free(ev);
}

void sg_insert_req_clear(sg_insert_req *r)
{
    free(r->replay_body);
    r->replay_body = NULL;
}

void sg_message_free(sg_message *m)
{
    free(m->body);
    free(m->error_message);
    free(m->metadata);
    free(m->app_status_callback);
    free(m->providers_tried);
    free(m->route_event);
    m->body = m->error_message = m->metadata = m->app_status_callback = m->providers_tried =
        m->route_event = NULL;
    for (size_t i = 0; i < m->n_links; i++)
        free(m->links[i].url);
    free(m->links);
    m->links = NULL;
    m->n_links = 0;
}

void sg_messages_free(sg_message *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sg_message_free(&m[i]);
    free(m);
}

void sg_provider_row_free(sg_provider_row *p)
{
    free(p->config);
    free(p->secrets);
    p->config = p->secrets = NULL;
}

void sg_contact_free(sg_contact *c)
{
    free(c->attributes);
    c->attributes = NULL;
}

void sg_contacts_free(sg_contact *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sg_contact_free(&c[i]);
    free(c);
}

void sg_timeline_free(sg_timeline_item *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (t[i].is_message)
            sg_message_free(&t[i].msg);
        free(t[i].detail);
    }
    free(t);
}

void sg_link_free(sg_link *l)
{
    free(l->url);
    l->url = NULL;
}

void sg_segment_row_free(sg_segment *g)
{
    free(g->filter);
    g->filter = NULL;
}

void sg_template_row_free(sg_template *t)
{
    free(t->body);
    t->body = NULL;
}

void sg_keyword_rule_free(sg_keyword_rule *r)
{
    free(r->actions);
    r->actions = NULL;
}

void sg_keyword_rules_free(sg_keyword_rule *r, size_t n)
{
    for (size_t i = 0; r && i < n; i++)
        sg_keyword_rule_free(&r[i]);
    free(r);
}

void sg_journey_row_free(sg_journey_row *j)
{
    free(j->definition);
    j->definition = NULL;
}

void sg_journey_rows_free(sg_journey_row *j, size_t n)
{
    for (size_t i = 0; j && i < n; i++)
        sg_journey_row_free(&j[i]);
    free(j);
}

static const char *const bcast_names[] = {"draft", "scheduled", "sending", "paused",
                                          "done",  "canceled",  "failed"};

const char *sg_bcast_status_name(sg_bcast_status st)
{
    unsigned i = (unsigned)st;
    return i < sizeof bcast_names / sizeof bcast_names[0] ? bcast_names[i] : "draft";
}

bool sg_bcast_status_parse(const char *name, sg_bcast_status *out)
{
    for (unsigned i = 0; name && i < sizeof bcast_names / sizeof bcast_names[0]; i++) {
        if (strcmp(name, bcast_names[i]) == 0) {
            *out = (sg_bcast_status)i;
            return true;
        }
    }
    return false;
}

void sg_broadcast_free(sg_broadcast *b)
{
    free(b->body);
    b->body = NULL;
}

void sg_broadcasts_free(sg_broadcast *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sg_broadcast_free(&b[i]);
    free(b);
}

void sg_recipients_free(sg_recipient *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(r[i].attributes);
    free(r);
}

void sg_stats_free(sg_stats *st)
{
    free(st->rows);
    free(st->errors);
    memset(st, 0, sizeof *st);
}

void sg_deliveries_free(sg_delivery *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(d[i].payload);
    free(d);
}

static const char *const delivery_states[] = {"pending", "delivered", "dead"};

const char *sg_delivery_state_name(sg_delivery_state st)
{
    return (unsigned)st < 3 ? delivery_states[st] : "unknown";
}

void sg_webhook_free(sg_webhook *w)
{
    free(w->secret_sealed);
    w->secret_sealed = NULL;
}

void sg_audits_free(sg_audit *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(a[i].detail);
    free(a);
}

bool sg_node_alive(const sg_node *n, int64_t now, int64_t timeout_ms)
{
    return n->stopped_at == 0 && n->heartbeat_at >= now - timeout_ms;
}

bool sg_node_id_valid(const char *id)
{
    size_t len = id ? strlen(id) : 0;
    return len > 0 && len < SG_NODE_ID_MAX &&
           strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") == len;
}
