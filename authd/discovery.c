/*
 * OpenID Provider metadata (Discovery 1.0): the fields authd uses, each
 * checked, and the signing algorithms cut down to the ones we verify.
 */
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "discovery.h"

#define HOST_MAX	253		/* DNS name, RFC 1035 */
#define PORT_MAX	65535
#define METHODS_MAX	64		/* entries read from a methods list */

/* What cjose verifies and we accept: never "none", never HMAC. */
static const char *const	allowed_algs[] = {
	"RS256", "RS384", "RS512",
	"PS256", "PS384", "PS512",
	"ES256", "ES384", "ES512",
};

static const char	host_chars[] = "abcdefghijklmnopqrstuvwxyz"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._";

static int __attribute__((format(printf, 3, 4)))
disc_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int
discovery_alg_supported(const char *alg)
{
	size_t	i;

	for (i = 0; i < sizeof(allowed_algs) / sizeof(allowed_algs[0]); i++)
		if (strcmp(alg, allowed_algs[i]) == 0)
			return 1;
	return 0;
}

/* 127.0.0.0/8, ::1 and "localhost" (host without brackets). */
static int
host_is_loopback(const char *host)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;

	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

/* A port: 1 to 5 digits, 1..65535. */
static int
port_ok(const char *p, size_t n)
{
	unsigned long	v = 0;
	size_t		i;

	if (n == 0 || n > 5)
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v >= 1 && v <= PORT_MAX;
}

/*
 * Checks the authority auth[0..n) and copies its host, brackets removed,
 * to host.  Returns 0 or -1 with *why set.
 */
static int
authority_host(const char *auth, size_t n, char *host, size_t hostlen,
    const char **why)
{
	struct in6_addr	 a6;
	const char	*h, *rest, *end;
	size_t		 hn, rn;
	int		 v6 = 0;

	if (memchr(auth, '@', n) != NULL) {
		*why = "user information in URL";
		return -1;
	}
	if (n > 0 && auth[0] == '[') {
		if ((end = memchr(auth, ']', n)) == NULL) {
			*why = "unterminated IPv6 literal";
			return -1;
		}
		h = auth + 1;
		hn = (size_t)(end - h);
		rest = end + 1;
		v6 = 1;
	} else {
		h = auth;
		end = memchr(auth, ':', n);
		hn = end != NULL ? (size_t)(end - auth) : n;
		rest = auth + hn;
	}
	rn = (size_t)(auth + n - rest);
	if (hn == 0 || hn > HOST_MAX || hn >= hostlen) {
		*why = "empty or too long host";
		return -1;
	}
	memcpy(host, h, hn);
	host[hn] = '\0';
	if (v6 ? inet_pton(AF_INET6, host, &a6) != 1 :
	    strspn(host, host_chars) != hn) {
		*why = "bad host";
		return -1;
	}
	if (rn > 0 && (rest[0] != ':' || !port_ok(rest + 1, rn - 1))) {
		*why = "bad port";
		return -1;
	}
	return 0;
}

int
discovery_url_ok(const char *url, const char **why)
{
	char		 host[HOST_MAX + 1];
	const char	*auth;
	size_t		 i, len, n;
	int		 tls;

	len = strlen(url);
	if (len == 0 || len > DISCOVERY_URL_MAX) {
		*why = "empty or too long";
		return 0;
	}
	for (i = 0; i < len; i++) {
		if (url[i] <= 0x20 || url[i] >= 0x7f || url[i] == '\\') {
			*why = "space, control, backslash or non-ASCII "
			    "character";
			return 0;
		}
	}
	if (strncasecmp(url, "https://", 8) == 0) {
		tls = 1;
		auth = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		tls = 0;
		auth = url + 7;
	} else {
		*why = "not an https:// URL";
		return 0;
	}
	n = strcspn(auth, "/?#");
	if (authority_host(auth, n, host, sizeof(host), why) == -1)
		return 0;
	if (!tls && !host_is_loopback(host)) {
		*why = "http:// is allowed only to a loopback host";
		return 0;
	}
	return 1;
}

/*
 * The string member name of o, as a new string, checked as a URL.
 * Returns 0, 1 when absent and optional, or -1 with err set.
 */
static int
get_url(json_t *o, const char *name, int required, char **out, char *err,
    size_t errlen)
{
	json_t		*v;
	const char	*why;

	*out = NULL;
	if ((v = json_object_get(o, name)) == NULL || json_is_null(v)) {
		if (!required)
			return 1;
		return disc_error(err, errlen, "%s: missing", name);
	}
	if (!json_is_string(v))
		return disc_error(err, errlen, "%s: not a string", name);
	if (!discovery_url_ok(json_string_value(v), &why))
		return disc_error(err, errlen, "%s: %s", name, why);
	if ((*out = strdup(json_string_value(v))) == NULL)
		return disc_error(err, errlen, "%s: out of memory", name);
	return 0;
}

/*
 * The array member name of o: NULL when absent (or null), -1 with err set
 * when it is not an array of strings.
 */
static int
get_strings(json_t *o, const char *name, json_t **out, char *err,
    size_t errlen)
{
	json_t	*v, *e;
	size_t	 i;

	*out = NULL;
	if ((v = json_object_get(o, name)) == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return disc_error(err, errlen, "%s: not an array", name);
	json_array_foreach(v, i, e) {
		if (!json_is_string(e))
			return disc_error(err, errlen,
			    "%s: element %zu is not a string", name, i);
	}
	*out = v;
	return 0;
}

static int
strings_contain(json_t *a, const char *s)
{
	json_t	*e;
	size_t	 i;

	json_array_foreach(a, i, e) {
		if (i >= METHODS_MAX)
			break;
		if (strcmp(json_string_value(e), s) == 0)
			return 1;
	}
	return 0;
}

static int
add_alg(struct oidc_discovery *d, const char *alg)
{
	size_t	i;

	for (i = 0; i < d->nalgs; i++)
		if (strcmp(d->algs[i], alg) == 0)
			return 0;
	if (d->nalgs >= DISCOVERY_ALGS_MAX)
		return 0;
	if ((d->algs[d->nalgs] = strdup(alg)) == NULL)
		return -1;
	d->nalgs++;
	return 0;
}

/* id_token_signing_alg_values_supported, filtered. */
static int
parse_algs(json_t *o, struct oidc_discovery *d, char *err, size_t errlen)
{
	static const char	*name = "id_token_signing_alg_values_supported";
	json_t			*a, *e;
	size_t			 i;

	if (get_strings(o, name, &a, err, errlen) == -1)
		return -1;
	if ((d->algs = calloc(DISCOVERY_ALGS_MAX, sizeof(*d->algs))) == NULL)
		return disc_error(err, errlen, "%s: out of memory", name);
	if (a == NULL)
		return add_alg(d, "RS256") == -1 ?
		    disc_error(err, errlen, "%s: out of memory", name) : 0;
	json_array_foreach(a, i, e) {
		if (!discovery_alg_supported(json_string_value(e)))
			continue;
		if (add_alg(d, json_string_value(e)) == -1)
			return disc_error(err, errlen, "%s: out of memory",
			    name);
	}
	if (d->nalgs == 0)
		return disc_error(err, errlen, "%s: none of the advertised "
		    "algorithms is one gatehouse verifies (RS*, PS*, ES*)",
		    name);
	return 0;
}

/* The client authentication methods and PKCE. */
static int
parse_methods(json_t *o, struct oidc_discovery *d, char *err, size_t errlen)
{
	json_t	*a;

	if (get_strings(o, "token_endpoint_auth_methods_supported", &a, err,
	    errlen) == -1)
		return -1;
	if (a == NULL)
		d->auth_basic = 1;
	else {
		d->auth_basic = strings_contain(a, "client_secret_basic");
		d->auth_post = strings_contain(a, "client_secret_post");
	}
	if (get_strings(o, "code_challenge_methods_supported", &a, err,
	    errlen) == -1)
		return -1;
	d->pkce_s256 = a != NULL && strings_contain(a, "S256");
	return 0;
}

static int
parse_issuer(json_t *o, const char *expected, int skip,
    struct oidc_discovery *d, char *err, size_t errlen)
{
	if (get_url(o, "issuer", 1, &d->issuer, err, errlen) != 0)
		return -1;
	/* Discovery 1.0, section 3: no query or fragment. */
	if (strpbrk(d->issuer, "?#") != NULL)
		return disc_error(err, errlen, "issuer: has a query or "
		    "fragment");
	if (skip)
		return 0;
	if (expected == NULL || strcmp(d->issuer, expected) != 0)
		return disc_error(err, errlen, "issuer: \"%.256s\" is not the "
		    "configured issuer \"%.256s\"", d->issuer,
		    expected != NULL ? expected : "");
	return 0;
}

static int
parse_doc(json_t *o, const char *expected, int skip,
    struct oidc_discovery *d, char *err, size_t errlen)
{
	if (parse_issuer(o, expected, skip, d, err, errlen) == -1)
		return -1;
	if (get_url(o, "authorization_endpoint", 1,
	    &d->authorization_endpoint, err, errlen) != 0 ||
	    get_url(o, "token_endpoint", 1, &d->token_endpoint,
	    err, errlen) != 0 ||
	    get_url(o, "jwks_uri", 1, &d->jwks_uri, err, errlen) != 0 ||
	    get_url(o, "userinfo_endpoint", 0, &d->userinfo_endpoint,
	    err, errlen) == -1 ||
	    get_url(o, "end_session_endpoint", 0, &d->end_session_endpoint,
	    err, errlen) == -1)
		return -1;
	if (parse_methods(o, d, err, errlen) == -1)
		return -1;
	return parse_algs(o, d, err, errlen);
}

int
discovery_parse(const char *json, size_t len, const char *expected_issuer,
    int skip_issuer_check, struct oidc_discovery *d, char *err,
    size_t errlen)
{
	json_error_t	 jerr;
	json_t		*o;
	int		 rv;

	memset(d, 0, sizeof(*d));
	if (len > DISCOVERY_MAX_SIZE)
		return disc_error(err, errlen, "document: %zu bytes, more "
		    "than %d", len, DISCOVERY_MAX_SIZE);
	o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL)
		return disc_error(err, errlen, "document: not JSON: %s "
		    "(line %d, column %d)", jerr.text, jerr.line,
		    jerr.column);
	if (!json_is_object(o)) {
		json_decref(o);
		return disc_error(err, errlen, "document: not a JSON object");
	}
	rv = parse_doc(o, expected_issuer, skip_issuer_check, d, err, errlen);
	json_decref(o);
	if (rv == -1)
		discovery_free(d);
	return rv;
}

void
discovery_free(struct oidc_discovery *d)
{
	size_t	i;

	free(d->issuer);
	free(d->authorization_endpoint);
	free(d->token_endpoint);
	free(d->userinfo_endpoint);
	free(d->jwks_uri);
	free(d->end_session_endpoint);
	for (i = 0; i < d->nalgs; i++)
		free(d->algs[i]);
	free(d->algs);
	memset(d, 0, sizeof(*d));
}
