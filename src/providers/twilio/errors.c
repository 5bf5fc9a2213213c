/* Twilio's rows of the error-code catalogue (providers.md A.4, A.11, A.12),
 * referenced from the kind's table row (sg_twilio_kind.errors). Temporary means the
 * same message may go through if sent again later: a full queue, a handset that is
 * off, an unexplained carrier failure, a rate limit. Everything else would fail the
 * same way again until someone changes the number, the account or the content.
 *
 * The send class (docs/routing.md) says who is at fault when Twilio answers a send
 * request with the code: RCPT the number or the content (final, another provider
 * would be refused too), PROV the account, its senders or its permissions (another
 * provider may send it), RETRY a hiccup worth trying again on Twilio first. The
 * 30xxx codes only come in status callbacks, after Twilio accepted the message:
 * NONE, never failed over. */
#include "providers/twilio/twilio.h"

#define TEMP  SG_ERRCLASS_TEMPORARY
#define PERM  SG_ERRCLASS_PERMANENT
#define RCPT  SG_SENDCLASS_RECIPIENT
#define PROV  SG_SENDCLASS_PROVIDER
#define RETRY SG_SENDCLASS_RETRY
#define NONE  SG_SENDCLASS_NONE

const sg_errcode sg_twilio_errors[] = {
    /* Twilio, asynchronous delivery errors (ErrorCode in status callbacks). */
    {"twilio", "30001", "Queue overflow",
     "The sender had more messages queued than its throughput could send before they expired "
     "(10 hours, or the ValidityPeriod), so this one failed. Sending it again later, at a lower "
     "rate, can succeed.",
     TEMP, NONE},
    {"twilio", "30002", "Account suspended",
     "The Twilio account was suspended after the message was queued, for example for unpaid "
     "funds or an acceptable-use violation. Nothing is sent until the account is restored.",
     PERM, NONE},
    {"twilio", "30003", "Unreachable destination handset",
     "The recipient's handset could not be reached: it may be switched off, out of coverage or "
     "unable to receive SMS. This is often transient, so a later attempt may be delivered.",
     TEMP, NONE},
    {"twilio", "30004", "Message blocked",
     "The message was blocked, by the recipient (who may have blocked the sender) or by the "
     "carrier. Sending it again will be blocked the same way.",
     PERM, NONE},
    {"twilio", "30005", "Unknown destination handset",
     "The destination number is unknown to its network and may no longer be in service. "
     "Check the number before sending to it again.",
     PERM, NONE},
    {"twilio", "30006", "Landline or unreachable carrier",
     "The destination is a landline, or a carrier that the sender (for example a short code) "
     "cannot reach.",
     PERM, NONE},
    {"twilio", "30007", "Message filtered",
     "The carrier filtered the message as spam or as content it does not allow. Sending the "
     "same content again is likely to be filtered again.",
     PERM, NONE},
    {"twilio", "30008", "Unknown error",
     "Delivery failed and the carrier gave no specific reason. A later attempt may succeed.", TEMP,
     NONE},
    {"twilio", "30009", "Missing segment",
     "A segment of a multi-part inbound message never arrived, so the message could not be "
     "reassembled.",
     PERM, NONE},
    {"twilio", "30010", "Message price exceeds max price",
     "Sending the message would have cost more than the MaxPrice set on the request, so "
     "Twilio did not send it.",
     PERM, NONE},
    {"twilio", "30032", "Toll-free number has not been verified",
     "Messages from a US or Canadian toll-free number are blocked until the number has passed "
     "toll-free verification.",
     PERM, NONE},
    {"twilio", "30033", "A2P 10DLC registration block",
     "The message was blocked because of the sender's US A2P 10DLC registration, for example a "
     "brand or campaign that is not approved. It fails the same way until the registration is "
     "fixed.",
     PERM, NONE},
    {"twilio", "30034", "Message from an unregistered number",
     "The US long-code sender is not part of a registered A2P 10DLC campaign, so US carriers "
     "reject its messages.",
     PERM, NONE},

    /* Twilio, synchronous errors of the Messages API (HTTP 4xx). */
    {"twilio", "20003", "Authentication error",
     "Twilio rejected the credentials (account SID, API key or auth token) with HTTP 401. The "
     "provider's configuration must be corrected.",
     PERM, PROV},
    {"twilio", "20404", "Resource not found",
     "The requested resource does not exist (HTTP 404), for example a wrong account SID in the "
     "URL.",
     PERM, PROV},
    {"twilio", "20429", "Too many requests",
     "The account exceeded Twilio's REST API concurrency limit (HTTP 429). The request was not "
     "processed and is safe to retry after backing off.",
     TEMP, RETRY},
    {"twilio", "21211", "Invalid 'To' phone number", "The 'To' number is not a valid phone number.",
     PERM, RCPT},
    {"twilio", "21212", "Invalid 'From' phone number",
     "The 'From' number is not a valid phone number or sender ID.", PERM, PROV},
    {"twilio", "21408", "Permission to send an SMS has not been enabled for the region",
     "The account's geographic permissions do not allow SMS to the country of the 'To' number. "
     "Enable the region in the Twilio console first.",
     PERM, PROV},
    {"twilio", "21602", "Message body is required",
     "The request had neither a body nor media to send.", PERM, RCPT},
    {"twilio", "21603", "'From' phone number is required",
     "The request had no 'From' number and no Messaging Service to choose one.", PERM, PROV},
    {"twilio", "21604", "'To' phone number is required", "The request had no 'To' number.", PERM,
     RCPT},
    {"twilio", "21606", "'From' number is not a valid message-capable Twilio number",
     "The 'From' number does not belong to the account, cannot send messages, or cannot send "
     "to this destination.",
     PERM, PROV},
    {"twilio", "21608", "'To' number is not verified",
     "Trial accounts, and accounts without an approved compliance profile, may only send to "
     "verified numbers.",
     PERM, PROV},
    {"twilio", "21610", "Attempt to send to unsubscribed recipient",
     "The recipient opted out (replied STOP or another opt-out keyword) of messages from this "
     "sender. Nothing is sent until they opt in again, for example by replying START.",
     PERM, RCPT},
    {"twilio", "21611", "'From' number has a full SMS queue",
     "The sender already has as many messages queued as Twilio allows. The message was not "
     "accepted; it can be sent once the queue has drained.",
     TEMP, RETRY},
    {"twilio", "21612", "Cannot route to the 'To' number",
     "Twilio cannot route a message between this 'From' and 'To' combination, for example to a "
     "network it does not reach.",
     PERM, PROV},
    {"twilio", "21614", "'To' number is not a valid mobile number",
     "The 'To' number cannot receive SMS, for example because it is not a mobile number.", PERM,
     RCPT},
    {"twilio", "21617", "Message body exceeds the 1600 character limit",
     "The body is longer than the 1600 characters Twilio accepts for one message.", PERM, RCPT},
    {"twilio", "21635", "'To' number cannot be a landline",
     "The 'To' number is a landline, which cannot receive SMS.", PERM, RCPT},
    {NULL, NULL, NULL, NULL, 0, 0},
};
