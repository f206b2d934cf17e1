/*
 * The `upstreams` key, parsed once: by the parent to validate, by each
 * worker to route.  Forms (oauth2-proxy's):
 *	http://host[:port]/path	https://...	the path is the route key:
 *				ending in "/" a prefix, otherwise exact; the
 *				request goes upstream with its own URI
 *	unix:///path/to.sock	HTTP over a unix socket, mounted at /
 *	file:///dir/[#/mount/]	static files from dir, mounted at /mount/
 *				(default: the directory path itself)
 *	static://CODE		always CODE (200 when unparsable), body
 *				"Authenticated", mounted at /
 */
#ifndef GH_UPSTREAM_H
#define GH_UPSTREAM_H

#include <stddef.h>

#include "config.h"

#define UPSTREAM_MAX	64

enum upstream_type {
	UPSTREAM_HTTP,
	UPSTREAM_HTTPS,
	UPSTREAM_UNIX,
	UPSTREAM_FILE,
	UPSTREAM_STATIC,
};

struct upstream {
	enum upstream_type	 type;
	char			*id;		/* the configured text, for logs */
	char			*route;		/* path prefix or exact path */
	int			 prefix;	/* route ends in "/" */
	char			*host;		/* http(s): host name, no brackets */
	char			*port;		/* http(s): "80"/"443" by default */
	char			*authority;	/* host[:port] as written, for Host */
	char			*path;		/* unix: socket; file: directory */
	int			 status;	/* static: the code */
};

struct upstream_set {
	struct upstream		 u[UPSTREAM_MAX];
	size_t			 n;
};

/*
 * Parses every entry of cf->upstreams.  Returns 0, or -1 after reporting
 * each bad entry through diag ("upstreams: ENTRY: what is wrong").  Two
 * entries with the same route are an error, as in oauth2-proxy.
 */
int	upstream_parse_all(const struct config *, struct upstream_set *,
	    struct conf_diag *);
void	upstream_free_all(struct upstream_set *);

/*
 * The upstream for a request path (raw, encoded, without the query): the
 * longest matching route.  NULL when none matches; then *redirect is set
 * when the path plus "/" would match (oauth2-proxy answers 301 to it).
 */
const struct upstream *upstream_match(const struct upstream_set *,
	    const char *path, int *redirect);

#endif /* GH_UPSTREAM_H */
