#include "core/sender.h"

#include <stdint.h>

#define FNV64_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV64_PRIME  UINT64_C(0x100000001b3)

/* Plain 64-bit FNV-1a modulo n. With n a power of two only the low bits of each
 * byte reach the result, so numbers differing only in '0'/'4'/'8' at the end share
 * a sender; that does not hurt the spread over real populations of numbers (the
 * unit test checks it), and the formula is the one every other tool computes. */
size_t sg_sender_pick(const char *to, size_t n)
{
    if (n <= 1 || !to)
        return 0;
    uint64_t h = FNV64_OFFSET;
    for (const unsigned char *p = (const unsigned char *)to; *p; p++) {
        h ^= *p;
        h *= FNV64_PRIME;
    }
    return (size_t)(h % n);
}
