/*
 * Upstreams answered by the worker itself: file:// (static files from a
 * directory opened before the sandbox) and static:// (a fixed status).
 */
#ifndef GH_STATIC_H
#define GH_STATIC_H

#include <stddef.h>

#include "http.h"
#include "upstream.h"

/*
 * Before the sandbox: opens each file:// directory.  The fds go into
 * dirs (for Landlock's read-only rules); returns how many, -1 on error.
 */
int	static_privinit(const struct upstream_set *, int *dirs, size_t max);

/* Answers a request routed to u; path is the request's raw path. */
void	static_serve(struct conn *, const struct upstream *, const char *path);

/*
 * The file a raw request path names beneath a file:// mount: the mount
 * route stripped, leading slashes dropped, percent-decoded; "." for the
 * directory itself, a final "/" kept.  -1 (the answer is 404) for a path
 * not under route, a bad escape, an encoded "/" or "\", a NUL, a "." or
 * ".." segment, or a result longer than outlen.
 */
int	static_map_path(const char *route, const char *path, char *out,
	    size_t outlen);

#endif /* GH_STATIC_H */
