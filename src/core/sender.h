/* Choosing a sender from a provider's pool: the same recipient always gets the same
 * sender (customers see one conversation), and recipients spread evenly. */
#ifndef SG_CORE_SENDER_H
#define SG_CORE_SENDER_H

#include <stddef.h>

/* Index in [0, n) for recipient `to` (E.164); 0 when n <= 1. Stable across runs
 * and machines (FNV-1a of the number). Exactly: 64-bit FNV-1a (offset basis
 * 0xcbf29ce484222325, prime 0x100000001b3) over the bytes of `to` up to its NUL,
 * modulo n. Changing this moves conversations to other senders, so it is part of
 * the contract. A NULL `to` gives 0. */
size_t sg_sender_pick(const char *to, size_t n);

#endif
