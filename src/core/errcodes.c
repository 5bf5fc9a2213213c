#include "core/errcodes.h"

#include <string.h>

#define TEMP SG_ERRCLASS_TEMPORARY
#define PERM SG_ERRCLASS_PERMANENT

/* The catalogue (providers.md A.4, A.11, A.12). Temporary means the same message
 * may go through if sent again later: a full queue, a handset that is off, an
 * unexplained carrier failure, a rate limit. Everything else would fail the same
 * way again until someone changes the number, the account or the content.
 * Entries are grouped by provider; a Clickatell block goes after Twilio's. */
static const sg_errcode catalogue[] = {
    /* Twilio, asynchronous delivery errors (ErrorCode in status callbacks). */
    {"twilio", "30001", "Queue overflow",
     "The sender had more messages queued than its throughput could send before they expired "
     "(10 hours, or the ValidityPeriod), so this one failed. Sending it again later, at a lower "
     "rate, can succeed.",
     TEMP},
    {"twilio", "30002", "Account suspended",
     "The Twilio account was suspended after the message was queued, for example for unpaid "
     "funds or an acceptable-use violation. Nothing is sent until the account is restored.",
     PERM},
    {"twilio", "30003", "Unreachable destination handset",
     "The recipient's handset could not be reached: it may be switched off, out of coverage or "
     "unable to receive SMS. This is often transient, so a later attempt may be delivered.",
     TEMP},
    {"twilio", "30004", "Message blocked",
     "The message was blocked, by the recipient (who may have blocked the sender) or by the "
     "carrier. Sending it again will be blocked the same way.",
     PERM},
    {"twilio", "30005", "Unknown destination handset",
     "The destination number is unknown to its network and may no longer be in service. "
     "Check the number before sending to it again.",
     PERM},
    {"twilio", "30006", "Landline or unreachable carrier",
     "The destination is a landline, or a carrier that the sender (for example a short code) "
     "cannot reach.",
     PERM},
    {"twilio", "30007", "Message filtered",
     "The carrier filtered the message as spam or as content it does not allow. Sending the "
     "same content again is likely to be filtered again.",
     PERM},
    {"twilio", "30008", "Unknown error",
     "Delivery failed and the carrier gave no specific reason. A later attempt may succeed.", TEMP},
    {"twilio", "30009", "Missing segment",
     "A segment of a multi-part inbound message never arrived, so the message could not be "
     "reassembled.",
     PERM},
    {"twilio", "30010", "Message price exceeds max price",
     "Sending the message would have cost more than the MaxPrice set on the request, so "
     "Twilio did not send it.",
     PERM},
    {"twilio", "30032", "Toll-free number has not been verified",
     "Messages from a US or Canadian toll-free number are blocked until the number has passed "
     "toll-free verification.",
     PERM},
    {"twilio", "30033", "A2P 10DLC registration block",
     "The message was blocked because of the sender's US A2P 10DLC registration, for example a "
     "brand or campaign that is not approved. It fails the same way until the registration is "
     "fixed.",
     PERM},
    {"twilio", "30034", "Message from an unregistered number",
     "The US long-code sender is not part of a registered A2P 10DLC campaign, so US carriers "
     "reject its messages.",
     PERM},

    /* Twilio, synchronous errors of the Messages API (HTTP 4xx). */
    {"twilio", "20003", "Authentication error",
     "Twilio rejected the credentials (account SID, API key or auth token) with HTTP 401. The "
     "provider's configuration must be corrected.",
     PERM},
    {"twilio", "20404", "Resource not found",
     "The requested resource does not exist (HTTP 404), for example a wrong account SID in the "
     "URL.",
     PERM},
    {"twilio", "20429", "Too many requests",
     "The account exceeded Twilio's REST API concurrency limit (HTTP 429). The request was not "
     "processed and is safe to retry after backing off.",
     TEMP},
    {"twilio", "21211", "Invalid 'To' phone number", "The 'To' number is not a valid phone number.",
     PERM},
    {"twilio", "21212", "Invalid 'From' phone number",
     "The 'From' number is not a valid phone number or sender ID.", PERM},
    {"twilio", "21408", "Permission to send an SMS has not been enabled for the region",
     "The account's geographic permissions do not allow SMS to the country of the 'To' number. "
     "Enable the region in the Twilio console first.",
     PERM},
    {"twilio", "21602", "Message body is required",
     "The request had neither a body nor media to send.", PERM},
    {"twilio", "21603", "'From' phone number is required",
     "The request had no 'From' number and no Messaging Service to choose one.", PERM},
    {"twilio", "21604", "'To' phone number is required", "The request had no 'To' number.", PERM},
    {"twilio", "21606", "'From' number is not a valid message-capable Twilio number",
     "The 'From' number does not belong to the account, cannot send messages, or cannot send "
     "to this destination.",
     PERM},
    {"twilio", "21608", "'To' number is not verified",
     "Trial accounts, and accounts without an approved compliance profile, may only send to "
     "verified numbers.",
     PERM},
    {"twilio", "21610", "Attempt to send to unsubscribed recipient",
     "The recipient opted out (replied STOP or another opt-out keyword) of messages from this "
     "sender. Nothing is sent until they opt in again, for example by replying START.",
     PERM},
    {"twilio", "21611", "'From' number has a full SMS queue",
     "The sender already has as many messages queued as Twilio allows. The message was not "
     "accepted; it can be sent once the queue has drained.",
     TEMP},
    {"twilio", "21612", "Cannot route to the 'To' number",
     "Twilio cannot route a message between this 'From' and 'To' combination, for example to a "
     "network it does not reach.",
     PERM},
    {"twilio", "21614", "'To' number is not a valid mobile number",
     "The 'To' number cannot receive SMS, for example because it is not a mobile number.", PERM},
    {"twilio", "21617", "Message body exceeds the 1600 character limit",
     "The body is longer than the 1600 characters Twilio accepts for one message.", PERM},
    {"twilio", "21635", "'To' number cannot be a landline",
     "The 'To' number is a landline, which cannot receive SMS.", PERM},

    /* Clickatell (providers.md B.1-B.3). Three families of numbers share the
     * "clickatell" provider and overlap (001, 101, 7 ...), so each is written its
     * own way: the legacy HTTP API's "ERR: NNN" codes as Clickatell writes them
     * ("001"); message statuses (legacy callback "status", Platform "statusCode")
     * as "status-NNN"; Platform and One API error codes as "platform-N". */
    {"clickatell", "001", "Authentication failed",
     "Clickatell rejected the user name, password and API ID. The provider's configuration must "
     "be corrected.",
     PERM},
    {"clickatell", "002", "Unknown username or password",
     "The user name or password is not known to Clickatell. The provider's configuration must be "
     "corrected.",
     PERM},
    {"clickatell", "003", "Session ID expired",
     "A session ID timed out. smsgate authenticates every request, so sending again starts "
     "afresh.",
     TEMP},
    {"clickatell", "004", "Account frozen",
     "The Clickatell account is frozen. Nothing is sent until Clickatell unfreezes it.", PERM},
    {"clickatell", "005", "Missing session ID",
     "The request had no session ID and no user name and password.", PERM},
    {"clickatell", "007", "IP lockdown violation",
     "The account only accepts requests from listed IP addresses, and this server's address is "
     "not one of them. Add it in the Clickatell account settings.",
     PERM},
    {"clickatell", "101", "Invalid or missing parameters",
     "A required parameter was missing or malformed.", PERM},
    {"clickatell", "102", "Invalid user data header",
     "The user data header (udh) of the message is malformed.", PERM},
    {"clickatell", "103", "Unknown API message ID",
     "Clickatell does not know the message ID that was asked about.", PERM},
    {"clickatell", "104", "Unknown client message ID",
     "Clickatell does not know the client message ID that was asked about.", PERM},
    {"clickatell", "105", "Invalid destination address",
     "The recipient is not a valid international phone number.", PERM},
    {"clickatell", "106", "Invalid source address",
     "The sender is not a valid phone number or sender ID for this account.", PERM},
    {"clickatell", "107", "Empty message", "The message had no text.", PERM},
    {"clickatell", "108", "Invalid or missing API ID",
     "The API ID is wrong or missing. Use the ID of the account's HTTP API.", PERM},
    {"clickatell", "109", "Missing message ID", "The request named no message.", PERM},
    {"clickatell", "110", "Error with email message",
     "Clickatell could not process a message sent through its e-mail interface.", PERM},
    {"clickatell", "111", "Invalid protocol", "The request used a protocol Clickatell refuses.",
     PERM},
    {"clickatell", "112", "Invalid message type", "The message type (msg_type) is not valid.",
     PERM},
    {"clickatell", "113", "Maximum message parts exceeded",
     "The text needs more parts than the request allowed (concat), or more than Clickatell "
     "accepts.",
     PERM},
    {"clickatell", "114", "Cannot route message",
     "Clickatell has no route to the recipient's network for this account.", PERM},
    {"clickatell", "115", "Message expired", "The message expired before Clickatell could send it.",
     PERM},
    {"clickatell", "116", "Invalid Unicode data", "The UCS-2 text of the message is malformed.",
     PERM},
    {"clickatell", "120", "Invalid delivery time", "The requested delivery time is not valid.",
     PERM},
    {"clickatell", "121", "Destination mobile number blocked",
     "Messages to this number are blocked on the account or by Clickatell.", PERM},
    {"clickatell", "122", "Destination mobile opted out",
     "The recipient opted out of messages from this account. Nothing is sent until they opt in "
     "again.",
     PERM},
    {"clickatell", "123", "Invalid sender ID",
     "The sender ID is not registered or not allowed for this account or destination.", PERM},
    {"clickatell", "128", "Number delisted",
     "The recipient's number has been removed from service by its network.", PERM},
    {"clickatell", "130", "Maximum MT limit exceeded",
     "The account reached its limit of outgoing messages until the time Clickatell gives. A "
     "later attempt can succeed.",
     TEMP},
    {"clickatell", "201", "Invalid batch ID", "The batch named in the request does not exist.",
     PERM},
    {"clickatell", "202", "No batch template", "The batch has no message template.", PERM},
    {"clickatell", "301", "No credit left",
     "The Clickatell account has no credit. Nothing is sent until it is topped up.", PERM},
    {"clickatell", "302", "Max allowed credit",
     "The message would cost more credits than the request allowed (max_credits).", PERM},
    {"clickatell", "901", "Internal error",
     "Clickatell had an internal error and asks for the request to be retried.", TEMP},

    /* Clickatell message statuses. Only the failures end up as a message's
     * error_code; the others are listed so that every status can be looked up. */
    {"clickatell", "status-001", "Message unknown",
     "Clickatell cannot yet say anything about the message: a wrong ID, or its report is "
     "delayed.",
     TEMP},
    {"clickatell", "status-002", "Message queued",
     "The message could not be delivered yet and is queued for another attempt.", TEMP},
    {"clickatell", "status-003", "Delivered to gateway",
     "The message reached the upstream gateway or network; the handset has not confirmed it yet.",
     TEMP},
    {"clickatell", "status-004", "Received by recipient",
     "Not an error: the handset confirmed receipt, so the message is delivered.", PERM},
    {"clickatell", "status-005", "Error with message",
     "Clickatell could not send the message, probably because of its content. Sending the same "
     "content again is likely to fail again.",
     PERM},
    {"clickatell", "status-006", "User cancelled message delivery",
     "The message was cancelled (deleted through the API or by Clickatell staff) before it was "
     "delivered.",
     PERM},
    {"clickatell", "status-007", "Error delivering message",
     "The network could not deliver the message to the handset, which may be switched off or "
     "out of coverage. A later attempt may be delivered.",
     TEMP},
    {"clickatell", "status-008", "Received by gateway",
     "Clickatell received the message and will send it on.", TEMP},
    {"clickatell", "status-009", "Routing error",
     "Clickatell could not route the message to the recipient's network.", PERM},
    {"clickatell", "status-010", "Message expired",
     "The message expired before the handset could be reached; Clickatell does not charge for "
     "it. A later attempt may be delivered.",
     TEMP},
    {"clickatell", "status-011", "Message queued for later delivery",
     "The message is scheduled and waits for its delivery time.", TEMP},
    {"clickatell", "status-012", "Out of credit",
     "The account ran out of credit before the message could be sent.", PERM},
    {"clickatell", "status-014", "Maximum MT limit exceeded",
     "The account reached its limit of outgoing messages. A later attempt can succeed.", TEMP},

    /* Clickatell Platform and One API error codes. */
    {"clickatell", "platform-1", "Invalid or missing integration API key",
     "Clickatell does not know the API key. The provider's configuration must be corrected.", PERM},
    {"clickatell", "platform-2", "Account is not active", "The Clickatell account is not active.",
     PERM},
    {"clickatell", "platform-3", "Integration is not active",
     "The integration that owns the API key is not active. Activate it in the Clickatell portal.",
     PERM},
    {"clickatell", "platform-7", "Originating IP address is not approved",
     "The integration only accepts requests from approved IP addresses, and this server's is not "
     "one of them.",
     PERM},
    {"clickatell", "platform-18", "Internal error",
     "Clickatell had an internal error and did not ask for a retry. Contact Clickatell if it "
     "persists.",
     PERM},
    {"clickatell", "platform-19", "Internal error, please retry",
     "Clickatell had an internal error and asks for the request to be retried.", TEMP},
    {"clickatell", "platform-20", "Insufficient account balance",
     "The account's balance does not cover the message. Nothing is sent until it is topped up.",
     PERM},
    {"clickatell", "platform-21", "Payload data is malformed",
     "Clickatell could not read the request.", PERM},
    {"clickatell", "platform-22", "Maximum messages per request exceeded",
     "The request held more messages than Clickatell accepts at once.", PERM},
    {"clickatell", "platform-23", "Invalid or missing parameter",
     "A required parameter was missing or malformed, for example the recipient.", PERM},
    {"clickatell", "platform-24", "Maximum content size exceeded",
     "The message is longer than Clickatell accepts.", PERM},
    {"clickatell", "platform-25", "Invalid recipient",
     "The recipient is not a valid phone number for the channel.", PERM},
    {"clickatell", "platform-26", "Recipient opted out",
     "The recipient opted out of messages from this integration. Nothing is sent until they opt "
     "in again.",
     PERM},
    {"clickatell", "platform-27", "Recipient not available on channel",
     "The recipient cannot be reached on the requested channel.", PERM},
    {"clickatell", "platform-28", "Recipient not available on sandbox",
     "A sandbox integration may only send to the numbers registered for testing.", PERM},
    {"clickatell", "platform-30", "Content type not supported",
     "The channel does not support this kind of content.", PERM},
    {"clickatell", "platform-31", "Media size limit exceeded",
     "The attached media is larger than the channel allows.", PERM},
    {"clickatell", "platform-32", "Media size limit exceeded",
     "The attached media is larger than Clickatell allows.", PERM},
    {"clickatell", "platform-33", "Media not found", "The attached media could not be found.",
     PERM},
    {"clickatell", "platform-38", "Channel feature not active",
     "The feature used is not active for this channel.", PERM},
    {"clickatell", "platform-39", "Channel not available on integration",
     "The integration is not set up for the requested channel.", PERM},
    {"clickatell", "platform-40", "Charset not supported",
     "Clickatell does not support the character set of the request.", PERM},
    {"clickatell", "platform-41", "Resource does not exist",
     "The requested resource does not exist, for example a wrong base URL.", PERM},
    {"clickatell", "platform-42", "HTTP method not supported",
     "The resource does not accept the HTTP method used.", PERM},
    {"clickatell", "platform-43", "Rate limit exceeded",
     "The integration sent more requests than Clickatell allows. The request was not processed "
     "and is safe to retry after backing off.",
     TEMP},
    {"clickatell", "platform-44", "From number suspended", "The sender number is suspended.", PERM},
    {"clickatell", "platform-45", "From number not related to integration",
     "The sender number does not belong to this integration.", PERM},
    {"clickatell", "platform-46", "Demo access expired", "The account's demo access has expired.",
     PERM},
    {"clickatell", "platform-100", "Maximum message parts exceeded",
     "The text needs more parts than Clickatell allows.", PERM},
    {"clickatell", "platform-101", "Destination does not support two-way messaging",
     "A two-way sender cannot reach this destination.", PERM},
    {"clickatell", "platform-110", "USA messaging needs a two-way integration",
     "Messages to the USA must be sent through a two-way integration.", PERM},
    {"clickatell", "platform-111", "USA messaging needs STOP handling",
     "Messages to the USA need opt-out (STOP) handling enabled on the integration.", PERM},

    /* smsgate's own codes, for a message it stopped trying to send. */
    {"smsgate", "retry_budget_exhausted", "Retry budget exhausted",
     "The provider kept answering with a transient failure (429, 5xx, a timeout, a refused "
     "connection) for longer than the provider's retry_for_seconds (24 hours unless set), or for "
     "--max-attempts attempts, so smsgate stopped retrying. The message ends with the provider's "
     "last error. Sending it again once the provider has recovered can succeed.",
     TEMP},
    {"smsgate", "expired", "Validity period ran out",
     "The message's validity_seconds ran out before it could be sent (the provider was failing, "
     "or the message waited too long), so smsgate never sent it.",
     PERM},
};

#define N_CODES (sizeof catalogue / sizeof catalogue[0])

const sg_errcode *sg_errcode_find(const char *provider, const char *code)
{
    if (!provider || !code)
        return NULL;
    for (size_t i = 0; i < N_CODES; i++) {
        if (strcmp(catalogue[i].code, code) == 0 && strcmp(catalogue[i].provider, provider) == 0)
            return &catalogue[i];
    }
    return NULL;
}

const sg_errcode *sg_errcodes(size_t *n)
{
    *n = N_CODES;
    return catalogue;
}

const char *sg_errclass_name(sg_errclass cls)
{
    return cls == SG_ERRCLASS_TEMPORARY ? "temporary" : "permanent";
}

const char *sg_errcode_describe(const char *code)
{
    if (!code)
        return NULL;
    if (strcmp(code, "opted_out") == 0)
        return "The recipient opted out; smsgate did not send the message.";
    const sg_errcode *ec = sg_errcode_find("twilio", code);
    if (!ec)
        ec = sg_errcode_find("clickatell", code);
    if (!ec)
        ec = sg_errcode_find("smsgate", code);
    return ec ? ec->title : NULL;
}
