/*
 * Requests waiting for authd or sessiond (see wait.h).
 */
#include <sys/queue.h>

#include <stdlib.h>

#include "conn.h"
#include "log.h"
#include "wait.h"
#include "worker.h"

struct wait {
	TAILQ_ENTRY(wait)	 entry;
	uint64_t		 id;
	struct conn		*c;
	struct event		*timeout;
	wait_fn			 fn;
};

static TAILQ_HEAD(, wait)	waits = TAILQ_HEAD_INITIALIZER(waits);
static uint64_t			next_id;

static void
wait_free(struct wait *w)
{
	TAILQ_REMOVE(&waits, w, entry);
	w->c->waiting = 0;
	if (w->timeout != NULL)
		event_free(w->timeout);
	free(w);
}

/* Ends w with in (NULL: no answer), then lets the connection go on. */
static int
wait_end(struct wait *w, struct imsg_in *in)
{
	struct conn	*c = w->c;
	wait_fn		 fn = w->fn;
	int		 rc;

	wait_free(w);
	rc = fn(c, in);
	http_resume(c);
	return rc;
}

static void
wait_timeout(evutil_socket_t s, short ev, void *arg)
{
	(void)s;
	(void)ev;
	log_warnx("a request to authd or sessiond got no answer in time");
	wait_end(arg, NULL);
}

void
wait_send(struct conn *c, struct chan *ch, struct imsg_out *m, int sec,
    wait_fn fn)
{
	struct timeval	 tv = { sec, 0 };
	struct wait	*w;

	if (ch == NULL || (w = calloc(1, sizeof(*w))) == NULL) {
		fn(c, NULL);
		return;
	}
	w->id = ++next_id;
	w->c = c;
	w->fn = fn;
	TAILQ_INSERT_TAIL(&waits, w, entry);
	c->waiting = 1;
	((struct imsg_hdr *)(void *)m->buf)->id = w->id;
	if ((w->timeout = evtimer_new(worker->c.base, wait_timeout, w)) ==
	    NULL || evtimer_add(w->timeout, &tv) == -1 ||
	    chan_send(ch, m) == -1) {
		wait_free(w);
		fn(c, NULL);
	}
}

int
wait_answer(struct imsg_in *in)
{
	struct wait	*w;

	TAILQ_FOREACH(w, &waits, entry)
		if (w->id == in->hdr.id)
			return wait_end(w, in);
	return 0;	/* it timed out, or the client left */
}

void
wait_cancel(struct conn *c)
{
	struct wait	*w;

	TAILQ_FOREACH(w, &waits, entry)
		if (w->c == c) {
			wait_free(w);
			return;
		}
}
