/*
 * The session messages between workers and sessiond: what round trips,
 * and every class of malformed body refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "claims.h"
#include "imsg.h"

#define REQ_ID		((uint64_t)0x0123456789abcdefULL)

static const char	*sample_groups[] = { "admins", "dev ops", "ünïcode" };

static void
sample_claims(struct claims *c)
{
	size_t	i;

	memset(c, 0, sizeof(*c));
	c->user = "u-1234";
	c->email = "user@example.com";
	c->preferred_username = "user";
	for (i = 0; i < 3; i++)
		c->groups[i] = sample_groups[i];
	c->ngroups = 3;
	c->created_at = 1700000000;
	c->expires_on = -1;		/* any int64 travels as u64 */
	c->refresh_due = INT64_MAX;
	c->id_token = "eyJ.id.token";
	c->access_token = "";
}

/* Parses m as received; the header must be right. */
static void
received(const struct imsg_out *m, struct imsg_in *in)
{
	assert_int_equal(imsg_parse(in, m->buf, m->len), 0);
}

/* The first len bytes of m as a message of its own (header len fixed). */
static int
parse_prefix(const struct imsg_out *m, size_t len, struct imsg_in *in,
    uint8_t *buf)
{
	uint32_t	l = (uint32_t)len;

	memcpy(buf, m->buf, len);
	memcpy(buf + offsetof(struct imsg_hdr, len), &l, sizeof(l));
	return (imsg_parse(in, buf, len));
}

static int
claims_of(const struct imsg_out *m, uint32_t *result, struct claims *c)
{
	struct imsg_in	in;

	received(m, &in);
	return (claims_parse(&in, result, c));
}

static int
open_of(const struct imsg_out *m, uint32_t *wants, const char **cookie)
{
	struct imsg_in	in;

	received(m, &in);
	return (claims_parse_open(&in, wants, cookie));
}

/* IMSG_SESSION_OPEN. */

static void
test_open_round_trip(void **state)
{
	struct imsg_out	 m;
	struct imsg_in	 in;
	const char	*cookie;
	uint32_t	 wants;

	(void)state;
	assert_int_equal(claims_compose_open(&m, REQ_ID,
	    CLAIMS_WANT_ID_TOKEN | CLAIMS_WANT_ACCESS_TOKEN,
	    "1700000000.abc_-"), 0);
	received(&m, &in);
	assert_int_equal(in.hdr.type, IMSG_SESSION_OPEN);
	assert_true(in.hdr.id == REQ_ID);
	assert_int_equal(claims_parse_open(&in, &wants, &cookie), 0);
	assert_int_equal(wants, CLAIMS_WANT_ID_TOKEN | CLAIMS_WANT_ACCESS_TOKEN);
	assert_string_equal(cookie, "1700000000.abc_-");

	/* An empty cookie value is a well-formed message. */
	assert_int_equal(claims_compose_open(&m, 1, 0, ""), 0);
	assert_int_equal(open_of(&m, &wants, &cookie), 0);
	assert_int_equal(wants, 0);
	assert_string_equal(cookie, "");
}

static void
test_open_truncated(void **state)
{
	struct imsg_out	 m;
	struct imsg_in	 in;
	static uint8_t	 buf[IMSG_MAX_SIZE];
	const char	*cookie;
	uint32_t	 wants;
	size_t		 len;

	(void)state;
	assert_int_equal(claims_compose_open(&m, 7, 0, "value"), 0);
	for (len = IMSG_HDR_SIZE; len < m.len; len++) {
		assert_int_equal(parse_prefix(&m, len, &in, buf), 0);
		assert_int_equal(claims_parse_open(&in, &wants, &cookie), -1);
	}
}

static void
test_open_malformed(void **state)
{
	struct imsg_out	 m;
	const char	*cookie;
	uint32_t	 wants;

	(void)state;
	/* Trailing bytes after the cookie. */
	imsg_compose(&m, IMSG_SESSION_OPEN, 1);
	imsg_add_u32(&m, 0);
	imsg_add_string(&m, "value");
	imsg_add_u32(&m, 0);
	assert_int_equal(imsg_close(&m), 0);
	assert_int_equal(open_of(&m, &wants, &cookie), -1);

	/* A cookie without its NUL, with a NUL inside, or of no bytes. */
	imsg_compose(&m, IMSG_SESSION_OPEN, 1);
	imsg_add_u32(&m, 0);
	imsg_add_data(&m, "value", 5);
	assert_int_equal(imsg_close(&m), 0);
	assert_int_equal(open_of(&m, &wants, &cookie), -1);
	imsg_compose(&m, IMSG_SESSION_OPEN, 1);
	imsg_add_u32(&m, 0);
	imsg_add_data(&m, "va\0ue", 6);
	assert_int_equal(imsg_close(&m), 0);
	assert_int_equal(open_of(&m, &wants, &cookie), -1);
	imsg_compose(&m, IMSG_SESSION_OPEN, 1);
	imsg_add_u32(&m, 0);
	imsg_add_data(&m, "", 0);
	assert_int_equal(imsg_close(&m), 0);
	assert_int_equal(open_of(&m, &wants, &cookie), -1);

	/* A cookie length past the end of the message. */
	imsg_compose(&m, IMSG_SESSION_OPEN, 1);
	imsg_add_u32(&m, 0);
	imsg_add_u32(&m, 100);
	imsg_add_u32(&m, 0);
	assert_int_equal(imsg_close(&m), 0);
	assert_int_equal(open_of(&m, &wants, &cookie), -1);
}

static void
test_open_too_large(void **state)
{
	static struct imsg_out	 m;
	static char		 big[IMSG_MAX_SIZE];
	const char		*cookie;
	uint32_t		 wants;

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(claims_compose_open(&m, 1, 0, big), -1);
	/* The largest value the contract promises still fits. */
	big[CLAIMS_COOKIE_MAX] = '\0';
	assert_int_equal(claims_compose_open(&m, 1, 0, big), 0);
	assert_int_equal(open_of(&m, &wants, &cookie), 0);
	assert_int_equal(strlen(cookie), CLAIMS_COOKIE_MAX);
}

/* IMSG_SESSION_CLAIMS. */

static void
test_claims_round_trip(void **state)
{
	struct imsg_out	 m;
	struct imsg_in	 in;
	struct claims	 c, got;
	uint32_t	 result;
	size_t		 i;

	(void)state;
	sample_claims(&c);
	assert_int_equal(claims_compose(&m, REQ_ID, CLAIMS_OK, &c), 0);
	received(&m, &in);
	assert_int_equal(in.hdr.type, IMSG_SESSION_CLAIMS);
	assert_true(in.hdr.id == REQ_ID);
	assert_int_equal(claims_parse(&in, &result, &got), 0);
	assert_int_equal(result, CLAIMS_OK);
	assert_string_equal(got.user, c.user);
	assert_string_equal(got.email, c.email);
	assert_string_equal(got.preferred_username, c.preferred_username);
	assert_int_equal(got.ngroups, c.ngroups);
	for (i = 0; i < c.ngroups; i++)
		assert_string_equal(got.groups[i], c.groups[i]);
	assert_true(got.created_at == c.created_at);
	assert_true(got.expires_on == c.expires_on);
	assert_true(got.refresh_due == c.refresh_due);
	assert_string_equal(got.id_token, c.id_token);
	assert_string_equal(got.access_token, "");
}

/* A user with no groups and every string empty still round trips. */
static void
test_claims_empty(void **state)
{
	struct imsg_out	 m;
	struct claims	 c, got;
	uint32_t	 result;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.user = c.email = c.preferred_username = "";
	c.id_token = c.access_token = "";
	assert_int_equal(claims_compose(&m, 1, CLAIMS_OK, &c), 0);
	assert_int_equal(claims_of(&m, &result, &got), 0);
	assert_int_equal(result, CLAIMS_OK);
	assert_int_equal(got.ngroups, 0);
	assert_string_equal(got.user, "");
	assert_string_equal(got.access_token, "");
}

static void
test_claims_max_groups(void **state)
{
	static struct imsg_out	 m;
	static char		 names[CLAIMS_MAX_GROUPS][8];
	struct claims		 c, got;
	uint32_t		 result;
	size_t			 i;

	(void)state;
	sample_claims(&c);
	for (i = 0; i < CLAIMS_MAX_GROUPS; i++) {
		snprintf(names[i], sizeof(names[i]), "g%zu", i);
		c.groups[i] = names[i];
	}
	c.ngroups = CLAIMS_MAX_GROUPS;
	assert_int_equal(claims_compose(&m, 1, CLAIMS_OK, &c), 0);
	assert_int_equal(claims_of(&m, &result, &got), 0);
	assert_int_equal(got.ngroups, CLAIMS_MAX_GROUPS);
	assert_string_equal(got.groups[CLAIMS_MAX_GROUPS - 1], "g255");
}

/* Every result but OK is the result alone; the claims are not read. */
static void
test_claims_not_ok(void **state)
{
	static const uint32_t	 results[] = { CLAIMS_NONE, CLAIMS_EXPIRED,
				    CLAIMS_MALFORMED, CLAIMS_ERROR };
	struct imsg_out		 m;
	struct claims		 got;
	uint32_t		 result;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(results) / sizeof(results[0]); i++) {
		assert_int_equal(claims_compose(&m, 9, results[i], NULL), 0);
		assert_int_equal(m.len, IMSG_HDR_SIZE + sizeof(uint32_t));
		assert_int_equal(claims_of(&m, &result, &got), 0);
		assert_int_equal(result, results[i]);
		assert_int_equal(got.ngroups, 0);
		assert_null(got.user);
	}
}

/* A result other than OK followed by anything at all is refused. */
static void
test_claims_not_ok_trailing(void **state)
{
	struct imsg_out	m;
	struct claims	c, got;
	uint32_t	result;

	(void)state;
	imsg_compose(&m, IMSG_SESSION_CLAIMS, 1);
	imsg_add_u32(&m, CLAIMS_EXPIRED);
	imsg_add_string(&m, "user");
	assert_int_equal(imsg_close(&m), 0);
	assert_int_equal(claims_of(&m, &result, &got), -1);

	/* A whole claims body after a refusal is no better. */
	sample_claims(&c);
	assert_int_equal(claims_compose(&m, 1, CLAIMS_OK, &c), 0);
	result = CLAIMS_NONE;
	memcpy(m.buf + IMSG_HDR_SIZE, &result, sizeof(result));
	assert_int_equal(claims_of(&m, &result, &got), -1);
}

/* Every prefix of a good message, down to an empty body, is refused. */
static void
test_claims_truncated(void **state)
{
	struct imsg_out	 m;
	struct imsg_in	 in;
	static uint8_t	 buf[IMSG_MAX_SIZE];
	struct claims	 c, got;
	uint32_t	 result;
	size_t		 len;

	(void)state;
	sample_claims(&c);
	assert_int_equal(claims_compose(&m, 1, CLAIMS_OK, &c), 0);
	for (len = IMSG_HDR_SIZE; len < m.len; len++) {
		assert_int_equal(parse_prefix(&m, len, &in, buf), 0);
		assert_int_equal(claims_parse(&in, &result, &got), -1);
	}
}

static void
test_claims_trailing(void **state)
{
	struct imsg_out	m;
	struct claims	c, got;
	uint32_t	result;

	(void)state;
	sample_claims(&c);
	assert_int_equal(claims_compose(&m, 1, CLAIMS_OK, &c), 0);
	imsg_add_u32(&m, 0);
	assert_int_equal(imsg_close(&m), 0);
	assert_int_equal(claims_of(&m, &result, &got), -1);
}

/* The head of an OK body: result and the three strings. */
static void
compose_head(struct imsg_out *m)
{
	imsg_compose(m, IMSG_SESSION_CLAIMS, 1);
	imsg_add_u32(m, CLAIMS_OK);
	imsg_add_string(m, "user");
	imsg_add_string(m, "user@example.com");
	imsg_add_string(m, "user");
}

/* The tail of an OK body: three times and two tokens. */
static void
compose_tail(struct imsg_out *m)
{
	imsg_add_u64(m, 1);
	imsg_add_u64(m, 2);
	imsg_add_u64(m, 3);
	imsg_add_string(m, "");
	imsg_add_string(m, "");
	assert_int_equal(imsg_close(m), 0);
}

static void
test_claims_too_many_groups(void **state)
{
	static struct imsg_out	m;
	static const uint32_t	counts[] = { CLAIMS_MAX_GROUPS + 1, 0x10000,
				    UINT32_MAX };
	struct claims		got;
	uint32_t		result;
	size_t			i, j;

	(void)state;
	/* Each count with that many strings, as far as a message holds. */
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		compose_head(&m);
		imsg_add_u32(&m, counts[i]);
		for (j = 0; j < counts[i] && j <= CLAIMS_MAX_GROUPS; j++)
			imsg_add_string(&m, "g");
		compose_tail(&m);
		assert_int_equal(claims_of(&m, &result, &got), -1);
		assert_int_equal(got.ngroups, 0);
	}
}

/* A group count with fewer strings behind it, or a bad group string. */
static void
test_claims_bad_groups(void **state)
{
	struct imsg_out	m;
	struct claims	got;
	uint32_t	result;

	(void)state;
	compose_head(&m);
	imsg_add_u32(&m, 3);
	imsg_add_string(&m, "a");
	imsg_add_string(&m, "b");
	compose_tail(&m);
	assert_int_equal(claims_of(&m, &result, &got), -1);

	compose_head(&m);
	imsg_add_u32(&m, 1);
	imsg_add_data(&m, "a\0b", 4);
	compose_tail(&m);
	assert_int_equal(claims_of(&m, &result, &got), -1);

	compose_head(&m);
	imsg_add_u32(&m, 1);
	imsg_add_data(&m, "ab", 2);
	compose_tail(&m);
	assert_int_equal(claims_of(&m, &result, &got), -1);
}

/* Each string of the body in turn is left out. */
static void
test_claims_missing_strings(void **state)
{
	struct imsg_out	m;
	struct claims	got;
	uint32_t	result;
	int		skip, k;

	(void)state;
	for (skip = 0; skip < 5; skip++) {
		imsg_compose(&m, IMSG_SESSION_CLAIMS, 1);
		imsg_add_u32(&m, CLAIMS_OK);
		for (k = 0; k < 3; k++)
			if (k != skip)
				imsg_add_string(&m, "s");
		imsg_add_u32(&m, 0);
		imsg_add_u64(&m, 1);
		imsg_add_u64(&m, 2);
		imsg_add_u64(&m, 3);
		for (k = 3; k < 5; k++)
			if (k != skip)
				imsg_add_string(&m, "t");
		assert_int_equal(imsg_close(&m), 0);
		assert_int_equal(claims_of(&m, &result, &got), -1);
	}
}

/* Tokens that cannot fit in one message fail to compose, not truncate. */
static void
test_claims_too_large(void **state)
{
	static struct imsg_out	 m;
	static char		 big[IMSG_MAX_SIZE / 2];
	struct claims		 c;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sample_claims(&c);
	c.id_token = big;
	c.access_token = big;
	assert_int_equal(claims_compose(&m, 1, CLAIMS_OK, &c), -1);
}

static void
test_result_names(void **state)
{
	(void)state;
	assert_string_equal(claims_result_name(CLAIMS_OK), "ok");
	assert_string_equal(claims_result_name(CLAIMS_NONE), "no session");
	assert_string_equal(claims_result_name(CLAIMS_EXPIRED), "expired");
	assert_string_equal(claims_result_name(CLAIMS_MALFORMED), "malformed");
	assert_string_equal(claims_result_name(CLAIMS_ERROR), "error");
	assert_string_equal(claims_result_name(CLAIMS_ERROR + 1), "unknown");
	assert_string_equal(claims_result_name(UINT32_MAX), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_round_trip),
		cmocka_unit_test(test_open_truncated),
		cmocka_unit_test(test_open_malformed),
		cmocka_unit_test(test_open_too_large),
		cmocka_unit_test(test_claims_round_trip),
		cmocka_unit_test(test_claims_empty),
		cmocka_unit_test(test_claims_max_groups),
		cmocka_unit_test(test_claims_not_ok),
		cmocka_unit_test(test_claims_not_ok_trailing),
		cmocka_unit_test(test_claims_truncated),
		cmocka_unit_test(test_claims_trailing),
		cmocka_unit_test(test_claims_too_many_groups),
		cmocka_unit_test(test_claims_bad_groups),
		cmocka_unit_test(test_claims_missing_strings),
		cmocka_unit_test(test_claims_too_large),
		cmocka_unit_test(test_result_names),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
