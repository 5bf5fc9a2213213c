#include "compat/clickatell_callbacks.h"
#include "compat/clickatell_wire.h"
#include "core/status.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* The app's api_id into out ("" when it has no Clickatell-style credentials). */
static void api_id_of(sg_store *store, const char *app_id, char out[16])
{
    sg_app_ck c;
    out[0] = '\0';
    if (sg_store_app_ck_get(store, app_id, &c) == SG_OK && strcmp(c.app_id, app_id) == 0)
        snprintf(out, 16, "%s", c.api_id);
}

/* The client's climsgid kept in message id's metadata into out ("" when none). */
static void cli_msg_id_of(sg_store *store, const char *id, char *out, size_t cap)
{
    sg_message m;
    out[0] = '\0';
    if (sg_store_message_get(store, id, &m) != SG_OK)
        return;
    json_t *meta = m.metadata ? json_loads(m.metadata, 0, NULL) : NULL;
    const char *v = json_string_value(json_object_get(meta, "climsgid"));
    snprintf(out, cap, "%s", v ? v : "");
    json_decref(meta);
    sg_message_free(&m);
}

sg_err sg_compat_ck_report_form(sg_store *store, const sg_app_callback *cb, sg_buf *body,
                                bool *skip)
{
    sg_status st;
    int code = sg_status_parse(cb->status, &st)
                   ? sg_ckc_report_status(st, cb->error_code, (int)cb->level)
                   : 0;
    *skip = code == 0;
    if (*skip)
        return SG_OK;
    char api_id[16], api_msg_id[SG_CKC_API_MSG_ID_MAX] = "", cli[128];
    api_id_of(store, cb->app_id, api_id);
    sg_ckc_api_msg_id(cb->message_id, api_msg_id);
    cli_msg_id_of(store, cb->message_id, cli, sizeof cli);
    sg_ckc_report r = {.api_id = api_id, .api_msg_id = api_msg_id, .cli_msg_id = cli,
                       .to = cb->to, .from = cb->from, .at_ms = cb->at, .status = code};
    return sg_ckc_report_form(&r, body);
}

sg_err sg_compat_ck_mo_form(sg_store *store, const sg_app_callback *cb, sg_buf *body)
{
    sg_message m;
    if (sg_store_message_get(store, cb->message_id, &m) != SG_OK)
        return SG_ERR_NOT_FOUND;
    char api_id[16], mo_msg_id[SG_CKC_API_MSG_ID_MAX] = "";
    api_id_of(store, cb->app_id, api_id);
    sg_ckc_api_msg_id(cb->message_id, mo_msg_id);
    sg_ckc_mo r = {.api_id = api_id, .mo_msg_id = mo_msg_id, .from = cb->from, .to = cb->to,
                   .text = m.body ? m.body : "", .at_ms = cb->at};
    sg_err err = sg_ckc_mo_form(&r, body);
    sg_message_free(&m);
    return err;
}
