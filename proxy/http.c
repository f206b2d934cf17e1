/*
 * Just enough HTTP/1.1 for the probes: /ping and /ready, parsed with
 * llhttp in strict mode, keep-alive and pipelining in order.  The full
 * engine (proxying, limits per request part) builds on this.
 */
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <llhttp.h>

#include "log.h"
#include "worker.h"

#define HTTP_MAX_URL		8192
#define HTTP_MAX_HEAD		(32 * 1024)
#define HTTP_TIMEOUT_SEC	30
#define HTTP_MAX_CONNS		4096

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	struct bufferevent	*bev;
	llhttp_t		 parser;
	size_t			 head_len;	/* bytes of the current head */
	size_t			 url_len;
	char			 url[HTTP_MAX_URL];
	int			 head_done;
	int			 waiting;	/* an answer is pending */
	int			 closing;	/* close once written */
};

static TAILQ_HEAD(, conn)	conns = TAILQ_HEAD_INITIALIZER(conns);
static llhttp_settings_t	settings;

static void	conn_read(struct bufferevent *, void *);
static void	conn_write(struct bufferevent *, void *);
static void	conn_event(struct bufferevent *, short, void *);

static void
conn_free(struct conn *c)
{
	worker_ready_cancel(c);
	TAILQ_REMOVE(&conns, c, entry);
	bufferevent_free(c->bev);
	free(c);
	worker->nconns--;
	worker_conn_closed();
}

static void
respond(struct conn *c, int status, const char *reason, const char *body)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	int		 head = c->parser.method == HTTP_HEAD;
	size_t		 len = strlen(body);

	if (!llhttp_should_keep_alive(&c->parser) || worker->c.draining)
		c->closing = 1;
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-cache, no-store, must-revalidate\r\n"
	    "%s\r\n%s", status, reason, len,
	    c->closing ? "Connection: close\r\n" : "", head ? "" : body);
	c->waiting = 0;
}

/* Answers a request the parser could not accept, then closes. */
static void
respond_error(struct conn *c, int status, const char *reason)
{
	c->parser.method = HTTP_GET;
	c->closing = 1;
	respond(c, status, reason, reason);
	log_info("http: %d %s", status, reason);
}

static int
on_message_begin(llhttp_t *p)
{
	struct conn	*c = p->data;

	c->url_len = 0;
	c->head_len = 0;
	c->head_done = 0;
	return 0;
}

static int
on_url(llhttp_t *p, const char *at, size_t len)
{
	struct conn	*c = p->data;

	if (len >= sizeof(c->url) - c->url_len) {
		llhttp_set_error_reason(p, "URI too long");
		return HPE_USER;
	}
	memcpy(c->url + c->url_len, at, len);
	c->url_len += len;
	return 0;
}

static int
on_head_data(llhttp_t *p, const char *at, size_t len)
{
	struct conn	*c = p->data;

	(void)at;
	c->head_len += len;
	if (c->head_len > HTTP_MAX_HEAD) {
		llhttp_set_error_reason(p, "header block too large");
		return HPE_USER;
	}
	return 0;
}

static int
on_headers_complete(llhttp_t *p)
{
	struct conn	*c = p->data;

	c->head_done = 1;
	c->url[c->url_len] = '\0';
	return 0;
}

/* Pauses after each request, so pipelined requests are answered in order. */
static int
on_message_complete(llhttp_t *p)
{
	struct conn	*c = p->data;
	const struct config *cf = &worker->c.cf;
	size_t		 plen = strcspn(c->url, "?");

	c->waiting = 1;
	if (plen == strlen(cf->ping_path) &&
	    strncmp(c->url, cf->ping_path, plen) == 0)
		respond(c, 200, "OK", "OK");
	else if (plen == strlen(cf->ready_path) &&
	    strncmp(c->url, cf->ready_path, plen) == 0)
		worker_ready_check(c);
	else
		respond(c, 404, "Not Found", "Not Found");
	return HPE_PAUSED;
}

static void
http_settings_init(void)
{
	llhttp_settings_init(&settings);
	settings.on_message_begin = on_message_begin;
	settings.on_url = on_url;
	settings.on_header_field = on_head_data;
	settings.on_header_value = on_head_data;
	settings.on_headers_complete = on_headers_complete;
	settings.on_message_complete = on_message_complete;
}

void
http_ready_answer(struct conn *c, int ready)
{
	if (ready)
		respond(c, 200, "OK", "OK");
	else
		respond(c, 503, "Service Unavailable", "Service Unavailable");
}

static void
parse_error(struct conn *c, llhttp_errno_t err)
{
	const char	*why = llhttp_get_error_reason(&c->parser);

	if (err == HPE_USER && strcmp(why, "URI too long") == 0)
		respond_error(c, 414, "URI Too Long");
	else if (err == HPE_USER)
		respond_error(c, 431, "Request Header Fields Too Large");
	else
		respond_error(c, 400, "Bad Request");
	log_debug("http: parse error: %s", why != NULL ? why : "?");
}

/* Feeds buffered input to the parser until a request waits for its answer. */
static void
conn_parse(struct conn *c)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	llhttp_errno_t	 err;
	size_t		 len;
	const char	*data;

	while (!c->waiting && !c->closing &&
	    (len = evbuffer_get_length(in)) > 0) {
		data = (const char *)evbuffer_pullup(in, -1);
		err = llhttp_execute(&c->parser, data, len);
		if (err == HPE_OK) {
			evbuffer_drain(in, len);
			if (!c->head_done && c->head_len > HTTP_MAX_HEAD)
				respond_error(c, 431,
				    "Request Header Fields Too Large");
			break;
		}
		if (err != HPE_PAUSED) {
			parse_error(c, err);
			break;
		}
		evbuffer_drain(in, (size_t)(llhttp_get_error_pos(&c->parser) -
		    data));
		llhttp_resume(&c->parser);
	}
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	conn_parse(arg);
}

static void
conn_write(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;

	(void)bev;
	if (c->waiting)
		return;
	if (c->closing) {
		conn_free(c);
		return;
	}
	conn_parse(c);
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & BEV_EVENT_TIMEOUT)
		log_debug("http: connection timed out");
	conn_free(arg);
}

void
http_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct timeval	 tv = { HTTP_TIMEOUT_SEC, 0 };
	struct conn	*c;

	(void)l;
	(void)sa;
	(void)salen;
	(void)arg;
	if (settings.on_url == NULL)
		http_settings_init();
	if (worker->nconns >= HTTP_MAX_CONNS ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	c->bev = bufferevent_socket_new(worker->c.base, fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		evutil_closesocket(fd);
		free(c);
		return;
	}
	llhttp_init(&c->parser, HTTP_REQUEST, &settings);
	c->parser.data = c;
	TAILQ_INSERT_TAIL(&conns, c, entry);
	worker->nconns++;
	bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* Closes idle connections; busy ones close after their answer. */
void
http_drain(void)
{
	struct conn	*c, *next;

	for (c = TAILQ_FIRST(&conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->waiting)
			c->closing = 1;
		else if (evbuffer_get_length(bufferevent_get_output(c->bev))
		    == 0)
			conn_free(c);
		else
			c->closing = 1;
	}
}
