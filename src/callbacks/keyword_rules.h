/* Keyword rules on an inbound message (issue 16): the rule it matches and what
 * its actions will do, prepared here (replies rendered) and run by the store in
 * the message's own write (sg_inbound's actions), so a webhook the provider
 * retries runs them once. */
#ifndef SG_CALLBACKS_KEYWORD_RULES_H
#define SG_CALLBACKS_KEYWORD_RULES_H

#include "api/app.h"
#include "providers/provider.h"
#include "store/store.h"

#define SG_KW_ACTIONS_MAX 8 /* actions per rule; the API refuses more */

typedef struct sg_kw_plan {
    sg_keyword_rule rule;
    char *rule_json; /* the rule as the API shows it, for message.matched */
    sg_inbound_action actions[SG_KW_ACTIONS_MAX];
    size_t n_actions;
    sg_message replies[2 * SG_KW_ACTIONS_MAX];
    size_t n_replies;
    char *strings[2 * SG_KW_ACTIONS_MAX]; /* rendered group names and attribute values */
    size_t n_strings;
} sg_kw_plan;

/* An outbound reply to the sender of in, through provider p, from `from` (""
 * lets the dispatcher choose), with text and purpose ("consent", "keyword").
 * False when text is not sendable SMS text or memory ran out. (callbacks.c) */
bool sg_cb_reply_build(const sg_provider *p, const sg_message *in, const char *from,
                       const char *text, const char *purpose, int64_t now, sg_message *out);

/* The rule of the store's rules that in (stored as received, normalised numbers)
 * matches, with its actions prepared into plan; replies go from `from`. False
 * when no rule matches (plan is then empty) or the rules cannot be read (logged:
 * the message is then handled as a plain one). */
bool sg_kw_plan_build(sg_app *app, const sg_provider *p, const sg_message *in, const char *from,
                      sg_kw_plan *plan);
void sg_kw_plan_free(sg_kw_plan *plan);

/* The rule as the API shows it (a new reference). */
json_t *sg_keyword_rule_json(const sg_keyword_rule *r);

#endif
