/*
 * Redirect targets after sign-in and sign-out: every bypass of reference
 * sections 2.9 and 10 and every shape of issue 4 is refused, the
 * whitelist's host and port rules hold, and the candidates are picked in
 * oauth2-proxy's order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "redirect.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static char *wl_entries[] = {
	"example.com", ".sub.org", "*.star.net", "port.com:8080",
	"anyport.com:*", "[::1]:9000", "10.0.0.1", "MiXeD.CaSe",
	".wildport.io:*", "", "*", "bad:", ":8080", "exa mple.com",
};
static struct conf_list	wl = { wl_entries, NELEM(wl_entries) };

static void
expect(const char *const *v, size_t n, const struct conf_list *w, int want)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (redirect_valid(v[i], w) != want)
			fail_msg("redirect_valid(\"%s\") != %d", v[i], want);
	}
}

static void
test_relative_ok(void **state)
{
	static const char *const ok[] = {
		"/", "/foo", "/foo/bar", "/foo/bar/", "/foo?x=1&y=2",
		"/foo#frag", "/my%20docs", "/a%2Fb", "/caf%C3%A9",
		"/foo?q=a%20b", "/.../x", "/..bar", "/.x/y", "/x.", "/x..",
		"/a%2520b", "/?", "/#", "/a/..", "/a/.", "/~user/x-y_z.html",
		"/%zz", "/%", "/a%2", "/app?rd=%2F%2Fevil.com",
	};

	(void)state;
	expect(ok, NELEM(ok), NULL, 1);
	expect(ok, NELEM(ok), &wl, 1);
}

/* Section 2.9's list, oauth2-proxy's own tests, and issue 4's shapes. */
static void
test_relative_refused(void **state)
{
	static const char *const bad[] = {
		"", "//evil.com", "///evil.com", "////evil.com", "/\\evil.com",
		"\\evil.com", "\\\\evil.com", "\\/evil.com", "/\\/evil.com",
		"/\t/evil.com", "/\r/evil.com", "/\n/evil.com", "/ /evil.com",
		"/\t\\evil.com", "/./\\evil.com", "/../x", "/./x", "/a//b",
		"/a/./b", "/a/../b", "/a/.\\b",
		"/\x0b/evil.com", "/\x0c/evil.com", "/\x01", "/\x7f",
		"\t/evil.com", " /evil.com", "/evil.com ", "/foo bar",
		"/foo\nbar", "/foo\r\nSet-Cookie: a=b", "/caf\xc3\xa9",
		"/\xef\xbc\x8f" "evil.com", "/a\\b",
		/* Percent-encoded where it changes the meaning. */
		"/%2fevil.com", "/%2Fevil.com", "/%5cevil.com", "/%5Cevil.com",
		"/%2f%2fevil.com", "/%09/evil.com", "/%0a/evil.com",
		"/%0d/evil.com", "/%0D%0A/evil.com", "/%20/evil.com",
		"/%0b/evil.com", "/%2e%2e/%2fevil.com", "/%2e/x", "/a/%2e%2e/b",
		"/a%2f%2fb", "/a%2f.%2fb", "/%5c%5cevil.com",
		"/%252fevil.com", "/%255cevil.com", "/%25252fevil.com",
		"/%2509/evil.com",
		/* Control bytes once decoded: splitting, truncation. */
		"/x%0d%0aSet-Cookie:a=b", "/x%00y", "/x%7f", "/x%250d%250a",
		/* Unicode slashes and blanks a normaliser folds. */
		"/%ef%bc%8fevil.com", "/%EF%BC%BCevil.com", "/%c0%afevil.com",
		"/%c1%9cevil.com", "/%e0%80%afevil.com", "/%e2%88%95evil.com",
		"/%e3%80%80/evil.com", "/%c2%a0/evil.com",
		"/%e2%80%8b/evil.com",
		"/%ef%bb%bf/evil.com", "/%e2%80%a8/evil.com",
		/* Deeper than DECODE_ROUNDS. */
		"/a%252525252520b",
		/* oauth2-proxy checks the query too. */
		"/app?next=//evil.com", "/app?next=https://x", "/#//evil.com",
	};

	(void)state;
	expect(bad, NELEM(bad), NULL, 0);
	expect(bad, NELEM(bad), &wl, 0);
}

static void
test_not_urls(void **state)
{
	static const char *const bad[] = {
		"evil.com", "evil.com/x", "@google.com", "javascript:alert(1)",
		"javascript://example.com/%0aalert(1)", "JavaScript:alert(1)",
		"data:text/html,<script>x</script>", "vbscript:x",
		"ftp://example.com/", "ws://example.com/", "file:///etc/passwd",
		"HTTPS://example.com/", "Https://example.com/",
		"HTTP://example.com/", "https:/example.com",
		"https:example.com",
		"https:\\\\example.com", "https:/\\example.com",
		"https:\\/example.com", "http:/example.com",
		"https//example.com",
		" https://example.com", "\thttps://example.com", "?x", "#x",
		".", "..", "./x", "../x", "x", "%2f%2fevil.com",
	};

	(void)state;
	expect(bad, NELEM(bad), &wl, 0);
}

static void
test_whitelist_ok(void **state)
{
	static const char *const ok[] = {
		"https://example.com", "https://example.com/",
		"http://example.com/x?y#z", "https://example.com?x",
		"https://example.com#f", "https://EXAMPLE.COM/",
		"https://sub.org/", "https://a.sub.org/", "https://a.b.sub.org",
		"https://star.net/", "https://x.star.net/",
		"https://x.y.star.net",
		"https://port.com:8080/", "http://port.com:8080",
		"https://anyport.com/", "https://anyport.com:1/",
		"https://anyport.com:65535/", "http://[::1]:9000/",
		"https://10.0.0.1/", "https://mixed.case/",
		"https://a.wildport.io:444/", "https://wildport.io/",
		"https://a-b_c.sub.org/", "https://example.com//evil.com",
		"https://example.com/%2f%2fevil.com",
		"https://example.com/a/../b",
	};

	(void)state;
	expect(ok, NELEM(ok), &wl, 1);
}

static void
test_whitelist_refused(void **state)
{
	static const char *const bad[] = {
		/* Other hosts and look-alike suffixes. */
		"https://evil.com/", "https://example.com.evil.com/",
		"https://evilexample.com/", "https://a.example.com/",
		"https://evilsub.org/", "https://sub.org.evil/",
		"https://xstar.net/", "https://example.co/",
		/* Userinfo: the host is what follows "@". */
		"https://evil@example.com/", "https://example.com@evil.com/",
		"https://example.com:@evil.com", "https://:@example.com/",
		"https://example.com:443@evil.com/",
		"https://a%40b@example.com/",
		/* Backslashes, blanks and controls. */
		"https://example.com\\@evil.com",
		"https://example.com\\.evil.com",
		"https://evil.com\\.example.com", "https://example.com\t/",
		"https://ex ample.com", "https://example.com\r\n/",
		/* Ports: none in the entry means none in the URL. */
		"https://example.com:443/", "https://example.com:80/",
		"https://port.com/", "https://port.com:8081/",
		"https://port.com:08080x/", "https://example.com:/",
		"https://example.com:0/", "https://example.com:65536/",
		"https://anyport.com:0/", "https://anyport.com:99999/",
		"https://anyport.com:-1/", "https://anyport.com:+80/",
		"https://example.com:8080:8080/",
		/* Weird hosts. */
		"https://", "https:///x", "https://:443/", "https://./",
		"https://example.com./", "https://.example.com/",
		"https://example..com/", "https://exa%6dple.com/",
		"https://example.com%2f@evil.com",
		"https://ex\xc3\xa1mple.com/",
		"https://[::1]/", "https://[::2]:9000/", "https://[::1:9000/",
		"https://[::1]x:9000/", "https://[fe80::1%25eth0]:9000/",
		"https://[v1.x]:9000/", "https://10.0.0.2/",
		"https://0x0a.0.0.1/", "https://167772161/", "https://10.1/",
		"https://*.star.net/", "https://star.net.:443/",
	};

	(void)state;
	expect(bad, NELEM(bad), &wl, 0);
}

/* An entry never gives subdomains of an IP address. */
static void
test_whitelist_ip(void **state)
{
	static char		*ent[] = {
		".0.0.1", ".1", "*.1", "127.0.0.1:*"
	};
	struct conf_list	 w = { ent, NELEM(ent) };
	static const char *const bad[] = {
		"https://10.0.0.1/", "https://2.1/", "https://0.1/",
		"https://0x7f.0.0.1/", "https://127.1/",
	};
	static const char *const ok[] = {
		"https://127.0.0.1/", "https://127.0.0.1:8443/",
	};

	(void)state;
	expect(bad, NELEM(bad), &w, 0);
	expect(ok, NELEM(ok), &w, 1);
}

static void
test_whitelist_none(void **state)
{
	struct conf_list	empty = { NULL, 0 };

	(void)state;
	assert_false(redirect_valid("https://example.com/", NULL));
	assert_false(redirect_valid("https://example.com/", &empty));
	assert_true(redirect_valid("/x", &empty));
	assert_false(redirect_valid(NULL, &wl));
}

static void
test_length(void **state)
{
	char	buf[REDIRECT_MAX_LEN + 2];

	(void)state;
	memset(buf, 'a', sizeof(buf));
	buf[0] = '/';
	buf[REDIRECT_MAX_LEN] = '\0';
	assert_true(redirect_valid(buf, NULL));
	buf[REDIRECT_MAX_LEN] = 'a';
	buf[REDIRECT_MAX_LEN + 1] = '\0';
	assert_false(redirect_valid(buf, NULL));
}

static void
test_pick_order(void **state)
{
	const char	*r;

	(void)state;
	r = redirect_pick("/rd", "/xarr", "/xfu", "/uri", &wl);
	assert_string_equal(r, "/rd");
	r = redirect_pick("//evil", "/xarr", "/xfu", "/uri", &wl);
	assert_string_equal(r, "/xarr");
	r = redirect_pick("", "https://example.com/", "/xfu", "/uri", &wl);
	assert_string_equal(r, "https://example.com/");
	r = redirect_pick(NULL, "https://evil.com/", "/xfu", "/uri", &wl);
	assert_string_equal(r, "/xfu");
	r = redirect_pick(NULL, NULL, "", "/uri?a=1", &wl);
	assert_string_equal(r, "/uri?a=1");
	r = redirect_pick(NULL, NULL, NULL, "/uri", &wl);
	assert_string_equal(r, "/uri");
	/* A bad X-Forwarded-Uri does not fall back to the request URI. */
	r = redirect_pick(NULL, NULL, "/%2fevil", "/uri", &wl);
	assert_string_equal(r, "/");
	r = redirect_pick("https://evil.com", "//evil", NULL, "/\\evil", &wl);
	assert_string_equal(r, "/");
	r = redirect_pick(NULL, NULL, NULL, NULL, NULL);
	assert_string_equal(r, "/");
	r = redirect_pick("https://example.com/", NULL, NULL, NULL, NULL);
	assert_string_equal(r, "/");
}

static void
test_under_prefix(void **state)
{
	(void)state;
	assert_true(redirect_under_prefix("/oauth2/start", "/oauth2"));
	assert_true(redirect_under_prefix("/oauth2/", "/oauth2"));
	assert_true(redirect_under_prefix("/oauth2/start?rd=/", "/oauth2/"));
	assert_false(redirect_under_prefix("/oauth2", "/oauth2"));
	assert_false(redirect_under_prefix("/oauth2x/start", "/oauth2"));
	assert_false(redirect_under_prefix("/app/oauth2/x", "/oauth2"));
	assert_false(redirect_under_prefix(NULL, "/oauth2"));
	assert_false(redirect_under_prefix("/x", NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relative_ok),
		cmocka_unit_test(test_relative_refused),
		cmocka_unit_test(test_not_urls),
		cmocka_unit_test(test_whitelist_ok),
		cmocka_unit_test(test_whitelist_refused),
		cmocka_unit_test(test_whitelist_ip),
		cmocka_unit_test(test_whitelist_none),
		cmocka_unit_test(test_length),
		cmocka_unit_test(test_pick_order),
		cmocka_unit_test(test_under_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
