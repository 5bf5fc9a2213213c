/* External template ids: the id a regulator or provider gives a registered message
 * template (India's DLT template id, a 19-digit number, is the common case). smsgate
 * only carries it: stored with a template, copied to every message sent from it,
 * and required by a provider set up with require_template_id. */
#ifndef SG_CORE_TEMPLATE_ID_H
#define SG_CORE_TEMPLATE_ID_H

#include <stdbool.h>

#define SG_TEMPLATE_ID_MAX_LEN 64

/* True if s is 1 to SG_TEMPLATE_ID_MAX_LEN printable ASCII characters without
 * spaces ('!' to '~'). */
bool sg_template_id_valid(const char *s);

#endif
