#include "providers/twilio/signature.h"
#include "util/buf.h"
#include "util/crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define URL_MAX 4096

static int pair_cmp(const void *a, const void *b)
{
    const sg_form_pair *x = *(const sg_form_pair *const *)a;
    const sg_form_pair *y = *(const sg_form_pair *const *)b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

void sg_twilio_sign(const char *auth_token, const char *url, const sg_form *params,
                    char out[SG_TWILIO_SIG_MAX])
{
    out[0] = '\0';
    size_t n = params ? params->n : 0;
    const sg_form_pair **sorted = calloc(n ? n : 1, sizeof *sorted);
    if (!sorted)
        return;
    for (size_t i = 0; i < n; i++)
        sorted[i] = &params->pairs[i];
    qsort(sorted, n, sizeof *sorted, pair_cmp);
    sg_buf data;
    sg_buf_init(&data, 1 << 20);
    sg_err err = sg_buf_append_str(&data, url);
    for (size_t i = 0; i < n && !err; i++) {
        /* Twilio's libraries sign a repeated key's distinct values only
         * (twilio-node: Array.from(new Set(values)).sort()). */
        if (i > 0 && pair_cmp(&sorted[i - 1], &sorted[i]) == 0)
            continue;
        err = sg_buf_append_str(&data, sorted[i]->key);
        if (!err)
            err = sg_buf_append_str(&data, sorted[i]->value);
    }
    free(sorted);
    if (!err) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int mac_len = 0;
        if (HMAC(EVP_sha1(), auth_token, (int)strlen(auth_token),
                 (const unsigned char *)sg_buf_cstr(&data), data.len, mac, &mac_len))
            sodium_bin2base64(out, SG_TWILIO_SIG_MAX, mac, mac_len, sodium_base64_VARIANT_ORIGINAL);
    }
    sg_buf_free(&data);
}

/* Split url into scheme ("https"), user information with its '@' ("" if none),
 * host without port, port ("" if none) and the rest (path, query, fragment).
 * False if it is not an absolute URL or a part does not fit. */
static bool split_url(const char *url, char *scheme, size_t sl, char *user, size_t ul, char *host,
                      size_t hl, char *port, size_t pl, const char **rest)
{
    const char *sep = strstr(url, "://");
    if (!sep || sep == url || (size_t)(sep - url) >= sl)
        return false;
    snprintf(scheme, sl, "%.*s", (int)(sep - url), url);
    const char *auth = sep + 3;
    const char *path = auth + strcspn(auth, "/?#");
    /* "user:pass@host": the last '@' before the path ends the user information,
     * whose ':' is not a port separator */
    const char *at = NULL;
    for (const char *p = auth; p < path; p++) {
        if (*p == '@')
            at = p;
    }
    if (at) {
        if ((size_t)(at + 1 - auth) >= ul)
            return false;
        snprintf(user, ul, "%.*s", (int)(at + 1 - auth), auth);
        auth = at + 1;
    } else {
        user[0] = '\0';
    }
    const char *colon = memchr(auth, ':', (size_t)(path - auth));
    if (auth[0] == '[') { /* IPv6 literal: the port colon comes after ']' */
        const char *close = memchr(auth, ']', (size_t)(path - auth));
        colon = close && close + 1 < path && close[1] == ':' ? close + 1 : NULL;
    }
    const char *host_end = colon ? colon : path;
    if ((size_t)(host_end - auth) >= hl || (colon && (size_t)(path - colon - 1) >= pl))
        return false;
    snprintf(host, hl, "%.*s", (int)(host_end - auth), auth);
    if (colon)
        snprintf(port, pl, "%.*s", (int)(path - colon - 1), colon + 1);
    else
        port[0] = '\0';
    *rest = path;
    return true;
}

/* Percent-encode s the way Node's querystring.escape (and encodeURIComponent)
 * does: A-Z a-z 0-9 and - _ . ! ~ * ' ( ) stay as they are, everything else,
 * space included, becomes %XX. */
static void qs_escape(sg_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            strchr("-_.!~*'()", c)) {
            sg_buf_append(b, s, 1);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            sg_buf_append(b, esc, sizeof esc);
        }
    }
}

/* rest (path, query, fragment) with the query re-encoded as Node's
 * querystring.stringify(querystring.parse(query)) would: values decoded, then
 * encoded with qs_escape, the pairs of a repeated key brought together at its
 * first place. A query that does not parse is kept as it is. (Node also moves
 * integer-like keys to the front; Twilio's parameters are never such keys.) */
static void legacy_query(const char *rest, sg_buf *out)
{
    const char *q = strchr(rest, '?');
    if (!q) {
        sg_buf_append_str(out, rest);
        return;
    }
    const char *frag = strchr(q, '#');
    size_t qlen = frag ? (size_t)(frag - q - 1) : strlen(q + 1);
    sg_buf_append(out, rest, (size_t)(q - rest) + 1);
    sg_form f;
    if (sg_form_parse(q + 1, qlen, &f) != SG_OK) {
        sg_buf_append(out, q + 1, qlen);
    } else {
        bool first = true;
        for (size_t i = 0; i < f.n; i++) {
            bool seen = false;
            for (size_t j = 0; j < i && !seen; j++)
                seen = strcmp(f.pairs[j].key, f.pairs[i].key) == 0;
            if (seen)
                continue;
            for (size_t j = i; j < f.n; j++) {
                if (strcmp(f.pairs[j].key, f.pairs[i].key) != 0)
                    continue;
                if (!first)
                    sg_buf_append(out, "&", 1);
                first = false;
                qs_escape(out, f.pairs[j].key);
                sg_buf_append(out, "=", 1);
                qs_escape(out, f.pairs[j].value);
            }
        }
        sg_form_free(&f);
    }
    if (frag)
        sg_buf_append_str(out, frag);
}

static bool matches(const char *token, const char *url, const sg_form *params,
                    const char *signature)
{
    char expected[SG_TWILIO_SIG_MAX];
    sg_twilio_sign(token, url, params, expected);
    size_t len = strlen(expected);
    return len > 0 && strlen(signature) == len && sg_ct_equal(expected, signature, len);
}

bool sg_twilio_signature_valid(const char *auth_token, const char *url, const sg_form *params,
                               const char *signature)
{
    if (!auth_token || !*auth_token || !signature || !*signature || strlen(url) > URL_MAX)
        return false;
    if (matches(auth_token, url, params, signature))
        return true;
    char scheme[16], user[512], host[512], port[16];
    const char *rest;
    if (!split_url(url, scheme, sizeof scheme, user, sizeof user, host, sizeof host, port,
                   sizeof port, &rest))
        return false;
    const char *default_port = strcasecmp(scheme, "https") == 0 ? "443" : "80";
    bool ok = false;
    for (int variant = 0; variant < 4 && !ok; variant++) {
        bool with_port = variant & 1, legacy = variant & 2;
        sg_buf u;
        sg_buf_init(&u, URL_MAX * 4);
        sg_buf_printf(&u, "%s://%s%s", scheme, user, host);
        if (with_port)
            sg_buf_printf(&u, ":%s", port[0] ? port : default_port);
        if (legacy)
            legacy_query(rest, &u);
        else
            sg_buf_append_str(&u, rest);
        ok = matches(auth_token, sg_buf_cstr(&u), params, signature);
        sg_buf_free(&u);
    }
    return ok;
}
