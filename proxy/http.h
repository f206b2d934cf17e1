/*
 * The worker's HTTP/1.1 engine: client connections, request heads parsed
 * with llhttp in strict mode, local answers, and the hooks the router and
 * the proxy use.  Internal to gatehouse-proxy.
 */
#ifndef GH_HTTP_H
#define GH_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <event2/buffer.h>

struct conn;

/* oauth2-proxy's headers on every answer of its own endpoints. */
#define HTTP_NO_CACHE	"Cache-Control: no-cache, no-store, must-revalidate, " \
			"max-age=0\r\nExpires: Thu, 01 Jan 1970 00:00:00 UTC\r\n" \
			"X-Accel-Expires: 0\r\n"

/* Appends a string literal; its length is counted by the compiler. */
#define evbuffer_add_lit(buf, lit)	evbuffer_add((buf), (lit), sizeof(lit) - 1)

struct http_header {
	char		*name;
	char		*value;
};

/* One request head.  Strings live in the connection's bounded arena. */
struct http_request {
	const char		*method;	/* "GET" */
	int			 method_id;	/* llhttp_method_t */
	char			*target;	/* the request-target as sent */
	char			*path;		/* target without the query */
	const char		*query;		/* after '?', or NULL */
	int			 minor;		/* HTTP/1.minor */
	struct http_header	*headers;
	size_t			 nheaders;
	const char		*host;		/* Host, or "" */
	int			 keep_alive;
	int			 upgrade;	/* Connection: upgrade + Upgrade */
	int			 expect_continue;
	int			 has_body;	/* Content-Length > 0 or chunked */
	int			 chunked;
	uint64_t		 content_length;
	struct timespec		 start;		/* CLOCK_REALTIME */
};

const struct http_request *http_req(const struct conn *);

/* The first header of that name (case-insensitive), or NULL. */
const char	*http_header_get(const struct http_request *, const char *);

/*
 * A complete local answer.  extra is NULL or header lines, each ending in
 * CRLF.  A request body not yet read is not read: the connection closes
 * after the answer.
 */
void	http_respond(struct conn *, int status, const char *ctype,
	    const char *extra, const char *body, size_t len);

/* A short text page for an error status ("Not Found", ...). */
void	http_respond_error(struct conn *, int status);

/*
 * A local answer streamed from a source of known length (static files):
 * after the head, fill() is called whenever the client can take more; it
 * appends to out and returns 1 for more, 0 when done, -1 to give up (the
 * connection closes).  done() is called once, however it ends.
 */
struct http_stream {
	int	(*fill)(struct evbuffer *out, void *arg);
	void	(*done)(void *arg);
	void	 *arg;
};
void	http_respond_stream(struct conn *, int status, const char *ctype,
	    const char *extra, uint64_t length, const struct http_stream *);

/* Status line reason phrases. */
const char	*http_reason(int status);

#endif /* GH_HTTP_H */
