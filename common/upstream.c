/*
 * The `upstreams` key: each entry parsed into its type, route and target,
 * and the longest-route match of a request path.  A small parser of our
 * own: neither the parent nor the workers link libcurl, and the forms are
 * few.  Routes are kept as written, percent-encoded, since requests are
 * matched on their raw path; file and socket paths are decoded, as Go's
 * url.Parse does for oauth2-proxy.
 */
#include <sys/un.h>

#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "upstream.h"
#include "pct.h"

#define UP_LABEL_MAX	128		/* an entry as quoted in errors */
#define UP_HOST_MAX	253		/* DNS name, RFC 1035 */
#define STATUS_DEFAULT	200
#define STATUS_MIN	100
#define STATUS_MAX	599

/* Characters of a path segment besides %XX (RFC 3986 pchar), and '/'. */
static const char	path_chars[] = "abcdefghijklmnopqrstuvwxyz"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/";
static const char	host_chars[] = "abcdefghijklmnopqrstuvwxyz"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._";

/* One entry being parsed: its text, for messages, and where they go. */
struct up_ctx {
	const char		*text;
	char			 label[UP_LABEL_MAX];
	struct conf_diag	*diag;
};

static void __attribute__((format(printf, 3, 0)))
up_vreport(struct up_ctx *c, const char *prefix, const char *fmt, va_list ap)
{
	char	msg[512];
	int	n;

	n = snprintf(msg, sizeof(msg), "%supstreams: %s: ", prefix, c->label);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	if (c->diag->report != NULL)
		c->diag->report(c->diag->arg, msg);
}

/* Reports an error in the entry; returns -1 for the caller to return. */
static int __attribute__((format(printf, 2, 3)))
up_error(struct up_ctx *c, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	up_vreport(c, "", fmt, ap);
	va_end(ap);
	c->diag->nerrors++;
	return -1;
}

static void __attribute__((format(printf, 2, 3)))
up_warn(struct up_ctx *c, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	up_vreport(c, "warning: ", fmt, ap);
	va_end(ap);
}

/*
 * The entry as quoted in messages: cut short, and with any user
 * information replaced, so that a password never reaches a log.
 */
static void
up_label(struct up_ctx *c)
{
	const char	*auth, *at, *end;
	int		 n;

	auth = strstr(c->text, "://");
	auth = auth != NULL ? auth + 3 : c->text;
	end = auth + strcspn(auth, "/?#");
	at = memchr(auth, '@', (size_t)(end - auth));
	if (at == NULL)
		n = snprintf(c->label, sizeof(c->label), "%s", c->text);
	else
		n = snprintf(c->label, sizeof(c->label), "%.*s***%s",
		    (int)(auth - c->text), c->text, at);
	if (n < 0 || (size_t)n >= sizeof(c->label))
		memcpy(c->label + sizeof(c->label) - 4, "...", 4);
}

/* Percent-decodes s[0..n) into a new string; NULL on a bad escape or %00. */
static char *
pct_decode(const char *s, size_t n)
{
	char	*out, *o;
	size_t	 i;
	int	 hi, lo;

	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0, o = out; i < n; i++) {
		if (s[i] != '%') {
			*o++ = s[i];
			continue;
		}
		if (i + 2 >= n)
			break;
		if ((hi = pct_hexval(s[i + 1])) == -1 ||
		    (lo = pct_hexval(s[i + 2])) == -1 || (hi == 0 && lo == 0))
			break;
		*o++ = (char)(hi << 4 | lo);
		i += 2;
	}
	if (i < n) {
		free(out);
		return NULL;
	}
	*o = '\0';
	return out;
}

/* s[0..n) is a path as a URL carries it: pchars, '/', and %XX. */
static int
valid_url_path(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || s[0] != '/')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n)
				return 0;
			if (pct_hexval(s[i + 1]) == -1 || pct_hexval(s[i + 2]) == -1)
				return 0;
			i += 2;
		} else if (s[i] == '\0' || strchr(path_chars, s[i]) == NULL)
			return 0;
	}
	return 1;
}

/* Whether a path has a "." or ".." segment, which no request path has. */
static int
has_dot_segment(const char *s)
{
	const char	*seg;
	size_t		 n;

	for (seg = s; seg != NULL; seg = strchr(seg, '/')) {
		seg++;
		n = strcspn(seg, "/");
		if ((n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return 1;
		if (seg[n] == '\0')
			break;
	}
	return 0;
}

/* Sets u->route from s[0..n): a prefix when it ends in '/'. */
static int
set_route(struct up_ctx *c, struct upstream *u, const char *s, size_t n)
{
	if (!valid_url_path(s, n))
		return up_error(c, "the path must begin with \"/\" and hold "
		    "only URL path characters");
	if ((u->route = strndup(s, n)) == NULL)
		return up_error(c, "out of memory");
	if (has_dot_segment(u->route))
		return up_error(c, "the path must not have \".\" or \"..\" "
		    "segments");
	u->prefix = u->route[n - 1] == '/';
	return 0;
}

/* A decimal TCP port, 1 to 65535, stored without leading zeros. */
static int
parse_port(const char *s, size_t n, char **port)
{
	char	buf[8];
	long	v = 0;
	size_t	i;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	snprintf(buf, sizeof(buf), "%ld", v);
	return (*port = strdup(buf)) == NULL ? -1 : 0;
}

/* host[:port] or [v6][:port]: u->host without brackets, u->port. */
static int
parse_authority(struct up_ctx *c, struct upstream *u, const char *a,
    size_t n)
{
	struct in6_addr	 in6;
	const char	*h = a, *colon, *rb;
	size_t		 hn;

	if (n > 0 && a[0] == '[') {
		if ((rb = memchr(a, ']', n)) == NULL)
			return up_error(c, "missing \"]\" after the IPv6 "
			    "address");
		h = a + 1;
		hn = (size_t)(rb - h);
		colon = rb + 1 < a + n ? rb + 1 : NULL;
		if (colon != NULL && *colon != ':')
			return up_error(c, "expected \":\" and a port "
			    "after \"]\"");
		if ((u->host = strndup(h, hn)) == NULL)
			return up_error(c, "out of memory");
		if (inet_pton(AF_INET6, u->host, &in6) != 1)
			return up_error(c, "bad IPv6 address");
	} else {
		colon = memchr(a, ':', n);
		hn = colon != NULL ? (size_t)(colon - a) : n;
		if (colon != NULL && memchr(colon + 1, ':',
		    n - hn - 1) != NULL)
			return up_error(c, "an IPv6 address must be in "
			    "brackets, as in http://[::1]:8080/");
		if (hn == 0)
			return up_error(c, "missing host");
		if ((u->host = strndup(h, hn)) == NULL)
			return up_error(c, "out of memory");
		if (hn > UP_HOST_MAX || strspn(u->host, host_chars) != hn)
			return up_error(c, "bad host name");
	}
	if (colon == NULL)
		u->port = strdup(u->type == UPSTREAM_HTTPS ? "443" : "80");
	else if (parse_port(colon + 1, n - (size_t)(colon + 1 - a),
	    &u->port) == -1)
		return up_error(c, "bad port: expected 1 to 65535");
	if (u->port == NULL || (u->authority = strndup(a, n)) == NULL)
		return up_error(c, "out of memory");
	return 0;
}

/* http://host[:port][/path]: the path, "/" when none, is the route. */
static int
parse_http(struct up_ctx *c, struct upstream *u, const char *rest)
{
	size_t	an = strcspn(rest, "/?#");

	if (rest[strcspn(rest, "?#")] != '\0')
		return up_error(c, "a query or fragment is not supported "
		    "in an upstream URL");
	if (memchr(rest, '@', an) != NULL)
		return up_error(c, "user information is not supported in "
		    "an upstream URL");
	if (an == 0)
		return up_error(c, "missing host");
	if (parse_authority(c, u, rest, an) == -1)
		return -1;
	if (rest[an] == '\0')
		return set_route(c, u, "/", 1);
	return set_route(c, u, rest + an, strlen(rest + an));
}

/* A local path from a URL: absolute, decoded, no query. */
static char *
local_path(struct up_ctx *c, const char *s, size_t n, const char *form)
{
	char	*p;

	if (n == 0 || s[0] != '/') {
		up_error(c, "expected an absolute path, as in %s", form);
		return NULL;
	}
	if (memchr(s, '?', n) != NULL) {
		up_error(c, "a query is not supported in an upstream URL");
		return NULL;
	}
	if ((p = pct_decode(s, n)) == NULL)
		up_error(c, "bad percent-encoding in the path");
	return p;
}

/* unix:///path/to.sock: mounted at /, Host "localhost". */
static int
parse_unix(struct up_ctx *c, struct upstream *u, const char *rest)
{
	struct sockaddr_un	sun;

	if (strchr(rest, '#') != NULL)
		return up_error(c, "a fragment is not supported in a "
		    "unix upstream");
	if ((u->path = local_path(c, rest, strlen(rest),
	    "unix:///run/app.sock")) == NULL)
		return -1;
	if (strlen(u->path) >= sizeof(sun.sun_path))
		return up_error(c, "socket path longer than %zu bytes",
		    sizeof(sun.sun_path) - 1);
	if ((u->host = strdup("localhost")) == NULL ||
	    (u->authority = strdup("localhost")) == NULL)
		return up_error(c, "out of memory");
	return set_route(c, u, "/", 1);
}

/* file:///dir/[#/mount/]: the mount defaults to the directory's path. */
static int
parse_file(struct up_ctx *c, struct upstream *u, const char *rest)
{
	const char	*frag = strchr(rest, '#');
	size_t		 dn = frag != NULL ? (size_t)(frag - rest) : strlen(rest);

	if ((u->path = local_path(c, rest, dn, "file:///var/www/")) == NULL)
		return -1;
	if (frag != NULL && frag[1] != '\0')
		return set_route(c, u, frag + 1, strlen(frag + 1));
	return set_route(c, u, rest, dn);
}

/*
 * static://CODE: as oauth2-proxy, 200 when CODE is no number (with a
 * warning); unlike it, a number that is no HTTP status is an error.
 */
static int
parse_static(struct up_ctx *c, struct upstream *u, const char *rest)
{
	size_t	 n = strcspn(rest, "/?#"), i = 0;
	long	 v = 0;

	u->status = STATUS_DEFAULT;
	if (n > 0 && (rest[0] == '+' || rest[0] == '-'))
		i = 1;
	if (n == i || strspn(rest + i, "0123456789") < n - i) {
		up_warn(c, "no status code: answering %d, as oauth2-proxy "
		    "does", STATUS_DEFAULT);
		return set_route(c, u, "/", 1);
	}
	for (; i < n && v <= STATUS_MAX; i++)
		v = v * 10 + (rest[i] - '0');
	if (rest[0] == '-' || v < STATUS_MIN || v > STATUS_MAX)
		return up_error(c, "status code must be between %d and %d",
		    STATUS_MIN, STATUS_MAX);
	u->status = (int)v;
	return set_route(c, u, "/", 1);
}

static int
parse_one(struct up_ctx *c, struct upstream *u)
{
	static const struct {
		const char		*scheme;
		enum upstream_type	 type;
		int			(*parse)(struct up_ctx *,
					    struct upstream *, const char *);
	} schemes[] = {
		{ "http", UPSTREAM_HTTP, parse_http },
		{ "https", UPSTREAM_HTTPS, parse_http },
		{ "unix", UPSTREAM_UNIX, parse_unix },
		{ "file", UPSTREAM_FILE, parse_file },
		{ "static", UPSTREAM_STATIC, parse_static },
	};
	const char	*sep = strstr(c->text, "://");
	size_t		 i, n;

	if ((u->id = strdup(c->text)) == NULL)
		return up_error(c, "out of memory");
	if (sep == NULL)
		return up_error(c, "expected http://, https://, unix://, "
		    "file:// or static://");
	n = (size_t)(sep - c->text);
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strlen(schemes[i].scheme) != n ||
		    strncasecmp(schemes[i].scheme, c->text, n) != 0)
			continue;
		u->type = schemes[i].type;
		return schemes[i].parse(c, u, sep + 3);
	}
	up_error(c, "unknown scheme \"%.*s\": expected http, https, "
	    "unix, file or static", (int)(n > 16 ? 16 : n), c->text);
	return -1;
}

static void
upstream_free(struct upstream *u)
{
	free(u->id);
	free(u->route);
	free(u->host);
	free(u->port);
	free(u->authority);
	free(u->path);
	memset(u, 0, sizeof(*u));
}

/* Two entries with one route: oauth2-proxy refuses them too. */
static int
check_duplicates(const struct config *cf, const struct upstream_set *set,
    struct conf_diag *diag)
{
	struct up_ctx	c;
	size_t		i, j;
	int		bad = 0;

	for (i = 0; i < set->n; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(set->u[i].route, set->u[j].route) != 0)
				continue;
			c.text = cf->upstreams.v[i];
			c.diag = diag;
			up_label(&c);
			up_error(&c, "route %s is also that of %.64s",
			    set->u[i].route, cf->upstreams.v[j]);
			bad = 1;
			break;
		}
	}
	return bad ? -1 : 0;
}

int
upstream_parse_all(const struct config *cf, struct upstream_set *set,
    struct conf_diag *diag)
{
	struct up_ctx	c;
	size_t		i;
	int		bad = 0;

	memset(set, 0, sizeof(*set));
	if (cf->upstreams.n > UPSTREAM_MAX) {
		c.text = "";
		c.diag = diag;
		snprintf(c.label, sizeof(c.label), "%zu entries",
		    cf->upstreams.n);
		up_error(&c, "at most %d are supported", UPSTREAM_MAX);
		return -1;
	}
	for (i = 0; i < cf->upstreams.n; i++) {
		c.text = cf->upstreams.v[i];
		c.diag = diag;
		up_label(&c);
		if (parse_one(&c, &set->u[set->n++]) == -1)
			bad = 1;
	}
	if (!bad && check_duplicates(cf, set, diag) == -1)
		bad = 1;
	if (bad) {
		upstream_free_all(set);
		return -1;
	}
	return 0;
}

void
upstream_free_all(struct upstream_set *set)
{
	size_t	i;

	for (i = 0; i < set->n; i++)
		upstream_free(&set->u[i]);
	set->n = 0;
}

/* A route matches a path exactly, or as its prefix when it ends in '/'. */
static int
route_matches(const struct upstream *u, const char *path, size_t len)
{
	size_t	n = strlen(u->route);

	if (u->prefix)
		return n <= len && memcmp(path, u->route, n) == 0;
	return n == len && memcmp(path, u->route, n) == 0;
}

const struct upstream *
upstream_match(const struct upstream_set *set, const char *path,
    int *redirect)
{
	const struct upstream	*best = NULL;
	size_t			 i, len = strlen(path), n, bestlen = 0;
	int			 redir = 0;

	for (i = 0; i < set->n; i++) {
		n = strlen(set->u[i].route);
		if (route_matches(&set->u[i], path, len) &&
		    (best == NULL || n > bestlen)) {
			best = &set->u[i];
			bestlen = n;
		}
	}
	/* "/app" when only "/app/" is routed: oauth2-proxy answers 301. */
	for (i = 0; best == NULL && i < set->n; i++) {
		n = strlen(set->u[i].route);
		if (set->u[i].prefix && n == len + 1 &&
		    memcmp(set->u[i].route, path, len) == 0)
			redir = 1;
	}
	if (redirect != NULL)
		*redirect = redir;
	return best;
}
