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

#endif /* GH_STATIC_H */
