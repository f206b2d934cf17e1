/*
 * Header rules between client and upstream: hop-by-hop headers go, the
 * headers gatehouse itself vouches for (identity, forwarding) are never
 * taken from the client unless it is a trusted proxy, and each message is
 * framed anew.  Names are compared the way an upstream might merge them:
 * case-insensitively and with "_" read as "-".
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

#include "conn.h"
#include "headers.h"
#include "worker.h"

#define NAME_MAX_CMP	64

static const char *const hop_by_hop[] = {
	"connection", "keep-alive", "proxy-connection", "te", "trailer",
	"transfer-encoding", "upgrade", "proxy-authenticate",
	"proxy-authorization", "content-length", "expect", NULL
};

static const char *const identity[] = {
	"x-forwarded-user", "x-forwarded-email", "x-forwarded-groups",
	"x-forwarded-preferred-username", "x-forwarded-access-token",
	"gap-auth", "gap-signature", NULL
};

static const char *const forwarding[] = {
	"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host",
	"x-forwarded-uri", "x-forwarded-port", "forwarded", "x-real-ip", NULL
};

/* Lower case with "_" as "-"; names too long to be ours never match. */
static int
normalise(const char *name, char *out)
{
	size_t	i;

	for (i = 0; name[i] != '\0'; i++) {
		if (i + 1 >= NAME_MAX_CMP)
			return -1;
		out[i] = name[i] == '_' ? '-' :
		    (char)tolower((unsigned char)name[i]);
	}
	out[i] = '\0';
	return 0;
}

static int
in_list(const char *norm, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(norm, *list) == 0)
			return 1;
	return 0;
}

static int
header_is_identity(const char *name)
{
	char	n[NAME_MAX_CMP];

	if (normalise(name, n) == -1)
		return 0;
	return in_list(n, identity) || strncmp(n, "x-auth-request-", 15) == 0;
}

static int
is_forwarding(const char *name)
{
	static char	rip[NAME_MAX_CMP];
	static int	rip_ok = -1;
	char		n[NAME_MAX_CMP];

	if (normalise(name, n) == -1)
		return 0;
	if (in_list(n, forwarding))
		return 1;
	/* The worker's config never changes: normalise it once. */
	if (rip_ok == -1)
		rip_ok = normalise(worker->c.cf.real_client_ip_header, rip) == 0;
	return rip_ok && strcmp(n, rip) == 0;
}

static int
header_is_hop_by_hop(const char *name, const char *connection)
{
	char	n[NAME_MAX_CMP];

	if (normalise(name, n) == 0 && in_list(n, hop_by_hop))
		return 1;
	return header_token_has(connection, name);
}

static void
add_header(struct evbuffer *out, const char *name, const char *value)
{
	evbuffer_add_printf(out, "%s: %s\r\n", name, value);
}

static void
add_upgrade(struct evbuffer *out)
{
	add_header(out, "Connection", "Upgrade");
	add_header(out, "Upgrade", "websocket");
}

/* A forwarding header: the trusted proxy's value, or ours. */
static void
add_forwarded(struct evbuffer *out, const struct conn *c, const char *name,
    const char *ours)
{
	const char	*theirs = NULL;

	if (c->trusted)
		theirs = http_header_get(&c->req, name);
	add_header(out, name, theirs != NULL ? theirs : ours);
}

static void
add_forwarding(struct evbuffer *out, const struct conn *c)
{
	const struct http_request	*r = &c->req;
	const char			*xff = NULL, *v;

	if (c->trusted)
		xff = http_header_get(r, "X-Forwarded-For");
	if (xff != NULL)
		evbuffer_add_printf(out, "X-Forwarded-For: %s, %s\r\n", xff,
		    c->peer);
	else
		add_header(out, "X-Forwarded-For", c->peer);
	add_forwarded(out, c, "X-Forwarded-Proto", c->tls ? "https" : "http");
	add_forwarded(out, c, "X-Forwarded-Host", r->host);
	add_forwarded(out, c, "X-Forwarded-Uri", r->target);
	if (c->trusted && (v = http_header_get(r, "Forwarded")) != NULL)
		add_header(out, "Forwarded", v);
	if (c->trusted && (v = http_header_get(r,
	    worker->c.cf.real_client_ip_header)) != NULL &&
	    strcasecmp(worker->c.cf.real_client_ip_header,
	    "X-Forwarded-For") != 0)
		add_header(out, worker->c.cf.real_client_ip_header, v);
}

void
headers_request(struct evbuffer *out, const struct conn *c,
    const struct upstream *u)
{
	const struct http_request	*r = &c->req;
	const char			*conn = http_header_get(r, "Connection");
	const struct config		*cf = &worker->c.cf;
	size_t				 i;

	evbuffer_add_printf(out, "%s %s HTTP/1.1\r\n", r->method, r->target);
	add_header(out, "Host", cf->pass_host_header && *r->host != '\0' ?
	    r->host : u->authority);
	for (i = 0; i < r->nheaders; i++) {
		const char *name = r->headers[i].name;

		if (strcasecmp(name, "Host") == 0 ||
		    header_is_hop_by_hop(name, conn) ||
		    header_is_identity(name) || is_forwarding(name) ||
		    (c->identity != NULL && auth_sets_authorization() &&
		    strcasecmp(name, "Authorization") == 0))
			continue;
		add_header(out, name, r->headers[i].value);
	}
	add_forwarding(out, c);
	if (c->identity != NULL)
		auth_headers_upstream(out, c->identity);
	if (r->chunked)
		add_header(out, "Transfer-Encoding", "chunked");
	else if (r->content_length > 0 ||
	    http_header_get(r, "Content-Length") != NULL)
		evbuffer_add_printf(out, "Content-Length: %llu\r\n",
		    (unsigned long long)r->content_length);
	if (r->upgrade)
		add_upgrade(out);
	else if (cf->disable_keep_alives)
		add_header(out, "Connection", "close");
	evbuffer_add_lit(out, "\r\n");
}

/*
 * The client's copy of an upstream answer's headers.  framing is how
 * gatehouse frames the body: a Content-Length, chunked, or none.
 */
void
headers_response(struct evbuffer *out, const struct conn *c,
    const struct http_header *h, size_t n, int status, const char *reason,
    enum framing framing, uint64_t length)
{
	const char	*conn = NULL;
	size_t		 i;

	for (i = 0; i < n; i++)
		if (strcasecmp(h[i].name, "Connection") == 0)
			conn = h[i].value;
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n", status,
	    reason != NULL && *reason != '\0' ? reason : http_reason(status));
	for (i = 0; i < n; i++)
		if (!header_is_hop_by_hop(h[i].name, conn))
			add_header(out, h[i].name, h[i].value);
	if (c->identity != NULL)
		auth_headers_response(out, c->identity);
	if (c->set_cookie != NULL)
		evbuffer_add(out, evbuffer_pullup(c->set_cookie, -1),
		    evbuffer_get_length(c->set_cookie));
	if (framing == FRAME_LENGTH)
		evbuffer_add_printf(out, "Content-Length: %llu\r\n",
		    (unsigned long long)length);
	else if (framing == FRAME_CHUNKED)
		add_header(out, "Transfer-Encoding", "chunked");
	if (status == 101)
		add_upgrade(out);
	else if (c->closing)
		add_header(out, "Connection", "close");
	evbuffer_add_lit(out, "\r\n");
}
