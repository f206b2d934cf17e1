/*
 * The Redis session store (store_redis.c), behind store.h; and what it
 * uses of store.c: the sealing of cookie values.
 */
#ifndef GH_STORE_REDIS_H
#define GH_STORE_REDIS_H

#include "store.h"

void	store_redis_privinit(struct config *, struct event_base *);
int	store_redis_ready(void);
void	store_redis_open(const char *cookie, store_open_fn, void *arg);
void	store_redis_save(const uint8_t *pt, size_t len, int64_t expires,
	    const char *replace, store_save_fn, void *arg);
void	store_redis_revoke(const char *cookie, int all, store_done_fn,
	    void *arg);
void	store_redis_lock(const char *cookie, store_done_fn, void *arg);

/* store.c: cookie values of a purpose, under the session cookie's name. */
int	store_unseal_cookie(int purpose, const char *cookie, uint8_t *pt,
	    size_t max, size_t *len);
char	*store_seal_cookie(int purpose, int64_t expires, const uint8_t *pt,
	    size_t len);

#endif /* GH_STORE_REDIS_H */
