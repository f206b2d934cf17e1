/*
 * Request heads: llhttp's callbacks (strict mode, no lenient flag), the
 * arena they fill, and the checks llhttp leaves to us: the target's form,
 * one Host, Transfer-Encoding exactly "chunked", Expect, limits.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conn.h"
#include "head.h"
#include "log.h"
#include "worker.h"

/* A callback refuses the request with this status. */
static int
limit(llhttp_t *p, int status)
{
	struct conn	*c = p->data;

	c->refuse_status = status;
	return HPE_USER;
}

/* A head callback's answer: 0, or refuse with its status. */
static int
head_result(llhttp_t *p, int status)
{
	return status == 0 ? 0 : limit(p, status);
}

static int
on_message_begin(llhttp_t *p)
{
	struct conn		*c = p->data;
	const struct config	*cf = &worker->c.cf;

	evtimer_del(c->timer);
	free(c->arena);
	/* Room for a copy of the path too (split_target). */
	c->arena = malloc(head_size((size_t)cf->max_header_bytes,
	    (size_t)cf->max_headers, (size_t)cf->max_uri_length));
	if (c->arena == NULL)
		return -1;
	head_init(&c->head, c->arena, (size_t)cf->max_header_bytes,
	    (size_t)cf->max_headers);
	memset(&c->req, 0, sizeof(c->req));
	c->body_done = 0;
	c->refuse_status = 0;
	c->state = CONN_HEAD;
	c->req.target = c->head.arena + c->head.used;
	clock_gettime(CLOCK_REALTIME, &c->req.start);
	http_timer(c, cf->client_header_timeout);
	return 0;
}

static int
on_url(llhttp_t *p, const char *at, size_t len)
{
	struct conn	*c = p->data;

	if (c->head.bytes + len > (size_t)worker->c.cf.max_uri_length)
		return limit(p, 414);
	return head_result(p, head_add(&c->head, at, len));
}

static int
on_url_complete(llhttp_t *p)
{
	return head_end(&((struct conn *)p->data)->head);
}

static int
on_header_field(llhttp_t *p, const char *at, size_t len)
{
	return head_result(p, head_field(&((struct conn *)p->data)->head, at,
	    len));
}

static int
on_header_field_complete(llhttp_t *p)
{
	return head_result(p, head_field_complete(
	    &((struct conn *)p->data)->head));
}

static int
on_header_value(llhttp_t *p, const char *at, size_t len)
{
	return head_result(p, head_value(&((struct conn *)p->data)->head, at,
	    len));
}

static int
on_header_value_complete(llhttp_t *p)
{
	return head_value_complete(&((struct conn *)p->data)->head);
}

const char *
http_header_get(const struct http_request *r, const char *name)
{
	size_t	i;

	for (i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

/* "Connection: keep-alive, Upgrade" has the token "upgrade". */
int
header_token_has(const char *list, const char *token)
{
	size_t	n = strlen(token), len;

	while (list != NULL && *list != '\0') {
		list += strspn(list, " \t,");
		len = strcspn(list, " \t,");
		if (len == n && strncasecmp(list, token, n) == 0)
			return 1;
		list += len;
	}
	return 0;
}

/* Exactly one header of that name, or NULL (with *dup set when several). */
static const char *
header_once(const struct http_request *r, const char *name, int *dup)
{
	const char	*v = NULL;
	size_t		 i;

	for (i = 0; i < r->nheaders; i++) {
		if (strcasecmp(r->headers[i].name, name) != 0)
			continue;
		if (v != NULL)
			*dup = 1;
		v = r->headers[i].value;
	}
	return v;
}

/*
 * An absolute-form target is taken only when it names the Host it came
 * with, so it cannot route a request somewhere the Host header does not
 * say; it becomes origin-form.
 */
static int
target_form(struct http_request *r)
{
	char	*t = r->target, *path;
	size_t	 skip, hlen;

	if (t[0] == '/')
		return 0;
	if (strncasecmp(t, "http://", 7) == 0)
		skip = 7;
	else if (strncasecmp(t, "https://", 8) == 0)
		skip = 8;
	else
		return -1;
	path = strchr(t + skip, '/');
	hlen = path != NULL ? (size_t)(path - t - skip) : strlen(t + skip);
	if (strlen(r->host) != hlen || strncasecmp(t + skip, r->host,
	    hlen) != 0)
		return -1;
	r->target = path != NULL ? path : "/";
	return 0;
}

static void
split_target(struct http_request *r, struct conn *c)
{
	char	*q = strchr(r->target, '?');

	if (q == NULL) {
		r->path = r->target;
		return;
	}
	/* The path gets its own copy, so the target stays whole. */
	r->path = c->head.arena + c->head.used;
	memcpy(r->path, r->target, (size_t)(q - r->target));
	r->path[q - r->target] = '\0';
	c->head.used += (size_t)(q - r->target) + 1;
	r->query = q + 1;
}

/* What llhttp leaves to us; returns the status to refuse with, or 0. */
static int
check_head(struct conn *c)
{
	struct http_request	*r = &c->req;
	const char		*te, *expect;
	int			 dup = 0;

	if (c->parser.http_major != 1)
		return 505;
	if (r->method_id == HTTP_CONNECT)
		return 400;
	if ((r->host = header_once(r, "Host", &dup)) == NULL) {
		if (r->minor >= 1 || dup)
			return 400;
		r->host = "";
	}
	if (dup || target_form(r) == -1)
		return 400;
	te = header_once(r, "Transfer-Encoding", &dup);
	if (dup || (te != NULL && strcasecmp(te, "chunked") != 0))
		return 400;
	expect = http_header_get(r, "Expect");
	if (expect != NULL && strcasecmp(expect, "100-continue") != 0)
		return 417;
	r->expect_continue = expect != NULL;
	return 0;
}

static int
on_headers_complete(llhttp_t *p)
{
	struct conn		*c = p->data;
	struct http_request	*r = &c->req;
	int			 status;

	r->headers = c->head.h;
	r->nheaders = c->head.nh;
	r->method_id = p->method;
	r->method = llhttp_method_name(p->method);
	r->minor = p->http_minor;
	r->keep_alive = llhttp_should_keep_alive(p);
	r->chunked = (p->flags & F_CHUNKED) != 0;
	r->content_length = r->chunked ? 0 : p->content_length;
	r->has_body = r->chunked || r->content_length > 0;
	if ((status = check_head(c)) != 0)
		return limit(p, status);
	split_target(r, c);
	r->upgrade = p->upgrade && worker->c.cf.proxy_websockets &&
	    header_token_has(http_header_get(r, "Connection"), "upgrade") &&
	    strcasecmp(http_header_get(r, "Upgrade"), "websocket") == 0;
	/* Any other upgrade is refused by carrying on as plain HTTP. */
	p->upgrade = r->upgrade;
	evtimer_del(c->timer);
	c->state = CONN_BUSY;
	router_dispatch(c);
	/* Answered without the body: stop here, the connection closes. */
	if (c->closing && r->has_body)
		return HPE_PAUSED;
	/* A body waits until its session is known (http_resume). */
	if (c->waiting && r->has_body) {
		c->body_held = 1;
		return HPE_PAUSED;
	}
	return 0;
}

static int
on_body(llhttp_t *p, const char *at, size_t len)
{
	struct conn	*c = p->data;

	if (c->sink != BODY_FORWARD)
		return 0;
	http_timer(c, worker->c.cf.client_body_timeout);
	return proxy_body(c, at, len) == -1 ? -1 : 0;
}

/* Stops after each request: the next one waits for this answer. */
static int
on_message_complete(llhttp_t *p)
{
	struct conn	*c = p->data;

	c->body_done = 1;
	evtimer_del(c->timer);
	if (c->sink == BODY_FORWARD)
		proxy_body_done(c);
	return HPE_PAUSED;
}

void
http_parse_init(llhttp_settings_t *s)
{
	llhttp_settings_init(s);
	s->on_message_begin = on_message_begin;
	s->on_url = on_url;
	s->on_url_complete = on_url_complete;
	s->on_header_field = on_header_field;
	s->on_header_field_complete = on_header_field_complete;
	s->on_header_value = on_header_value;
	s->on_header_value_complete = on_header_value_complete;
	s->on_headers_complete = on_headers_complete;
	s->on_body = on_body;
	s->on_message_complete = on_message_complete;
}

void
http_parse_error(struct conn *c, llhttp_errno_t err)
{
	const char	*why = llhttp_get_error_reason(&c->parser);

	if (c->state == CONN_BUSY && c->sink == BODY_FORWARD) {
		/* A bad body after the head went upstream: cut that off. */
		proxy_abort(c);
		c->sink = BODY_NONE;
		if (c->status != 0) {
			log_info("http: %s: bad request body: %s", c->peer,
			    why != NULL ? why : "?");
			http_close(c);
			return;
		}
	}
	if (err == HPE_USER && c->refuse_status != 0)
		http_refuse(c, c->refuse_status, why != NULL ? why : "limit");
	else
		http_refuse(c, 400, why != NULL ? why : llhttp_errno_name(err));
}
