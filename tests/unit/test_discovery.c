/*
 * OpenID Provider metadata: a document like oidc-provider's, each required
 * field missing or wrong, endpoint URL rules, the issuer check, and the
 * filtered algorithm list.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "discovery.h"
#include "idp_url.h"

#define ISSUER	"https://idp.example.com"

/* What npm oidc-provider serves, with an issuer of ours. */
static const char	provider_doc[] =
    "{\"acr_values_supported\":[\"urn:mace:incommon:iap:silver\"],"
    "\"authorization_endpoint\":\"https://idp.example.com/auth\","
    "\"device_authorization_endpoint\":"
    "\"https://idp.example.com/device/auth\","
    "\"claims_parameter_supported\":false,"
    "\"claims_supported\":[\"sub\",\"email\",\"email_verified\","
    "\"groups\",\"sid\",\"auth_time\",\"iss\"],"
    "\"code_challenge_methods_supported\":[\"S256\"],"
    "\"end_session_endpoint\":\"https://idp.example.com/session/end\","
    "\"grant_types_supported\":[\"implicit\",\"authorization_code\","
    "\"refresh_token\"],"
    "\"id_token_signing_alg_values_supported\":[\"PS256\",\"RS256\","
    "\"ES256\",\"EdDSA\",\"HS256\",\"none\",\"RS256\"],"
    "\"issuer\":\"https://idp.example.com\","
    "\"jwks_uri\":\"https://idp.example.com/jwks\","
    "\"response_modes_supported\":[\"form_post\",\"fragment\",\"query\"],"
    "\"response_types_supported\":[\"code id_token\",\"code\",\"id_token\","
    "\"none\"],"
    "\"scopes_supported\":[\"openid\",\"offline_access\",\"email\","
    "\"profile\",\"groups\"],"
    "\"subject_types_supported\":[\"public\"],"
    "\"token_endpoint_auth_methods_supported\":[\"client_secret_basic\","
    "\"client_secret_jwt\",\"client_secret_post\",\"private_key_jwt\","
    "\"none\"],"
    "\"token_endpoint_auth_signing_alg_values_supported\":[\"HS256\","
    "\"RS256\",\"PS256\",\"ES256\",\"EdDSA\"],"
    "\"token_endpoint\":\"https://idp.example.com/token\","
    "\"userinfo_endpoint\":\"https://idp.example.com/me\","
    "\"userinfo_signing_alg_values_supported\":[\"RS256\"],"
    "\"introspection_endpoint\":\"https://idp.example.com/token/introspection\","
    "\"revocation_endpoint\":\"https://idp.example.com/token/revocation\","
    "\"claim_types_supported\":[\"normal\"]}";

static char	err[512];

/* The provider's document with member name set to value (JSON text), or
 * removed when value is NULL; parsed. */
static int
parse_with(const char *name, const char *value, const char *expected,
    int skip, struct oidc_discovery *d)
{
	json_t	*o, *v;
	char	*text;
	int	 rv;

	o = json_loads(provider_doc, 0, NULL);
	assert_non_null(o);
	if (value == NULL)
		json_object_del(o, name);
	else {
		v = json_loads(value, JSON_DECODE_ANY, NULL);
		assert_non_null(v);
		json_object_set_new(o, name, v);
	}
	text = json_dumps(o, JSON_COMPACT);
	assert_non_null(text);
	err[0] = '\0';
	rv = discovery_parse(text, strlen(text), expected, skip, d, err,
	    sizeof(err));
	free(text);
	json_decref(o);
	return rv;
}

/* Expects a refusal that names field. */
static void
refused(const char *name, const char *value, const char *field)
{
	struct oidc_discovery	d;

	assert_int_equal(parse_with(name, value, ISSUER, 0, &d), -1);
	if (strstr(err, field) == NULL)
		fail_msg("error \"%s\" does not name %s", err, field);
	assert_null(d.issuer);
	assert_null(d.algs);
}

static void
test_provider_document(void **state)
{
	struct oidc_discovery	d;

	(void)state;
	assert_int_equal(discovery_parse(provider_doc, strlen(provider_doc),
	    ISSUER, 0, &d, err, sizeof(err)), 0);
	assert_string_equal(d.issuer, ISSUER);
	assert_string_equal(d.authorization_endpoint,
	    "https://idp.example.com/auth");
	assert_string_equal(d.token_endpoint, "https://idp.example.com/token");
	assert_string_equal(d.userinfo_endpoint, "https://idp.example.com/me");
	assert_string_equal(d.jwks_uri, "https://idp.example.com/jwks");
	assert_string_equal(d.end_session_endpoint,
	    "https://idp.example.com/session/end");
	assert_int_equal(d.pkce_s256, 1);
	assert_int_equal(d.auth_basic, 1);
	assert_int_equal(d.auth_post, 1);
	/* EdDSA, HS256 and none dropped; the repeated RS256 once. */
	assert_int_equal(d.nalgs, 3);
	assert_string_equal(d.algs[0], "PS256");
	assert_string_equal(d.algs[1], "RS256");
	assert_string_equal(d.algs[2], "ES256");
	discovery_free(&d);
	assert_null(d.issuer);
	discovery_free(&d);		/* twice is harmless */
}

static void
test_required_fields(void **state)
{
	static const char *const	req[] = { "issuer",
	    "authorization_endpoint", "token_endpoint", "jwks_uri" };
	size_t				i;

	(void)state;
	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		refused(req[i], NULL, req[i]);
		refused(req[i], "null", req[i]);
		refused(req[i], "42", req[i]);
		refused(req[i], "[\"https://idp.example.com/x\"]", req[i]);
		refused(req[i], "\"\"", req[i]);
	}
	refused("userinfo_endpoint", "true", "userinfo_endpoint");
	refused("end_session_endpoint", "\"ftp://idp.example.com/end\"",
	    "end_session_endpoint");
}

static void
test_optional_fields(void **state)
{
	struct oidc_discovery	d;

	(void)state;
	assert_int_equal(parse_with("userinfo_endpoint", NULL, ISSUER, 0, &d),
	    0);
	assert_null(d.userinfo_endpoint);
	discovery_free(&d);
	assert_int_equal(parse_with("end_session_endpoint", NULL, ISSUER, 0,
	    &d), 0);
	assert_null(d.end_session_endpoint);
	discovery_free(&d);
}

static void
test_endpoint_urls(void **state)
{
	static const char *const	good[] = {
		"https://idp.example.com/token",
		"HTTPS://IdP.Example.COM:8443/token?x=1",
		"https://10.0.0.1/token",
		"https://[2001:db8::1]:443/token",
		"http://127.0.0.1:3000/token",
		"http://127.255.0.9/token",
		"http://localhost:3000/token",
		"http://LOCALHOST/token",
		"http://[::1]:3000/token",
		"https://idp.example.com",
	};
	static const char *const	bad[] = {
		"http://idp.example.com/token",		/* not loopback */
		"http://10.0.0.1/token",
		"http://127.0.0.1.evil.example/token",
		"http://127.0.0.1@evil.example/token",	/* user info */
		"https://user:pw@idp.example.com/token",
		"http://evil.example#@127.0.0.1/",
		"http://evil.example\\@127.0.0.1/",
		"http://0177.0.0.1/token",		/* not dotted quad */
		"http://2130706433/token",
		"http://[::ffff:127.0.0.1]/token",
		"http://localhost.evil.example/token",
		"ftp://idp.example.com/token",
		"//idp.example.com/token",
		"idp.example.com/token",
		"https://",
		"https:///token",
		"https://:443/token",
		"https://idp.example.com:/token",
		"https://idp.example.com:0/token",
		"https://idp.example.com:65536/token",
		"https://idp.example.com:44a/token",
		"https://idp example.com/token",
		"https://idp.example.com/to ken",
		"https://idp.example.com/\ttoken",
		"https://idp.ex\xc3\xa4mple.com/token",
		"https://[::1/token",
		"https://[::1]x/token",
		"https://[fe80::1%25eth0]/token",
		"https://[not-v6]/token",
		"https://idp_%41.example.com/",
	};
	const char	*why;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!idp_url_ok(good[i], &why))
			fail_msg("%s refused: %s", good[i], why);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (idp_url_ok(bad[i], &why))
			fail_msg("%s accepted", bad[i]);
		assert_non_null(why);
	}
	refused("token_endpoint", "\"http://idp.example.com/token\"",
	    "token_endpoint");
	refused("jwks_uri", "\"http://10.1.2.3/jwks\"", "jwks_uri");
}

static void
test_loopback_provider(void **state)
{
	static const char	doc[] = "{\"issuer\":\"http://127.0.0.1:3000\","
	    "\"authorization_endpoint\":\"http://127.0.0.1:3000/auth\","
	    "\"token_endpoint\":\"http://localhost:3000/token\","
	    "\"jwks_uri\":\"http://[::1]:3000/jwks\"}";
	struct oidc_discovery	d;

	(void)state;
	assert_int_equal(discovery_parse(doc, strlen(doc),
	    "http://127.0.0.1:3000", 0, &d, err, sizeof(err)), 0);
	assert_null(d.userinfo_endpoint);
	/* Absent lists: client_secret_basic, no PKCE, RS256. */
	assert_int_equal(d.auth_basic, 1);
	assert_int_equal(d.auth_post, 0);
	assert_int_equal(d.pkce_s256, 0);
	assert_int_equal(d.nalgs, 1);
	assert_string_equal(d.algs[0], "RS256");
	discovery_free(&d);
}

static void
test_issuer(void **state)
{
	struct oidc_discovery	d;

	(void)state;
	/* Exactly: a trailing slash is another issuer. */
	assert_int_equal(parse_with("issuer", "\"https://idp.example.com/\"",
	    ISSUER, 0, &d), -1);
	assert_non_null(strstr(err, "issuer"));
	assert_int_equal(parse_with("issuer", "\"https://evil.example\"",
	    ISSUER, 0, &d), -1);
	assert_non_null(strstr(err, "issuer"));
	assert_int_equal(parse_with("issuer", "\"https://IDP.example.com\"",
	    ISSUER, 0, &d), -1);
	assert_int_equal(discovery_parse(provider_doc, strlen(provider_doc),
	    NULL, 0, &d, err, sizeof(err)), -1);

	/* insecure_oidc_skip_issuer_verification. */
	assert_int_equal(parse_with("issuer", "\"https://evil.example\"",
	    ISSUER, 1, &d), 0);
	assert_string_equal(d.issuer, "https://evil.example");
	discovery_free(&d);
	assert_int_equal(discovery_parse(provider_doc, strlen(provider_doc),
	    NULL, 1, &d, err, sizeof(err)), 0);
	discovery_free(&d);

	/* Still a URL, and without query or fragment, even when skipped. */
	assert_int_equal(parse_with("issuer", "\"http://evil.example\"",
	    ISSUER, 1, &d), -1);
	assert_int_equal(parse_with("issuer", "\"https://idp.example.com?a\"",
	    "https://idp.example.com?a", 0, &d), -1);
	assert_non_null(strstr(err, "issuer"));
}

static void
test_algs(void **state)
{
	struct oidc_discovery	d;
	const char		*name = "id_token_signing_alg_values_supported";

	(void)state;
	refused(name, "[\"none\"]", name);
	refused(name, "[\"HS256\",\"HS384\",\"HS512\",\"none\",\"EdDSA\"]",
	    name);
	refused(name, "[]", name);
	refused(name, "\"RS256\"", name);
	refused(name, "[\"RS256\",7]", name);
	refused(name, "{\"RS256\":true}", name);
	assert_int_equal(parse_with(name, "[\"ES512\",\"rs256\",\"PS384\","
	    "\"RS512\",\"ES384\",\"PS512\",\"RS384\",\"PS256\",\"ES256\"]",
	    ISSUER, 0, &d), 0);
	assert_int_equal(d.nalgs, 8);
	assert_string_equal(d.algs[0], "ES512");
	assert_string_equal(d.algs[1], "PS384");
	discovery_free(&d);
	assert_int_equal(parse_with(name, NULL, ISSUER, 0, &d), 0);
	assert_int_equal(d.nalgs, 1);
	assert_string_equal(d.algs[0], "RS256");
	discovery_free(&d);
	assert_int_equal(discovery_alg_supported("RS256"), 1);
	assert_int_equal(discovery_alg_supported("none"), 0);
	assert_int_equal(discovery_alg_supported("HS256"), 0);
	assert_int_equal(discovery_alg_supported(""), 0);
}

static void
test_auth_methods_and_pkce(void **state)
{
	struct oidc_discovery	d;
	const char		*am = "token_endpoint_auth_methods_supported";
	const char		*cc = "code_challenge_methods_supported";

	(void)state;
	assert_int_equal(parse_with(am, "[\"client_secret_post\"]", ISSUER, 0,
	    &d), 0);
	assert_int_equal(d.auth_basic, 0);
	assert_int_equal(d.auth_post, 1);
	discovery_free(&d);
	assert_int_equal(parse_with(am, "[\"private_key_jwt\"]", ISSUER, 0,
	    &d), 0);
	assert_int_equal(d.auth_basic, 0);
	assert_int_equal(d.auth_post, 0);
	discovery_free(&d);
	assert_int_equal(parse_with(am, NULL, ISSUER, 0, &d), 0);
	assert_int_equal(d.auth_basic, 1);
	assert_int_equal(d.auth_post, 0);
	discovery_free(&d);
	refused(am, "\"client_secret_basic\"", am);
	refused(am, "[1]", am);

	assert_int_equal(parse_with(cc, "[\"plain\"]", ISSUER, 0, &d), 0);
	assert_int_equal(d.pkce_s256, 0);
	discovery_free(&d);
	assert_int_equal(parse_with(cc, "[\"plain\",\"S256\"]", ISSUER, 0,
	    &d), 0);
	assert_int_equal(d.pkce_s256, 1);
	discovery_free(&d);
	assert_int_equal(parse_with(cc, NULL, ISSUER, 0, &d), 0);
	assert_int_equal(d.pkce_s256, 0);
	discovery_free(&d);
	refused(cc, "\"S256\"", cc);
}

static void
test_garbage(void **state)
{
	static const char *const	docs[] = {
		"", "{", "nope", "[]", "\"issuer\"", "null", "42",
		"{\"issuer\":\"https://idp.example.com\","
		    "\"issuer\":\"https://evil.example\"}",
		"{\"issuer\":\"https://idp.example.com\\u0000x\"}",
		"{\"issuer\":\"https://idp.example.com\"} trailing",
	};
	struct oidc_discovery	d;
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		err[0] = '\0';
		assert_int_equal(discovery_parse(docs[i], strlen(docs[i]),
		    ISSUER, 0, &d, err, sizeof(err)), -1);
		assert_true(err[0] != '\0');
		assert_null(d.issuer);
	}
	/* A NUL byte inside the buffer. */
	assert_int_equal(discovery_parse("{\"a\":1}\0{}", 10, ISSUER, 0, &d,
	    err, sizeof(err)), -1);
	/* A tiny error buffer still gets a terminated message. */
	assert_int_equal(discovery_parse("x", 1, ISSUER, 0, &d, err, 8), -1);
	assert_int_equal(strlen(err), 7);
	assert_int_equal(discovery_parse("x", 1, ISSUER, 0, &d, NULL, 0), -1);
}

static void
test_oversized(void **state)
{
	struct oidc_discovery	 d;
	char			*big;
	size_t			 n = DISCOVERY_MAX_SIZE + 1;

	(void)state;
	/* Valid JSON of the provider's document padded with spaces. */
	big = malloc(n);
	assert_non_null(big);
	memset(big, ' ', n);
	memcpy(big, provider_doc, strlen(provider_doc));
	assert_int_equal(discovery_parse(big, n, ISSUER, 0, &d, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "document"));
	assert_int_equal(discovery_parse(big, n - 1, ISSUER, 0, &d, err,
	    sizeof(err)), 0);
	discovery_free(&d);
	free(big);

	/* An endpoint URL longer than IDP_URL_MAX. */
	big = malloc(IDP_URL_MAX + 64);
	assert_non_null(big);
	snprintf(big, IDP_URL_MAX + 64, "\"https://idp.example.com/%0*d\"",
	    IDP_URL_MAX, 0);
	refused("jwks_uri", big, "jwks_uri");
	free(big);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_provider_document),
		cmocka_unit_test(test_required_fields),
		cmocka_unit_test(test_optional_fields),
		cmocka_unit_test(test_endpoint_urls),
		cmocka_unit_test(test_loopback_provider),
		cmocka_unit_test(test_issuer),
		cmocka_unit_test(test_algs),
		cmocka_unit_test(test_auth_methods_and_pkce),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_oversized),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
