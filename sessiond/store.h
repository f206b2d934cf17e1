/*
 * Where sessions live.  With session_store_type "cookie" the sealed
 * session is the cookie; with "redis" the cookie is a sealed ticket (a
 * random id and secret) and the session, sealed with a key derived from
 * the cookie key and the ticket's secret, lives in Redis under a key
 * derived from the id (store_redis.c).
 *
 * Every operation answers through its callback, exactly once; the cookie
 * store answers at once, inside the call.  result is a SEAL_* value, or
 * STORE_UNAVAILABLE when Redis cannot be asked: fail closed.
 */
#ifndef GH_STORE_H
#define GH_STORE_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct event_base;

#define STORE_UNAVAILABLE	(-10)

/* The session's plaintext (session.h encoding) on SEAL_OK. */
typedef void	(*store_open_fn)(void *arg, int result, const uint8_t *pt,
		    size_t len);
/* The new cookie value on SEAL_OK. */
typedef void	(*store_save_fn)(void *arg, int result, const char *cookie);
typedef void	(*store_done_fn)(void *arg, int result);

/*
 * Before the sandbox, after the keys: the store of the config (Redis:
 * connections started).  Fatal on error.  store_ready says whether it is
 * usable now (the workers' /ready asks it).
 */
void	store_privinit(struct config *, struct event_base *);
int	store_ready(void);

/* Opens the session of cookie (the value as the browser sent it). */
void	store_open(const char *cookie, store_open_fn, void *arg);

/*
 * Saves a session (pt, its encoding) until expires; the answer is the
 * cookie value.  replace: the session's current cookie, whose ticket is
 * kept (a refresh), or NULL for a new session.
 */
void	store_save(const uint8_t *pt, size_t len, int64_t expires,
	    const char *replace, store_save_fn, void *arg);

/*
 * Ends the session of cookie, and with all every session of its user
 * (Redis; the cookie store cannot revoke and answers SEAL_OK).
 */
void	store_revoke(const char *cookie, int all, store_done_fn, void *arg);

/*
 * The refresh lock of the session of cookie, for a few seconds: SEAL_OK
 * when this caller holds it, STORE_BUSY when another does.
 */
#define STORE_BUSY		(-11)
void	store_lock(const char *cookie, store_done_fn, void *arg);

#endif /* GH_STORE_H */
