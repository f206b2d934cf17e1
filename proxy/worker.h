/*
 * gatehouse-proxy: the prefork worker.  Internal to proxy/.
 */
#ifndef GH_WORKER_H
#define GH_WORKER_H

#include <sys/queue.h>

#include "child.h"

struct conn;

/* A /ready request waiting for its round trips to authd and sessiond. */
struct ready_check {
	TAILQ_ENTRY(ready_check)	 entry;
	uint64_t			 id;
	int				 waiting;	/* peers yet to answer */
	struct event			*timeout;
	struct conn			*conn;
};

struct worker {
	struct child			 c;
	struct evconnlistener		*listeners[PROXY_MAX_LISTENERS];
	TAILQ_HEAD(, ready_check)	 ready_checks;
	uint64_t			 next_id;
	size_t				 nconns;
	struct event			*ev_drain;
};

extern struct worker	*worker;

/* worker.c */
void	worker_ready_check(struct conn *);
void	worker_ready_cancel(struct conn *);
void	worker_conn_closed(void);

/* http.c */
void	http_accept(struct evconnlistener *, evutil_socket_t,
	    struct sockaddr *, int, void *);
void	http_ready_answer(struct conn *, int ready);
void	http_drain(void);

#endif /* GH_WORKER_H */
