/*
 * A short memory of the session cookies sessiond opened for this worker,
 * so that a page's burst of requests (or nginx asking P/auth for each of
 * them) costs one round trip to sessiond, not one each.
 *
 * An entry lives session_cache_ttl (0: no cache) and never past the
 * expiry sealed into the cookie, nor past the session's refresh time.
 * Cookie sessions cannot be revoked anyway (the cookie is the session),
 * so this changes nothing a user can observe but speed; with a store that
 * can revoke, a sign-out elsewhere takes up to the TTL to reach this
 * worker.  Entries are found by the end of the value, which is the seal's
 * authentication tag and differs for every seal, and then compared whole
 * in constant time.  Bursts of forged cookies only evict entries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "worker.h"

#define CACHE_SLOTS	1024		/* a power of two */
#define CACHE_KEY_TAIL	22		/* characters of the tag */

struct cache_entry {
	char		*cookie;
	size_t		 len;
	int64_t		 until;		/* ms, CLOCK_MONOTONIC */
	struct identity	*id;
};

static struct cache_entry	cache[CACHE_SLOTS];

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* FNV-1a over the value's tail and its length. */
static struct cache_entry *
slot(const char *cookie, size_t len)
{
	uint64_t	h = 0xcbf29ce484222325ULL ^ len;
	size_t		i = len > CACHE_KEY_TAIL ? len - CACHE_KEY_TAIL : 0;

	for (; i < len; i++)
		h = (h ^ (unsigned char)cookie[i]) * 0x100000001b3ULL;
	return &cache[h & (CACHE_SLOTS - 1)];
}

static void
entry_clear(struct cache_entry *e)
{
	if (e->cookie != NULL)
		explicit_bzero(e->cookie, e->len);
	free(e->cookie);
	identity_free(e->id);
	memset(e, 0, sizeof(*e));
}

struct identity *
auth_cache_get(const char *cookie, size_t len)
{
	struct cache_entry	*e = slot(cookie, len);

	if (e->cookie == NULL || e->len != len ||
	    CRYPTO_memcmp(e->cookie, cookie, len) != 0)
		return NULL;
	if (now_ms() >= e->until) {
		entry_clear(e);
		return NULL;
	}
	e->id->refs++;
	return e->id;
}

/* The expiry sealed in front of the value ("<expires>.<...>"), or 0. */
static int64_t
sealed_expiry(const char *cookie)
{
	int64_t	v = 0;

	for (; *cookie >= '0' && *cookie <= '9'; cookie++) {
		if (v > (INT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (*cookie - '0');
	}
	return *cookie == '.' ? v : 0;
}

void
auth_cache_put(const char *cookie, size_t len, struct identity *id,
    int64_t refresh_due)
{
	struct cache_entry	*e;
	int64_t			 ttl = worker->c.cf.session_cache_ttl / 1000000;
	int64_t			 wall = (int64_t)time(NULL), limit, now;

	if (ttl <= 0)
		return;
	limit = sealed_expiry(cookie);
	if (refresh_due != 0 && (limit == 0 || refresh_due < limit))
		limit = refresh_due;
	if (limit != 0 && (limit - wall) * 1000 < ttl)
		ttl = (limit - wall) * 1000;
	if (ttl <= 0)
		return;
	e = slot(cookie, len);
	entry_clear(e);
	if ((e->cookie = malloc(len)) == NULL)
		return;
	memcpy(e->cookie, cookie, len);
	e->len = len;
	now = now_ms();
	e->until = now + ttl;
	e->id = id;
	id->refs++;
}
