/*
 * The worker's HTTP/1.1 server side: client connections, request heads
 * parsed with llhttp in strict mode into a bounded per-request arena, the
 * limits and timeouts that keep a hostile client from holding a worker,
 * local answers, keep-alive and pipelining (one request at a time, in
 * order).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/listener.h>
#include <openssl/ssl.h>

#include "conn.h"
#include "wait.h"
#include "log.h"
#include "worker.h"

#define OUT_HIGH	(256 * 1024)	/* stop producing past this */
#define LINGER_SEC	2

static TAILQ_HEAD(, conn)	conns = TAILQ_HEAD_INITIALIZER(conns);
static llhttp_settings_t	settings;

static void	conn_read(struct io *, void *);
static void	conn_write(struct io *, void *);
static void	conn_event(struct io *, enum io_event, void *);
static void	conn_parse(struct conn *);

const struct http_request *
http_req(const struct conn *c)
{
	return &c->req;
}

const char *
http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 417: return "Expectation Failed";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

/* The Date header, formatted once a second at most. */
static const char *
http_date(void)
{
	static char	buf[40];
	static time_t	last;
	time_t		now = time(NULL);
	struct tm	tm;

	if (now != last) {
		gmtime_r(&now, &tm);
		strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		last = now;
	}
	return buf;
}

void
http_timer(struct conn *c, int64_t ns)
{
	struct timeval	tv;

	tv.tv_sec = ns / 1000000000;
	tv.tv_usec = (ns % 1000000000) / 1000;
	evtimer_add(c->timer, &tv);
}

static void
conn_free(struct conn *c)
{
	if (c->fwd != NULL)
		proxy_abort(c);
	if (c->tunnel != NULL)
		tunnel_abort(c);
	if (c->waiting)
		wait_cancel(c);
	identity_free(c->identity);
	if (c->set_cookie != NULL)
		evbuffer_free(c->set_cookie);
	if (c->streaming && c->stream.done != NULL)
		c->stream.done(c->stream.arg);
	worker_ready_cancel(c);
	TAILQ_REMOVE(&conns, c, entry);
	event_free(c->timer);
	event_free(c->ev_next);
	io_free(c->io);
	free(c->arena);
	free(c);
	worker->nconns--;
	worker_conn_closed();
}

void
http_close(struct conn *c)
{
	conn_free(c);
}

int
http_out_full(const struct conn *c)
{
	return evbuffer_get_length(c->io->out) > OUT_HIGH;
}

void
http_read_pause(struct conn *c, int pause)
{
	c->blocked = pause;
	io_read(c->io, !pause);
	if (!pause)
		conn_parse(c);
}

/*
 * A status line and the headers every answer of ours carries.  length -1
 * means chunked; extra is NULL or CRLF-terminated header lines.
 */
void
http_write_head(struct conn *c, int status, const char *ctype,
    const char *extra, int64_t length)
{
	struct evbuffer	*out = c->io->out;

	if (!c->req.keep_alive || worker->c.draining)
		c->closing = 1;
	c->status = status;
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status,
	    http_reason(status), http_date());
	if (ctype != NULL)
		evbuffer_add_printf(out, "Content-Type: %s\r\n", ctype);
	if (length >= 0)
		evbuffer_add_printf(out, "Content-Length: %lld\r\n",
		    (long long)length);
	else
		evbuffer_add_lit(out, "Transfer-Encoding: chunked\r\n");
	if (extra != NULL)
		evbuffer_add(out, extra, strlen(extra));
	if (c->set_cookie != NULL)
		evbuffer_add(out, evbuffer_pullup(c->set_cookie, -1),
		    evbuffer_get_length(c->set_cookie));
	if (c->closing)
		evbuffer_add_lit(out, "Connection: close\r\n");
	evbuffer_add_lit(out, "\r\n");
}

/* A body we will not read makes the connection unusable after the answer. */
static void
skip_unread_body(struct conn *c)
{
	if (c->req.has_body && !c->body_done)
		c->closing = 1;
}

void
http_respond(struct conn *c, int status, const char *ctype, const char *extra,
    const char *body, size_t len)
{
	skip_unread_body(c);
	http_write_head(c, status, ctype, extra, (int64_t)len);
	if (c->req.method_id != HTTP_HEAD && len > 0) {
		evbuffer_add(c->io->out, body, len);
		c->sent = len;
	}
	http_answer_done(c);
}

void
http_respond_error(struct conn *c, int status)
{
	char	body[64];
	int	n;

	n = snprintf(body, sizeof(body), "%s\n", http_reason(status));
	http_respond(c, status, "text/plain; charset=utf-8",
	    "X-Content-Type-Options: nosniff\r\n", body, (size_t)n);
}

void
http_ready_answer(struct conn *c, int ready)
{
	if (ready)
		http_respond(c, 200, "text/plain; charset=utf-8", NULL, "OK",
		    2);
	else
		http_respond_error(c, 503);
}

static void
stream_fill(struct conn *c)
{
	struct evbuffer	*out = c->io->out;
	size_t		 before;
	int		 r;

	while (c->streaming && !http_out_full(c)) {
		before = evbuffer_get_length(out);
		r = c->stream.fill(out, c->stream.arg);
		c->sent += evbuffer_get_length(out) - before;
		if (r == 1) {
			io_flush(c->io);
			continue;
		}
		c->streaming = 0;
		c->stream.done(c->stream.arg);
		if (r == -1) {
			c->closing = 1;
			http_close(c);
			return;
		}
		http_answer_done(c);
	}
}

void
http_respond_stream(struct conn *c, int status, const char *ctype,
    const char *extra, uint64_t length, const struct http_stream *s)
{
	skip_unread_body(c);
	http_write_head(c, status, ctype, extra, (int64_t)length);
	c->stream = *s;
	if (c->req.method_id == HTTP_HEAD || length == 0) {
		s->done(s->arg);
		http_answer_done(c);
		return;
	}
	c->streaming = 1;
	stream_fill(c);
}

/* The answer is complete (or its last bytes queued): log, then go on. */
void
http_answer_done(struct conn *c)
{
	c->answered = 1;
	router_log(c);
	/* Go on once the output is flushed; never from inside a callback. */
	if (io_flush(c->io))
		event_active(c->ev_next, EV_TIMEOUT, 0);
}

static void
linger_read(struct io *io, void *arg)
{
	(void)arg;
	evbuffer_drain(io->in, (size_t)-1);
}

static void
linger_end(struct io *io, enum io_event what, void *arg)
{
	(void)io;
	(void)what;
	http_close(arg);
}

/*
 * Closing on a client still sending would reset the connection and could
 * destroy our answer before it is read: stop writing, and read and drop
 * for a moment first (TLS connections just close).
 */
static void
conn_linger(struct conn *c)
{
	if (c->tls) {
		http_close(c);
		return;
	}
	shutdown(c->io->fd, SHUT_WR);
	c->state = CONN_IDLE;
	http_timer(c, LINGER_SEC * 1000000000LL);
	io_setcb(c->io, linger_read, NULL, linger_end, c);
	io_read(c->io, 1);
	evbuffer_drain(c->io->in, (size_t)-1);
}

/* The previous answer is out: close, or wait for the next request. */
static void
conn_next(evutil_socket_t s, short ev, void *arg)
{
	struct conn	*c = arg;

	(void)s;
	(void)ev;
	if (!c->answered || c->state == CONN_TUNNEL)
		return;
	if (c->closing) {
		conn_linger(c);
		return;
	}
	free(c->arena);
	c->arena = NULL;
	identity_free(c->identity);
	c->identity = NULL;
	if (c->set_cookie != NULL)
		evbuffer_free(c->set_cookie);
	c->set_cookie = NULL;
	memset(&c->req, 0, sizeof(c->req));
	c->answered = 0;
	c->status = 0;
	c->sent = 0;
	c->upstream_id = NULL;
	c->sink = BODY_NONE;
	c->state = CONN_IDLE;
	http_timer(c, worker->c.cf.client_idle_timeout);
	c->paused = 0;
	llhttp_resume(&c->parser);
	conn_parse(c);
}

/*
 * The session of a request with a body is known and its answer under way:
 * the body may be read now, unless the connection closes.
 */
void
http_resume(struct conn *c)
{
	if (!c->body_held || c->closing || c->state == CONN_TUNNEL)
		return;
	c->body_held = 0;
	c->paused = 0;
	llhttp_resume(&c->parser);
	conn_parse(c);
}

/* Refuses what the parser or a limit refused, and closes. */
void
http_refuse(struct conn *c, int status, const char *why)
{
	log_info("http: %s: %d %s (%s)", c->peer, status, http_reason(status),
	    why);
	c->closing = 1;
	c->req.keep_alive = 0;
	c->req.has_body = 0;
	c->state = CONN_BUSY;
	http_respond_error(c, status);
}

static void
conn_parse(struct conn *c)
{
	struct evbuffer	*in = c->io->in;
	llhttp_errno_t	 err;
	const char	*data;
	size_t		 len;

	while (!c->paused && !c->blocked && !c->closing &&
	    c->state != CONN_TUNNEL && (len = evbuffer_get_length(in)) > 0) {
		data = (const char *)evbuffer_pullup(in, -1);
		c->head.buf_start = data;
		c->head.buf_end = data + len;
		err = llhttp_execute(&c->parser, data, len);
		if (err == HPE_OK) {
			evbuffer_drain(in, len);
			continue;
		}
		if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
			evbuffer_drain(in, (size_t)(llhttp_get_error_pos(
			    &c->parser) - data));
			c->paused = 1;
			break;
		}
		http_parse_error(c, err);
		break;
	}
}

static void
conn_read(struct io *io, void *arg)
{
	struct conn	*c = arg;

	(void)io;
	if (c->state == CONN_IDLE)
		evtimer_del(c->timer);
	conn_parse(c);
}

static void
conn_write(struct io *io, void *arg)
{
	struct conn	*c = arg;

	(void)io;
	if (c->streaming) {
		stream_fill(c);
		return;
	}
	if (c->fwd != NULL)
		proxy_client_drained(c);
	else if (c->answered)
		conn_next(-1, 0, c);
}

static void
conn_event(struct io *io, enum io_event what, void *arg)
{
	struct conn	*c = arg;

	(void)io;
	/* A half-closed client still gets its answer. */
	if (what == IO_EOF && c->state == CONN_BUSY && !c->answered &&
	    c->body_done && c->fwd != NULL) {
		c->closing = 1;
		return;
	}
	http_close(c);
}

static void
conn_timeout(evutil_socket_t s, short ev, void *arg)
{
	struct conn	*c = arg;

	(void)s;
	(void)ev;
	switch (c->state) {
	case CONN_HEAD:
		http_refuse(c, 408, "request head too slow");
		break;
	case CONN_BUSY:
		log_info("http: %s: request body too slow", c->peer);
		http_close(c);
		break;
	default:
		http_close(c);
		break;
	}
}

static void
peer_text(struct conn *c, const struct sockaddr *sa, int salen)
{
	const void	*addr = NULL;

	memcpy(&c->peer_sa, sa, (size_t)salen < sizeof(c->peer_sa) ?
	    (size_t)salen : sizeof(c->peer_sa));
	if (sa->sa_family == AF_INET)
		addr = &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		addr = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (addr == NULL || inet_ntop(sa->sa_family, addr, c->peer,
	    sizeof(c->peer)) == NULL)
		snprintf(c->peer, sizeof(c->peer), "unix");
}

static struct io *
conn_io(int fd, SSL_CTX *tls)
{
	SSL		*ssl = NULL;
	struct io	*io;

	if (tls != NULL && (ssl = SSL_new(tls)) == NULL)
		return NULL;
	if ((io = io_accept(worker->c.base, fd, ssl)) == NULL)
		SSL_free(ssl);
	return io;
}

void
http_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct conn	*c;
	int		 on = 1;

	(void)l;
	if (settings.on_url == NULL)
		http_parse_init(&settings);
	if (worker->c.draining || (int64_t)worker->nconns >=
	    worker->c.cf.max_connections || (c = calloc(1, sizeof(*c))) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	if (sa->sa_family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if ((c->io = conn_io(fd, arg)) == NULL) {
		evutil_closesocket(fd);
		free(c);
		return;
	}
	c->tls = arg != NULL;
	peer_text(c, sa, salen);
	llhttp_init(&c->parser, HTTP_REQUEST, &settings);
	c->parser.data = c;
	c->timer = evtimer_new(worker->c.base, conn_timeout, c);
	c->ev_next = event_new(worker->c.base, -1, 0, conn_next, c);
	TAILQ_INSERT_TAIL(&conns, c, entry);
	worker->nconns++;
	/* A client that stops reading its answer is dropped in time. */
	io_write_timeout(c->io, worker->c.cf.client_idle_timeout);
	io_setcb(c->io, conn_read, conn_write, conn_event, c);
	io_read(c->io, 1);
	http_timer(c, worker->c.cf.client_idle_timeout);
}

/* Closes idle connections; busy ones close after their answer. */
void
http_drain(void)
{
	struct conn	*c, *next;

	for (c = TAILQ_FIRST(&conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		c->closing = 1;
		if (c->state == CONN_IDLE)
			http_close(c);
	}
}
