#include "core/template_id.h"

#include <string.h>

bool sg_template_id_valid(const char *s)
{
    size_t len = s ? strnlen(s, SG_TEMPLATE_ID_MAX_LEN + 1) : 0;
    if (len == 0 || len > SG_TEMPLATE_ID_MAX_LEN)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '!' || s[i] > '~')
            return false;
    }
    return true;
}
