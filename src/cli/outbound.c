#include "cli/outbound.h"
#include "cli/cli.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* "host:port" / "[v6]:port" -> host (brackets removed) and port. */
static bool split_listen(const char *listen, char *host, size_t cap, uint16_t *port)
{
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || !colon[1])
        return false;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 0 || p > 65535)
        return false;
    size_t n = (size_t)(colon - listen);
    if (n >= 2 && listen[0] == '[' && listen[n - 1] == ']') {
        listen++;
        n -= 2;
    }
    if (n >= cap)
        return false;
    memcpy(host, listen, n);
    host[n] = '\0';
    if (strcmp(host, "localhost") == 0)
        snprintf(host, cap, "127.0.0.1");
    *port = (uint16_t)p;
    return true;
}

/* Every address of the host's interfaces (a wildcard listen answers on each). */
static void add_interfaces(sg_outbound_policy *p, uint16_t port)
{
    struct ifaddrs *list = NULL;
    if (getifaddrs(&list) != 0)
        return;
    for (struct ifaddrs *i = list; i; i = i->ifa_next) {
        char text[INET6_ADDRSTRLEN] = "";
        if (!i->ifa_addr)
            continue;
        if (i->ifa_addr->sa_family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, text, sizeof text);
        else if (i->ifa_addr->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, text,
                      sizeof text);
        if (text[0])
            sg_outbound_self_add(p, text, port);
    }
    freeifaddrs(list);
}

int sg_cli_outbound_policy(const char *allow, const char *listen, sg_outbound_policy *p)
{
    memset(p, 0, sizeof *p);
    char err[160];
    if (!sg_outbound_allow_parse(p, allow, err, sizeof err)) {
        fprintf(stderr, "smsgate: --outbound-allow: %s\n", err);
        return SG_EXIT_USAGE;
    }
    char host[128];
    uint16_t port;
    if (!split_listen(listen, host, sizeof host, &port))
        return 0;
    if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0) {
        sg_outbound_self_add(p, "127.0.0.0/8", port);
        sg_outbound_self_add(p, "::1", port);
        add_interfaces(p, port);
    } else {
        sg_outbound_self_add(p, host, port);
    }
    return 0;
}
