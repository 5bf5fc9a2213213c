/* serve's outbound policy (core/outbound_policy.h) from its flags. */
#ifndef SG_CLI_OUTBOUND_H
#define SG_CLI_OUTBOUND_H

#include "core/outbound_policy.h"

/* Fill p from --outbound-allow (allow, "CIDR[,CIDR...]") and --listen (listen,
 * "HOST:PORT" or "[V6]:PORT"): smsgate's own address is the listen address, or,
 * for a wildcard listen (0.0.0.0, [::]), loopback and every address of the
 * host's interfaces, on the listen port. On a bad allow list: one line on
 * stderr and SG_EXIT_USAGE; 0 on success. A listen address that does not parse
 * adds nothing here (the HTTP server refuses it). */
int sg_cli_outbound_policy(const char *allow, const char *listen, sg_outbound_policy *p);

#endif
