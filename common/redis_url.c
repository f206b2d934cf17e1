/*
 * Redis connection URLs (see redis_conn.h), read in the order Go's
 * net/url reads them for go-redis's ParseURL: the fragment is cut first,
 * then the query, then the authority up to the first '/', and the user
 * information up to the authority's last '@' ("u:p@ss@host" is user u,
 * password "p@ss").  Where go-redis would accept something it cannot use
 * ("[::1]" without a port becomes "[[::1]]:6379", "unix://host/x.sock"
 * drops the host) this parser refuses it or does what was meant.  Error
 * messages name the part that is wrong, never the password.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pct.h"
#include "redis_url.h"
#include "resolve.h"

#define URL_SCHEME_MAX		16
#define URL_OPT_MAX		64	/* a query option's name */
#define URL_VALUE_MAX		256	/* a query option's value */
#define URL_OPTS_MAX		32	/* options in one query */
#define URL_INT_DIGITS		18

enum url_kind {
	URL_INT,
	URL_DURATION,
	URL_BOOL,
	URL_STRING,
};

/*
 * go-redis's query options other than db and skip_verify: accepted when
 * well formed, as oauth2-proxy would, and ignored, since gatehouse keeps
 * one connection with its own timeouts.
 */
static const struct {
	const char	*name;
	enum url_kind	 kind;
} url_ignored[] = {
	{ "protocol", URL_INT },
	{ "client_name", URL_STRING },
	{ "max_retries", URL_INT },
	{ "min_retry_backoff", URL_DURATION },
	{ "max_retry_backoff", URL_DURATION },
	{ "dial_timeout", URL_DURATION },
	{ "read_timeout", URL_DURATION },
	{ "write_timeout", URL_DURATION },
	{ "context_timeout_enabled", URL_BOOL },
	{ "pool_fifo", URL_BOOL },
	{ "pool_size", URL_INT },
	{ "pool_timeout", URL_DURATION },
	{ "min_idle_conns", URL_INT },
	{ "max_idle_conns", URL_INT },
	{ "max_active_conns", URL_INT },
	{ "conn_max_idle_time", URL_DURATION },
	{ "conn_max_lifetime", URL_DURATION },
	{ "idle_timeout", URL_DURATION },
	{ "idle_check_frequency", URL_DURATION },
	{ "max_conn_age", URL_DURATION },
};

static int
url_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Percent-decodes n bytes at s into a new string ('+' stays '+', as in
 * Go's user information).  NULL on a bad escape, a NUL, or over max.
 */
static char *
url_decode(const char *s, size_t n, size_t max)
{
	char	*out;
	size_t	 i, o = 0;
	int	 hi, lo;

	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (i + 2 >= n)
			goto bad;
		if ((hi = pct_hexval(s[i + 1])) == -1 ||
		    (lo = pct_hexval(s[i + 2])) == -1 || (hi == 0 && lo == 0))
			goto bad;
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[o] = '\0';
	if (o > max)
		goto bad;
	return out;
bad:
	explicit_bzero(out, n + 1);
	free(out);
	return NULL;
}

/* Go's validUserinfo: unreserved, sub-delims, ':', '%' and '@'. */
static int
url_userinfo_ok(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("-._~!$&'()*+,;=:%@", s[i]) == NULL)
			return 0;
	return 1;
}

static int
url_userinfo(const char *s, size_t n, struct redis_url *u, char *err,
    size_t errlen)
{
	const char	*colon;
	size_t		 un;

	if (!url_userinfo_ok(s, n))
		return url_error(err, errlen, "bad character in the user or "
		    "password (percent-encode it)");
	colon = memchr(s, ':', n);
	un = colon != NULL ? (size_t)(colon - s) : n;
	if (un > 0 && (u->username = url_decode(s, un, REDIS_CRED_MAX)) ==
	    NULL)
		return url_error(err, errlen, "bad user name (a bad %%-escape, "
		    "a NUL, or longer than %d bytes)", REDIS_CRED_MAX);
	if (colon == NULL || n - un - 1 == 0)
		return 0;
	if ((u->password = url_decode(colon + 1, n - un - 1,
	    REDIS_CRED_MAX)) == NULL)
		return url_error(err, errlen, "bad password (a bad %%-escape, "
		    "a NUL, or longer than %d bytes)", REDIS_CRED_MAX);
	return 0;
}

/* A decimal number from 0 to max, digits only. */
static int
url_number(const char *s, size_t n, long max, long *out)
{
	long	v = 0;
	size_t	i;

	if (n == 0 || n > URL_INT_DIGITS)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

static int
url_port(const char *s, size_t n, struct redis_url *u, char *err,
    size_t errlen)
{
	long	port;

	if (n == 0)
		return 0;		/* "host:" is the default port */
	if (url_number(s, n, 65535, &port) == -1 || port == 0)
		return url_error(err, errlen, "bad port (1 to 65535)");
	u->port = (int)port;
	return 0;
}

/* host[:port], [v6]:port or [v6]; an empty host is localhost. */
static int
url_hostport(const char *s, size_t n, struct redis_url *u, char *err,
    size_t errlen)
{
	const char	*colon, *close;
	unsigned char	 buf[sizeof(struct in6_addr)];
	size_t		 hn;

	if (n > 0 && s[0] == '[') {
		if ((close = memchr(s, ']', n)) == NULL)
			return url_error(err, errlen, "'[' without ']' in the "
			    "host");
		hn = (size_t)(close - s - 1);
		if (hn >= sizeof(u->host))
			return url_error(err, errlen, "bad IPv6 address");
		memcpy(u->host, s + 1, hn);
		u->host[hn] = '\0';
		if (inet_pton(AF_INET6, u->host, buf) != 1)
			return url_error(err, errlen, "bad IPv6 address in "
			    "brackets (no zone, no IPv4)");
		if (close + 1 == s + n)
			return 0;
		if (close[1] != ':')
			return url_error(err, errlen, "junk after ']' in the "
			    "host");
		return url_port(close + 2, (size_t)(s + n - close - 2), u,
		    err, errlen);
	}
	colon = memchr(s, ':', n);
	hn = colon != NULL ? (size_t)(colon - s) : n;
	if (colon != NULL && memchr(colon + 1, ':', (size_t)(s + n - colon -
	    1)) != NULL)
		return url_error(err, errlen, "an IPv6 address must be in "
		    "brackets");
	if (hn == 0)
		snprintf(u->host, sizeof(u->host), "localhost");
	else if (hn < sizeof(u->host)) {
		memcpy(u->host, s, hn);
		u->host[hn] = '\0';
	}
	if (hn >= sizeof(u->host) || (inet_pton(AF_INET, u->host, buf) != 1 &&
	    !resolve_name_ok(u->host)))
		return url_error(err, errlen, "bad host name (an IPv4 "
		    "address, [IPv6] or a DNS name)");
	if (colon == NULL)
		return 0;
	return url_port(colon + 1, (size_t)(s + n - colon - 1), u, err,
	    errlen);
}

static int
url_db(const char *s, size_t n, struct redis_url *u, char *err,
    size_t errlen)
{
	long	db;
	size_t	i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]) && !(i == 0 && s[i] == '-'))
			break;
	if (n == 0 || i < n || (s[0] == '-' && n == 1))
		return url_error(err, errlen, "bad database number");
	if (s[0] == '-' || url_number(s, n, REDIS_DB_MAX, &db) == -1)
		return url_error(err, errlen, "database number out of range "
		    "(0 to %d)", REDIS_DB_MAX);
	u->db = (int)db;
	return 0;
}

/* The path of redis:// and rediss://: empty, "/" or "/db". */
static int
url_tcp_path(const char *s, size_t n, struct redis_url *u, char *err,
    size_t errlen)
{
	char		*path;
	const char	*p, *field = NULL;
	size_t		 flen = 0, len;
	int		 rc = 0;

	if ((path = url_decode(s, n, n)) == NULL)
		return url_error(err, errlen, "bad %%-escape in the path");
	/* Go's strings.FieldsFunc: empty fields between slashes vanish. */
	for (p = path; *p != '\0'; p += len) {
		if ((len = strcspn(p, "/")) == 0) {
			len = 1;
			continue;
		}
		if (field != NULL) {
			rc = url_error(err, errlen, "bad path: only /db "
			    "may follow the host");
			break;
		}
		field = p;
		flen = len;
	}
	if (rc == 0 && field != NULL)
		rc = url_db(field, flen, u, err, errlen);
	free(path);
	return rc;
}

static int
url_unix_path(const char *s, size_t n, struct redis_url *u, char *err,
    size_t errlen)
{
	char	*path;
	size_t	 len;

	if ((path = url_decode(s, n, n)) == NULL)
		return url_error(err, errlen, "bad %%-escape in the socket "
		    "path");
	len = strlen(path);
	if (len == 0 || strspn(path, " \t") == len) {
		free(path);
		return url_error(err, errlen, "empty unix socket path");
	}
	if (path[0] != '/' || len > REDIS_PATH_MAX) {
		free(path);
		return url_error(err, errlen, "the unix socket path must be "
		    "absolute and at most %d bytes", REDIS_PATH_MAX);
	}
	memcpy(u->host, path, len + 1);
	free(path);
	return 0;
}

/* Go's time.ParseDuration, or a plain integer (seconds in go-redis). */
static int
url_duration_ok(const char *s)
{
	static const char *const units[] = {
		"ns", "us", "\xc2\xb5s", "\xce\xbcs", "ms", "s", "m", "h"
	};
	size_t	 i, n;
	int	 digits;

	if (*s == '+' || *s == '-')
		s++;
	if (strcmp(s, "0") == 0 || (*s != '\0' && strspn(s, "0123456789") ==
	    strlen(s)))
		return 1;
	if (*s == '\0')
		return 0;
	while (*s != '\0') {
		digits = (int)strspn(s, "0123456789");
		s += digits;
		if (*s == '.') {
			n = strspn(s + 1, "0123456789");
			digits += (int)n;
			s += n + 1;
		}
		if (digits == 0)
			return 0;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			n = strlen(units[i]);
			/* "m" must not take the "m" of "ms". */
			if (strncmp(s, units[i], n) == 0 &&
			    !(n == 1 && s[0] == 'm' && s[1] == 's'))
				break;
		}
		if (i == sizeof(units) / sizeof(units[0]))
			return 0;
		s += n;
	}
	return 1;
}

static int
url_value_ok(enum url_kind kind, const char *v)
{
	switch (kind) {
	case URL_INT:
		if (*v == '+' || *v == '-')
			v++;
		return *v == '\0' || (strspn(v, "0123456789") == strlen(v) &&
		    strlen(v) <= URL_INT_DIGITS);
	case URL_DURATION:
		return *v == '\0' || url_duration_ok(v);
	case URL_BOOL:
		return *v == '\0' || strcmp(v, "true") == 0 ||
		    strcmp(v, "false") == 0 || strcmp(v, "1") == 0 ||
		    strcmp(v, "0") == 0;
	case URL_STRING:
		return 1;
	}
	return 0;
}

static int
url_option(const char *name, const char *value, struct redis_url *u,
    char *err, size_t errlen)
{
	size_t	i;

	if (strcmp(name, "db") == 0)
		return *value == '\0' ? 0 : url_db(value, strlen(value), u,
		    err, errlen);
	if (strcmp(name, "skip_verify") == 0) {
		/* go-redis reads it for rediss:// only. */
		if (!u->tls)
			return url_error(err, errlen, "skip_verify is an "
			    "option of rediss:// URLs only");
		if (!url_value_ok(URL_BOOL, value))
			return url_error(err, errlen, "bad skip_verify value "
			    "(true, false, 1 or 0)");
		u->skip_verify = strcmp(value, "true") == 0 ||
		    strcmp(value, "1") == 0;
		return 0;
	}
	for (i = 0; i < sizeof(url_ignored) / sizeof(url_ignored[0]); i++) {
		if (strcmp(name, url_ignored[i].name) != 0)
			continue;
		if (!url_value_ok(url_ignored[i].kind, value))
			return url_error(err, errlen, "bad value for query "
			    "option %s", url_ignored[i].name);
		return 0;
	}
	return url_error(err, errlen, "unexpected query option (db, "
	    "skip_verify, and go-redis's pool and timeout options)");
}

/* name=value pairs split by '&', each name at most once. */
static int
url_query(const char *q, struct redis_url *u, char *err, size_t errlen)
{
	char		 seen[URL_OPTS_MAX][URL_OPT_MAX];
	char		 name[URL_OPT_MAX], value[URL_VALUE_MAX];
	const char	*eq;
	size_t		 n, nseen = 0, i;

	for (; *q != '\0'; q += n + (q[n] == '&')) {
		if ((n = strcspn(q, "&")) == 0)
			continue;
		if (memchr(q, ';', n) != NULL)
			return url_error(err, errlen, "';' in the query "
			    "(options are separated by '&')");
		eq = memchr(q, '=', n);
		if (pct_query_value(q, eq != NULL ? (size_t)(eq - q) : n, name,
		    sizeof(name)) == -1 || (eq != NULL &&
		    pct_query_value(eq + 1, (size_t)(q + n - eq - 1), value,
		    sizeof(value)) == -1))
			return url_error(err, errlen, "bad query option "
			    "(a bad %%-escape, or too long)");
		if (eq == NULL)
			value[0] = '\0';
		for (i = 0; i < nseen; i++)
			if (strcmp(seen[i], name) == 0)
				return url_error(err, errlen, "a query option "
				    "given twice");
		if (nseen == URL_OPTS_MAX)
			return url_error(err, errlen, "too many options");
		memcpy(seen[nseen++], name, sizeof(name));
		if (url_option(name, value, u, err, errlen) == -1)
			return -1;
	}
	return 0;
}

/* "redis", "rediss" or "unix", any case; the length of "scheme:". */
static int
url_scheme(const char *s, struct redis_url *u, char *err, size_t errlen)
{
	size_t	n = strcspn(s, ":");

	if (s[n] != ':' || n == 0)
		return url_error(err, errlen, "not a URL (expected "
		    "redis://host[:port][/db], rediss:// or unix://)");
	if (n == 5 && strncasecmp(s, "redis", 5) == 0)
		u->port = REDIS_PORT_DEFAULT;
	else if (n == 6 && strncasecmp(s, "rediss", 6) == 0) {
		u->port = REDIS_PORT_DEFAULT;
		u->tls = 1;
	} else if (n == 4 && strncasecmp(s, "unix", 4) == 0)
		u->local = 1;
	else if (n <= URL_SCHEME_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.") == n)
		return url_error(err, errlen, "unsupported scheme \"%.*s\" "
		    "(redis://, rediss:// or unix://)", (int)n, s);
	else
		return url_error(err, errlen, "not a URL (expected "
		    "redis://host[:port][/db], rediss:// or unix://)");
	return (int)n + 1;
}

static int
url_chars_ok(const char *s, char *err, size_t errlen)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return url_error(err, errlen, "a space, control or "
			    "non-ASCII character in the URL (percent-encode "
			    "it)");
		if (*s == '#')
			return url_error(err, errlen, "'#' in the URL "
			    "(percent-encode it as %%23)");
	}
	return 0;
}

static int
url_authority(const char *s, size_t n, struct redis_url *u, char *err,
    size_t errlen)
{
	const char	*at = NULL, *p;

	for (p = s; p < s + n; p++)
		if (*p == '@')
			at = p;
	if (at != NULL) {
		if (url_userinfo(s, (size_t)(at - s), u, err, errlen) == -1)
			return -1;
		n -= (size_t)(at + 1 - s);
		s = at + 1;
	}
	if (u->local) {
		if (n > 0)
			return url_error(err, errlen, "a unix:// URL has no "
			    "host (unix:///path/to.sock)");
		return 0;
	}
	return url_hostport(s, n, u, err, errlen);
}

int
redis_url_parse(const char *url, struct redis_url *u, char *err,
    size_t errlen)
{
	const char	*rest, *query, *path;
	size_t		 n;
	int		 off;

	memset(u, 0, sizeof(*u));
	if (url_chars_ok(url, err, errlen) == -1 ||
	    (off = url_scheme(url, u, err, errlen)) == -1)
		return -1;
	rest = url + off;
	query = rest + strcspn(rest, "?");
	path = rest;
	if (strncmp(rest, "//", 2) == 0) {
		rest += 2;
		n = strcspn(rest, "/?");
		if (url_authority(rest, n, u, err, errlen) == -1)
			return -1;
		path = rest + n;
	} else if (!u->local)
		return url_error(err, errlen, "expected //host after the "
		    "scheme");
	else if (*rest != '/' && rest != query)
		return url_error(err, errlen, "the unix socket path must be "
		    "absolute");
	n = (size_t)(query - path);
	if ((u->local ? url_unix_path(path, n, u, err, errlen) :
	    url_tcp_path(path, n, u, err, errlen)) == -1)
		return -1;
	if (*query == '?' && url_query(query + 1, u, err, errlen) == -1)
		return -1;
	return 0;
}

void
redis_url_clear(struct redis_url *u)
{
	if (u->password != NULL) {
		explicit_bzero(u->password, strlen(u->password));
		free(u->password);
	}
	free(u->username);
	u->password = u->username = NULL;
}
