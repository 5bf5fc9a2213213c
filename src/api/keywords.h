/* Keyword rules (/v1/keywords, `smsgate keyword`): a rule's JSON checked into
 * an sg_keyword_rule, shared by the API and the CLI so both refuse alike. */
#ifndef SG_API_KEYWORDS_H
#define SG_API_KEYWORDS_H

#include "core/keywords.h"
#include "store/store.h"

#include <jansson.h>

/* Why a rule was refused: the HTTP status, the problem code, the field at fault
 * ("keyword", "actions[1].group") and a sentence. */
typedef struct sg_kw_invalid {
    int status;
    char code[32];
    char field[64];
    char message[256];
} sg_kw_invalid;

/* Check in (a JSON object: keyword, match?, to?, actions, priority?) into r's
 * keyword, match, to, priority and actions (JSON text, malloc'd: free with
 * sg_keyword_rule_free). With partial true (PATCH), absent fields keep r's
 * values. extra: the deployment's extra consent words (may be NULL); an opt-out
 * or help keyword is refused (reserved_keyword): they are answered before any
 * rule and cannot be shadowed. store: to check that a named template exists.
 * False with why filled. */
bool sg_keyword_rule_parse(json_t *in, bool partial, const sg_keyword_extra *extra,
                           sg_store *store, sg_keyword_rule *r, sg_kw_invalid *why);

#endif
