/*
 * Cookies as oauth2-proxy writes and reads them: Set-Cookie lines with
 * Go's attribute order, values too large for a browser split into
 * <name>_0, <name>_1, ... and joined back, and the Cookie header parsed.
 * Values are opaque here: the caller passes sealed text.
 */
#ifndef GH_COOKIE_H
#define GH_COOKIE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <event2/buffer.h>

#include "config.h"

/*
 * oauth2-proxy's maxCookieLength: a cookie as Go serialises it ("n=v;
 * Path=/; ...") above this is split (browsers keep 4096 bytes).
 */
#define COOKIE_SPLIT_SIZE	4000
#define COOKIE_NAME_MAX		256	/* as oauth2-proxy's cookie_name */
#define COOKIE_PARTS_MAX	16	/* parts written or joined at most */
#define COOKIE_PATH_MAX		1024
#define COOKIE_DOMAIN_MAX	253

/*
 * The config keys cookie_name, cookie_path, cookie_domains (one of them,
 * see cookie_domain_pick; NULL: a host-only cookie), cookie_expire in
 * seconds (0: a browser-session cookie), cookie_secure, cookie_httponly,
 * cookie_samesite (NULL, "", "lax", "strict" or "none").
 */
struct cookie_opts {
	const char	*name;
	const char	*path;		/* NULL or "": no Path */
	const char	*domain;
	int64_t		 max_age;
	int		 secure;
	int		 httponly;
	const char	*samesite;
};

/*
 * Appends "Set-Cookie: ...\r\n" lines that set the cookie to value: one
 * line, or (too large for one) a line per part and two more that expire
 * the unsplit name and the first unused part name, so that neither a
 * stale unsplit cookie nor a stale extra part is read back with the new
 * parts.  -1, nothing appended, for a name, value or option that is not
 * valid in a cookie, or a value needing more than COOKIE_PARTS_MAX parts.
 */
int		 cookie_set(struct evbuffer *, const struct cookie_opts *,
		    const char *value);
/* The same, with the clock given (Expires is now + max_age). */
int		 cookie_set_at(struct evbuffer *, const struct cookie_opts *,
		    const char *value, time_t now);

/*
 * Appends lines that expire the cookie and those of present_names (the
 * request's cookie names) that are its parts.  -1 for invalid options.
 */
int		 cookie_clear(struct evbuffer *, const struct cookie_opts *,
		    const char *const *present_names, size_t n);

/*
 * The value of cookie name in the request's Cookie header values: the
 * first pair of that name (as Go takes it); when there is none, its parts
 * name_0, name_1, ... joined until the first missing one.  A cookie with
 * an empty value counts as absent.  Returns the length written to out
 * (NUL-terminated), 0 if absent, -1 if the value has bytes no cookie may
 * carry, there are more than COOKIE_PARTS_MAX parts, or it does not fit.
 */
int		 cookie_get(const char *const cookie_header_values[],
		    size_t nheaders, const char *name, char *out,
		    size_t outlen);

/*
 * The entry of domains (cookie_domains) for a request to host (port
 * ignored): the longest that is host itself or a parent domain of it
 * (leading dot ignored), else NULL (a host-only cookie).
 */
const char	*cookie_domain_pick(const struct conf_list *domains,
		    const char *host);

#endif /* GH_COOKIE_H */
