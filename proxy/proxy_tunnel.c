/*
 * The websocket relay after a 101: bytes both ways, each direction held
 * back while the other side's output is full, and both sides closed as
 * soon as either closes.
 */
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "conn.h"
#include "log.h"
#include "worker.h"

#define TUNNEL_HIGH	(256 * 1024)

struct tunnel {
	struct conn		*c;
	struct bufferevent	*up;
};

static void
tunnel_close(struct tunnel *t)
{
	bufferevent_free(t->up);
	t->c->tunnel = NULL;
	http_close(t->c);
	free(t);
}

/* Moves what src read to dst; stops reading src while dst is full. */
static void
relay(struct bufferevent *src, struct bufferevent *dst)
{
	struct evbuffer	*out = bufferevent_get_output(dst);

	evbuffer_add_buffer(out, bufferevent_get_input(src));
	if (evbuffer_get_length(out) > TUNNEL_HIGH)
		bufferevent_disable(src, EV_READ);
}

static void
from_client(struct bufferevent *bev, void *arg)
{
	relay(bev, ((struct tunnel *)arg)->up);
}

static void
from_upstream(struct bufferevent *bev, void *arg)
{
	relay(bev, ((struct tunnel *)arg)->c->bev);
}

/* dst drained: src may read again. */
static void
client_drained(struct bufferevent *bev, void *arg)
{
	(void)bev;
	bufferevent_enable(((struct tunnel *)arg)->up, EV_READ);
}

static void
upstream_drained(struct bufferevent *bev, void *arg)
{
	(void)bev;
	bufferevent_enable(((struct tunnel *)arg)->c->bev, EV_READ);
}

static void
tunnel_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	tunnel_close(arg);
}

void
tunnel_start(struct conn *c, struct bufferevent *up)
{
	struct tunnel	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		bufferevent_free(up);
		http_close(c);
		return;
	}
	t->c = c;
	t->up = up;
	c->tunnel = t;
	c->state = CONN_TUNNEL;
	evtimer_del(c->timer);
	bufferevent_setcb(c->bev, from_client, client_drained, tunnel_event, t);
	bufferevent_setcb(up, from_upstream, upstream_drained, tunnel_event, t);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	bufferevent_enable(up, EV_READ | EV_WRITE);
	/* Whatever either side sent past the heads goes across now. */
	relay(c->bev, up);
	relay(up, c->bev);
	router_log(c);
}

/* The client connection goes: the upstream side with it. */
void
tunnel_abort(struct conn *c)
{
	struct tunnel	*t = c->tunnel;

	c->tunnel = NULL;
	bufferevent_free(t->up);
	free(t);
}
