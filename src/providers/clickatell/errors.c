/* Clickatell's rows of the error-code catalogue (providers.md B.1-B.3), shared by
 * both Clickatell kinds (sg_clickatell_kind.errors, sg_clickatell_platform_kind.errors):
 * one provider, one catalogue name ("clickatell"). Temporary means the same message
 * may go through if sent again later.
 *
 * The send class (docs/routing.md) says who is at fault when Clickatell answers a
 * send request with the code: RCPT the number or the content (final), PROV the
 * account, the integration, its senders or a request smsgate built for it (another
 * provider may send it), RETRY a hiccup Clickatell asks to retry. Message statuses
 * ("status-NNN") only come in callbacks, after acceptance: NONE, never failed over. */
#include "providers/clickatell/clickatell.h"

#define TEMP  SG_ERRCLASS_TEMPORARY
#define PERM  SG_ERRCLASS_PERMANENT
#define RCPT  SG_SENDCLASS_RECIPIENT
#define PROV  SG_SENDCLASS_PROVIDER
#define RETRY SG_SENDCLASS_RETRY
#define NONE  SG_SENDCLASS_NONE

const sg_errcode sg_clickatell_errors[] = {
    /* Three families of numbers share the
     * "clickatell" provider and overlap (001, 101, 7 ...), so each is written its
     * own way: the legacy HTTP API's "ERR: NNN" codes as Clickatell writes them
     * ("001"); message statuses (legacy callback "status", Platform "statusCode")
     * as "status-NNN"; Platform and One API error codes as "platform-N". */
    {"clickatell", "001", "Authentication failed",
     "Clickatell rejected the user name, password and API ID. The provider's configuration must "
     "be corrected.",
     PERM, PROV},
    {"clickatell", "002", "Unknown username or password",
     "The user name or password is not known to Clickatell. The provider's configuration must be "
     "corrected.",
     PERM, PROV},
    {"clickatell", "003", "Session ID expired",
     "A session ID timed out. smsgate authenticates every request, so sending again starts "
     "afresh.",
     TEMP, RETRY},
    {"clickatell", "004", "Account frozen",
     "The Clickatell account is frozen. Nothing is sent until Clickatell unfreezes it.", PERM,
     PROV},
    {"clickatell", "005", "Missing session ID",
     "The request had no session ID and no user name and password.", PERM, PROV},
    {"clickatell", "007", "IP lockdown violation",
     "The account only accepts requests from listed IP addresses, and this server's address is "
     "not one of them. Add it in the Clickatell account settings.",
     PERM, PROV},
    {"clickatell", "101", "Invalid or missing parameters",
     "A required parameter was missing or malformed.", PERM, PROV},
    {"clickatell", "102", "Invalid user data header",
     "The user data header (udh) of the message is malformed.", PERM, PROV},
    {"clickatell", "103", "Unknown API message ID",
     "Clickatell does not know the message ID that was asked about.", PERM, PROV},
    {"clickatell", "104", "Unknown client message ID",
     "Clickatell does not know the client message ID that was asked about.", PERM, PROV},
    {"clickatell", "105", "Invalid destination address",
     "The recipient is not a valid international phone number.", PERM, RCPT},
    {"clickatell", "106", "Invalid source address",
     "The sender is not a valid phone number or sender ID for this account.", PERM, PROV},
    {"clickatell", "107", "Empty message", "The message had no text.", PERM, RCPT},
    {"clickatell", "108", "Invalid or missing API ID",
     "The API ID is wrong or missing. Use the ID of the account's HTTP API.", PERM, PROV},
    {"clickatell", "109", "Missing message ID", "The request named no message.", PERM, PROV},
    {"clickatell", "110", "Error with email message",
     "Clickatell could not process a message sent through its e-mail interface.", PERM, PROV},
    {"clickatell", "111", "Invalid protocol", "The request used a protocol Clickatell refuses.",
     PERM, PROV},
    {"clickatell", "112", "Invalid message type", "The message type (msg_type) is not valid.", PERM,
     PROV},
    {"clickatell", "113", "Maximum message parts exceeded",
     "The text needs more parts than the request allowed (concat), or more than Clickatell "
     "accepts.",
     PERM, PROV},
    {"clickatell", "114", "Cannot route message",
     "Clickatell has no route to the recipient's network for this account.", PERM, PROV},
    {"clickatell", "115", "Message expired", "The message expired before Clickatell could send it.",
     PERM, PROV},
    {"clickatell", "116", "Invalid Unicode data", "The UCS-2 text of the message is malformed.",
     PERM, PROV},
    {"clickatell", "120", "Invalid delivery time", "The requested delivery time is not valid.",
     PERM, PROV},
    {"clickatell", "121", "Destination mobile number blocked",
     "Messages to this number are blocked on the account or by Clickatell.", PERM, RCPT},
    {"clickatell", "122", "Destination mobile opted out",
     "The recipient opted out of messages from this account. Nothing is sent until they opt in "
     "again.",
     PERM, RCPT},
    {"clickatell", "123", "Invalid sender ID",
     "The sender ID is not registered or not allowed for this account or destination.", PERM, PROV},
    {"clickatell", "128", "Number delisted",
     "The recipient's number has been removed from service by its network.", PERM, RCPT},
    {"clickatell", "130", "Maximum MT limit exceeded",
     "The account reached its limit of outgoing messages until the time Clickatell gives. A "
     "later attempt can succeed.",
     TEMP, PROV},
    {"clickatell", "201", "Invalid batch ID", "The batch named in the request does not exist.",
     PERM, PROV},
    {"clickatell", "202", "No batch template", "The batch has no message template.", PERM, PROV},
    {"clickatell", "301", "No credit left",
     "The Clickatell account has no credit. Nothing is sent until it is topped up.", PERM, PROV},
    {"clickatell", "302", "Max allowed credit",
     "The message would cost more credits than the request allowed (max_credits).", PERM, PROV},
    {"clickatell", "901", "Internal error",
     "Clickatell had an internal error and asks for the request to be retried.", TEMP, RETRY},

    /* Clickatell message statuses. Only the failures end up as a message's
     * error_code; the others are listed so that every status can be looked up. */
    {"clickatell", "status-001", "Message unknown",
     "Clickatell cannot yet say anything about the message: a wrong ID, or its report is "
     "delayed.",
     TEMP, NONE},
    {"clickatell", "status-002", "Message queued",
     "The message could not be delivered yet and is queued for another attempt.", TEMP, NONE},
    {"clickatell", "status-003", "Delivered to gateway",
     "The message reached the upstream gateway or network; the handset has not confirmed it yet.",
     TEMP, NONE},
    {"clickatell", "status-004", "Received by recipient",
     "Not an error: the handset confirmed receipt, so the message is delivered.", PERM, NONE},
    {"clickatell", "status-005", "Error with message",
     "Clickatell could not send the message, probably because of its content. Sending the same "
     "content again is likely to fail again.",
     PERM, NONE},
    {"clickatell", "status-006", "User cancelled message delivery",
     "The message was cancelled (deleted through the API or by Clickatell staff) before it was "
     "delivered.",
     PERM, NONE},
    {"clickatell", "status-007", "Error delivering message",
     "The network could not deliver the message to the handset, which may be switched off or "
     "out of coverage. A later attempt may be delivered.",
     TEMP, NONE},
    {"clickatell", "status-008", "Received by gateway",
     "Clickatell received the message and will send it on.", TEMP, NONE},
    {"clickatell", "status-009", "Routing error",
     "Clickatell could not route the message to the recipient's network.", PERM, NONE},
    {"clickatell", "status-010", "Message expired",
     "The message expired before the handset could be reached; Clickatell does not charge for "
     "it. A later attempt may be delivered.",
     TEMP, NONE},
    {"clickatell", "status-011", "Message queued for later delivery",
     "The message is scheduled and waits for its delivery time.", TEMP, NONE},
    {"clickatell", "status-012", "Out of credit",
     "The account ran out of credit before the message could be sent.", PERM, NONE},
    {"clickatell", "status-014", "Maximum MT limit exceeded",
     "The account reached its limit of outgoing messages. A later attempt can succeed.", TEMP,
     NONE},

    /* Clickatell Platform and One API error codes. */
    {"clickatell", "platform-1", "Invalid or missing integration API key",
     "Clickatell does not know the API key. The provider's configuration must be corrected.", PERM,
     PROV},
    {"clickatell", "platform-2", "Account is not active", "The Clickatell account is not active.",
     PERM, PROV},
    {"clickatell", "platform-3", "Integration is not active",
     "The integration that owns the API key is not active. Activate it in the Clickatell portal.",
     PERM, PROV},
    {"clickatell", "platform-7", "Originating IP address is not approved",
     "The integration only accepts requests from approved IP addresses, and this server's is not "
     "one of them.",
     PERM, PROV},
    {"clickatell", "platform-18", "Internal error",
     "Clickatell had an internal error and did not ask for a retry. Contact Clickatell if it "
     "persists.",
     PERM, PROV},
    {"clickatell", "platform-19", "Internal error, please retry",
     "Clickatell had an internal error and asks for the request to be retried.", TEMP, RETRY},
    {"clickatell", "platform-20", "Insufficient account balance",
     "The account's balance does not cover the message. Nothing is sent until it is topped up.",
     PERM, PROV},
    {"clickatell", "platform-21", "Payload data is malformed",
     "Clickatell could not read the request.", PERM, PROV},
    {"clickatell", "platform-22", "Maximum messages per request exceeded",
     "The request held more messages than Clickatell accepts at once.", PERM, PROV},
    {"clickatell", "platform-23", "Invalid or missing parameter",
     "A required parameter was missing or malformed, for example the recipient.", PERM, PROV},
    {"clickatell", "platform-24", "Maximum content size exceeded",
     "The message is longer than Clickatell accepts.", PERM, RCPT},
    {"clickatell", "platform-25", "Invalid recipient",
     "The recipient is not a valid phone number for the channel.", PERM, RCPT},
    {"clickatell", "platform-26", "Recipient opted out",
     "The recipient opted out of messages from this integration. Nothing is sent until they opt "
     "in again.",
     PERM, RCPT},
    {"clickatell", "platform-27", "Recipient not available on channel",
     "The recipient cannot be reached on the requested channel.", PERM, RCPT},
    {"clickatell", "platform-28", "Recipient not available on sandbox",
     "A sandbox integration may only send to the numbers registered for testing.", PERM, PROV},
    {"clickatell", "platform-30", "Content type not supported",
     "The channel does not support this kind of content.", PERM, PROV},
    {"clickatell", "platform-31", "Media size limit exceeded",
     "The attached media is larger than the channel allows.", PERM, RCPT},
    {"clickatell", "platform-32", "Media size limit exceeded",
     "The attached media is larger than Clickatell allows.", PERM, RCPT},
    {"clickatell", "platform-33", "Media not found", "The attached media could not be found.", PERM,
     RCPT},
    {"clickatell", "platform-38", "Channel feature not active",
     "The feature used is not active for this channel.", PERM, PROV},
    {"clickatell", "platform-39", "Channel not available on integration",
     "The integration is not set up for the requested channel.", PERM, PROV},
    {"clickatell", "platform-40", "Charset not supported",
     "Clickatell does not support the character set of the request.", PERM, PROV},
    {"clickatell", "platform-41", "Resource does not exist",
     "The requested resource does not exist, for example a wrong base URL.", PERM, PROV},
    {"clickatell", "platform-42", "HTTP method not supported",
     "The resource does not accept the HTTP method used.", PERM, PROV},
    {"clickatell", "platform-43", "Rate limit exceeded",
     "The integration sent more requests than Clickatell allows. The request was not processed "
     "and is safe to retry after backing off.",
     TEMP, RETRY},
    {"clickatell", "platform-44", "From number suspended", "The sender number is suspended.", PERM,
     PROV},
    {"clickatell", "platform-45", "From number not related to integration",
     "The sender number does not belong to this integration.", PERM, PROV},
    {"clickatell", "platform-46", "Demo access expired", "The account's demo access has expired.",
     PERM, PROV},
    {"clickatell", "platform-100", "Maximum message parts exceeded",
     "The text needs more parts than Clickatell allows.", PERM, RCPT},
    {"clickatell", "platform-101", "Destination does not support two-way messaging",
     "A two-way sender cannot reach this destination.", PERM, PROV},
    {"clickatell", "platform-110", "USA messaging needs a two-way integration",
     "Messages to the USA must be sent through a two-way integration.", PERM, PROV},
    {"clickatell", "platform-111", "USA messaging needs STOP handling",
     "Messages to the USA need opt-out (STOP) handling enabled on the integration.", PERM, PROV},
    {NULL, NULL, NULL, NULL, 0, 0},
};
