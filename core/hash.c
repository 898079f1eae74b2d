/*
 * hash.c - SHA-256 through OpenSSL's EVP interface.
 */
#include "core/hash.h"
#include "core/error.h"

#include <openssl/evp.h>
#include <stdlib.h>

struct hash_ctx {
	EVP_MD_CTX *md;
};

static void to_hex(const unsigned char *d, unsigned n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void hash_sha256_hex(const void *p, size_t n, char out[HASH_HEX_LEN + 1])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	EVP_Digest(p, n, d, &len, EVP_sha256(), NULL);
	to_hex(d, len, out);
}

int hash_new(hash_ctx **out)
{
	hash_ctx *h = calloc(1, sizeof *h);

	*out = NULL;
	if (!h || !(h->md = EVP_MD_CTX_new())) {
		free(h);
		return docent_error_set(DOCENT_ENOMEM, "out of memory creating a hash");
	}
	EVP_DigestInit_ex(h->md, EVP_sha256(), NULL);
	*out = h;
	return 0;
}

void hash_update(hash_ctx *h, const void *p, size_t n)
{
	EVP_DigestUpdate(h->md, p, n);
}

void hash_final_hex(hash_ctx *h, char out[HASH_HEX_LEN + 1])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	EVP_DigestFinal_ex(h->md, d, &len);
	to_hex(d, len, out);
	EVP_DigestInit_ex(h->md, EVP_sha256(), NULL);
}

void hash_free(hash_ctx *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->md);
	free(h);
}
