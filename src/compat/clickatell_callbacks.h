/* Callbacks to an app in Clickatell's format (docs/compat.md section 6): a
 * message that came in by a Clickatell-compatible endpoint is reported to the
 * app's status callback URL in the legacy API's fields (api_id, apiMsgId,
 * cliMsgId, to, timestamp, from, status 001-014, charge) for the statuses its
 * callback level asks for, and a reply to it goes to the app's inbound_url in
 * the reply path's fields (api_id, moMsgId, from, to, timestamp, text, charset),
 * without "status", which is how CiviCRM tells the two apart. They are queued
 * and retried by the app callbacks worker (compat/twilio_callbacks.h) beside the
 * Twilio-format ones, unsigned (Clickatell signs nothing). */
#ifndef SG_COMPAT_CLICKATELL_CALLBACKS_H
#define SG_COMPAT_CLICKATELL_CALLBACKS_H

#include "store/store.h"
#include "util/buf.h"

#include <stdbool.h>

/* The delivery report of cb (kind status) onto body; *skip true (and nothing
 * added) when cb's status is not one its callback level asks for. */
sg_err sg_compat_ck_report_form(sg_store *store, const sg_app_callback *cb, sg_buf *body,
                                bool *skip);
/* The inbound message of cb (kind inbound: cb->message_id is the inbound
 * message) onto body. SG_ERR_NOT_FOUND when the message is gone. */
sg_err sg_compat_ck_mo_form(sg_store *store, const sg_app_callback *cb, sg_buf *body);

#endif
