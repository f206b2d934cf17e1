/*
 * Unit tests of the upstreams parser: every form, each class of bad
 * entry, and the longest-route match with its 301 hint.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "upstream.h"

#define MSGS_MAX	4096

struct capture {
	struct conf_diag	diag;
	char			msgs[MSGS_MAX];
};

static void
capture_report(void *arg, const char *msg)
{
	struct capture	*c = arg;
	size_t		 n = strlen(c->msgs);

	snprintf(c->msgs + n, sizeof(c->msgs) - n, "%s\n", msg);
}

static void
capture_init(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	c->diag.report = capture_report;
	c->diag.arg = c;
}

/* Parses entries (NULL-terminated) into set; returns what parse returned. */
static int
parse(struct upstream_set *set, struct capture *cap, const char **entries)
{
	struct config	cf;
	int		r;

	memset(&cf, 0, sizeof(cf));
	while (entries[cf.upstreams.n] != NULL)
		cf.upstreams.n++;
	cf.upstreams.v = (char **)entries;
	capture_init(cap);
	r = upstream_parse_all(&cf, set, &cap->diag);
	if (r == -1)
		assert_int_equal(set->n, 0);
	return r;
}

static const struct upstream *
parse_one(struct upstream_set *set, const char *entry)
{
	struct capture	 cap;
	const char	*entries[] = { entry, NULL };

	if (parse(set, &cap, entries) != 0)
		fail_msg("%s: %s", entry, cap.msgs);
	assert_int_equal(set->n, 1);
	assert_string_equal(set->u[0].id, entry);
	return &set->u[0];
}

/* Asserts that entry is refused with a message containing want. */
static void
refused(const char *entry, const char *want)
{
	struct upstream_set	 set;
	struct capture		 cap;
	const char		*entries[] = { entry, NULL };

	if (parse(&set, &cap, entries) != -1)
		fail_msg("accepted \"%s\"", entry);
	if (strstr(cap.msgs, want) == NULL)
		fail_msg("%s: wanted \"%s\", got \"%s\"", entry, want,
		    cap.msgs);
	assert_int_equal(cap.diag.nerrors, 1);
}

static void
test_http(void **state)
{
	struct upstream_set	 set;
	const struct upstream	*u;

	(void)state;
	u = parse_one(&set, "http://127.0.0.1:8080/");
	assert_int_equal(u->type, UPSTREAM_HTTP);
	assert_string_equal(u->route, "/");
	assert_int_equal(u->prefix, 1);
	assert_string_equal(u->host, "127.0.0.1");
	assert_string_equal(u->port, "8080");
	assert_string_equal(u->authority, "127.0.0.1:8080");
	assert_null(u->path);
	upstream_free_all(&set);

	/* No path is "/"; the default port; the scheme in any case. */
	u = parse_one(&set, "HTTP://app.example");
	assert_int_equal(u->type, UPSTREAM_HTTP);
	assert_string_equal(u->route, "/");
	assert_int_equal(u->prefix, 1);
	assert_string_equal(u->port, "80");
	assert_string_equal(u->authority, "app.example");
	upstream_free_all(&set);

	u = parse_one(&set, "https://api.example:0443/v1/");
	assert_int_equal(u->type, UPSTREAM_HTTPS);
	assert_string_equal(u->route, "/v1/");
	assert_int_equal(u->prefix, 1);
	assert_string_equal(u->port, "443");
	assert_string_equal(u->authority, "api.example:0443");
	upstream_free_all(&set);

	u = parse_one(&set, "https://api.example/exact");
	assert_string_equal(u->port, "443");
	assert_string_equal(u->route, "/exact");
	assert_int_equal(u->prefix, 0);
	upstream_free_all(&set);

	/* A route stays percent-encoded, as request paths are matched. */
	u = parse_one(&set, "http://h/a%20b/c:d@e/");
	assert_string_equal(u->route, "/a%20b/c:d@e/");
	upstream_free_all(&set);
}

static void
test_ipv6(void **state)
{
	struct upstream_set	 set;
	const struct upstream	*u;

	(void)state;
	u = parse_one(&set, "http://[::1]:8080/app/");
	assert_string_equal(u->host, "::1");
	assert_string_equal(u->port, "8080");
	assert_string_equal(u->authority, "[::1]:8080");
	assert_string_equal(u->route, "/app/");
	upstream_free_all(&set);
	u = parse_one(&set, "https://[2001:db8::5]");
	assert_string_equal(u->host, "2001:db8::5");
	assert_string_equal(u->port, "443");
	assert_string_equal(u->authority, "[2001:db8::5]");
	upstream_free_all(&set);
	refused("http://::1:8080/", "an IPv6 address must be in brackets");
	refused("http://[::1/", "missing \"]\"");
	refused("http://[::1]x/", "expected \":\" and a port");
	refused("http://[nope]:80/", "bad IPv6 address");
	refused("http://[fe80::1%25eth0]:80/", "bad IPv6 address");
}

static void
test_unix(void **state)
{
	struct upstream_set	 set;
	const struct upstream	*u;

	(void)state;
	u = parse_one(&set, "unix:///run/app%20x.sock");
	assert_int_equal(u->type, UPSTREAM_UNIX);
	assert_string_equal(u->path, "/run/app x.sock");
	assert_string_equal(u->route, "/");
	assert_int_equal(u->prefix, 1);
	assert_string_equal(u->host, "localhost");
	assert_string_equal(u->authority, "localhost");
	upstream_free_all(&set);
	refused("unix://run/app.sock", "expected an absolute path");
	refused("unix:///run/app.sock?x=1", "a query is not supported");
	refused("unix:///run/app.sock#/x/", "a fragment is not supported");
	refused("unix:///run/%00.sock", "bad percent-encoding");
	refused("unix:///run/%zz.sock", "bad percent-encoding");
	refused("unix:///run/%2", "bad percent-encoding");
	refused("unix:///" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock",
	    "socket path longer than 107 bytes");
}

static void
test_file(void **state)
{
	struct upstream_set	 set;
	const struct upstream	*u;

	(void)state;
	u = parse_one(&set, "file:///var/www/#/static/");
	assert_int_equal(u->type, UPSTREAM_FILE);
	assert_string_equal(u->path, "/var/www/");
	assert_string_equal(u->route, "/static/");
	assert_int_equal(u->prefix, 1);
	assert_null(u->host);
	upstream_free_all(&set);
	/* Without a mount, the directory's path; an empty one the same. */
	u = parse_one(&set, "file:///var/my%20site/");
	assert_string_equal(u->path, "/var/my site/");
	assert_string_equal(u->route, "/var/my%20site/");
	upstream_free_all(&set);
	u = parse_one(&set, "file:///srv/index.html#");
	assert_string_equal(u->path, "/srv/index.html");
	assert_string_equal(u->route, "/srv/index.html");
	assert_int_equal(u->prefix, 0);
	upstream_free_all(&set);
	refused("file://var/www/", "expected an absolute path");
	refused("file://", "expected an absolute path");
	refused("file:///var/www/#static/", "the path must begin with \"/\"");
	refused("file:///var/www/#/a/../b/", "\".\" or \"..\" segments");
	refused("file:///var/www/?x", "a query is not supported");
	refused("file:///var/www dir/", "the path must begin with \"/\"");
}

static void
test_static(void **state)
{
	static const struct {
		const char	*entry;
		int		 status;
	} good[] = {
		{ "static://202", 202 }, { "static://100", 100 },
		{ "static://599", 599 }, { "static://+204", 204 },
		{ "static://404/ignored/path", 404 },
		/* oauth2-proxy's default for what is no number. */
		{ "static://", 200 }, { "static://abc", 200 },
		{ "static://2x", 200 },
	};
	struct upstream_set	 set;
	const struct upstream	*u;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		u = parse_one(&set, good[i].entry);
		assert_int_equal(u->type, UPSTREAM_STATIC);
		assert_int_equal(u->status, good[i].status);
		assert_string_equal(u->route, "/");
		assert_int_equal(u->prefix, 1);
		upstream_free_all(&set);
	}
	refused("static://99", "status code must be between 100 and 599");
	refused("static://600", "status code must be between 100 and 599");
	refused("static://-1", "status code must be between 100 and 599");
	refused("static://99999999999999999999",
	    "status code must be between 100 and 599");
}

static void
test_static_warning(void **state)
{
	struct upstream_set	 set;
	struct capture		 cap;
	const char		*entries[] = { "static://ok", NULL };

	(void)state;
	assert_int_equal(parse(&set, &cap, entries), 0);
	assert_int_equal(cap.diag.nerrors, 0);
	assert_non_null(strstr(cap.msgs, "warning: upstreams: static://ok: "
	    "no status code: answering 200"));
	upstream_free_all(&set);
}

static void
test_bad(void **state)
{
	(void)state;
	refused("ftp://h/", "unknown scheme \"ftp\"");
	refused("127.0.0.1:8080", "expected http://, https://, unix://");
	refused("", "expected http://");
	refused("http://", "missing host");
	refused("http:///x/", "missing host");
	refused("http://:8080/", "missing host");
	refused("http://h:0/", "bad port");
	refused("http://h:65536/", "bad port");
	refused("http://h:/", "bad port");
	refused("http://h:8o/", "bad port");
	refused("http://h:123456/", "bad port");
	refused("http://h_$x/", "bad host name");
	refused("http://h/a b/", "the path must begin with \"/\"");
	refused("http://h/a%2/", "the path must begin with \"/\"");
	refused("http://h/./", "\".\" or \"..\" segments");
	refused("http://h/a/..", "\".\" or \"..\" segments");
	refused("http://h/?q=1", "a query or fragment is not supported");
	refused("http://h/#f", "a query or fragment is not supported");
}

/* User information is refused, and never quoted: it may be a password. */
static void
test_userinfo(void **state)
{
	struct upstream_set	 set;
	struct capture		 cap;
	const char		*entries[] = { "https://bob:hunter2@h/", NULL };

	(void)state;
	assert_int_equal(parse(&set, &cap, entries), -1);
	assert_non_null(strstr(cap.msgs, "upstreams: https://***@h/: user "
	    "information is not supported"));
	assert_null(strstr(cap.msgs, "hunter2"));
}

static void
test_duplicate(void **state)
{
	struct upstream_set	 set;
	struct capture		 cap;
	const char		*dup[] = { "http://a/app/", "http://b/",
	    "http://c/app/", NULL };
	const char		*root[] = { "http://a/", "static://200", NULL };
	const char		*fine[] = { "http://a/app", "http://b/app/",
	    NULL };

	(void)state;
	assert_int_equal(parse(&set, &cap, dup), -1);
	assert_non_null(strstr(cap.msgs, "upstreams: http://c/app/: route "
	    "/app/ is also that of http://a/app/"));
	assert_int_equal(cap.diag.nerrors, 1);
	assert_int_equal(parse(&set, &cap, root), -1);
	assert_non_null(strstr(cap.msgs, "route / is also"));
	/* An exact route and a prefix route are two routes. */
	assert_int_equal(parse(&set, &cap, fine), 0);
	upstream_free_all(&set);
}

/* Every bad entry is reported, not only the first. */
static void
test_all_reported(void **state)
{
	struct upstream_set	 set;
	struct capture		 cap;
	const char		*entries[] = { "ftp://a/", "http://b/",
	    "http://c:0/", NULL };

	(void)state;
	assert_int_equal(parse(&set, &cap, entries), -1);
	assert_int_equal(cap.diag.nerrors, 2);
}

static void
test_too_many(void **state)
{
	struct upstream_set	 set;
	struct capture		 cap;
	const char		*entries[UPSTREAM_MAX + 2];
	char			 text[UPSTREAM_MAX + 1][32];
	size_t			 i;

	(void)state;
	for (i = 0; i < UPSTREAM_MAX + 1; i++) {
		snprintf(text[i], sizeof(text[i]), "http://h/%zu/", i);
		entries[i] = text[i];
	}
	entries[UPSTREAM_MAX + 1] = NULL;
	assert_int_equal(parse(&set, &cap, entries), -1);
	assert_non_null(strstr(cap.msgs, "at most 64"));
	entries[UPSTREAM_MAX] = NULL;
	assert_int_equal(parse(&set, &cap, entries), 0);
	assert_int_equal(set.n, UPSTREAM_MAX);
	upstream_free_all(&set);
}

static void
test_match(void **state)
{
	struct upstream_set	 set;
	struct capture		 cap;
	const char		*entries[] = { "http://root/", "http://app/app/",
	    "http://deep/app/deep/", "http://exact/exact",
	    "http://api/api/v1/", NULL };
	static const struct {
		const char	*path;
		const char	*host;	/* NULL: no match */
		int		 redirect;
	} cases[] = {
		{ "/", "root", 0 }, { "/x", "root", 0 },
		{ "/app/", "app", 0 }, { "/app/x", "app", 0 },
		{ "/app/deep/", "deep", 0 }, { "/app/deep/x/y", "deep", 0 },
		{ "/app/deeper", "app", 0 }, { "/app", "root", 0 },
		{ "/exact", "exact", 0 }, { "/exact/", "root", 0 },
		{ "/exactly", "root", 0 }, { "/api/v1/users", "api", 0 },
	};
	const struct upstream	*u;
	size_t			 i;
	int			 redirect;

	(void)state;
	assert_int_equal(parse(&set, &cap, entries), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		redirect = -1;
		u = upstream_match(&set, cases[i].path, &redirect);
		if (u == NULL || strcmp(u->host, cases[i].host) != 0)
			fail_msg("%s: wanted %s, got %s", cases[i].path,
			    cases[i].host, u != NULL ? u->host : "none");
		assert_int_equal(redirect, 0);
	}
	upstream_free_all(&set);
}

/* Without a root route: no match, and the 301 hint for "/app". */
static void
test_match_redirect(void **state)
{
	struct upstream_set	 set;
	struct capture		 cap;
	const char		*entries[] = { "http://app/app/",
	    "http://exact/exact", "http://v/a/b/", NULL };
	int			 redirect;

	(void)state;
	assert_int_equal(parse(&set, &cap, entries), 0);
	assert_null(upstream_match(&set, "/app", &redirect));
	assert_int_equal(redirect, 1);
	assert_null(upstream_match(&set, "/a/b", &redirect));
	assert_int_equal(redirect, 1);
	assert_null(upstream_match(&set, "/a", &redirect));
	assert_int_equal(redirect, 0);
	assert_null(upstream_match(&set, "/", &redirect));
	assert_int_equal(redirect, 0);
	assert_null(upstream_match(&set, "/ap", &redirect));
	assert_int_equal(redirect, 0);
	assert_null(upstream_match(&set, "/exact/", &redirect));
	assert_int_equal(redirect, 0);
	assert_non_null(upstream_match(&set, "/app/", NULL));
	assert_non_null(upstream_match(&set, "/exact", &redirect));
	assert_int_equal(redirect, 0);
	upstream_free_all(&set);
	/* An empty set matches nothing. */
	assert_null(upstream_match(&set, "/", &redirect));
	assert_int_equal(redirect, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_unix),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_static),
		cmocka_unit_test(test_static_warning),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_userinfo),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_all_reported),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_match_redirect),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
