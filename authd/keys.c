/*
 * An issuer's signing keys: its JWKS, fetched once known and again on
 * demand (a token signed with a key we do not have), but not more than
 * once per KEYS_MIN_INTERVAL, so a stream of tokens with made-up key ids
 * cannot make authd hammer the IdP.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authd.h"
#include "log.h"

#define KEYS_MIN_INTERVAL	30	/* seconds between fetches */
#define KEYS_RETRY_INTERVAL	5	/* the same while there are no keys */

struct keys_wait {
	TAILQ_ENTRY(keys_wait)	 entry;
	struct keyset		*ks;
	keyset_fn		 done;
	void			*arg;
	struct event		*ev;
};

struct keyset {
	char			*uri;
	struct jwks		*jwks;
	time_t			 at;		/* last fetch started */
	int			 busy;
	TAILQ_HEAD(, keys_wait)	 waits;
};

struct keyset *
keyset_new(const char *uri)
{
	struct keyset	*ks;

	if ((ks = calloc(1, sizeof(*ks))) == NULL)
		return NULL;
	if ((ks->uri = strdup(uri)) == NULL) {
		free(ks);
		return NULL;
	}
	TAILQ_INIT(&ks->waits);
	return ks;
}

static void
keys_call(evutil_socket_t s, short ev, void *arg)
{
	struct keys_wait	*w = arg;

	(void)s;
	(void)ev;
	TAILQ_REMOVE(&w->ks->waits, w, entry);
	event_free(w->ev);
	w->done(w->arg, w->ks->jwks);
	free(w);
}

/* Everybody waiting hears, from the loop. */
static void
keys_wake(struct keyset *ks)
{
	struct keys_wait	*w;
	struct timeval		 now = { 0, 0 };

	TAILQ_FOREACH(w, &ks->waits, entry)
		evtimer_add(w->ev, &now);
}

static void
keys_done(void *arg, int status, const char *body, size_t len,
    const char *error)
{
	struct keyset	*ks = arg;
	struct jwks	*k;
	char		 err[256];

	ks->busy = 0;
	if (status != 200)
		log_warnx("jwks: %s: %s", ks->uri, status == -1 ? error :
		    "HTTP status not 200");
	else if ((k = jwks_parse(body, len, err, sizeof(err))) == NULL)
		log_warnx("jwks: %s: %s", ks->uri, err);
	else {
		jwks_free(ks->jwks);
		ks->jwks = k;
		log_info("jwks: %zu keys from %s", jwks_count(k), ks->uri);
	}
	keys_wake(ks);
}

void
keyset_fetch(struct keyset *ks)
{
	if (ks->busy)
		return;
	ks->at = time(NULL);
	if (idp_get(ks->uri, NULL, keys_done, ks) == -1) {
		log_warnx("jwks: %s: cannot start the request", ks->uri);
		keys_wake(ks);
		return;
	}
	ks->busy = 1;
}

int
keyset_with(struct keyset *ks, int refetch, keyset_fn done, void *arg)
{
	struct keys_wait	*w;
	struct timeval		 now = { 0, 0 };
	time_t			 interval;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	w->ks = ks;
	w->done = done;
	w->arg = arg;
	if ((w->ev = evtimer_new(authd->base, keys_call, w)) == NULL) {
		free(w);
		return -1;
	}
	TAILQ_INSERT_TAIL(&ks->waits, w, entry);
	/* Without keys, a failed fetch is retried sooner. */
	interval = ks->jwks == NULL ? KEYS_RETRY_INTERVAL : KEYS_MIN_INTERVAL;
	if ((ks->jwks == NULL || refetch) && !ks->busy &&
	    time(NULL) - ks->at >= interval)
		keyset_fetch(ks);
	/* A fetch wakes every waiter when it ends; else wake this one now. */
	if (!ks->busy)
		evtimer_add(w->ev, &now);
	return 0;
}
