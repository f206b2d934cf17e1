/*
 * gatehouse-proxy: one prefork worker.  It holds no client secret and no
 * cookie key; it reaches authd and sessiond over channels the parent
 * hands it.
 */
#include <sys/socket.h>

#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/listener.h>

#include "conn.h"
#include "log.h"
#include "tls.h"
#include "wait.h"
#include "worker.h"

#define READY_TIMEOUT_SEC	1

struct worker	*worker;

static int
worker_dispatch_peer(struct chan *ch, struct imsg_in *in, int *fd, void *arg)
{
	struct ready_check	*rc;
	struct conn		*conn;

	(void)fd;
	(void)arg;
	switch (in->hdr.type) {
	case IMSG_PING:
		return child_answer_ping(ch, in);
	case IMSG_SESSION_CLAIMS:
	case IMSG_LOGIN_URL:
	case IMSG_LOGIN_DONE:
	case IMSG_LOGOUT_DONE:
		return wait_answer(in);
	case IMSG_PONG:
	case IMSG_NOT_READY:
		if (imsg_end(in) == -1)
			return -1;
		TAILQ_FOREACH(rc, &worker->ready_checks, entry) {
			if (rc->id != in->hdr.id)
				continue;
			conn = rc->conn;
			/* authd cannot sign anybody in yet: not ready. */
			if (in->hdr.type == IMSG_NOT_READY) {
				worker_ready_cancel(conn);
				http_ready_answer(conn, 0);
			} else if (--rc->waiting == 0) {
				worker_ready_cancel(conn);
				http_ready_answer(conn, 1);
			}
			break;
		}
		return 0;
	default:
		return -1;
	}
}

static void
worker_drain_done(evutil_socket_t s, short ev, void *arg)
{
	(void)s;
	(void)ev;
	(void)arg;
	log_info("drain: %zu connections left, exiting", worker->nconns);
	event_base_loopexit(worker->c.base, NULL);
}

/* Stop accepting, let in-flight requests finish, exit within the bound. */
static void
worker_drain(struct child *c)
{
	struct timeval	tv;
	size_t		i;

	if (c->draining)
		return;
	c->draining = 1;
	for (i = 0; i < c->nlisten; i++) {
		evconnlistener_free(worker->listeners[i]);
		worker->listeners[i] = NULL;
	}
	http_drain();
	tv.tv_sec = c->cf.shutdown_timeout / 1000000000;
	tv.tv_usec = (c->cf.shutdown_timeout % 1000000000) / 1000;
	worker->ev_drain = evtimer_new(c->base, worker_drain_done, NULL);
	if (worker->ev_drain == NULL || evtimer_add(worker->ev_drain, &tv) == -1)
		fatalx("drain timer");
	worker_conn_closed();
}

void
worker_conn_closed(void)
{
	if (worker->c.draining && worker->nconns == 0)
		event_base_loopexit(worker->c.base, NULL);
}

static void
ready_timeout(evutil_socket_t s, short ev, void *arg)
{
	struct ready_check	*rc = arg;
	struct conn		*conn = rc->conn;

	(void)s;
	(void)ev;
	worker_ready_cancel(conn);
	http_ready_answer(conn, 0);
}

/*
 * /ready: a round trip to authd and to sessiond, so a wedged peer is
 * seen, not only a closed one.
 */
void
worker_ready_check(struct conn *conn)
{
	struct timeval		 tv = { READY_TIMEOUT_SEC, 0 };
	struct ready_check	*rc;
	struct chan		*authd, *sessiond;
	uint64_t		 id = ++worker->next_id;

	authd = child_peer(&worker->c, ROLE_AUTHD, 0);
	sessiond = child_peer(&worker->c, ROLE_SESSIOND, 0);
	if (authd == NULL || sessiond == NULL ||
	    (rc = calloc(1, sizeof(*rc))) == NULL) {
		http_ready_answer(conn, 0);
		return;
	}
	rc->id = id;
	rc->conn = conn;
	rc->waiting = 2;
	rc->timeout = evtimer_new(worker->c.base, ready_timeout, rc);
	TAILQ_INSERT_TAIL(&worker->ready_checks, rc, entry);
	if (rc->timeout == NULL || evtimer_add(rc->timeout, &tv) == -1 ||
	    chan_sendv(authd, IMSG_PING, id) == -1 ||
	    chan_sendv(sessiond, IMSG_PING, id) == -1) {
		worker_ready_cancel(conn);
		http_ready_answer(conn, 0);
	}
}

void
worker_ready_cancel(struct conn *conn)
{
	struct ready_check	*rc, *next;

	for (rc = TAILQ_FIRST(&worker->ready_checks); rc != NULL; rc = next) {
		next = TAILQ_NEXT(rc, entry);
		if (rc->conn != conn)
			continue;
		TAILQ_REMOVE(&worker->ready_checks, rc, entry);
		if (rc->timeout != NULL)
			event_free(rc->timeout);
		free(rc);
	}
}

static void
diag_log(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("tls: %s", msg);
}

/* The TLS listener's certificate is read now, before the sandbox. */
static void
worker_listen(void)
{
	struct conf_diag	 diag = { diag_log, NULL, 0 };
	SSL_CTX			*tls = NULL;
	uint32_t		 i;

	for (i = 0; i < worker->c.nlisten; i++) {
		if (worker->c.listen_tls[i] && tls == NULL &&
		    (tls = tls_server_ctx(&worker->c.cf, &diag)) == NULL)
			fatalx("cannot load the TLS certificate and key");
		worker->listeners[i] = evconnlistener_new(worker->c.base,
		    http_accept, worker->c.listen_tls[i] ? tls : NULL,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1,
		    FD_LISTEN_FIRST + (int)i);
		if (worker->listeners[i] == NULL)
			fatalx("listener %u set-up failed", i);
	}
}

int
main(int argc, char **argv)
{
	static struct worker	w;

	worker = &w;
	TAILQ_INIT(&w.ready_checks);
	child_init(&w.c, ROLE_PROXY, argc, argv);
	w.c.drain = worker_drain;
	/* Each request's arena is freed and taken again: keep the heap. */
	mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
	router_init(&w.c);
	worker_listen();
	child_sandbox(&w.c);
	child_ready(&w.c, worker_dispatch_peer);
	event_base_dispatch(w.c.base);
	return 0;
}
