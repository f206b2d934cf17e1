/*
 * Routes that need no session, the path they see, and address sets.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "route.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static char	diag_text[4096];

static void
diag_collect(void *arg, const char *msg)
{
	(void)arg;
	strncat(diag_text, msg, sizeof(diag_text) - strlen(diag_text) - 2);
	strcat(diag_text, "\n");
}

static struct conf_diag	diag = { diag_collect, NULL, 0 };

static void
diag_reset(void)
{
	diag_text[0] = '\0';
	diag.nerrors = 0;
}

static struct route_set *
compile(char **routes, size_t nroutes, char **regex, size_t nregex,
    int preflight)
{
	struct config	cf;

	memset(&cf, 0, sizeof(cf));
	cf.skip_auth_routes.v = routes;
	cf.skip_auth_routes.n = nroutes;
	cf.skip_auth_regex.v = regex;
	cf.skip_auth_regex.n = nregex;
	cf.skip_auth_preflight = preflight;
	diag_reset();
	return route_compile(&cf, &diag);
}

/* The path a request target is matched as, then whether it skips. */
static int
skips(const struct route_set *rs, const char *method, const char *target)
{
	char	path[256];

	if (route_normalise_path(target, path, sizeof(path)) == -1)
		return 0;
	return route_skip_auth(rs, method, path);
}

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- skip_auth_routes and skip_auth_regex ----------------------------- */

static void
test_route_shapes(void **state)
{
	char			*routes[] = {
		"^/public/",		/* every method */
		"GET=^/api/",		/* GET only */
		"post!=^/form/",	/* POST, any path but these */
		"=^/empty-method$",	/* "" is every method */
	};
	char			*negated[] = { "!=^/(private|oauth2)/" };
	struct route_set	*rs;

	(void)state;
	rs = compile(routes, NELEM(routes), NULL, 0, 0);
	assert_non_null(rs);
	assert_int_equal(diag.nerrors, 0);
	assert_true(skips(rs, "DELETE", "/public/x"));
	assert_true(skips(rs, "GET", "/api/v1"));
	assert_false(skips(rs, "PUT", "/api/v1"));
	assert_false(skips(rs, "get", "/api/v1"));	/* methods are exact */
	assert_true(skips(rs, "POST", "/other"));
	assert_false(skips(rs, "POST", "/form/x"));
	assert_true(skips(rs, "HEAD", "/empty-method"));
	assert_false(skips(rs, "HEAD", "/other"));
	route_free(rs);

	rs = compile(negated, 1, NULL, 0, 0);
	assert_non_null(rs);
	assert_true(skips(rs, "PATCH", "/something"));
	assert_false(skips(rs, "PATCH", "/private/x"));
	assert_false(skips(rs, "GET", "/oauth2/x"));
	route_free(rs);
}

/* Unanchored, as RE2's MatchString. */
static void
test_route_unanchored(void **state)
{
	char			*routes[] = { "GET=/static" };
	struct route_set	*rs;

	(void)state;
	rs = compile(routes, 1, NULL, 0, 0);
	assert_non_null(rs);
	assert_true(skips(rs, "GET", "/x/static/y"));
	assert_false(skips(rs, "GET", "/x/stat"));
	route_free(rs);
}

/* oauth2-proxy negates when "!=" is anywhere in the entry. */
static void
test_route_negate_quirk(void **state)
{
	char			*routes[] = { "GET=^/a[^!=]" };
	struct route_set	*rs;

	(void)state;
	rs = compile(routes, 1, NULL, 0, 0);
	assert_non_null(rs);
	assert_false(skips(rs, "GET", "/ab"));
	assert_true(skips(rs, "GET", "/b"));
	route_free(rs);
}

static void
test_route_regex_and_preflight(void **state)
{
	char			*regex[] = { "^/health$", "\\.css$" };
	struct route_set	*rs;

	(void)state;
	rs = compile(NULL, 0, regex, NELEM(regex), 1);
	assert_non_null(rs);
	assert_true(skips(rs, "POST", "/health"));
	assert_true(skips(rs, "GET", "/a/b.css?v=1"));
	assert_false(skips(rs, "GET", "/a/b.cssx"));
	assert_true(skips(rs, "OPTIONS", "/anything"));
	assert_false(skips(rs, "GET", "/anything"));
	route_free(rs);

	rs = compile(NULL, 0, NULL, 0, 0);
	assert_non_null(rs);
	assert_false(skips(rs, "OPTIONS", "/anything"));
	route_free(rs);
}

static void
test_route_errors(void **state)
{
	char	*routes[] = { "GET=^/ok", "GET=(", "[z-a]" };
	char	*regex[] = { "^/fine", "a{2,1}" };

	(void)state;
	assert_null(compile(routes, NELEM(routes), regex, NELEM(regex), 0));
	assert_int_equal(diag.nerrors, 3);
	assert_non_null(strstr(diag_text, "skip_auth_routes: entry 2 "
	    "\"GET=(\": missing closing parenthesis at offset 1\n"));
	assert_non_null(strstr(diag_text, "skip_auth_routes: entry 3 "
	    "\"[z-a]\": range out of order in character class at offset 3\n"));
	assert_non_null(strstr(diag_text, "skip_auth_regex: entry 2 "
	    "\"a{2,1}\": "));
	/* A pattern must be valid UTF-8. */
	regex[0] = "^/\xff";
	assert_null(compile(NULL, 0, regex, 1, 0));
	assert_int_equal(diag.nerrors, 1);
	assert_non_null(strstr(diag_text, "UTF-8"));
}

/* A backtracking bomb ends quickly, and grants nothing either way. */
static void
test_route_match_limit(void **state)
{
	char			*routes[] = { "GET=(a+)+$",
				    "POST!=(a+)+$" };
	char			 path[64];
	struct route_set	*rs;
	double			 t0;

	(void)state;
	rs = compile(routes, NELEM(routes), NULL, 0, 0);
	assert_non_null(rs);
	memset(path, 'a', 40);
	strcpy(path + 40, "!");
	t0 = now();
	assert_false(route_skip_auth(rs, "GET", path));
	assert_false(route_skip_auth(rs, "POST", path));
	assert_true(now() - t0 < 0.5);
	/* The same rules still work on an easy path. */
	assert_true(route_skip_auth(rs, "GET", "/aaa"));
	assert_true(route_skip_auth(rs, "POST", "/b"));
	route_free(rs);
}

/* Invalid UTF-8 in a decoded path: no rule grants anything. */
static void
test_route_invalid_utf8(void **state)
{
	char			*routes[] = { "GET=^/static/",
				    "POST!=^/admin" };
	struct route_set	*rs;

	(void)state;
	rs = compile(routes, NELEM(routes), NULL, 0, 0);
	assert_non_null(rs);
	assert_true(skips(rs, "GET", "/static/%C3%A9"));
	assert_false(skips(rs, "GET", "/static/%ff"));
	assert_true(skips(rs, "POST", "/other/%C3%A9"));
	assert_false(skips(rs, "POST", "/other/%ff"));
	assert_false(skips(rs, "POST", "/other/%C0%AF"));	/* overlong */
	route_free(rs);
}

/* RE2 semantics where PCRE2's defaults differ. */
static void
test_route_re2_semantics(void **state)
{
	char			*routes[] = { "GET=^/public$", "GET=^/u/.$",
				    "GET=^/d/\\d$", "GET=^/w/\\w$" };
	struct route_set	*rs;

	(void)state;
	rs = compile(routes, NELEM(routes), NULL, 0, 0);
	assert_non_null(rs);
	assert_true(skips(rs, "GET", "/public"));
	assert_false(skips(rs, "GET", "/public%0a"));	/* $ is the end */
	assert_true(skips(rs, "GET", "/u/%C3%A9"));	/* . is a character */
	assert_false(skips(rs, "GET", "/u/%0a"));	/* not a newline */
	assert_true(skips(rs, "GET", "/d/7"));
	assert_false(skips(rs, "GET", "/d/%D9%A7"));	/* \d is ASCII */
	assert_false(skips(rs, "GET", "/w/%C3%A9"));	/* \w is ASCII */
	route_free(rs);
}

/*
 * GHSA-pxq7-h93f-9jrg: a fragment, sent raw or encoded, must not make a
 * protected path look like an allowed one.
 */
static void
test_route_fragment_advisory(void **state)
{
	char			*routes[] = { "GET=/public" };
	struct route_set	*rs;

	(void)state;
	rs = compile(routes, 1, NULL, 0, 0);
	assert_non_null(rs);
	assert_false(skips(rs, "GET", "/admin#/public"));
	assert_false(skips(rs, "GET", "/admin%23/public"));
	assert_false(skips(rs, "GET", "/admin?x=/public"));
	assert_false(skips(rs, "GET", "/admin?%23/public"));
	assert_true(skips(rs, "GET", "/public#x"));
	route_free(rs);
}

/* --- route_normalise_path ------------------------------------------- */

static void
test_normalise(void **state)
{
	static const struct {
		const char	*in, *want;
	} ok[] = {
		{ "/", "/" },
		{ "/a/b", "/a/b" },
		{ "/a?b=c", "/a" },
		{ "/a#frag", "/a" },
		{ "/a?b#c", "/a" },
		{ "/a#b?c", "/a" },
		{ "/a%23b", "/a" },
		{ "/a%2Fb%2fc", "/a/b/c" },
		{ "/%41%7a+", "/Az+" },
		{ "/a?x=%zz", "/a" },		/* the query is not decoded */
		{ "/a#%zz", "/a" },		/* nor the fragment */
		{ "//host/p", "//host/p" },	/* a path, not an authority */
		{ "/%C3%A9", "/\xc3\xa9" },
		{ "/%ff", "/\xff" },
	};
	static const char *const bad[] = {
		"", "*", "a/b", "http://h/a", "/%zz", "/%4", "/%", "/a%2",
		"/a%00b", "/a%23b%zz", "/a\tb", "/a?\x01", "/a\x7f",
	};
	char	out[64];
	size_t	i;

	(void)state;
	for (i = 0; i < NELEM(ok); i++) {
		if (route_normalise_path(ok[i].in, out, sizeof(out)) != 0)
			fail_msg("\"%s\": refused", ok[i].in);
		assert_string_equal(out, ok[i].want);
	}
	for (i = 0; i < NELEM(bad); i++)
		if (route_normalise_path(bad[i], out, sizeof(out)) != -1)
			fail_msg("\"%s\": accepted as \"%s\"", bad[i], out);
}

static void
test_normalise_bounds(void **state)
{
	char	out[8];

	(void)state;
	assert_int_equal(route_normalise_path("/abcdef", out, 8), 0);
	assert_string_equal(out, "/abcdef");
	assert_int_equal(route_normalise_path("/abcdefg", out, 8), -1);
	/* Escapes shrink: this fits. */
	assert_int_equal(route_normalise_path("/%41%42%43%44%45%46", out, 8),
	    0);
	assert_string_equal(out, "/ABCDEF");
	assert_int_equal(route_normalise_path("/a", out, 0), -1);
}

/* --- cidr ------------------------------------------------------------ */

static struct cidr_set *
cidrs(char **v, size_t n)
{
	struct conf_list	l = { v, n };

	diag_reset();
	return cidr_parse(&l, "trusted_ips", &diag);
}

static void
test_cidr_shapes(void **state)
{
	char		*v[] = { "10.0.0.0/8", "192.168.1.7", "2001:db8::/32",
			    "::1", "::ffff:172.16.0.0/108", "100.64.0.0/0010",
			    "fe80::/10" };
	struct cidr_set	*cs;
	size_t		 i;
	static const struct {
		const char	*ip;
		int		 want;
	} c[] = {
		{ "10.1.2.3", 1 }, { "11.0.0.1", 0 },
		{ "192.168.1.7", 1 }, { "192.168.1.8", 0 },
		{ "2001:db8:1::5", 1 }, { "2001:db9::", 0 },
		{ "::1", 1 }, { "::2", 0 },
		{ "172.16.5.5", 1 }, { "172.32.0.1", 0 },	/* mapped /108 */
		{ "100.64.0.1", 1 }, { "100.128.0.1", 0 },
		{ "fe80::1", 1 }, { "fec0::1", 0 },
		{ "::ffff:10.9.9.9", 1 },	/* mapped peer, IPv4 entry */
		{ "::ffff:11.9.9.9", 0 },
		{ "::a00:1", 0 },		/* IPv4-compatible: not mapped */
		{ "10.1.2.3:80", 1 }, { "10.1.2.3:", 1 }, { "[::1]:443", 1 },
		{ "[::1]", 1 }, { "[::2]:443", 0 }, { "11.0.0.1:80", 0 },
		{ "10.1.2.3:x", 0 }, { "10.1.2.3:80:1", 0 }, { "[::1]x", 0 },
		{ "[::1", 0 }, { "[10.1.2.3]:80", 1 }, { "", 0 }, { "[]", 0 },
		{ "010.1.2.3", 0 }, { "fe80::1%lo", 0 }, { " 10.1.2.3", 0 },
	};

	(void)state;
	cs = cidrs(v, NELEM(v));
	assert_non_null(cs);
	assert_int_equal(diag.nerrors, 0);
	for (i = 0; i < NELEM(c); i++)
		if (cidr_match_text(cs, c[i].ip) != c[i].want)
			fail_msg("%s: want %d", c[i].ip, c[i].want);
	cidr_free(cs);
}

/* Go's IPNet semantics: ::/0 is IPv6 only; a mapped /96 is all IPv4. */
static void
test_cidr_families(void **state)
{
	char		*v6all[] = { "::/0" }, *v4all[] = { "0.0.0.0/0" };
	char		*mapped[] = { "::ffff:0.0.0.0/96" };
	struct cidr_set	*cs;

	(void)state;
	cs = cidrs(v6all, 1);
	assert_true(cidr_match_text(cs, "2001:db8::1"));
	assert_false(cidr_match_text(cs, "10.0.0.1"));
	assert_false(cidr_match_text(cs, "::ffff:10.0.0.1"));
	cidr_free(cs);
	cs = cidrs(v4all, 1);
	assert_true(cidr_match_text(cs, "10.0.0.1"));
	assert_true(cidr_match_text(cs, "::ffff:10.0.0.1"));
	assert_false(cidr_match_text(cs, "2001:db8::1"));
	cidr_free(cs);
	cs = cidrs(mapped, 1);
	assert_true(cidr_match_text(cs, "1.2.3.4"));
	assert_false(cidr_match_text(cs, "::1"));
	cidr_free(cs);
}

static void
test_cidr_errors(void **state)
{
	char	*v[] = { "10.0.0.1/8", "1.2.3.4/33", "::1/129", "nope",
		    "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8/8", " 10.0.0.1",
		    "2001:db8::1/32", "10.0.0.0/8", "fe80::1%eth0",
		    "1.2.3.4/ 8", "::ffff:10.0.0.1/104" };

	(void)state;
	assert_null(cidrs(v, NELEM(v)));
	assert_int_equal(diag.nerrors, 12);
	assert_non_null(strstr(diag_text,
	    "trusted_ips: entry 1 \"10.0.0.1/8\": host bits set\n"));
	assert_non_null(strstr(diag_text,
	    "trusted_ips: entry 2 \"1.2.3.4/33\": bad prefix length\n"));
	assert_non_null(strstr(diag_text, "trusted_ips: entry 4 \"nope\": "
	    "not an IP address or CIDR block\n"));
	assert_null(strstr(diag_text, "entry 10 "));
}

static void
test_cidr_empty(void **state)
{
	struct cidr_set	*cs;

	(void)state;
	cs = cidrs(NULL, 0);
	assert_non_null(cs);
	assert_false(cidr_match_text(cs, "127.0.0.1"));
	cidr_free(cs);
	cidr_free(NULL);
	route_free(NULL);
}

static void
test_cidr_sockaddr(void **state)
{
	char			*v[] = { "127.0.0.0/8", "::1" };
	struct cidr_set		*cs;
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	struct sockaddr_un	 sun;

	(void)state;
	cs = cidrs(v, NELEM(v));
	assert_non_null(cs);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "127.9.9.9", &sin.sin_addr);
	assert_true(cidr_match(cs, (struct sockaddr *)&sin));
	inet_pton(AF_INET, "128.0.0.1", &sin.sin_addr);
	assert_false(cidr_match(cs, (struct sockaddr *)&sin));
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::1", &sin6.sin6_addr);
	assert_true(cidr_match(cs, (struct sockaddr *)&sin6));
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &sin6.sin6_addr);
	assert_true(cidr_match(cs, (struct sockaddr *)&sin6));
	inet_pton(AF_INET6, "::2", &sin6.sin6_addr);
	assert_false(cidr_match(cs, (struct sockaddr *)&sin6));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_false(cidr_match(cs, (struct sockaddr *)&sun));
	cidr_free(cs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_shapes),
		cmocka_unit_test(test_route_unanchored),
		cmocka_unit_test(test_route_negate_quirk),
		cmocka_unit_test(test_route_regex_and_preflight),
		cmocka_unit_test(test_route_errors),
		cmocka_unit_test(test_route_match_limit),
		cmocka_unit_test(test_route_invalid_utf8),
		cmocka_unit_test(test_route_re2_semantics),
		cmocka_unit_test(test_route_fragment_advisory),
		cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_normalise_bounds),
		cmocka_unit_test(test_cidr_shapes),
		cmocka_unit_test(test_cidr_families),
		cmocka_unit_test(test_cidr_errors),
		cmocka_unit_test(test_cidr_empty),
		cmocka_unit_test(test_cidr_sockaddr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
