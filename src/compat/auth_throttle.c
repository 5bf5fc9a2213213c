#include "compat/auth_throttle.h"
#include "core/signin.h"
#include "util/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* A small table of counters hashed by address; a collision starts the other
 * address's count afresh, which only ever lets an attacker sharing a slot lose
 * its own count. */
#define SLOTS 256

typedef struct slot {
    char address[64];
    sg_throttle_state st;
} slot;

static slot slots[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static slot *slot_of(const char *address)
{
    size_t h = 5381;
    for (const char *p = address; *p; p++)
        h = h * 33 + (unsigned char)*p;
    return &slots[h % SLOTS];
}

int64_t sg_compat_throttle_wait(const char *address, int64_t now)
{
    pthread_mutex_lock(&lock);
    slot *s = slot_of(address);
    int64_t wait = strcmp(s->address, address) == 0 ? sg_throttle_wait_ms(&s->st, now) : 0;
    pthread_mutex_unlock(&lock);
    return wait;
}

void sg_compat_throttle_fail(const char *address, int64_t now)
{
    pthread_mutex_lock(&lock);
    slot *s = slot_of(address);
    if (strcmp(s->address, address) != 0) {
        memset(s, 0, sizeof *s);
        snprintf(s->address, sizeof s->address, "%s", address);
    }
    sg_throttle_fail(&sg_throttle_address, &s->st, now);
    pthread_mutex_unlock(&lock);
    sg_metrics_compat_auth_failed();
}
