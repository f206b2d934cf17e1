/*
 * Where the user goes after sign-in and sign-out: the target a request
 * names (rd, X-Auth-Request-Redirect, the request itself), accepted only
 * when no browser and no later decoding step can read it as another host.
 * oauth2-proxy's rules (its reference, section 2.9), made stricter; every
 * target gatehouse accepts, oauth2-proxy accepts too.
 */
#ifndef GH_REDIRECT_H
#define GH_REDIRECT_H

#include "config.h"

/*
 * Longest target accepted.  The target travels inside the sealed CSRF
 * cookie, which must stay under a browser's 4 kB.
 */
#define REDIRECT_MAX_LEN	2048

/*
 * 1 if rd is a safe target: a path ("/x", not "//x", "/\x", "/%2fx",
 * "/\t/x", "/../x") or an http(s) URL whose host and port match
 * whitelist (its whitelist_domains; NULL: none).  0 otherwise.
 */
int		 redirect_valid(const char *rd,
		    const struct conf_list *whitelist);

/*
 * The first acceptable target of, in this order: the rd parameter
 * (decoded), the X-Auth-Request-Redirect header, then the trusted
 * X-Forwarded-Uri, or (without one) the request URI.  Any may be NULL.
 * The caller passes NULL for x_forwarded_uri unless the peer is a
 * trusted proxy, and NULL for both URIs when they lie under proxy_prefix
 * (redirect_under_prefix), so that /oauth2/start never leads back to
 * itself.  Returns one of the arguments, or "/" when none is acceptable.
 */
const char	*redirect_pick(const char *rd_param,
		    const char *x_auth_request_redirect,
		    const char *x_forwarded_uri, const char *request_uri,
		    const struct conf_list *whitelist);

/* 1 if a whitelist_domains entry can match anything (gatehouse -n). */
int		 redirect_whitelist_entry_ok(const char *entry);

/* 1 if uri lies beneath prefix: "/oauth2/x" for "/oauth2", as oauth2-proxy. */
int		 redirect_under_prefix(const char *uri, const char *prefix);

#endif /* GH_REDIRECT_H */
