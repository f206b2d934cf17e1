/*
 * OpenID Provider metadata (Discovery 1.0): the fields authd uses, each
 * checked, and the signing algorithms cut down to the ones we verify.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "discovery.h"
#include "idp_url.h"

#define METHODS_MAX	64		/* entries read from a methods list */

/* What cjose verifies and we accept: never "none", never HMAC. */
static const char *const	allowed_algs[] = {
	"RS256", "RS384", "RS512",
	"PS256", "PS384", "PS512",
	"ES256", "ES384", "ES512",
};

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
	if (!idp_url_ok(json_string_value(v), &why))
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
