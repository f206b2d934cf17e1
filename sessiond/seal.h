/*
 * Cookie keys and sealing: only sessiond links this, and only sessiond
 * holds the keys.
 *
 * Keys.  Each cookie secret (oauth2-proxy rules: 16, 24 or 32 bytes as
 * they are, or base64 of that, standard or URL alphabet, padded or not)
 * becomes a 32-byte master key, BLAKE2b keyed with the context
 * "gatehouse cookie key v1", and the master gives one subkey per purpose
 * with crypto_kdf_derive_from_key (context "GHcookie", subkey id = the
 * purpose).  The first secret seals; every secret opens, newest first.
 *
 * Sealed value (the cookie value, ASCII):
 *
 *	<expires>.<b64>
 *
 *	expires	Unix seconds in decimal, 1 to 19 digits, no sign, no
 *		leading zero (so one expiry has one spelling)
 *	b64	base64url without padding of nonce || ciphertext || tag
 *		nonce 24 random bytes; XChaCha20-Poly1305-IETF, tag 16 bytes
 *
 *	AD = purpose (1 byte) || cookie name || 0x00 || expires (int64,
 *	big-endian), so a value opens only under the purpose, name and
 *	expiry it was sealed with.
 */
#ifndef GH_SEAL_H
#define GH_SEAL_H

#include <stddef.h>
#include <stdint.h>

struct conf_list;
struct seal_keys;

/* The subkey id of each use; a value sealed for one opens for no other. */
enum seal_purpose {
	SEAL_SESSION = 1,	/* session cookie */
	SEAL_CSRF = 2,		/* CSRF cookie */
	SEAL_TICKET = 3,	/* Redis ticket cookie */
	SEAL_STORE = 4,		/* a session in Redis (seal_store) */
};
#define SEAL_NPURPOSE		4

/* What unseal returns; seal_result_name names each for logs. */
enum seal_result {
	SEAL_OK = 0,
	SEAL_MALFORMED = -1,	/* not <expires>.<b64>, or too long */
	SEAL_BAD = -2,		/* authentication failed with every key */
	SEAL_EXPIRED = -3,	/* authentic, but now > expires */
	SEAL_ERROR = -4,	/* bad arguments or out of memory */
};

#define SEAL_NAME_MAX		256	/* cookie name length */
#define SEAL_PT_MAX		(64 * 1024)	/* plaintext length */

/*
 * Size.  Sealing adds SEAL_OVERHEAD bytes (nonce and tag) to the
 * plaintext, base64url turns n bytes into SEAL_B64_LEN(n) characters, and
 * the expiry and dot add at most SEAL_EXPIRES_DIGITS + 1.  A value sealed
 * from ptlen bytes is therefore at most SEAL_VALUE_LEN(ptlen) characters;
 * seal() wants SEAL_VALUE_SIZE(ptlen) bytes of room for it and its NUL.
 */
#define SEAL_NONCE_LEN		24
#define SEAL_TAG_LEN		16
#define SEAL_OVERHEAD		(SEAL_NONCE_LEN + SEAL_TAG_LEN)
#define SEAL_EXPIRES_DIGITS	19	/* INT64_MAX */
#define SEAL_B64_LEN(n)		((n) / 3 * 4 + ((n) % 3 == 0 ? 0 : (n) % 3 + 1))
#define SEAL_VALUE_LEN(ptlen)	\
	(SEAL_EXPIRES_DIGITS + 1 + SEAL_B64_LEN((ptlen) + SEAL_OVERHEAD))
#define SEAL_VALUE_SIZE(ptlen)	(SEAL_VALUE_LEN(ptlen) + 1)

/*
 * Once per process, before the sandbox: libsodium's setup.  0, or -1
 * when libsodium cannot start.  The other functions fail until it ran.
 */
int	seal_init(void);

/*
 * Derives the keys of every secret in the list (first seals).  0, or -1
 * with a message in err (which never contains key material) when the
 * list is empty or too long or a secret is not 16, 24 or 32 bytes, raw
 * or base64.  The keys live in locked, read-only, guarded memory.
 */
int	seal_keys_load(const struct conf_list *, struct seal_keys **,
	    char *err, size_t errlen);
void	seal_keys_free(struct seal_keys *);	/* wipes; NULL is fine */
size_t	seal_keys_count(const struct seal_keys *);

/*
 * Seals pt (ptlen <= SEAL_PT_MAX) for purpose and cookie_name, valid
 * until expires (>= 0), with the first key.  Writes the value and a NUL
 * to out; returns the value's length, or -1 (bad arguments, out too
 * small, out of memory).
 */
int	seal(const struct seal_keys *, enum seal_purpose,
	    const char *cookie_name, int64_t expires, const void *pt,
	    size_t ptlen, char *out, size_t outlen);

/*
 * Opens value (len bytes, no NUL needed) sealed for purpose and
 * cookie_name, trying every key.  On SEAL_OK the plaintext is in pt
 * (*ptlen bytes); on any other result pt and *ptlen are untouched.  An
 * authentic value is reported SEAL_EXPIRED when now > expires; a forged
 * one is SEAL_BAD whatever its expiry says.  A plaintext longer than
 * ptmax is SEAL_MALFORMED.
 */
int	unseal(const struct seal_keys *, enum seal_purpose,
	    const char *cookie_name, int64_t now, const char *value, size_t len,
	    void *pt, size_t ptmax, size_t *ptlen);

/*
 * A session kept in Redis is sealed with a key derived from both the
 * cookie key and the ticket's secret (which only the cookie holds):
 * K = BLAKE2b(key = the STORE subkey, secret).  Neither the stored value
 * nor the cookie alone opens the session.  The value is nonce || ciphertext
 * || tag (SEAL_OVERHEAD more bytes than pt), bound to ad (the Redis key).
 * seal_store seals with the first cookie key; unseal_store tries them all.
 * Both return the output length, or -1; unseal_store SEAL_BAD when no key
 * authenticates it.
 */
#define SEAL_STORE_SECRET_LEN	32
int	seal_store(const struct seal_keys *, const unsigned char *secret,
	    const void *ad, size_t adlen, const void *pt, size_t ptlen,
	    unsigned char *out, size_t outlen);
int	unseal_store(const struct seal_keys *, const unsigned char *secret,
	    const void *ad, size_t adlen, const unsigned char *in, size_t inlen,
	    void *pt, size_t ptmax);

/*
 * A name for Redis that does not reveal what it names (the per-user
 * index): BLAKE2b keyed with the first key's STORE subkey, as 64 hex
 * digits and a NUL.
 */
void	seal_blind_name(const struct seal_keys *, const void *data, size_t len,
	    char out[65]);

const char	*seal_result_name(int);

#endif /* GH_SEAL_H */
