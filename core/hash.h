/*
 * hash.h - SHA-256 content hashes, as lower-case hex strings.
 *
 * Used for document identity (identical content under two paths is stored
 * once), chunk identity (later: caches keyed by chunk hash) and download
 * checks. Backed by OpenSSL's libcrypto, which uses the CPU's SHA
 * instructions where present. Thread-safe.
 */
#ifndef DOCENT_CORE_HASH_H
#define DOCENT_CORE_HASH_H

#include <stddef.h>

#define HASH_HEX_LEN 64

/* Writes the SHA-256 of p[0..n) as 64 hex digits and a NUL into out. */
void hash_sha256_hex(const void *p, size_t n, char out[HASH_HEX_LEN + 1]);

/* Incremental form, for files read in pieces. */
typedef struct hash_ctx hash_ctx;
int hash_new(hash_ctx **out);                 /* 0 or DOCENT_ENOMEM */
void hash_update(hash_ctx *h, const void *p, size_t n);
void hash_final_hex(hash_ctx *h, char out[HASH_HEX_LEN + 1]); /* also resets */
void hash_free(hash_ctx *h);

#endif
