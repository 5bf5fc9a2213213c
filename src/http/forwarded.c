#include "http/forwarded.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Copy the hop xff[start..end) as a bare address into out; false if it is not an
 * IP address. Strips spaces, "[...]" around IPv6 and a ":port" after IPv4. */
static bool hop_address(const char *start, const char *end, char out[SG_ADDR_TEXT_MAX])
{
    while (start < end && *start == ' ')
        start++;
    while (end > start && end[-1] == ' ')
        end--;
    if (start < end && *start == '[') {
        const char *close = memchr(start, ']', (size_t)(end - start));
        if (!close)
            return false;
        start++;
        end = close;
    }
    size_t len = (size_t)(end - start);
    if (len == 0 || len >= SG_ADDR_TEXT_MAX)
        return false;
    char text[SG_ADDR_TEXT_MAX];
    memcpy(text, start, len);
    text[len] = '\0';
    unsigned char bin[16];
    char *colon = strchr(text, ':');
    if (colon && !strchr(colon + 1, ':'))
        *colon = '\0'; /* a.b.c.d:port */
    if (inet_pton(AF_INET, text, bin) != 1 && inet_pton(AF_INET6, text, bin) != 1)
        return false;
    memcpy(out, text, strlen(text) + 1);
    return true;
}

void sg_forwarded_client(const char *peer, const char *xff, const sg_cidr *trusted, size_t n,
                         char out[SG_ADDR_TEXT_MAX])
{
    snprintf(out, SG_ADDR_TEXT_MAX, "%s", peer ? peer : "");
    if (!xff || !*xff || !sg_cidr_list_contains(trusted, n, out))
        return;
    const char *end = xff + strlen(xff);
    while (end > xff) {
        const char *start = end;
        while (start > xff && start[-1] != ',')
            start--;
        char hop[SG_ADDR_TEXT_MAX];
        if (!hop_address(start, end, hop))
            return;
        memcpy(out, hop, strlen(hop) + 1);
        if (!sg_cidr_list_contains(trusted, n, hop))
            return;
        end = start > xff ? start - 1 : xff;
    }
}
