/*
 * Set-Cookie text as oauth2-proxy (Go) writes it, splitting at its
 * 4000-byte boundary and joining back through a small cookie jar that
 * plays the browser, clearing, the Cookie header parser against hostile
 * input, and the choice of cookie domain.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <event2/buffer.h>

#include "cookie.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define NOW		1700000000	/* Tue, 14 Nov 2023 22:13:20 GMT */
#define WEEK		604800
#define BIG		(COOKIE_SPLIT_SIZE * (COOKIE_PARTS_MAX + 2))
#define JAR_MAX		64
#define SESSION_ATTRS	"; Path=/; " \
			"Expires=Tue, 21 Nov 2023 22:13:20 GMT; " \
			"Max-Age=604800; HttpOnly; Secure; SameSite=Lax"
#define EXPIRE_ATTRS	"; Path=/; " \
			"Expires=Thu, 01 Jan 1970 00:00:00 GMT; " \
			"Max-Age=0; HttpOnly; Secure; SameSite=Lax"

static const struct cookie_opts	defopts = {
	"_oauth2_proxy", "/", NULL, WEEK, 1, 1, "lax"
};

/* The buffer's text, NUL-terminated; the caller frees it. */
static char *
drain(struct evbuffer *b)
{
	size_t	 len = evbuffer_get_length(b);
	char	*s;

	s = malloc(len + 1);
	assert_non_null(s);
	evbuffer_remove(b, s, len);
	s[len] = '\0';
	return s;
}

static void
set_expect(const struct cookie_opts *o, const char *value, time_t now,
    const char *want)
{
	struct evbuffer	*b = evbuffer_new();
	char		*got;

	assert_int_equal(cookie_set_at(b, o, value, now), 0);
	got = drain(b);
	assert_string_equal(got, want);
	free(got);
	evbuffer_free(b);
}

static void
set_refused(const struct cookie_opts *o, const char *value)
{
	struct evbuffer	*b = evbuffer_new();

	assert_int_equal(cookie_set_at(b, o, value, NOW), -1);
	assert_int_equal(evbuffer_get_length(b), 0);
	evbuffer_free(b);
}

/* --- a cookie jar that plays the browser ------------------------------ */

struct jar {
	char	*name[JAR_MAX];
	char	*value[JAR_MAX];
	size_t	 n;
	size_t	 lines;
	size_t	 longest;	/* the longest "n=v; attrs" seen */
};

static void
jar_put(struct jar *j, const char *line)
{
	const char	*eq, *semi;
	size_t		 i, nlen;
	char		*v;
	int		 del;

	assert_memory_equal(line, "Set-Cookie: ", 12);
	line += 12;
	eq = strchr(line, '=');
	semi = strchr(line, ';');
	assert_non_null(eq);
	nlen = (size_t)(eq - line);
	if (semi == NULL)
		semi = line + strlen(line);
	del = strstr(line, "; Max-Age=0") != NULL;
	if (strlen(line) > j->longest)
		j->longest = strlen(line);
	j->lines++;
	v = strndup(eq + 1, (size_t)(semi - eq - 1));
	for (i = 0; i < j->n; i++)
		if (strlen(j->name[i]) == nlen &&
		    memcmp(j->name[i], line, nlen) == 0)
			break;
	if (i == j->n) {
		if (del) {
			free(v);
			return;
		}
		assert_true(j->n < JAR_MAX);
		j->name[j->n++] = strndup(line, nlen);
	} else
		free(j->value[i]);
	j->value[i] = v;
	if (del) {
		free(j->name[i]);
		free(j->value[i]);
		j->n--;
		j->name[i] = j->name[j->n];
		j->value[i] = j->value[j->n];
	}
}

static void
jar_apply(struct jar *j, struct evbuffer *b)
{
	char	*text, *line, *save;

	text = drain(b);
	for (line = strtok_r(text, "\r\n", &save); line != NULL;
	    line = strtok_r(NULL, "\r\n", &save))
		jar_put(j, line);
	free(text);
}

/* The Cookie header the browser sends, in reverse jar order. */
static char *
jar_header(const struct jar *j)
{
	struct evbuffer	*b = evbuffer_new();
	size_t		 i;
	char		*s;

	for (i = j->n; i-- > 0;)
		evbuffer_add_printf(b, "%s%s=%s", i + 1 == j->n ? "" : "; ",
		    j->name[i], j->value[i]);
	s = drain(b);
	evbuffer_free(b);
	return s;
}

static void
jar_free(struct jar *j)
{
	size_t	i;

	for (i = 0; i < j->n; i++) {
		free(j->name[i]);
		free(j->value[i]);
	}
	memset(j, 0, sizeof(*j));
}

static char *
filled(size_t len, char c)
{
	char	*s = malloc(len + 1);
	size_t	 i;

	assert_non_null(s);
	for (i = 0; i < len; i++)
		s[i] = (char)(c + (i % 26));
	s[len] = '\0';
	return s;
}

/* Sets value into j and reads it back; returns how many lines were set. */
static size_t
round_trip(struct jar *j, const struct cookie_opts *o, const char *value)
{
	struct evbuffer	*b = evbuffer_new();
	const char	*hdr[1];
	char		*out, *h;
	size_t		 before = j->lines;

	out = malloc(BIG);
	assert_non_null(out);
	assert_int_equal(cookie_set_at(b, o, value, NOW), 0);
	jar_apply(j, b);
	h = jar_header(j);
	hdr[0] = h;
	assert_int_equal(cookie_get(hdr, 1, o->name, out, BIG),
	    (int)strlen(value));
	assert_string_equal(out, value);
	assert_true(j->longest <= COOKIE_SPLIT_SIZE);
	free(h);
	free(out);
	evbuffer_free(b);
	return j->lines - before;
}

/* --- Set-Cookie text --------------------------------------------------- */

static void
test_set_text(void **state)
{
	struct cookie_opts	o = defopts;

	(void)state;
	set_expect(&o, "abc", NOW,
	    "Set-Cookie: _oauth2_proxy=abc" SESSION_ATTRS "\r\n");
	o.domain = ".example.com";
	set_expect(&o, "a-b_c.d~", NOW,
	    "Set-Cookie: _oauth2_proxy=a-b_c.d~; Path=/; Domain=example.com; "
	    "Expires=Tue, 21 Nov 2023 22:13:20 GMT; Max-Age=604800; "
	    "HttpOnly; Secure; SameSite=Lax\r\n");
	o.domain = "example.com";
	o.path = "/app";
	o.max_age = 0;
	o.samesite = "strict";
	set_expect(&o, "1", NOW, "Set-Cookie: _oauth2_proxy=1; Path=/app; "
	    "Domain=example.com; HttpOnly; Secure; SameSite=Strict\r\n");
	o.domain = NULL;
	o.path = NULL;
	o.httponly = 0;
	o.samesite = "none";
	set_expect(&o, "1", NOW,
	    "Set-Cookie: _oauth2_proxy=1; Secure; SameSite=None\r\n");
	o.secure = 0;
	o.samesite = "";
	set_expect(&o, "1", NOW, "Set-Cookie: _oauth2_proxy=1\r\n");
	o.samesite = NULL;
	o.path = "";
	set_expect(&o, "", NOW, "Set-Cookie: _oauth2_proxy=\r\n");
}

static void
test_set_dates(void **state)
{
	struct cookie_opts	o = { "c", NULL, NULL, 1, 0, 0, NULL };

	(void)state;
	set_expect(&o, "v", 0, "Set-Cookie: c=v; "
	    "Expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=1\r\n");
	o.max_age = 86399;
	set_expect(&o, "v", 1709164800, "Set-Cookie: c=v; "
	    "Expires=Thu, 29 Feb 2024 23:59:59 GMT; Max-Age=86399\r\n");
	o.max_age = 1;
	set_expect(&o, "v", 951782399, "Set-Cookie: c=v; "
	    "Expires=Tue, 29 Feb 2000 00:00:00 GMT; Max-Age=1\r\n");
	o.max_age = INT64_MAX;
	set_expect(&o, "v", NOW, "Set-Cookie: c=v; "
	    "Expires=Fri, 31 Dec 9999 23:59:59 GMT; "
	    "Max-Age=9223372036854775807\r\n");
}

static void
test_set_refused(void **state)
{
	static const char *const names[] = {
		"", "a b", "a=b", "a;b", "a,b", "a\"b", "a\tb", "a\nb", "a(b",
		"a/b", "a:b", "a@b", "a\xc3\xa9", "a\x7f",
	};
	static const char *const values[] = {
		"a b", "a;b", "a,b", "a\"b", "\"ab\"", "a\\b", "a\x7f", "a\tb",
		"a\r\nSet-Cookie: x=y", "a\xc3\xa9",
	};
	struct cookie_opts	o = defopts;
	char			long_name[COOKIE_NAME_MAX + 2];
	size_t			i;

	(void)state;
	for (i = 0; i < NELEM(names); i++) {
		o.name = names[i];
		set_refused(&o, "v");
	}
	o.name = NULL;
	set_refused(&o, "v");
	memset(long_name, 'n', sizeof(long_name));
	long_name[COOKIE_NAME_MAX + 1] = '\0';
	o.name = long_name;
	set_refused(&o, "v");
	o = defopts;
	for (i = 0; i < NELEM(values); i++)
		set_refused(&o, values[i]);
	set_refused(&o, NULL);
	o.samesite = "Lax";
	set_refused(&o, "v");
	o.samesite = "bogus";
	set_refused(&o, "v");
	o = defopts;
	o.path = "/a;b";
	set_refused(&o, "v");
	o.path = "/a\r\nX: y";
	set_refused(&o, "v");
	o = defopts;
	o.domain = "exa mple.com";
	set_refused(&o, "v");
	o.domain = "example.com; Secure";
	set_refused(&o, "v");
	o.domain = "a..b";
	set_refused(&o, "v");
	o.domain = ".";
	set_refused(&o, "v");
	o.domain = "[::1]";
	set_refused(&o, "v");
	o = defopts;
	o.max_age = -1;
	set_refused(&o, "v");
	set_refused(NULL, "v");
}

/* --- splitting ----------------------------------------------------------- */

static size_t
attrs_len(void)
{
	return strlen(SESSION_ATTRS);
}

static void
test_split_boundary(void **state)
{
	struct cookie_opts	 o = defopts;
	struct jar		 j;
	size_t			 nlen = strlen(o.name), max1;
	char			*v;

	(void)state;
	memset(&j, 0, sizeof(j));
	max1 = COOKIE_SPLIT_SIZE - nlen - 1 - attrs_len();

	/* Exactly 4000 bytes: one cookie. */
	v = filled(max1, 'A');
	assert_int_equal(round_trip(&j, &o, v), 1);
	assert_int_equal(j.longest, COOKIE_SPLIT_SIZE);
	assert_int_equal(j.n, 1);
	free(v);
	jar_free(&j);

	/* One byte more: two parts, the first full, and two expiries. */
	v = filled(max1 + 1, 'A');
	assert_int_equal(round_trip(&j, &o, v), 4);
	assert_int_equal(j.longest, COOKIE_SPLIT_SIZE);
	assert_int_equal(j.n, 2);
	assert_string_equal(j.name[0], "_oauth2_proxy_0");
	assert_int_equal(strlen(j.value[0]), max1 - 2);
	assert_string_equal(j.name[1], "_oauth2_proxy_1");
	assert_int_equal(strlen(j.value[1]), 3);
	free(v);
	jar_free(&j);
}

/* The exact lines of a split, with the stale names expired. */
static void
test_split_text(void **state)
{
	struct cookie_opts	 o = { "c", NULL, NULL, 0, 0, 0, NULL };
	struct evbuffer		*b = evbuffer_new();
	char			*v, *got, *want;
	size_t			 chunk = COOKIE_SPLIT_SIZE - 4;

	(void)state;
	v = filled(chunk + 5, 'a');
	assert_int_equal(cookie_set_at(b, &o, v, NOW), 0);
	got = drain(b);
	want = malloc(2 * chunk + 512);
	snprintf(want, 2 * chunk + 512, "Set-Cookie: c_0=%.*s\r\n"
	    "Set-Cookie: c_1=%s\r\n"
	    "Set-Cookie: c=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; "
	    "Max-Age=0\r\n"
	    "Set-Cookie: c_2=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; "
	    "Max-Age=0\r\n", (int)chunk, v, v + chunk);
	assert_string_equal(got, want);
	free(want);
	free(got);
	free(v);
	evbuffer_free(b);
}

/*
 * A large value, then a smaller split one, then an unsplit one, then a
 * large one again: each is read back alone, with no stale part glued on.
 */
static void
test_split_shrink_grow(void **state)
{
	struct cookie_opts	 o = defopts;
	struct jar		 j;
	char			*v;
	static const size_t	 sizes[] = {
		12000, 5000, 100, 9000, 3990, 1
	};
	size_t			 i;

	(void)state;
	memset(&j, 0, sizeof(j));
	for (i = 0; i < NELEM(sizes); i++) {
		v = filled(sizes[i], i % 2 ? 'a' : 'A');
		round_trip(&j, &o, v);
		free(v);
	}
	jar_free(&j);
}

static size_t
parts_capacity(const char *name, size_t alen)
{
	size_t	i, cap = 0;
	char	pn[COOKIE_NAME_MAX + 16];

	for (i = 0; i < COOKIE_PARTS_MAX; i++) {
		snprintf(pn, sizeof(pn), "%s_%zu", name, i);
		cap += COOKIE_SPLIT_SIZE - strlen(pn) - 1 - alen;
	}
	return cap;
}

static void
test_split_limit(void **state)
{
	struct cookie_opts	 o = defopts;
	struct jar		 j;
	size_t			 cap;
	char			*v;

	(void)state;
	memset(&j, 0, sizeof(j));
	cap = parts_capacity(o.name, attrs_len());
	v = filled(cap, 'A');
	assert_int_equal(round_trip(&j, &o, v), COOKIE_PARTS_MAX + 2);
	assert_int_equal(j.n, COOKIE_PARTS_MAX);
	free(v);
	jar_free(&j);
	v = filled(cap + 1, 'A');
	set_refused(&o, v);
	free(v);
}

/* oauth2-proxy cuts the name so that "<name>_<i>" stays 256 bytes. */
static void
test_split_long_name(void **state)
{
	struct cookie_opts	 o = { NULL, "/", NULL, 0, 1, 1, "" };
	char			 name[COOKIE_NAME_MAX + 1];
	struct jar		 j;
	char			*v;

	(void)state;
	memset(&j, 0, sizeof(j));
	memset(name, 'n', COOKIE_NAME_MAX);
	name[COOKIE_NAME_MAX] = '\0';
	o.name = name;
	v = filled(10000, 'A');
	assert_int_equal(round_trip(&j, &o, v), 5);
	assert_int_equal(strlen(j.name[0]), COOKIE_NAME_MAX);
	assert_memory_equal(j.name[0] + COOKIE_NAME_MAX - 2, "_0", 2);
	free(v);
	jar_free(&j);
}

/* --- clearing ------------------------------------------------------------ */

static void
test_clear(void **state)
{
	static const char *const present[] = {
		"_oauth2_proxy_0", "other", "_oauth2_proxy_csrf",
		"_oauth2_proxy_1", "_oauth2_proxy_1", "_oauth2_proxy_01",
		"_oauth2_proxy", "_oauth2_proxy_", "_oauth2_proxy_1x", NULL,
		"_oauth2_proxy_0_0", "x_oauth2_proxy_2", "_oauth2_proxy_12",
	};
	struct evbuffer		*b = evbuffer_new();
	struct cookie_opts	 o = defopts;
	char			*got;

	(void)state;
	o.max_age = 0;
	assert_int_equal(cookie_clear(b, &o, present, NELEM(present)), 0);
	got = drain(b);
	assert_string_equal(got,
	    "Set-Cookie: _oauth2_proxy=" EXPIRE_ATTRS "\r\n"
	    "Set-Cookie: _oauth2_proxy_0=" EXPIRE_ATTRS "\r\n"
	    "Set-Cookie: _oauth2_proxy_1=" EXPIRE_ATTRS "\r\n"
	    "Set-Cookie: _oauth2_proxy_12=" EXPIRE_ATTRS "\r\n");
	free(got);
	assert_int_equal(cookie_clear(b, &o, NULL, 0), 0);
	got = drain(b);
	assert_string_equal(got,
	    "Set-Cookie: _oauth2_proxy=" EXPIRE_ATTRS "\r\n");
	free(got);
	o.samesite = "LAX";
	assert_int_equal(cookie_clear(b, &o, NULL, 0), -1);
	assert_int_equal(cookie_clear(b, &defopts, NULL, 1), -1);
	assert_int_equal(evbuffer_get_length(b), 0);
	evbuffer_free(b);
}

/* --- the Cookie header ------------------------------------------------- */

static int
get1(const char *header, const char *name, char *out, size_t outlen)
{
	const char	*h[1];

	h[0] = header;
	return cookie_get(h, 1, name, out, outlen);
}

static void
expect_get(const char *header, const char *name, const char *want)
{
	char	out[256];
	int	r;

	r = get1(header, name, out, sizeof(out));
	if (want == NULL) {
		if (r != -1)
			fail_msg("\"%s\": %d, want -1", header, r);
		assert_string_equal(out, "");
		return;
	}
	if (r != (int)strlen(want) || strcmp(out, want) != 0)
		fail_msg("\"%s\": %d \"%s\", want \"%s\"", header, r, out,
		    want);
}

static void
test_get_shapes(void **state)
{
	(void)state;
	expect_get("a=1", "a", "1");
	expect_get("a=1; b=2", "b", "2");
	expect_get("a=1;b=2", "b", "2");
	expect_get("  a=1  ;  b=2  ", "b", "2");
	expect_get("a = 1", "a", "1");
	expect_get("\ta=1\t", "a", "1");
	expect_get(";;; a=1 ;;", "a", "1");
	expect_get("a=x==", "a", "x==");
	expect_get("a=\"xyz\"", "a", "xyz");
	expect_get("aa=1; a=2", "a", "2");
	expect_get("ba=1; a=2", "a", "2");
	expect_get("b=a=1; a=2", "a", "2");
	expect_get("A=1", "a", "");
	expect_get("a", "a", "");
	expect_get("", "a", "");
	expect_get("=a; =", "a", "");
	expect_get("a=", "a", "");
	expect_get("a=\"\"", "a", "");
	/* Duplicates: the first, as Go takes it. */
	expect_get("a=1; a=2", "a", "1");
	/* Other cookies' garbage is not ours to judge. */
	expect_get("b=\x01\"; ,c d=e f; g; a=ok", "a", "ok");
	expect_get("b={\"json\": [1, 2]}; a=ok", "a", "ok");
}

static void
test_get_hostile(void **state)
{
	(void)state;
	expect_get("a=\"xyz", "a", NULL);
	expect_get("a=xyz\"", "a", NULL);
	expect_get("a=\"", "a", NULL);
	expect_get("a=x y", "a", NULL);
	expect_get("a=1,b=2", "a", NULL);
	expect_get("a=x\\y", "a", NULL);
	expect_get("a=x\x7f", "a", NULL);
	expect_get("a=x\xc3\xa9", "a", NULL);
	expect_get("a=x\ry", "a", NULL);
	/* A broken first copy is not skipped for a planted second. */
	expect_get("a=x y; a=planted", "a", NULL);
	expect_get("a_0=ok; a_1=b\"d", "a", NULL);
}

static void
test_get_headers(void **state)
{
	const char	*h[] = { NULL, "x=1", "a=2; b=3", "a=4", "a_0=5" };
	char		 out[16];

	(void)state;
	assert_int_equal(cookie_get(h, NELEM(h), "a", out, sizeof(out)), 1);
	assert_string_equal(out, "2");
	assert_int_equal(cookie_get(h, NELEM(h), "x", out, sizeof(out)), 1);
	assert_string_equal(out, "1");
	assert_int_equal(cookie_get(h, NELEM(h), "zz", out, sizeof(out)), 0);
	assert_int_equal(cookie_get(h, 0, "a", out, sizeof(out)), 0);
	assert_int_equal(cookie_get(NULL, 0, "a", out, sizeof(out)), 0);
	assert_int_equal(cookie_get(NULL, 1, "a", out, sizeof(out)), -1);
	assert_int_equal(cookie_get(h, NELEM(h), "a b", out, sizeof(out)), -1);
	assert_int_equal(cookie_get(h, NELEM(h), "", out, sizeof(out)), -1);
	assert_int_equal(cookie_get(h, NELEM(h), NULL, out, sizeof(out)), -1);
	assert_int_equal(cookie_get(h, NELEM(h), "a", NULL, 5), -1);
	assert_int_equal(cookie_get(h, NELEM(h), "a", out, 0), -1);
}

static void
test_get_join(void **state)
{
	(void)state;
	expect_get("a_0=AB; a_1=CD; a_2=EF", "a", "ABCDEF");
	expect_get("a_2=EF; a_0=AB; x=1; a_1=CD", "a", "ABCDEF");
	/* The unsplit name wins over parts. */
	expect_get("a_0=AB; a=whole; a_1=CD", "a", "whole");
	/* An empty unsplit cookie is a deleted one. */
	expect_get("a=; a_0=AB; a_1=CD", "a", "ABCD");
	/* A missing middle part ends the join. */
	expect_get("a_0=AB; a_2=EF", "a", "AB");
	expect_get("a_0=AB; a_1=; a_2=EF", "a", "AB");
	expect_get("a_1=CD; a_2=EF", "a", "");
	/* Duplicated parts: the first of each. */
	expect_get("a_0=AB; a_0=XX; a_1=CD", "a", "ABCD");
	/* Parts split over several headers are looked for in each. */
	{
		const char	*h[] = { "a_0=AB", "z=1; a_1=CD" };
		char		 out[16];

		assert_int_equal(cookie_get(h, 2, "a", out, sizeof(out)), 4);
		assert_string_equal(out, "ABCD");
	}
}

static void
test_get_limits(void **state)
{
	struct evbuffer	*b = evbuffer_new();
	char		*hdr, out[64];
	size_t		 i;

	(void)state;
	/* 16 parts join; a 17th is refused. */
	for (i = 0; i < COOKIE_PARTS_MAX; i++)
		evbuffer_add_printf(b, "a_%zu=%c; ", i, (char)('A' + i));
	hdr = drain(b);
	assert_int_equal(get1(hdr, "a", out, sizeof(out)), COOKIE_PARTS_MAX);
	assert_string_equal(out, "ABCDEFGHIJKLMNOP");
	free(hdr);
	for (i = 0; i <= COOKIE_PARTS_MAX; i++)
		evbuffer_add_printf(b, "a_%zu=%c; ", i, (char)('A' + i));
	hdr = drain(b);
	assert_int_equal(get1(hdr, "a", out, sizeof(out)), -1);
	assert_string_equal(out, "");
	free(hdr);

	/* Too long for out: refused and nothing left in out. */
	assert_int_equal(get1("a=12345", "a", out, 5), -1);
	assert_int_equal(get1("a=12345", "a", out, 6), 5);
	assert_int_equal(get1("a_0=123; a_1=45", "a", out, 5), -1);
	assert_memory_equal(out, "\0\0\0\0", 4);
	assert_int_equal(get1("a_0=123; a_1=45", "a", out, 6), 5);

	/* A huge header of other cookies, ours at the end. */
	for (i = 0; i < 100000; i++)
		evbuffer_add_printf(b, "x%zu=y; ", i);
	evbuffer_add_printf(b, "a=found");
	hdr = drain(b);
	assert_int_equal(get1(hdr, "a", out, sizeof(out)), 5);
	assert_string_equal(out, "found");
	assert_int_equal(get1(hdr, "b", out, sizeof(out)), 0);
	free(hdr);
	evbuffer_free(b);
}

/* --- cookie_domains ------------------------------------------------------ */

static void
test_domain_pick(void **state)
{
	static char		*d1[] = {
		"example.com", ".sub.example.com", "other.org", "", NULL
	};
	static char		*d2[] = { "b.c", "a.b.c" };
	static char		*d3[] = { "a.b.c", "b.c" };
	struct conf_list	 l1 = { d1, NELEM(d1) };
	struct conf_list	 l2 = { d2, NELEM(d2) };
	struct conf_list	 l3 = { d3, NELEM(d3) };
	struct conf_list	 none = { NULL, 0 };

	(void)state;
	assert_string_equal(cookie_domain_pick(&l1, "a.sub.example.com"),
	    ".sub.example.com");
	assert_string_equal(cookie_domain_pick(&l1, "sub.example.com:8443"),
	    ".sub.example.com");
	assert_string_equal(cookie_domain_pick(&l1, "example.com"),
	    "example.com");
	assert_string_equal(cookie_domain_pick(&l1, "www.example.com:80"),
	    "example.com");
	assert_string_equal(cookie_domain_pick(&l1, "WWW.EXAMPLE.COM"),
	    "example.com");
	assert_string_equal(cookie_domain_pick(&l1, "x.other.org"),
	    "other.org");
	assert_null(cookie_domain_pick(&l1, "evilexample.com"));
	assert_null(cookie_domain_pick(&l1, "example.com.evil"));
	assert_null(cookie_domain_pick(&l1, "unrelated.net"));
	assert_null(cookie_domain_pick(&l1, "com"));
	assert_null(cookie_domain_pick(&l1, ""));
	assert_null(cookie_domain_pick(&l1, "[::1]:80"));
	assert_null(cookie_domain_pick(&l1, NULL));
	assert_null(cookie_domain_pick(NULL, "example.com"));
	assert_null(cookie_domain_pick(&none, "example.com"));
	assert_string_equal(cookie_domain_pick(&l2, "x.a.b.c"), "a.b.c");
	assert_string_equal(cookie_domain_pick(&l3, "x.a.b.c"), "a.b.c");
	assert_string_equal(cookie_domain_pick(&l2, "x.b.c"), "b.c");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_text),
		cmocka_unit_test(test_set_dates),
		cmocka_unit_test(test_set_refused),
		cmocka_unit_test(test_split_boundary),
		cmocka_unit_test(test_split_text),
		cmocka_unit_test(test_split_shrink_grow),
		cmocka_unit_test(test_split_limit),
		cmocka_unit_test(test_split_long_name),
		cmocka_unit_test(test_clear),
		cmocka_unit_test(test_get_shapes),
		cmocka_unit_test(test_get_hostile),
		cmocka_unit_test(test_get_headers),
		cmocka_unit_test(test_get_join),
		cmocka_unit_test(test_get_limits),
		cmocka_unit_test(test_domain_pick),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
