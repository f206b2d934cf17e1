/*
 * Which requests need no session: skip_auth_routes ([METHOD=|METHOD!=|!=]
 * regex), skip_auth_regex, skip_auth_preflight and trusted_ips; and the
 * peers whose X-Forwarded-* headers are believed (trusted_proxy_ips).
 * Regexes are PCRE2, unanchored, with match limits, never JIT (the worker
 * has no executable memory).  Compiled by the parent to validate, and by
 * each worker to match.
 */
#ifndef GH_ROUTE_H
#define GH_ROUTE_H

#include <sys/socket.h>

#include <stddef.h>

#include "config.h"

struct route_set;
struct cidr_set;

struct route_set *route_compile(const struct config *, struct conf_diag *);
/* A list of plain regexes (api_routes); route_skip_auth matches it. */
struct route_set *route_compile_list(const struct conf_list *,
		    const char *key, struct conf_diag *);
void		  route_free(struct route_set *);

/* 1 when a request with this method and normalised path needs no session. */
int	route_skip_auth(const struct route_set *, const char *method,
	    const char *path);

/*
 * oauth2-proxy's normalised path of a request target: cut at the first
 * '#', drop the query, percent-decode, cut at '#' again (so "%23" cuts
 * too).  -1 when the target is not origin-form or does not fit.
 */
int	route_normalise_path(const char *target, char *out, size_t outlen);

/* IP addresses and CIDR blocks ("10.0.0.0/8", "::1"); host bits set: error. */
struct cidr_set	*cidr_parse(const struct conf_list *, const char *key,
		    struct conf_diag *);
void		 cidr_free(struct cidr_set *);
int		 cidr_match(const struct cidr_set *, const struct sockaddr *);
int		 cidr_match_text(const struct cidr_set *, const char *ip);

#endif /* GH_ROUTE_H */
