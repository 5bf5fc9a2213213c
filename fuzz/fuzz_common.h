/* Shared by the libFuzzer drivers in fuzz/. Not part of smsgate itself.
 *
 * A driver reports a broken contract with FUZZ_CHECK: it prints which contract
 * and where, then aborts, so libFuzzer saves the input as a crash and ASan prints
 * the stack. Some contract checks go beyond memory safety (e.g. "a JSON string
 * with an embedded NUL is refused, not cut short"); each of those has a short
 * name and can be switched off with SG_FUZZ_SKIP=name1,name2 while the bug it
 * found is open (docs/internals/fuzzing.md lists them). */
#ifndef SG_FUZZ_COMMON_H
#define SG_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "\nFUZZ CONTRACT BROKEN at %s:%d: %s\n  ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* True unless the named contract check is listed in SG_FUZZ_SKIP. */
static inline bool fuzz_check_enabled(const char *name)
{
    const char *skip = getenv("SG_FUZZ_SKIP");
    size_t n = strlen(name);
    while (skip && *skip) {
        const char *end = strchr(skip, ',');
        size_t len = end ? (size_t)(end - skip) : strlen(skip);
        if (len == n && strncmp(skip, name, n) == 0)
            return false;
        skip = end ? end + 1 : NULL;
    }
    return true;
}

/* A malloc'd NUL-terminated copy of data (the harness's, freed by the caller). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* A malloc'd copy of exactly size bytes, not NUL-terminated, so that ASan sees
 * any read past the end (freed by the caller). */
static inline char *fuzz_exact_copy(const uint8_t *data, size_t size)
{
    char *s = malloc(size ? size : 1);
    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    return s;
}

/* True if the NUL-terminated array a[cap] holds a NUL. */
#define FUZZ_TERMINATED(a) (memchr((a), '\0', sizeof(a)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
