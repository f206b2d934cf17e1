/*
 * Forwarding to http(s) and unix upstreams: a keep-alive pool per
 * upstream, request and response bodies streamed both ways with bounded
 * buffers, upstream timeouts answered with 502 and 504, and websocket
 * upgrades turned into a two-way byte relay.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <openssl/ssl.h>

#include "unixsock.h"
#include "conn.h"
#include "headers.h"
#include "log.h"
#include "tls.h"
#include "worker.h"

#define UP_HIGH			(256 * 1024)	/* stop reading past this */
#define UP_MAX_HEAD		(64 * 1024)
#define UP_MAX_HEADERS		256
#define POOL_MAX_IDLE		1024	/* per upstream and worker */
#define POOL_IDLE_SEC		30

struct upconn;

struct pool {
	const struct upstream	*u;
	struct sockaddr_storage	 sa;
	socklen_t		 salen;
	struct unix_target	 usock;		/* unix:// upstreams */
	TAILQ_HEAD(, upconn)	 idle;
	size_t			 nidle;
};

struct upconn {
	TAILQ_ENTRY(upconn)	 entry;
	struct pool		*pool;
	struct io		*io;
	struct event		*idle;		/* idle timeout in the pool */
	int			 reused;
};

/* One request forwarded, from its head going up to its answer's end. */
struct fwd {
	struct conn		*c;
	struct pool		*pool;
	struct upconn		*up;
	llhttp_t		 rp;
	struct event		*timeout;
	char			*arena;		/* the answer's head */
	struct head		 head;
	char			*reason;
	enum framing		 framing;
	int			 head_sent;
	int			 got_bytes;
	int			 req_done;
	int			 resp_done;
	int			 blocked;	/* upstream reads stopped */
	int			 retried;
	int			 tunnel;
};

static struct pool		 pools[UPSTREAM_MAX];
static size_t			 npools;
static SSL_CTX			*client_tls;
static llhttp_settings_t	 rsettings;

static void	fwd_send(struct fwd *);
static void	fwd_done(struct fwd *);
static void	fwd_free(struct fwd *, int reuse);
static void	up_read(struct io *, void *);
static void	up_write(struct io *, void *);
static void	up_event(struct io *, enum io_event, void *);
static void	rsettings_init(void);

/* Addresses are resolved now: the sandbox has no resolver. */
static int
pool_resolve(struct pool *p, const struct upstream *u)
{
	struct addrinfo		 hints, *res;
	struct sockaddr_un	*sun = (struct sockaddr_un *)&p->sa;
	char			 err[256];
	int			 e;

	p->u = u;
	TAILQ_INIT(&p->idle);
	if (u->type == UPSTREAM_UNIX) {
		/* The path is not in the chroot: its directory, now. */
		if (unix_target_open(&p->usock, u->path, err, sizeof(err)) ==
		    -1) {
			log_warnx("upstream %s: %s", u->id, err);
			return -1;
		}
		sun->sun_family = AF_UNIX;
		p->salen = sizeof(*sun);
		return 0;
	}
	p->usock.dirfd = p->usock.backfd = -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((e = getaddrinfo(u->host, u->port, &hints, &res)) != 0) {
		log_warnx("upstream %s: %s", u->id, gai_strerror(e));
		return -1;
	}
	memcpy(&p->sa, res->ai_addr, res->ai_addrlen);
	p->salen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int
proxy_init(const struct config *cf, const struct upstream_set *set)
{
	struct conf_diag	diag = { NULL, NULL, 0 };
	size_t			i;

	rsettings_init();
	for (i = 0; i < set->n; i++) {
		const struct upstream *u = &set->u[i];

		if (u->type == UPSTREAM_FILE || u->type == UPSTREAM_STATIC)
			continue;
		if (pool_resolve(&pools[npools], u) == -1)
			return -1;
		npools++;
		if (u->type == UPSTREAM_HTTPS && client_tls == NULL &&
		    (client_tls = tls_client_ctx(cf, &diag)) == NULL)
			return -1;
	}
	return 0;
}

static struct pool *
pool_of(const struct upstream *u)
{
	size_t	i;

	for (i = 0; i < npools; i++)
		if (pools[i].u == u)
			return &pools[i];
	return NULL;
}

static void
upconn_free(struct upconn *up)
{
	io_free(up->io);
	event_free(up->idle);
	free(up);
}

static void
idle_drop(struct upconn *up)
{
	TAILQ_REMOVE(&up->pool->idle, up, entry);
	up->pool->nidle--;
	upconn_free(up);
}

/* An idle connection that speaks, closes or idles too long is done with. */
static void
idle_read(struct io *io, void *arg)
{
	(void)io;
	idle_drop(arg);
}

static void
idle_event(struct io *io, enum io_event what, void *arg)
{
	(void)io;
	(void)what;
	idle_drop(arg);
}

static void
idle_timeout(evutil_socket_t s, short ev, void *arg)
{
	(void)s;
	(void)ev;
	idle_drop(arg);
}

static void
pool_put(struct upconn *up)
{
	struct timeval	tv = { POOL_IDLE_SEC, 0 };
	struct pool	*p = up->pool;

	if (p->nidle >= POOL_MAX_IDLE || worker->c.draining) {
		upconn_free(up);
		return;
	}
	up->reused = 1;
	io_setcb(up->io, idle_read, NULL, idle_event, up);
	io_read(up->io, 1);
	evtimer_add(up->idle, &tv);
	TAILQ_INSERT_HEAD(&p->idle, up, entry);
	p->nidle++;
}

/* An idle connection of the pool, or a new one being connected. */
static struct upconn *
pool_get(struct pool *p)
{
	const struct config	*cf = &worker->c.cf;
	struct timeval		 tv;
	struct upconn		*up;
	SSL			*ssl = NULL;

	if ((up = TAILQ_FIRST(&p->idle)) != NULL) {
		TAILQ_REMOVE(&p->idle, up, entry);
		p->nidle--;
		evtimer_del(up->idle);
		return up;
	}
	if ((up = calloc(1, sizeof(*up))) == NULL)
		return NULL;
	up->pool = p;
	tv.tv_sec = cf->upstream_connect_timeout / 1000000000;
	tv.tv_usec = (cf->upstream_connect_timeout % 1000000000) / 1000;
	if ((p->u->type == UPSTREAM_HTTPS &&
	    (ssl = tls_client_new(client_tls, p->u->host)) == NULL) ||
	    (up->io = io_connect(worker->c.base, (struct sockaddr *)&p->sa,
	    p->salen, p->u->type == UPSTREAM_UNIX ? &p->usock : NULL, ssl,
	    &tv)) == NULL ||
	    (up->idle = evtimer_new(worker->c.base, idle_timeout, up)) ==
	    NULL) {
		if (up->io == NULL)
			SSL_free(ssl);
		io_free(up->io);
		free(up);
		return NULL;
	}
	return up;
}

/* Before the answer's head: a short error page; after it: cut the client. */
static void
fwd_fail(struct fwd *f, int status, const char *why)
{
	struct conn	*c = f->c;

	log_warnx("upstream %s: %s %s: %s", f->pool->u->id, c->req.method,
	    c->req.path, why);
	if (f->head_sent) {
		fwd_free(f, 0);
		http_close(c);
		return;
	}
	fwd_free(f, 0);
	c->sink = BODY_NONE;
	c->closing = c->closing || !c->body_done;
	http_respond_error(c, status);
}

static void
fwd_timeout(evutil_socket_t s, short ev, void *arg)
{
	(void)s;
	(void)ev;
	fwd_fail(arg, 504, "no answer within upstream_timeout");
}

/* upstream_timeout runs from the end of the request to the answer's head. */
static void
fwd_wait_answer(struct fwd *f)
{
	const struct config	*cf = &worker->c.cf;
	struct timeval		 tv;

	tv.tv_sec = cf->upstream_timeout / 1000000000;
	tv.tv_usec = (cf->upstream_timeout % 1000000000) / 1000;
	evtimer_add(f->timeout, &tv);
}

static int
fwd_attach(struct fwd *f)
{
	if ((f->up = pool_get(f->pool)) == NULL)
		return -1;
	llhttp_init(&f->rp, HTTP_RESPONSE, &rsettings);
	f->rp.data = f;
	io_setcb(f->up->io, up_read, up_write, up_event, f);
	io_read(f->up->io, 1);
	if (f->req_done)
		fwd_wait_answer(f);
	return 0;
}

void
proxy_start(struct conn *c, const struct upstream *u)
{
	struct fwd	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL || (f->arena = malloc(
	    head_size(UP_MAX_HEAD, UP_MAX_HEADERS, 0))) == NULL) {
		free(f);
		http_respond_error(c, 500);
		return;
	}
	f->c = c;
	f->pool = pool_of(u);
	f->timeout = evtimer_new(worker->c.base, fwd_timeout, f);
	c->fwd = f;
	c->upstream_id = u->id;
	if (c->req.has_body)
		c->sink = BODY_FORWARD;
	f->req_done = !c->req.has_body;
	if (fwd_attach(f) == -1) {
		fwd_fail(f, 502, "cannot connect");
		return;
	}
	fwd_send(f);
}

/* The request head; the client's 100-continue is answered by us. */
static void
fwd_send(struct fwd *f)
{
	struct conn	*c = f->c;

	headers_request(f->up->io->out, c, f->pool->u);
	io_flush(f->up->io);
	if (c->req.expect_continue && c->req.has_body && !f->retried) {
		evbuffer_add_lit(c->io->out, "HTTP/1.1 100 Continue\r\n\r\n");
		io_flush(c->io);
	}
}

int
proxy_body(struct conn *c, const char *data, size_t len)
{
	struct fwd	*f = c->fwd;
	struct evbuffer	*out;

	if (f == NULL || f->up == NULL)
		return 0;
	out = f->up->io->out;
	if (c->req.chunked)
		evbuffer_add_printf(out, "%zx\r\n", len);
	evbuffer_add(out, data, len);
	if (c->req.chunked)
		evbuffer_add_lit(out, "\r\n");
	if (!io_flush(f->up->io) && evbuffer_get_length(out) > UP_HIGH)
		http_read_pause(c, 1);
	return 0;
}

void
proxy_body_done(struct conn *c)
{
	struct fwd	*f = c->fwd;

	if (f == NULL || f->up == NULL)
		return;
	if (c->req.chunked) {
		evbuffer_add_lit(f->up->io->out, "0\r\n\r\n");
		io_flush(f->up->io);
	}
	f->req_done = 1;
	c->sink = BODY_NONE;
	if (!f->head_sent)
		fwd_wait_answer(f);
}

/* The upstream took what we had: the client may send more. */
static void
up_write(struct io *io, void *arg)
{
	struct fwd	*f = arg;

	(void)io;
	if (f->c->blocked)
		http_read_pause(f->c, 0);
}

void
proxy_client_drained(struct conn *c)
{
	struct fwd	*f = c->fwd;

	if (f == NULL || !f->blocked)
		return;
	f->blocked = 0;
	io_read(f->up->io, 1);
	up_read(f->up->io, f);
}

static void
fwd_free(struct fwd *f, int reuse)
{
	if (f->up != NULL) {
		if (reuse)
			pool_put(f->up);
		else
			upconn_free(f->up);
	}
	if (f->c != NULL)
		f->c->fwd = NULL;
	event_free(f->timeout);
	free(f->arena);
	free(f);
}

void
proxy_abort(struct conn *c)
{
	if (c->fwd != NULL)
		fwd_free(c->fwd, 0);
}

/* The whole answer is out: the upstream connection may serve again. */
static void
fwd_done(struct fwd *f)
{
	struct conn	*c = f->c;
	int		 reuse;

	reuse = f->req_done && llhttp_should_keep_alive(&f->rp) &&
	    !worker->c.cf.disable_keep_alives &&
	    evbuffer_get_length(f->up->io->in) == 0;
	if (!f->req_done) {
		/* Answered before the body was all sent: drop the rest. */
		c->sink = BODY_NONE;
		c->closing = 1;
	}
	fwd_free(f, reuse);
	http_answer_done(c);
}


/* The answer's head, through the same checks as a request's. */
static int
r_message_begin(llhttp_t *p)
{
	struct fwd	*f = p->data;

	head_init(&f->head, f->arena, UP_MAX_HEAD, UP_MAX_HEADERS);
	f->reason = f->head.arena + f->head.used;
	return 0;
}

static int
r_status(llhttp_t *p, const char *at, size_t len)
{
	return head_add(&((struct fwd *)p->data)->head, at, len) ? -1 : 0;
}

static int
r_status_complete(llhttp_t *p)
{
	return head_end(&((struct fwd *)p->data)->head);
}

static int
r_field(llhttp_t *p, const char *at, size_t len)
{
	return head_field(&((struct fwd *)p->data)->head, at, len) ? -1 : 0;
}

static int
r_field_complete(llhttp_t *p)
{
	return head_field_complete(&((struct fwd *)p->data)->head) ? -1 : 0;
}

static int
r_value(llhttp_t *p, const char *at, size_t len)
{
	return head_value(&((struct fwd *)p->data)->head, at, len) ? -1 : 0;
}

static int
r_value_complete(llhttp_t *p)
{
	return head_value_complete(&((struct fwd *)p->data)->head);
}

/* How the client gets the body: as the upstream framed it, if it can. */
static enum framing
choose_framing(struct fwd *f, int nobody)
{
	llhttp_t	*p = &f->rp;

	if (nobody)
		return (p->flags & F_CONTENT_LENGTH) ? FRAME_LENGTH :
		    FRAME_NONE;
	if (p->flags & F_CONTENT_LENGTH)
		return FRAME_LENGTH;
	/* Chunked, or delimited by the upstream closing. */
	if (f->c->req.minor >= 1)
		return FRAME_CHUNKED;
	/* An HTTP/1.0 client knows no chunks: the close ends the body. */
	f->c->closing = 1;
	return FRAME_NONE;
}

static int
r_headers_complete(llhttp_t *p)
{
	struct fwd	*f = p->data;
	struct conn	*c = f->c;
	int		 status = p->status_code;
	int		 nobody;

	if (status >= 100 && status < 200 && status != 101)
		return 0;	/* interim answers are not passed on */
	evtimer_del(f->timeout);
	if (status == 101 && !c->req.upgrade)
		return -1;
	nobody = c->req.method_id == HTTP_HEAD || status == 204 ||
	    status == 304 || status == 101;
	f->framing = choose_framing(f, nobody);
	if (!c->req.keep_alive || worker->c.draining || !f->req_done)
		c->closing = 1;
	c->status = status;
	headers_response(c->io->out, c, f->head.h, f->head.nh,
	    status, f->reason, f->framing, p->content_length);
	f->head_sent = 1;
	return c->req.method_id == HTTP_HEAD ? 1 : 0;
}

static int
r_body(llhttp_t *p, const char *at, size_t len)
{
	struct fwd	*f = p->data;
	struct conn	*c = f->c;
	struct evbuffer	*out = c->io->out;

	if (f->framing == FRAME_CHUNKED)
		evbuffer_add_printf(out, "%zx\r\n", len);
	evbuffer_add(out, at, len);
	if (f->framing == FRAME_CHUNKED)
		evbuffer_add_lit(out, "\r\n");
	c->sent += len;
	return 0;
}

static int
r_message_complete(llhttp_t *p)
{
	struct fwd	*f = p->data;

	if (!f->head_sent)
		return 0;	/* the end of an interim answer */
	if (f->framing == FRAME_CHUNKED)
		evbuffer_add_lit(f->c->io->out, "0\r\n\r\n");
	f->resp_done = 1;
	return HPE_PAUSED;
}

static void
rsettings_init(void)
{
	llhttp_settings_init(&rsettings);
	rsettings.on_message_begin = r_message_begin;
	rsettings.on_status = r_status;
	rsettings.on_status_complete = r_status_complete;
	rsettings.on_header_field = r_field;
	rsettings.on_header_field_complete = r_field_complete;
	rsettings.on_header_value = r_value;
	rsettings.on_header_value_complete = r_value_complete;
	rsettings.on_headers_complete = r_headers_complete;
	rsettings.on_body = r_body;
	rsettings.on_message_complete = r_message_complete;
}

/* The answer so far to the client; while it cannot take more, wait. */
static void
fwd_push(struct fwd *f)
{
	if (io_flush(f->c->io) || !http_out_full(f->c))
		return;
	f->blocked = 1;
	io_read(f->up->io, 0);
}

/* A 101: from here on both sides are a byte stream. */
static void
fwd_upgrade(struct fwd *f, struct evbuffer *in, size_t used)
{
	struct conn	*c = f->c;
	struct io	*io = f->up->io;

	evbuffer_drain(in, used);
	f->up->io = NULL;
	upconn_free(f->up);
	f->up = NULL;
	fwd_free(f, 0);
	tunnel_start(c, io);
}

static void
up_read(struct io *io, void *arg)
{
	struct fwd	*f = arg;
	struct evbuffer	*in = io->in;
	llhttp_errno_t	 err;
	const char	*data;
	size_t		 len;

	while (!f->blocked && (len = evbuffer_get_length(in)) > 0) {
		f->got_bytes = 1;
		data = (const char *)evbuffer_pullup(in, -1);
		f->head.buf_start = data;
		f->head.buf_end = data + len;
		err = llhttp_execute(&f->rp, data, len);
		if (err == HPE_OK) {
			evbuffer_drain(in, len);
			fwd_push(f);
			continue;
		}
		if (err != HPE_PAUSED && err != HPE_PAUSED_UPGRADE) {
			fwd_fail(f, 502, llhttp_errno_name(err));
			return;
		}
		len = (size_t)(llhttp_get_error_pos(&f->rp) - data);
		if (f->rp.status_code == 101) {
			fwd_upgrade(f, in, len);
			return;
		}
		evbuffer_drain(in, len);
		fwd_done(f);
		return;
	}
}

/* A pooled connection the upstream had closed: one fresh try. */
static int
fwd_retry(struct fwd *f)
{
	if (!f->up->reused || f->got_bytes || f->c->req.has_body ||
	    f->retried)
		return -1;
	f->retried = 1;
	upconn_free(f->up);
	f->up = NULL;
	evtimer_del(f->timeout);
	if (fwd_attach(f) == -1)
		return -1;
	fwd_send(f);
	return 0;
}

static void
up_event(struct io *io, enum io_event what, void *arg)
{
	struct fwd	*f = arg;
	int		 on = 1;

	if (what == IO_CONNECTED) {
		if (f->pool->u->type != UPSTREAM_UNIX)
			setsockopt(io->fd, IPPROTO_TCP, TCP_NODELAY, &on,
			    sizeof(on));
		io_write_timeout(io, worker->c.cf.upstream_timeout);
		return;
	}
	if (what == IO_EOF && f->head_sent && f->framing != FRAME_LENGTH &&
	    llhttp_finish(&f->rp) == HPE_PAUSED) {
		fwd_done(f);
		return;
	}
	if (!f->head_sent && what != IO_TIMEOUT && fwd_retry(f) == 0)
		return;
	if (what == IO_TIMEOUT)
		fwd_fail(f, 504, "connect timeout");
	else
		fwd_fail(f, 502, what == IO_EOF ? "closed early" :
		    "connection failed");
}
