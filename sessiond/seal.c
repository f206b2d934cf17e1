/*
 * Cookie keys and sealing with libsodium; the formats are in seal.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "config.h"
#include "b64.h"
#include "seal.h"
#include "secret.h"

#define SEAL_KEY_LEN		crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define SEAL_MASTER_CONTEXT	"gatehouse cookie key v1"
#define SEAL_KDF_CONTEXT	"GHcookie"
#define SEAL_AD_MAX		(1 + SEAL_NAME_MAX + 1 + 8)
#define SEAL_B64		sodium_base64_VARIANT_URLSAFE_NO_PADDING

_Static_assert(SEAL_NONCE_LEN == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
    "nonce length");
_Static_assert(SEAL_TAG_LEN == crypto_aead_xchacha20poly1305_ietf_ABYTES,
    "tag length");
_Static_assert(SEAL_KEY_LEN == crypto_kdf_KEYBYTES, "master key length");
_Static_assert(sizeof(SEAL_KDF_CONTEXT) - 1 == crypto_kdf_CONTEXTBYTES,
    "KDF context length");
_Static_assert(sizeof(SEAL_MASTER_CONTEXT) - 1 >=
    crypto_generichash_KEYBYTES_MIN, "BLAKE2b key length");

/* The subkey of secret i for purpose p is key[i * SEAL_NPURPOSE + p - 1]. */
struct seal_keys {
	size_t		  n;
	unsigned char	(*key)[SEAL_KEY_LEN];	/* sodium_malloc, read-only */
};

static int	seal_ready;

int
seal_init(void)
{
	if (sodium_init() < 0)
		return (-1);
	seal_ready = 1;
	return (0);
}

/* The master key of a secret, then one subkey per purpose. */
static void
key_derive(const unsigned char *sec, size_t seclen,
    unsigned char (*sub)[SEAL_KEY_LEN])
{
	unsigned char	master[SEAL_KEY_LEN];
	uint64_t	id;

	crypto_generichash(master, sizeof(master), sec, seclen,
	    (const unsigned char *)SEAL_MASTER_CONTEXT,
	    sizeof(SEAL_MASTER_CONTEXT) - 1);
	for (id = 1; id <= SEAL_NPURPOSE; id++)
		crypto_kdf_derive_from_key(sub[id - 1], SEAL_KEY_LEN, id,
		    SEAL_KDF_CONTEXT, master);
	sodium_memzero(master, sizeof(master));
}

int
seal_keys_load(const struct conf_list *secrets, struct seal_keys **out,
    char *err, size_t errlen)
{
	struct seal_keys	*k;
	unsigned char		 sec[SECRET_BYTES_MAX];
	size_t			 i;
	int			 n;

	*out = NULL;
	if (!seal_ready) {
		snprintf(err, errlen, "seal: seal_init was not called");
		return (-1);
	}
	if (secrets == NULL || secrets->n == 0) {
		snprintf(err, errlen, "cookie_secrets: no secret");
		return (-1);
	}
	if (secrets->n > SECRET_KEYS_MAX) {
		snprintf(err, errlen, "cookie_secrets: more than %d secrets",
		    SECRET_KEYS_MAX);
		return (-1);
	}
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->key = sodium_malloc(secrets->n * SEAL_NPURPOSE *
	    SEAL_KEY_LEN)) == NULL) {
		snprintf(err, errlen, "cookie_secrets: out of memory");
		free(k);
		return (-1);
	}
	k->n = secrets->n;
	for (i = 0; i < secrets->n; i++) {
		if (secrets->v[i] == NULL ||
		    (n = secret_bytes(secrets->v[i], sec)) == -1) {
			snprintf(err, errlen, "cookie_secrets[%zu]: must be "
			    "16, 24 or 32 bytes, raw or base64", i);
			seal_keys_free(k);
			return (-1);
		}
		key_derive(sec, (size_t)n, &k->key[i * SEAL_NPURPOSE]);
		sodium_memzero(sec, sizeof(sec));
	}
	if (sodium_mprotect_readonly(k->key) != 0) {
		snprintf(err, errlen, "cookie_secrets: mprotect: %s",
		    strerror(errno));
		seal_keys_free(k);
		return (-1);
	}
	*out = k;
	return (0);
}

void
seal_keys_free(struct seal_keys *k)
{
	if (k == NULL)
		return;
	/* sodium_free makes the pages writable again and wipes them. */
	sodium_free(k->key);
	free(k);
}

size_t
seal_keys_count(const struct seal_keys *k)
{
	return (k == NULL ? 0 : k->n);
}

static const unsigned char *
key_at(const struct seal_keys *k, size_t i, enum seal_purpose p)
{
	return (k->key[i * SEAL_NPURPOSE + (size_t)p - 1]);
}

/*
 * The associated data; 0 when the arguments cannot be sealed with (no
 * such purpose, name missing or too long).
 */
static size_t
make_ad(unsigned char *ad, enum seal_purpose p, const char *name,
    int64_t expires)
{
	uint64_t	e = (uint64_t)expires;
	size_t		n, i;

	/* SEAL_STORE keys only seal_store's values, never a cookie. */
	if (p < SEAL_SESSION || p > SEAL_TICKET || name == NULL ||
	    (n = strnlen(name, SEAL_NAME_MAX + 1)) > SEAL_NAME_MAX)
		return (0);
	ad[0] = (unsigned char)p;
	memcpy(ad + 1, name, n);
	ad[1 + n] = '\0';
	for (i = 0; i < 8; i++)
		ad[2 + n + i] = (unsigned char)(e >> (56 - 8 * i));
	return (2 + n + 8);
}

int
seal(const struct seal_keys *k, enum seal_purpose p, const char *name,
    int64_t expires, const void *pt, size_t ptlen, char *out, size_t outlen)
{
	unsigned char		 ad[SEAL_AD_MAX];
	unsigned char		*bin;
	unsigned long long	 clen;
	size_t			 adlen, binlen, b64size;
	int			 hlen;

	if (!seal_ready || k == NULL || expires < 0 || ptlen > SEAL_PT_MAX ||
	    (pt == NULL && ptlen > 0) || out == NULL ||
	    (adlen = make_ad(ad, p, name, expires)) == 0)
		return (-1);
	binlen = SEAL_OVERHEAD + ptlen;
	b64size = sodium_base64_ENCODED_LEN(binlen, SEAL_B64);
	hlen = snprintf(out, outlen, "%" PRId64 ".", expires);
	if (hlen < 0 || (size_t)hlen >= outlen ||
	    outlen - (size_t)hlen < b64size)
		return (-1);
	if ((bin = malloc(binlen)) == NULL)
		return (-1);
	randombytes_buf(bin, SEAL_NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(bin + SEAL_NONCE_LEN, &clen,
	    pt, ptlen, ad, adlen, NULL, bin, key_at(k, 0, p));
	sodium_bin2base64(out + hlen, b64size, bin, binlen, SEAL_B64);
	free(bin);
	return (hlen + (int)b64size - 1);
}

/* Decimal, 1 to 19 digits, no sign, no leading zero, within int64. */
static int
parse_expires(const char *s, size_t n, int64_t *out)
{
	int64_t	v = 0;
	size_t	i;

	if (n == 0 || n > SEAL_EXPIRES_DIGITS || (s[0] == '0' && n > 1))
		return (-1);
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		if (v > (INT64_MAX - (s[i] - '0')) / 10)
			return (-1);
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return (0);
}

/*
 * Splits value into its expiry and its decoded bytes (malloc'd, *bin),
 * checking every length: 0 or SEAL_MALFORMED.
 */
static int
parse_value(const char *value, size_t len, size_t ptmax, int64_t *expires,
    unsigned char **bin, size_t *binlen)
{
	const char	*dot, *b64;
	size_t		 b64len, binmax;
	ssize_t		 n;

	*bin = NULL;
	if (len > SEAL_VALUE_LEN(SEAL_PT_MAX) ||
	    (dot = memchr(value, '.', len)) == NULL ||
	    parse_expires(value, (size_t)(dot - value), expires) == -1)
		return (SEAL_MALFORMED);
	b64 = dot + 1;
	b64len = len - (size_t)(b64 - value);
	if (b64len < SEAL_B64_LEN(SEAL_OVERHEAD) ||
	    b64len > SEAL_B64_LEN(SEAL_OVERHEAD + ptmax))
		return (SEAL_MALFORMED);
	binmax = b64len / 4 * 3 + 2;
	if ((*bin = malloc(binmax)) == NULL)
		return (SEAL_ERROR);
	/*
	 * Strict: stray bits are an error, so a value has one spelling.
	 * libsodium's decoder is constant-time and slow, and nothing here is
	 * secret: the text is nonce and ciphertext.
	 */
	if ((n = b64_decode(b64, b64len, 1, 1, *bin, binmax)) == -1 ||
	    (size_t)n < SEAL_OVERHEAD || (size_t)n - SEAL_OVERHEAD > ptmax) {
		free(*bin);
		*bin = NULL;
		return (SEAL_MALFORMED);
	}
	*binlen = (size_t)n;
	return (0);
}

/* Opens bin into scratch with the first key that authenticates it. */
static int
open_any(const struct seal_keys *k, enum seal_purpose p,
    const unsigned char *ad, size_t adlen, const unsigned char *bin,
    size_t binlen, unsigned char *scratch)
{
	unsigned long long	mlen;
	size_t			i;

	for (i = 0; i < k->n; i++) {
		if (crypto_aead_xchacha20poly1305_ietf_decrypt(scratch, &mlen,
		    NULL, bin + SEAL_NONCE_LEN, binlen - SEAL_NONCE_LEN, ad,
		    adlen, bin, key_at(k, i, p)) == 0)
			return (0);
	}
	return (SEAL_BAD);
}

int
unseal(const struct seal_keys *k, enum seal_purpose p, const char *name,
    int64_t now, const char *value, size_t len, void *pt, size_t ptmax,
    size_t *ptlen)
{
	unsigned char	 ad[SEAL_AD_MAX];
	unsigned char	*bin, *scratch;
	size_t		 adlen, binlen, mlen;
	int64_t		 expires;
	int		 r;

	if (!seal_ready || k == NULL || value == NULL || pt == NULL ||
	    ptlen == NULL || make_ad(ad, p, name, 0) == 0)
		return (SEAL_ERROR);
	if (ptmax > SEAL_PT_MAX)
		ptmax = SEAL_PT_MAX;
	if ((r = parse_value(value, len, ptmax, &expires, &bin, &binlen)) != 0)
		return (r);
	adlen = make_ad(ad, p, name, expires);
	mlen = binlen - SEAL_OVERHEAD;
	/* The plaintext lands here first, so pt is written only on success. */
	if ((scratch = malloc(mlen > 0 ? mlen : 1)) == NULL) {
		free(bin);
		return (SEAL_ERROR);
	}
	r = open_any(k, p, ad, adlen, bin, binlen, scratch);
	if (r == 0 && now > expires)
		r = SEAL_EXPIRED;
	if (r == 0) {
		memcpy(pt, scratch, mlen);
		*ptlen = mlen;
	}
	sodium_memzero(scratch, mlen);
	free(scratch);
	free(bin);
	return (r);
}

/* The key that seals stored sessions of this ticket secret, for key i. */
static void
store_key(const struct seal_keys *k, size_t i, const unsigned char *secret,
    unsigned char *out)
{
	crypto_generichash(out, SEAL_KEY_LEN, secret, SEAL_STORE_SECRET_LEN,
	    key_at(k, i, SEAL_STORE), SEAL_KEY_LEN);
}

int
seal_store(const struct seal_keys *k, const unsigned char *secret,
    const void *ad, size_t adlen, const void *pt, size_t ptlen,
    unsigned char *out, size_t outlen)
{
	unsigned char		 key[SEAL_KEY_LEN];
	unsigned long long	 clen;

	if (!seal_ready || k == NULL || outlen < ptlen + SEAL_OVERHEAD ||
	    ptlen > SEAL_PT_MAX)
		return (-1);
	store_key(k, 0, secret, key);
	randombytes_buf(out, SEAL_NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + SEAL_NONCE_LEN, &clen,
	    pt, ptlen, ad, adlen, NULL, out, key);
	sodium_memzero(key, sizeof(key));
	return ((int)(ptlen + SEAL_OVERHEAD));
}

int
unseal_store(const struct seal_keys *k, const unsigned char *secret,
    const void *ad, size_t adlen, const unsigned char *in, size_t inlen,
    void *pt, size_t ptmax)
{
	unsigned char		 key[SEAL_KEY_LEN];
	unsigned long long	 mlen;
	size_t			 i;
	int			 r = SEAL_BAD;

	if (!seal_ready || k == NULL || inlen < SEAL_OVERHEAD ||
	    inlen - SEAL_OVERHEAD > ptmax)
		return (SEAL_MALFORMED);
	for (i = 0; i < k->n && r == SEAL_BAD; i++) {
		store_key(k, i, secret, key);
		if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &mlen, NULL,
		    in + SEAL_NONCE_LEN, inlen - SEAL_NONCE_LEN, ad, adlen, in,
		    key) == 0)
			r = (int)mlen;
	}
	sodium_memzero(key, sizeof(key));
	return (r);
}

void
seal_blind_name(const struct seal_keys *k, const void *data, size_t len,
    char out[65])
{
	unsigned char	h[32];

	crypto_generichash(h, sizeof(h), data, len, key_at(k, 0, SEAL_STORE),
	    SEAL_KEY_LEN);
	sodium_bin2hex(out, 65, h, sizeof(h));
}

const char *
seal_result_name(int r)
{
	switch (r) {
	case SEAL_OK:
		return ("ok");
	case SEAL_MALFORMED:
		return ("malformed");
	case SEAL_BAD:
		return ("not authentic");
	case SEAL_EXPIRED:
		return ("expired");
	case SEAL_ERROR:
		return ("internal error");
	default:
		return ("unknown result");
	}
}
