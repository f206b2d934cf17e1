/*
 * The websocket relay after a 101: bytes both ways, each direction held
 * back while the other side's output is full, and both sides closed as
 * soon as either closes.
 */
#include <stdlib.h>

#include "conn.h"
#include "worker.h"

#define TUNNEL_HIGH	(256 * 1024)

struct tunnel {
	struct conn	*c;
	struct io	*up;
};

static void
tunnel_close(struct tunnel *t)
{
	io_free(t->up);
	t->c->tunnel = NULL;
	http_close(t->c);
	free(t);
}

/* Moves what src read to dst; stops reading src while dst is full. */
static void
relay(struct io *src, struct io *dst)
{
	evbuffer_add_buffer(dst->out, src->in);
	if (!io_flush(dst) && evbuffer_get_length(dst->out) > TUNNEL_HIGH)
		io_read(src, 0);
}

static void
from_client(struct io *io, void *arg)
{
	relay(io, ((struct tunnel *)arg)->up);
}

static void
from_upstream(struct io *io, void *arg)
{
	relay(io, ((struct tunnel *)arg)->c->io);
}

/* One side took all it was given: the other may read again. */
static void
client_drained(struct io *io, void *arg)
{
	(void)io;
	io_read(((struct tunnel *)arg)->up, 1);
}

static void
upstream_drained(struct io *io, void *arg)
{
	(void)io;
	io_read(((struct tunnel *)arg)->c->io, 1);
}

static void
tunnel_event(struct io *io, enum io_event what, void *arg)
{
	(void)io;
	(void)what;
	tunnel_close(arg);
}

void
tunnel_start(struct conn *c, struct io *up)
{
	struct tunnel	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		io_free(up);
		http_close(c);
		return;
	}
	t->c = c;
	t->up = up;
	c->tunnel = t;
	c->state = CONN_TUNNEL;
	evtimer_del(c->timer);
	io_setcb(c->io, from_client, client_drained, tunnel_event, t);
	io_setcb(up, from_upstream, upstream_drained, tunnel_event, t);
	io_read(c->io, 1);
	io_read(up, 1);
	/* Whatever either side sent past the heads goes across now. */
	relay(c->io, up);
	relay(up, c->io);
	router_log(c);
}

/* The client connection goes: the upstream side with it. */
void
tunnel_abort(struct conn *c)
{
	struct tunnel	*t = c->tunnel;

	c->tunnel = NULL;
	io_free(t->up);
	free(t);
}
