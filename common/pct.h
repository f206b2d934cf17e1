/*
 * Percent-encoding, as URLs and request targets use it.
 */
#ifndef GH_PCT_H
#define GH_PCT_H

#include <stddef.h>

struct evbuffer;

/* The value of a hex digit, or -1. */
int	pct_hexval(char);

/*
 * Appends s percent-encoded for a query or form value: every byte but
 * the RFC 3986 unreserved ones (so a space is %20, never '+').
 */
void	pct_encode(struct evbuffer *, const char *s);

/*
 * A query value, n bytes at v: '+' is a space, %XX decoded.  Writes it
 * and a NUL to out; -1 when a '%' is bad or it does not fit (a decoded
 * NUL is kept: callers that want text check strlen).
 */
int	pct_query_value(const char *v, size_t n, char *out, size_t len);

/* The first value of name in query (NULL is none): 1, 0 absent, -1 bad. */
int	pct_query_get(const char *query, const char *name, char *out,
	    size_t len);

#endif /* GH_PCT_H */
