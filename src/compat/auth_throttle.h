/* Failed authentication on the compatible endpoints, per client address
 * (core/signin.h's per-address rule): after 20 failures within 10 minutes an
 * address waits until the 10 minutes are over. One table for every compatible
 * surface (Twilio's and Clickatell's): a client failing on one is held back on
 * the others too, and every failure is counted in the one metric. */
#ifndef SG_COMPAT_AUTH_THROTTLE_H
#define SG_COMPAT_AUTH_THROTTLE_H

#include <stdint.h>

/* How long address must still wait (ms; 0: go on); now is monotonic ms. */
int64_t sg_compat_throttle_wait(const char *address, int64_t now);
/* Count a failed authentication from address (and in
 * smsgate_compat_auth_failures_total). */
void sg_compat_throttle_fail(const char *address, int64_t now);

#endif
