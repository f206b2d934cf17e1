/*
 * libFuzzer target: the request parsing path of gatehouse-proxy
 * (proxy/http_parse.c on llhttp), with the rest of the engine stubbed:
 * every head it accepts is checked for the invariants the router relies
 * on, and pipelined requests are parsed one after another as the engine
 * does.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "worker.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct worker	w;
struct worker		*worker = &w;
static int		refused;

void
http_timer(struct conn *c, int64_t ns)
{
	(void)c;
	(void)ns;
}

void
http_close(struct conn *c)
{
	c->closing = 1;
}

void
http_refuse(struct conn *c, int status, const char *why)
{
	(void)why;
	assert(status >= 400 && status < 600);
	c->closing = 1;
	refused = 1;
}

int
proxy_body(struct conn *c, const char *at, size_t len)
{
	(void)c;
	(void)at;
	(void)len;
	return 0;
}

void
proxy_body_done(struct conn *c)
{
	(void)c;
}

void
proxy_abort(struct conn *c)
{
	(void)c;
}

/* What the router may assume of every head that reaches it. */
void
router_dispatch(struct conn *c)
{
	const struct http_request	*r = &c->req;
	size_t				 i;

	assert(r->target[0] == '/');
	assert(strchr(r->path, '?') == NULL);
	assert(r->host != NULL);
	assert(r->nheaders <= (size_t)w.c.cf.max_headers);
	for (i = 0; i < r->nheaders; i++)
		assert(r->headers[i].name != NULL && r->headers[i].value != NULL);
	assert(!(r->chunked && r->content_length != 0));
	c->sink = r->has_body ? BODY_FORWARD : BODY_NONE;
}

static void
no_timeout(evutil_socket_t s, short ev, void *arg)
{
	(void)s;
	(void)ev;
	(void)arg;
}

static void
setup(void)
{
	w.c.base = event_base_new();
	config_init(&w.c.cf);
	w.c.cf.max_headers = 20;
	w.c.cf.max_header_bytes = 2048;
	w.c.cf.max_uri_length = 512;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static llhttp_settings_t	settings;
	struct conn			c;
	llhttp_errno_t			err;
	const char			*p = (const char *)data;

	if (settings.on_message_begin == NULL) {
		setup();
		http_parse_init(&settings);
	}
	memset(&c, 0, sizeof(c));
	c.timer = evtimer_new(w.c.base, no_timeout, NULL);
	refused = 0;
	llhttp_init(&c.parser, HTTP_REQUEST, &settings);
	c.parser.data = &c;
	while (len > 0 && !c.closing) {
		c.head.buf_start = p;
		c.head.buf_end = p + len;
		err = llhttp_execute(&c.parser, p, len);
		if (err != HPE_PAUSED)
			break;
		/* The next pipelined request, as the engine goes on. */
		len -= (size_t)(llhttp_get_error_pos(&c.parser) - p);
		p = llhttp_get_error_pos(&c.parser);
		llhttp_resume(&c.parser);
	}
	free(c.arena);
	event_free(c.timer);
	return 0;
}
