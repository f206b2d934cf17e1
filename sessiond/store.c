/*
 * The session stores behind one interface (store.h): the cookie store,
 * here, where the session is the cookie; the Redis store in
 * store_redis.c.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "seal.h"
#include "session.h"
#include "sessiond.h"
#include "store.h"
#include "store_redis.h"

static struct {
	const char	*cookie_name;
	int		 redis;
} st;

void
store_privinit(struct config *cf, struct event_base *base)
{
	st.cookie_name = cf->cookie_name;
	st.redis = strcmp(cf->session_store_type, "redis") == 0;
	if (st.redis)
		store_redis_privinit(cf, base);
}

int
store_ready(void)
{
	return st.redis ? store_redis_ready() : 1;
}

/* The cookie's sealed bytes, opened under purpose p; SEAL_* result. */
int
store_unseal_cookie(int purpose, const char *cookie, uint8_t *pt, size_t max,
    size_t *len)
{
	return unseal(sessiond_keys(), purpose, st.cookie_name,
	    (int64_t)time(NULL), cookie, strlen(cookie), pt, max, len);
}

/* pt sealed under purpose p into a cookie value (malloc'd), or NULL. */
char *
store_seal_cookie(int purpose, int64_t expires, const uint8_t *pt,
    size_t len)
{
	char	*v;
	size_t	 vlen = SEAL_VALUE_SIZE(len);

	if ((v = malloc(vlen)) == NULL)
		return NULL;
	if (seal(sessiond_keys(), purpose, st.cookie_name, expires, pt, len, v,
	    vlen) == -1) {
		free(v);
		return NULL;
	}
	return v;
}

void
store_open(const char *cookie, store_open_fn done, void *arg)
{
	static uint8_t	pt[SESSION_ENC_MAX];
	size_t		len = 0;
	int		r;

	if (st.redis) {
		store_redis_open(cookie, done, arg);
		return;
	}
	r = store_unseal_cookie(SEAL_SESSION, cookie, pt, sizeof(pt), &len);
	done(arg, r, r == SEAL_OK ? pt : NULL, r == SEAL_OK ? len : 0);
	explicit_bzero(pt, len);
}

void
store_save(const uint8_t *pt, size_t len, int64_t expires,
    const char *replace, store_save_fn done, void *arg)
{
	char	*v;

	if (st.redis) {
		store_redis_save(pt, len, expires, replace, done, arg);
		return;
	}
	v = store_seal_cookie(SEAL_SESSION, expires, pt, len);
	done(arg, v != NULL ? SEAL_OK : SEAL_ERROR, v);
	free(v);
}

void
store_revoke(const char *cookie, int all, store_done_fn done, void *arg)
{
	if (st.redis)
		store_redis_revoke(cookie, all, done, arg);
	else
		done(arg, SEAL_OK);	/* the cookie is the session */
}

void
store_lock(const char *cookie, store_done_fn done, void *arg)
{
	if (st.redis)
		store_redis_lock(cookie, done, arg);
	else
		done(arg, SEAL_OK);	/* one refresh per cookie: authd's */
}
