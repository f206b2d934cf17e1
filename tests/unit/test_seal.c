/*
 * Cookie sealing and the session codec: what opens, and every way a
 * value or an encoding is refused without a partial result.
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
#include "seal.h"
#include "secret.h"
#include "session.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#define NAME		"_oauth2_proxy"
#define EXPIRES		((int64_t)1700000000)
#define NOW		(EXPIRES - 3600)
#define SENTINEL	0xa5

static const char	*secret_old = "0123456789abcdef0123456789abcdef";
static const char	*secret_new = "YELLOW SUBMARINE";

/* Helpers. */

static struct seal_keys *
keys_of(const char *const *v, size_t n)
{
	struct conf_list	 l = { (char **)v, n };
	struct seal_keys	*k;
	char			 err[256];

	assert_int_equal(seal_keys_load(&l, &k, err, sizeof(err)), 0);
	assert_non_null(k);
	return (k);
}

static int
keys_refused(const char *const *v, size_t n)
{
	struct conf_list	 l = { (char **)v, n };
	struct seal_keys	*k = (struct seal_keys *)&l;
	char			 err[256] = "";
	int			 r;

	r = seal_keys_load(&l, &k, err, sizeof(err));
	if (r == -1) {
		assert_null(k);
		assert_true(err[0] != '\0');
	} else
		seal_keys_free(k);
	return (r == -1);
}

/* Unseals and checks that nothing is written unless it opened. */
static int
try_unseal(const struct seal_keys *k, enum seal_purpose p, const char *name,
    int64_t now, const char *v, size_t len, char *pt, size_t ptmax,
    size_t *ptlen)
{
	unsigned char	shadow[1024];
	size_t		i;
	int		r;

	assert_true(ptmax <= sizeof(shadow));
	memset(pt, SENTINEL, ptmax);
	*ptlen = 424242;
	r = unseal(k, p, name, now, v, len, pt, ptmax, ptlen);
	if (r != SEAL_OK) {
		memset(shadow, SENTINEL, ptmax);
		assert_memory_equal(pt, shadow, ptmax);
		assert_int_equal(*ptlen, 424242);
	} else
		for (i = *ptlen; i < ptmax; i++)
			assert_int_equal((unsigned char)pt[i], SENTINEL);
	return (r);
}

static int
opens(const struct seal_keys *k, enum seal_purpose p, const char *name,
    int64_t now, const char *v, const char *want)
{
	char	pt[256];
	size_t	n;
	int	r;

	r = try_unseal(k, p, name, now, v, strlen(v), pt, sizeof(pt), &n);
	if (r == SEAL_OK) {
		assert_int_equal(n, strlen(want));
		assert_memory_equal(pt, want, n);
	}
	return (r);
}

static int
b64url_char(char c)
{
	return ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_');
}

/* Sealing. */

static void
test_seal_round_trip(void **state)
{
	const char		*sec[] = { secret_old };
	struct seal_keys	*k = keys_of(sec, 1);
	char			 v[SEAL_VALUE_SIZE(11)], pt[16];
	const char		*dot;
	size_t			 n, i;
	int			 len;

	(void)state;
	len = seal(k, SEAL_SESSION, NAME, EXPIRES, "hello world", 11, v,
	    sizeof(v));
	assert_true(len > 0 && (size_t)len == strlen(v));
	assert_true((size_t)len <= SEAL_VALUE_LEN(11));
	assert_non_null(dot = strchr(v, '.'));
	assert_int_equal(strncmp(v, "1700000000.", 11), 0);
	for (i = 11; i < (size_t)len; i++)
		assert_true(b64url_char(v[i]));
	assert_int_equal(strlen(dot + 1), SEAL_B64_LEN(11 + SEAL_OVERHEAD));
	assert_int_equal(opens(k, SEAL_SESSION, NAME, NOW, v, "hello world"),
	    SEAL_OK);
	/* A second seal of the same input differs: the nonce is random. */
	assert_int_equal(seal(k, SEAL_SESSION, NAME, EXPIRES, "", 0, v,
	    sizeof(v)), 11 + SEAL_B64_LEN(SEAL_OVERHEAD));
	assert_int_equal(try_unseal(k, SEAL_SESSION, NAME, NOW, v, strlen(v),
	    pt, sizeof(pt), &n), SEAL_OK);
	assert_int_equal(n, 0);
	seal_keys_free(k);
}

static void
test_seal_nonce_differs(void **state)
{
	const char		*sec[] = { secret_old };
	struct seal_keys	*k = keys_of(sec, 1);
	char			 a[SEAL_VALUE_SIZE(4)], b[SEAL_VALUE_SIZE(4)];

	(void)state;
	assert_true(seal(k, SEAL_SESSION, NAME, EXPIRES, "data", 4, a,
	    sizeof(a)) > 0);
	assert_true(seal(k, SEAL_SESSION, NAME, EXPIRES, "data", 4, b,
	    sizeof(b)) > 0);
	assert_string_not_equal(a, b);
	seal_keys_free(k);
}

static void
test_seal_out_too_small(void **state)
{
	const char		*sec[] = { secret_old };
	struct seal_keys	*k = keys_of(sec, 1);
	char			 v[SEAL_VALUE_SIZE(100)], pt[100];
	int			 len;
	size_t			 n;

	(void)state;
	memset(pt, 'x', sizeof(pt));
	len = seal(k, SEAL_CSRF, NAME, EXPIRES, pt, sizeof(pt), v, sizeof(v));
	assert_true(len > 0);
	for (n = 0; n <= (size_t)len; n++)
		assert_int_equal(seal(k, SEAL_CSRF, NAME, EXPIRES, pt,
		    sizeof(pt), v, n), -1);
	assert_int_equal(seal(k, SEAL_CSRF, NAME, EXPIRES, pt, sizeof(pt), v,
	    (size_t)len + 1), len);
	/* The largest expiry still fits SEAL_VALUE_SIZE. */
	assert_int_equal(seal(k, SEAL_CSRF, NAME, INT64_MAX, pt, sizeof(pt), v,
	    sizeof(v)), (int)SEAL_VALUE_LEN(100));
	seal_keys_free(k);
}

static void
test_seal_bad_arguments(void **state)
{
	const char		*sec[] = { secret_old };
	struct seal_keys	*k = keys_of(sec, 1);
	char			 v[SEAL_VALUE_SIZE(4)], pt[8];
	char			 name[SEAL_NAME_MAX + 2];
	size_t			 n;

	(void)state;
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(seal(k, SEAL_SESSION, NAME, -1, "data", 4, v,
	    sizeof(v)), -1);
	assert_int_equal(seal(k, 0, NAME, EXPIRES, "data", 4, v, sizeof(v)),
	    -1);
	assert_int_equal(seal(k, 4, NAME, EXPIRES, "data", 4, v, sizeof(v)),
	    -1);
	assert_int_equal(seal(k, SEAL_SESSION, NULL, EXPIRES, "data", 4, v,
	    sizeof(v)), -1);
	assert_int_equal(seal(k, SEAL_SESSION, name, EXPIRES, "data", 4, v,
	    sizeof(v)), -1);
	assert_int_equal(seal(NULL, SEAL_SESSION, NAME, EXPIRES, "data", 4, v,
	    sizeof(v)), -1);
	assert_int_equal(seal(k, SEAL_SESSION, NAME, EXPIRES, "data",
	    SEAL_PT_MAX + 1, v, sizeof(v)), -1);
	/* The longest name is fine. */
	name[SEAL_NAME_MAX] = '\0';
	assert_true(seal(k, SEAL_SESSION, name, EXPIRES, "data", 4, v,
	    sizeof(v)) > 0);
	assert_int_equal(opens(k, SEAL_SESSION, name, NOW, v, "data"), SEAL_OK);
	assert_int_equal(try_unseal(k, 7, name, NOW, v, strlen(v), pt,
	    sizeof(pt), &n), SEAL_ERROR);
	seal_keys_free(k);
}

static void
test_seal_rotation(void **state)
{
	const char		*s_old[] = { secret_old };
	const char		*s_new[] = { secret_new };
	const char		*s_both[] = { secret_new, secret_old };
	struct seal_keys	*k_old = keys_of(s_old, 1);
	struct seal_keys	*k_new = keys_of(s_new, 1);
	struct seal_keys	*k_both = keys_of(s_both, 2);
	char			 v[SEAL_VALUE_SIZE(5)];

	(void)state;
	assert_int_equal(seal_keys_count(k_both), 2);
	/* A cookie of the old key still opens after the rotation. */
	assert_true(seal(k_old, SEAL_SESSION, NAME, EXPIRES, "alice", 5, v,
	    sizeof(v)) > 0);
	assert_int_equal(opens(k_both, SEAL_SESSION, NAME, NOW, v, "alice"),
	    SEAL_OK);
	assert_int_equal(opens(k_new, SEAL_SESSION, NAME, NOW, v, "alice"),
	    SEAL_BAD);
	/* New cookies are sealed with the new key. */
	assert_true(seal(k_both, SEAL_SESSION, NAME, EXPIRES, "alice", 5, v,
	    sizeof(v)) > 0);
	assert_int_equal(opens(k_new, SEAL_SESSION, NAME, NOW, v, "alice"),
	    SEAL_OK);
	assert_int_equal(opens(k_old, SEAL_SESSION, NAME, NOW, v, "alice"),
	    SEAL_BAD);
	seal_keys_free(k_old);
	seal_keys_free(k_new);
	seal_keys_free(k_both);
}

static void
test_seal_tampered(void **state)
{
	static const char	 alt[] = "0A_-z9";
	const char		*sec[] = { secret_new, secret_old };
	struct seal_keys	*k = keys_of(sec, 2);
	char			 v[SEAL_VALUE_SIZE(40)], t[SEAL_VALUE_SIZE(40)];
	char			 pt[64];
	size_t			 i, j, n;
	int			 len, r;

	(void)state;
	len = seal(k, SEAL_SESSION, NAME, EXPIRES,
	    "0123456789012345678901234567890123456789", 40, v, sizeof(v));
	assert_true(len > 0);
	for (i = 0; i < (size_t)len; i++) {
		for (j = 0; j < sizeof(alt) - 1; j++) {
			memcpy(t, v, (size_t)len + 1);
			if (t[i] == alt[j])
				continue;
			t[i] = alt[j];
			r = try_unseal(k, SEAL_SESSION, NAME, NOW, t,
			    (size_t)len, pt, sizeof(pt), &n);
			assert_true(r == SEAL_BAD || r == SEAL_MALFORMED);
		}
		/* Every bit of every byte, too. */
		for (j = 0; j < 8; j++) {
			memcpy(t, v, (size_t)len + 1);
			t[i] ^= (char)(1 << j);
			r = try_unseal(k, SEAL_SESSION, NAME, NOW, t,
			    (size_t)len, pt, sizeof(pt), &n);
			assert_true(r == SEAL_BAD || r == SEAL_MALFORMED);
		}
	}
	seal_keys_free(k);
}

static void
test_seal_truncated_every_length(void **state)
{
	const char		*sec[] = { secret_old };
	struct seal_keys	*k = keys_of(sec, 1);
	char			 v[SEAL_VALUE_SIZE(40)], pt[64];
	size_t			 i, n, len;
	int			 r;

	(void)state;
	assert_true(seal(k, SEAL_SESSION, NAME, EXPIRES,
	    "0123456789012345678901234567890123456789", 40, v, sizeof(v)) > 0);
	len = strlen(v);
	for (i = 0; i < len; i++) {
		/* From the end, and from the front. */
		r = try_unseal(k, SEAL_SESSION, NAME, NOW, v, i, pt,
		    sizeof(pt), &n);
		assert_true(r == SEAL_BAD || r == SEAL_MALFORMED);
		r = try_unseal(k, SEAL_SESSION, NAME, NOW, v + len - i, i, pt,
		    sizeof(pt), &n);
		assert_true(r == SEAL_BAD || r == SEAL_MALFORMED);
	}
	seal_keys_free(k);
}

static void
test_seal_wrong_name_purpose(void **state)
{
	const char		*sec[] = { secret_old };
	struct seal_keys	*k = keys_of(sec, 1);
	char			 v[SEAL_VALUE_SIZE(5)];
	int			 p, q;

	(void)state;
	assert_true(seal(k, SEAL_SESSION, NAME, EXPIRES, "alice", 5, v,
	    sizeof(v)) > 0);
	assert_int_equal(opens(k, SEAL_SESSION, NAME "_csrf", NOW, v, "alice"),
	    SEAL_BAD);
	assert_int_equal(opens(k, SEAL_SESSION, NAME "_0", NOW, v, "alice"),
	    SEAL_BAD);
	assert_int_equal(opens(k, SEAL_SESSION, "", NOW, v, "alice"),
	    SEAL_BAD);
	/* A value sealed for one purpose opens for that one only. */
	for (p = SEAL_SESSION; p <= SEAL_TICKET; p++) {
		assert_true(seal(k, p, NAME, EXPIRES, "alice", 5, v,
		    sizeof(v)) > 0);
		for (q = SEAL_SESSION; q <= SEAL_TICKET; q++)
			assert_int_equal(opens(k, q, NAME, NOW, v, "alice"),
			    p == q ? SEAL_OK : SEAL_BAD);
	}
	seal_keys_free(k);
}

static void
test_seal_expiry(void **state)
{
	const char		*sec[] = { secret_old };
	struct seal_keys	*k = keys_of(sec, 1);
	char			 v[SEAL_VALUE_SIZE(5)];
	char			 t[SEAL_VALUE_SIZE(5) + 4];

	(void)state;
	assert_true(seal(k, SEAL_SESSION, NAME, EXPIRES, "alice", 5, v,
	    sizeof(v)) > 0);
	assert_int_equal(opens(k, SEAL_SESSION, NAME, EXPIRES, v, "alice"),
	    SEAL_OK);
	assert_int_equal(opens(k, SEAL_SESSION, NAME, EXPIRES + 1, v, "alice"),
	    SEAL_EXPIRED);
	assert_int_equal(opens(k, SEAL_SESSION, NAME, INT64_MAX, v, "alice"),
	    SEAL_EXPIRED);
	/* An edited expiry does not authenticate. */
	memcpy(t, v, sizeof(v));
	t[9] = '1';			/* 1700000001 */
	assert_int_equal(opens(k, SEAL_SESSION, NAME, NOW, t, "alice"),
	    SEAL_BAD);
	t[0] = '9';			/* 9700000001 */
	assert_int_equal(opens(k, SEAL_SESSION, NAME, NOW, t, "alice"),
	    SEAL_BAD);
	/* Nor does another spelling of the same one. */
	snprintf(t, sizeof(t), "0%s", v);
	assert_int_equal(opens(k, SEAL_SESSION, NAME, NOW, t, "alice"),
	    SEAL_MALFORMED);
	/* Expiry 0 and the largest one. */
	assert_true(seal(k, SEAL_SESSION, NAME, 0, "alice", 5, v,
	    sizeof(v)) > 0);
	assert_int_equal(v[0], '0');
	assert_int_equal(v[1], '.');
	assert_int_equal(opens(k, SEAL_SESSION, NAME, 0, v, "alice"), SEAL_OK);
	assert_int_equal(opens(k, SEAL_SESSION, NAME, 1, v, "alice"),
	    SEAL_EXPIRED);
	assert_true(seal(k, SEAL_SESSION, NAME, INT64_MAX, "alice", 5, v,
	    sizeof(v)) > 0);
	assert_int_equal(opens(k, SEAL_SESSION, NAME, INT64_MAX, v, "alice"),
	    SEAL_OK);
	seal_keys_free(k);
}

/* Replaces the expiry of v with e. */
static void
with_expiry(char *t, size_t tlen, const char *v, const char *e)
{
	snprintf(t, tlen, "%s%s", e, strchr(v, '.'));
}

static void
test_seal_malformed(void **state)
{
	static const char	*suffix[] = { ".", "=", "==", " ", "\n", "A",
		"AA", "AAA", "AAAA", "%3D", "|1",
	};
	static const char	*bad_expiry[] = {
		"", "-1", "+1700000000", " 1700000000", "1700000000 ",
		"01700000000", "1.7e9", "0x65", "17000000OO",
		"9223372036854775808", "99999999999999999999",
		"00000000000000000001700000000",
	};
	const char		*sec[] = { secret_old };
	struct seal_keys	*k = keys_of(sec, 1);
	char			 v[SEAL_VALUE_SIZE(5)];
	char			 t[SEAL_VALUE_SIZE(5) + 64];
	char			 pt[16];
	size_t			 i, n, len;

	(void)state;
	len = (size_t)seal(k, SEAL_SESSION, NAME, EXPIRES, "alice", 5, v,
	    sizeof(v));
	for (i = 0; i < NELEM(bad_expiry); i++) {
		with_expiry(t, sizeof(t), v, bad_expiry[i]);
		assert_int_equal(opens(k, SEAL_SESSION, NAME, NOW, t, "alice"),
		    SEAL_MALFORMED);
	}
	/* No dot; two dots; trailing garbage; padding; other alphabets. */
	snprintf(t, sizeof(t), "1700000000");
	assert_int_equal(opens(k, SEAL_SESSION, NAME, NOW, t, ""),
	    SEAL_MALFORMED);
	snprintf(t, sizeof(t), "1700000000..%s", strchr(v, '.') + 1);
	assert_int_equal(opens(k, SEAL_SESSION, NAME, NOW, t, ""),
	    SEAL_MALFORMED);
	for (i = 0; i < NELEM(suffix); i++) {
		snprintf(t, sizeof(t), "%s%s", v, suffix[i]);
		assert_int_not_equal(opens(k, SEAL_SESSION, NAME, NOW, t,
		    "alice"), SEAL_OK);
	}
	/* The same bytes in standard base64 are not accepted. */
	memcpy(t, v, len + 1);
	for (i = 11; i < len; i++) {
		if (t[i] == '-')
			t[i] = '+';
		else if (t[i] == '_')
			t[i] = '/';
	}
	if (strcmp(t, v) != 0)
		assert_int_equal(opens(k, SEAL_SESSION, NAME, NOW, t, "alice"),
		    SEAL_MALFORMED);
	/* A NUL inside the value. */
	memcpy(t, v, len + 1);
	t[len / 2] = '\0';
	assert_int_equal(try_unseal(k, SEAL_SESSION, NAME, NOW, t, len, pt,
	    sizeof(pt), &n), SEAL_MALFORMED);
	/* Non-canonical last character: unused low bits set. */
	memcpy(t, v, len + 1);
	if (SEAL_B64_LEN(5 + SEAL_OVERHEAD) % 4 != 0) {
		t[len - 1] = t[len - 1] == 'A' ? 'B' : (char)(t[len - 1] | 1);
		assert_int_not_equal(opens(k, SEAL_SESSION, NAME, NOW, t,
		    "alice"), SEAL_OK);
	}
	/* Too short to hold a nonce and a tag. */
	assert_int_equal(opens(k, SEAL_SESSION, NAME, NOW, "1.", ""),
	    SEAL_MALFORMED);
	assert_int_equal(opens(k, SEAL_SESSION, NAME, NOW, "1.AAAA", ""),
	    SEAL_MALFORMED);
	seal_keys_free(k);
}

static void
test_seal_ptmax(void **state)
{
	const char		*sec[] = { secret_old };
	struct seal_keys	*k = keys_of(sec, 1);
	char			 v[SEAL_VALUE_SIZE(5)], pt[16];
	size_t			 n;

	(void)state;
	assert_true(seal(k, SEAL_SESSION, NAME, EXPIRES, "alice", 5, v,
	    sizeof(v)) > 0);
	assert_int_equal(try_unseal(k, SEAL_SESSION, NAME, NOW, v, strlen(v),
	    pt, 4, &n), SEAL_MALFORMED);
	assert_int_equal(try_unseal(k, SEAL_SESSION, NAME, NOW, v, strlen(v),
	    pt, 5, &n), SEAL_OK);
	assert_int_equal(n, 5);
	seal_keys_free(k);
}

static void
test_seal_large(void **state)
{
	const char		*sec[] = { secret_old };
	struct seal_keys	*k = keys_of(sec, 1);
	char			*v, *pt, *back;
	size_t			 n, size = SEAL_VALUE_SIZE(SEAL_PT_MAX);
	int			 len;

	(void)state;
	assert_non_null(v = malloc(size));
	assert_non_null(pt = malloc(SEAL_PT_MAX));
	assert_non_null(back = malloc(SEAL_PT_MAX));
	memset(pt, 'g', SEAL_PT_MAX);
	len = seal(k, SEAL_SESSION, NAME, INT64_MAX, pt, SEAL_PT_MAX, v, size);
	assert_int_equal(len, (int)SEAL_VALUE_LEN(SEAL_PT_MAX));
	assert_int_equal(unseal(k, SEAL_SESSION, NAME, NOW, v, (size_t)len,
	    back, SEAL_PT_MAX, &n), SEAL_OK);
	assert_int_equal(n, SEAL_PT_MAX);
	assert_memory_equal(back, pt, SEAL_PT_MAX);
	/* One character more is too long to look at. */
	v[len] = 'A';
	assert_int_equal(unseal(k, SEAL_SESSION, NAME, NOW, v, (size_t)len + 1,
	    back, SEAL_PT_MAX, &n), SEAL_MALFORMED);
	free(v);
	free(pt);
	free(back);
	seal_keys_free(k);
}

/* Secrets. */

/*
 * Spellings of secrets, and whether they are the same key.  As in
 * oauth2-proxy, base64 that decodes to 16, 24 or 32 bytes is those bytes;
 * anything else of 16, 24 or 32 characters is taken as it is.
 */
static void
test_secret_forms(void **state)
{
	static const struct {
		const char	*a, *b;
		int		 same;
	} t[] = {
		/* 16 bytes: raw, base64 unpadded (22) and padded (24). */
		{ "YELLOW SUBMARINE", "WUVMTE9XIFNVQk1BUklORQ", 1 },
		{ "YELLOW SUBMARINE", "WUVMTE9XIFNVQk1BUklORQ==", 1 },
		/*
		 * 32 characters that are also base64 are the 24 bytes they
		 * decode to, so not the same key as their own base64.
		 */
		{ "0123456789abcdef0123456789abcdef",
		  "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", 0 },
		/* 32 bytes: base64 padded and not, both alphabets. */
		{ "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		  "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY", 1 },
		{ "+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/A=",
		  "-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_A=", 1 },
		{ "+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/A=",
		  "-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_A", 1 },
		{ "+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/A=",
		  "+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/A", 1 },
		/*
		 * As oauth2-proxy: decoding comes first, so 32 characters
		 * of base64 are the 24 bytes they decode to; padding is
		 * dropped and stray bits ignored, as Go's decoder does.
		 */
		{ "abcdefghijklmnopqrstuvwx",
		  "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4", 1 },
		{ "4OHi4+Tl5ufo6err7O3u7/Dx8vP09fb3",
		  "4OHi4-Tl5ufo6err7O3u7_Dx8vP09fb3", 1 },
		{ "WUVMTE9XIFNVQk1BUklORQ", "WUVMTE9XIFNVQk1BUklORR", 1 },
		{ "WUVMTE9XIFNVQk1BUklORQ", "WUVMTE9XIFNVQk1BUklORQ===", 1 },
		/* Different secrets of one length. */
		{ "0123456789abcdef", "0123456789abcdeF", 0 },
	};
	struct seal_keys	*a, *b;
	char			 v[SEAL_VALUE_SIZE(5)];
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		a = keys_of(&t[i].a, 1);
		b = keys_of(&t[i].b, 1);
		assert_true(seal(a, SEAL_SESSION, NAME, EXPIRES, "alice", 5, v,
		    sizeof(v)) > 0);
		assert_int_equal(opens(b, SEAL_SESSION, NAME, NOW, v, "alice"),
		    t[i].same ? SEAL_OK : SEAL_BAD);
		seal_keys_free(a);
		seal_keys_free(b);
	}
}

static void
test_secret_refused(void **state)
{
	static const char	*bad[] = {
		"",
		"short",
		"0123456789abcde",			/* 15 */
		"0123456789abcdef0",			/* 17 */
		"0123456789abcdef0123456789abcde",	/* 31 */
		"0123456789abcdef0123456789abcdef0",	/* 33 */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAA",		/* base64 of 20 */
		"WUVMTE9XIFNV Qk1BUklORQ==",
		/* A byte libsodium 1.0.18 would read as "_". */
		"-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-\337A=",
	};
	const char		*many[SECRET_KEYS_MAX + 1];
	const char		*ok[] = { secret_old, "x" };
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(bad); i++)
		assert_true(keys_refused(&bad[i], 1));
	/* An empty list, a bad secret after a good one, too many. */
	assert_true(keys_refused(ok, 0));
	assert_true(keys_refused(ok, 2));
	for (i = 0; i < NELEM(many); i++)
		many[i] = secret_old;
	assert_true(keys_refused(many, NELEM(many)));
	assert_false(keys_refused(many, SECRET_KEYS_MAX));
}

static void
test_result_names(void **state)
{
	int	r;

	(void)state;
	for (r = SEAL_ERROR; r <= SEAL_OK; r++)
		assert_non_null(seal_result_name(r));
	assert_string_equal(seal_result_name(SEAL_EXPIRED), "expired");
	assert_string_equal(seal_result_name(99), "unknown result");
	seal_keys_free(NULL);
}

/* The session codec. */

static void
session_full(struct session *s)
{
	static char	*groups[] = { "admins", "dév", "🦉" };

	memset(s, 0, sizeof(*s));
	s->user = "alice";
	s->email = "alice@example.com";
	s->preferred_username = "Alice Ünïcødé";
	s->groups = groups;
	s->ngroups = NELEM(groups);
	s->id_token = "eyJhbGciOi.id.token";
	s->access_token = "access-token";
	s->refresh_token = "refresh-token";
	s->created_at = EXPIRES;
	s->expires_on = -1;
	s->refresh_due = INT64_MAX;
}

static int
contains(const uint8_t *buf, size_t len, const char *s)
{
	size_t	i, n = strlen(s);

	for (i = 0; i + n <= len; i++)
		if (memcmp(buf + i, s, n) == 0)
			return (1);
	return (0);
}

static void
assert_str_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void
assert_session_equal(const struct session *a, const struct session *b,
    int minimal)
{
	size_t	i;

	assert_str_same(a->user, b->user);
	assert_str_same(a->email, b->email);
	assert_str_same(a->preferred_username, b->preferred_username);
	assert_int_equal(a->ngroups, b->ngroups);
	for (i = 0; i < a->ngroups; i++)
		assert_string_equal(a->groups[i], b->groups[i]);
	if (minimal) {
		assert_null(b->id_token);
		assert_null(b->access_token);
		assert_null(b->refresh_token);
	} else {
		assert_str_same(a->id_token, b->id_token);
		assert_str_same(a->access_token, b->access_token);
		assert_str_same(a->refresh_token, b->refresh_token);
	}
	assert_true(a->created_at == b->created_at);
	assert_true(a->expires_on == b->expires_on);
	assert_true(a->refresh_due == b->refresh_due);
}

static int
decode_fails(const uint8_t *buf, size_t len)
{
	struct session	s, zero;

	memset(&s, 0x5a, sizeof(s));
	memset(&zero, 0, sizeof(zero));
	if (session_decode(buf, len, &s) == 0) {
		session_free(&s);
		return (0);
	}
	assert_memory_equal(&s, &zero, sizeof(s));
	return (1);
}

static void
test_session_round_trip(void **state)
{
	struct session	s, d;
	uint8_t		buf[SESSION_ENC_MAX], again[SESSION_ENC_MAX];
	int		len, n;

	(void)state;
	session_full(&s);
	len = session_encode(&s, 0, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(buf[0], SESSION_VERSION);
	assert_int_equal(session_decode(buf, (size_t)len, &d), 0);
	assert_session_equal(&s, &d, 0);
	/* Re-encoding gives the same bytes. */
	assert_int_equal(session_encode(&d, 0, again, sizeof(again)), len);
	assert_memory_equal(again, buf, (size_t)len);
	session_free(&d);
	assert_null(d.user);
	assert_null(d.groups);
	/* Exactly enough room, and one byte less. */
	assert_int_equal(session_encode(&s, 0, buf, (size_t)len), len);
	for (n = 0; n < len; n++)
		assert_int_equal(session_encode(&s, 0, buf, (size_t)n), -1);
}

static void
test_session_minimal(void **state)
{
	struct session	s, d;
	uint8_t		full[SESSION_ENC_MAX], buf[SESSION_ENC_MAX];
	int		flen, len;

	(void)state;
	session_full(&s);
	flen = session_encode(&s, 0, full, sizeof(full));
	len = session_encode(&s, SESSION_MINIMAL, buf, sizeof(buf));
	assert_true(len > 0 && len < flen);
	assert_false(contains(buf, (size_t)len, "token"));
	assert_int_equal(session_decode(buf, (size_t)len, &d), 0);
	assert_session_equal(&s, &d, 1);
	session_free(&d);
}

static void
test_session_empty(void **state)
{
	struct session	s, d;
	uint8_t		buf[64];
	int		len;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.user = "";
	len = session_encode(&s, 0, buf, sizeof(buf));
	/* version, user "", three times. */
	assert_int_equal(len, 1 + 5 + 3 * 9);
	assert_int_equal(session_decode(buf, (size_t)len, &d), 0);
	assert_string_equal(d.user, "");
	assert_null(d.email);
	assert_null(d.groups);
	assert_int_equal(d.ngroups, 0);
	session_free(&d);
	/* Only the version: every field absent. */
	assert_int_equal(session_decode(buf, 1, &d), 0);
	assert_null(d.user);
	assert_true(d.created_at == 0);
	session_free(&d);
}

static void
test_session_truncated(void **state)
{
	struct session	s;
	uint8_t		buf[SESSION_ENC_MAX];
	size_t		n;
	int		len;

	(void)state;
	session_full(&s);
	len = session_encode(&s, 0, buf, sizeof(buf));
	assert_true(len > 0);
	/*
	 * Cut anywhere but at a field boundary, it fails; at a boundary
	 * it is a shorter valid session.  Either way nothing leaks (ASan).
	 */
	assert_true(decode_fails(buf, 0));
	for (n = 1; n < (size_t)len; n++) {
		if (decode_fails(buf, n))
			continue;
		/* Only boundaries decode: the next byte is a known tag. */
		assert_true(buf[n] <= 7 || (buf[n] >= 16 && buf[n] <= 18));
	}
	/* Inside every field, it fails. */
	assert_true(decode_fails(buf, 2));
	assert_true(decode_fails(buf, 1 + 5 + 4));	/* inside "alice" */
	assert_true(decode_fails(buf, (size_t)len - 1));	/* a time */
}

/* A hand-made encoding. */
struct enc {
	uint8_t	b[2 * SESSION_ENC_MAX];
	size_t	n;
};

static void
enc_u8(struct enc *e, uint8_t v)
{
	assert_true(e->n < sizeof(e->b));
	e->b[e->n++] = v;
}

static void
enc_u32(struct enc *e, uint32_t v)
{
	enc_u8(e, (uint8_t)(v >> 24));
	enc_u8(e, (uint8_t)(v >> 16));
	enc_u8(e, (uint8_t)(v >> 8));
	enc_u8(e, (uint8_t)v);
}

static void
enc_bytes(struct enc *e, const void *p, size_t n)
{
	assert_true(n <= sizeof(e->b) - e->n);
	memcpy(e->b + e->n, p, n);
	e->n += n;
}

static void
enc_str(struct enc *e, uint8_t tag, const void *p, size_t n)
{
	enc_u8(e, tag);
	enc_u32(e, (uint32_t)n);
	enc_bytes(e, p, n);
}

static void
enc_time(struct enc *e, uint8_t tag)
{
	enc_u8(e, tag);
	enc_u32(e, 0);
	enc_u32(e, 42);
}

static void
enc_start(struct enc *e)
{
	e->n = 0;
	enc_u8(e, SESSION_VERSION);
}

static void
test_session_hand_made(void **state)
{
	struct enc	e;
	struct session	d;

	(void)state;
	enc_start(&e);
	enc_str(&e, 1, "bob", 3);
	enc_u8(&e, 4);
	enc_u32(&e, 4 + 1 + 4 + 2);
	enc_u32(&e, 1);
	enc_bytes(&e, "a", 1);
	enc_u32(&e, 2);
	enc_bytes(&e, "bc", 2);
	enc_time(&e, 17);
	assert_int_equal(session_decode(e.b, e.n, &d), 0);
	assert_string_equal(d.user, "bob");
	assert_int_equal(d.ngroups, 2);
	assert_string_equal(d.groups[0], "a");
	assert_string_equal(d.groups[1], "bc");
	assert_true(d.expires_on == 42);
	assert_true(d.created_at == 0);
	session_free(&d);
}

static void
test_session_bad_version(void **state)
{
	static const uint8_t	v[] = { 0, 2, 0x7f, 0x80, 0xff };
	struct session		s;
	uint8_t			buf[SESSION_ENC_MAX];
	size_t			i;
	int			len;

	(void)state;
	session_full(&s);
	len = session_encode(&s, 0, buf, sizeof(buf));
	for (i = 0; i < NELEM(v); i++) {
		buf[0] = v[i];
		assert_true(decode_fails(buf, (size_t)len));
	}
}

static void
test_session_tags(void **state)
{
	static const uint8_t	unknown[] = { 0, 8, 9, 15, 19, 0x80, 0xff };
	struct enc		e;
	size_t			i;

	(void)state;
	/* Repeated. */
	enc_start(&e);
	enc_str(&e, 1, "a", 1);
	enc_str(&e, 1, "b", 1);
	assert_true(decode_fails(e.b, e.n));
	enc_start(&e);
	enc_time(&e, 16);
	enc_time(&e, 16);
	assert_true(decode_fails(e.b, e.n));
	/* Out of order. */
	enc_start(&e);
	enc_str(&e, 2, "a@b", 3);
	enc_str(&e, 1, "a", 1);
	assert_true(decode_fails(e.b, e.n));
	/* Unknown, alone and after a good field. */
	for (i = 0; i < NELEM(unknown); i++) {
		enc_start(&e);
		enc_str(&e, unknown[i], "x", 1);
		assert_true(decode_fails(e.b, e.n));
		enc_start(&e);
		enc_str(&e, 1, "a", 1);
		enc_time(&e, unknown[i]);
		assert_true(decode_fails(e.b, e.n));
	}
}

static void
test_session_long_string(void **state)
{
	struct session	 s, d;
	struct enc	 e;
	uint8_t		 buf[SESSION_ENC_MAX];
	char		*big;
	int		 len;

	(void)state;
	assert_non_null(big = malloc(SESSION_STR_MAX + 2));
	memset(big, 'x', SESSION_STR_MAX + 1);
	big[SESSION_STR_MAX + 1] = '\0';
	memset(&s, 0, sizeof(s));
	s.id_token = big;
	assert_int_equal(session_encode(&s, 0, buf, sizeof(buf)), -1);
	/* Minimal leaves the token out, so it encodes. */
	assert_true(session_encode(&s, SESSION_MINIMAL, buf, sizeof(buf)) > 0);
	enc_start(&e);
	enc_str(&e, 5, big, SESSION_STR_MAX + 1);
	assert_true(decode_fails(e.b, e.n));
	/* The longest string is fine. */
	big[SESSION_STR_MAX] = '\0';
	len = session_encode(&s, 0, buf, sizeof(buf));
	assert_true(len > SESSION_STR_MAX);
	assert_int_equal(session_decode(buf, (size_t)len, &d), 0);
	assert_int_equal(strlen(d.id_token), SESSION_STR_MAX);
	session_free(&d);
	/* A length past the end, and a huge one. */
	enc_start(&e);
	enc_u8(&e, 1);
	enc_u32(&e, 10);
	enc_bytes(&e, "abc", 3);
	assert_true(decode_fails(e.b, e.n));
	enc_start(&e);
	enc_u8(&e, 1);
	enc_u32(&e, UINT32_MAX);
	enc_bytes(&e, "abc", 3);
	assert_true(decode_fails(e.b, e.n));
	free(big);
}

static void
test_session_total(void **state)
{
	struct session	 s;
	struct enc	*e;
	uint8_t		*buf;
	char		*big;

	(void)state;
	/* Five strings of 16 KiB: over 64 KiB in all. */
	assert_non_null(big = malloc(SESSION_STR_MAX + 1));
	assert_non_null(buf = malloc(2 * SESSION_ENC_MAX));
	assert_non_null(e = malloc(sizeof(*e)));
	memset(big, 'y', SESSION_STR_MAX);
	big[SESSION_STR_MAX] = '\0';
	memset(&s, 0, sizeof(s));
	s.user = s.email = s.id_token = s.access_token = s.refresh_token = big;
	assert_int_equal(session_encode(&s, 0, buf, 2 * SESSION_ENC_MAX), -1);
	assert_true(session_encode(&s, SESSION_MINIMAL, buf,
	    2 * SESSION_ENC_MAX) > 0);
	/* A decoder input over the limit, even one that would parse. */
	memset(buf, 0, 2 * SESSION_ENC_MAX);
	enc_start(e);
	enc_str(e, 1, big, SESSION_STR_MAX);
	enc_str(e, 2, big, SESSION_STR_MAX);
	enc_str(e, 3, big, SESSION_STR_MAX);
	enc_str(e, 5, big, SESSION_STR_MAX - 100);
	assert_true(e->n <= SESSION_ENC_MAX);
	assert_false(decode_fails(e->b, e->n));
	enc_str(e, 6, big, SESSION_STR_MAX);
	assert_true(e->n > SESSION_ENC_MAX);
	assert_true(decode_fails(e->b, e->n));
	free(e);
	free(buf);
	free(big);
}

static void
test_session_utf8(void **state)
{
	static const char	*good[] = {
		"plain", "é", "€", "𝄞", "\xef\xbf\xbf",
		"\xf4\x8f\xbf\xbf",
		"\xed\x9f\xbf", "\xee\x80\x80", "tab\tand\x7f",
	};
	static const char	*bad[] = {
		"\x80", "\xbf", "a\xc0\x80", "\xc1\xbf", "\xc2", "\xe2\x82",
		"\xe0\x80\x80", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf",
		"\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80",
		"\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\xfe", "\xff",
		"\xe2\x28\xa1", "\xc3\x28", "\xf0\x9d\x84", "ok\xe2\x82",
	};
	struct session		 s, d;
	struct enc		 e;
	uint8_t			 buf[256];
	size_t			 i;
	int			 len;

	(void)state;
	memset(&s, 0, sizeof(s));
	for (i = 0; i < NELEM(good); i++) {
		s.user = (char *)good[i];
		len = session_encode(&s, 0, buf, sizeof(buf));
		assert_true(len > 0);
		assert_int_equal(session_decode(buf, (size_t)len, &d), 0);
		assert_string_equal(d.user, good[i]);
		session_free(&d);
	}
	for (i = 0; i < NELEM(bad); i++) {
		s.user = (char *)bad[i];
		assert_int_equal(session_encode(&s, 0, buf, sizeof(buf)), -1);
		enc_start(&e);
		enc_str(&e, 1, bad[i], strlen(bad[i]));
		assert_true(decode_fails(e.b, e.n));
		/* In a group too. */
		enc_start(&e);
		enc_u8(&e, 4);
		enc_u32(&e, 4 + (uint32_t)strlen(bad[i]));
		enc_u32(&e, (uint32_t)strlen(bad[i]));
		enc_bytes(&e, bad[i], strlen(bad[i]));
		assert_true(decode_fails(e.b, e.n));
	}
}

static void
test_session_nul(void **state)
{
	struct enc	e;

	(void)state;
	enc_start(&e);
	enc_str(&e, 2, "a\0b@example.com", 15);
	assert_true(decode_fails(e.b, e.n));
	enc_start(&e);
	enc_str(&e, 1, "alice\0", 6);
	assert_true(decode_fails(e.b, e.n));
	enc_start(&e);
	enc_u8(&e, 4);
	enc_u32(&e, 4 + 3);
	enc_u32(&e, 3);
	enc_bytes(&e, "a\0b", 3);
	assert_true(decode_fails(e.b, e.n));
}

static void
test_session_groups(void **state)
{
	static char	*g[SESSION_GROUPS_MAX + 1];
	struct session	 s, d;
	struct enc	 e;
	uint8_t		 buf[SESSION_ENC_MAX];
	size_t		 i;
	int		 len;

	(void)state;
	for (i = 0; i < NELEM(g); i++)
		g[i] = "g";
	memset(&s, 0, sizeof(s));
	s.groups = g;
	s.ngroups = SESSION_GROUPS_MAX;
	len = session_encode(&s, 0, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(session_decode(buf, (size_t)len, &d), 0);
	assert_int_equal(d.ngroups, SESSION_GROUPS_MAX);
	session_free(&d);
	s.ngroups = SESSION_GROUPS_MAX + 1;
	assert_int_equal(session_encode(&s, 0, buf, sizeof(buf)), -1);
	/* A missing name, or no list at all. */
	g[1] = NULL;
	s.ngroups = 2;
	assert_int_equal(session_encode(&s, 0, buf, sizeof(buf)), -1);
	s.groups = NULL;
	assert_int_equal(session_encode(&s, 0, buf, sizeof(buf)), -1);
	/* 257 entries on the wire. */
	enc_start(&e);
	enc_u8(&e, 4);
	enc_u32(&e, (SESSION_GROUPS_MAX + 1) * 5);
	for (i = 0; i <= SESSION_GROUPS_MAX; i++) {
		enc_u32(&e, 1);
		enc_u8(&e, 'g');
	}
	assert_true(decode_fails(e.b, e.n));
	/* An empty list, and entries that do not fill the length. */
	enc_start(&e);
	enc_u8(&e, 4);
	enc_u32(&e, 0);
	assert_true(decode_fails(e.b, e.n));
	enc_start(&e);
	enc_u8(&e, 4);
	enc_u32(&e, 7);
	enc_u32(&e, 1);
	enc_u8(&e, 'g');
	enc_u8(&e, 0);
	enc_u8(&e, 0);
	enc_time(&e, 16);
	assert_true(decode_fails(e.b, e.n));
	/* An entry longer than the list. */
	enc_start(&e);
	enc_u8(&e, 4);
	enc_u32(&e, 5);
	enc_u32(&e, 6);
	enc_bytes(&e, "g", 1);
	enc_bytes(&e, "hijklm", 6);
	assert_true(decode_fails(e.b, e.n));
	/* An empty group name is a name. */
	enc_start(&e);
	enc_u8(&e, 4);
	enc_u32(&e, 4);
	enc_u32(&e, 0);
	assert_int_equal(session_decode(e.b, e.n, &d), 0);
	assert_int_equal(d.ngroups, 1);
	assert_string_equal(d.groups[0], "");
	session_free(&d);
}

static void
test_session_trailing(void **state)
{
	static const uint8_t	extra[] = { 0x00, 0x01, 0x10, 0x12, 0xff };
	struct session		s;
	uint8_t			buf[SESSION_ENC_MAX];
	size_t			i;
	int			len;

	(void)state;
	session_full(&s);
	len = session_encode(&s, 0, buf, sizeof(buf));
	/* After the last field no tag may follow, so any byte is refused. */
	for (i = 0; i < NELEM(extra); i++) {
		buf[len] = extra[i];
		assert_true(decode_fails(buf, (size_t)len + 1));
	}
	memset(buf + len, 0, 8);
	assert_true(decode_fails(buf, (size_t)len + 8));
}

/* A stored session opens with the cookie key and the ticket's secret only. */
static void
test_store(void **state)
{
	struct seal_keys	*k = keys_of(&secret_old, 1);
	struct seal_keys	*other = keys_of(&secret_new, 1);
	unsigned char		 secret[SEAL_STORE_SECRET_LEN], wrong[sizeof(secret)];
	unsigned char		 out[64], pt[64];
	char			 h1[65], h2[65];
	int			 n;

	(void)state;
	memset(secret, 7, sizeof(secret));
	memset(wrong, 8, sizeof(wrong));
	n = seal_store(k, secret, "key", 3, "session", 7, out, sizeof(out));
	assert_int_equal(n, 7 + SEAL_OVERHEAD);
	assert_int_equal(unseal_store(k, secret, "key", 3, out, (size_t)n, pt,
	    sizeof(pt)), 7);
	assert_memory_equal(pt, "session", 7);
	/* Wrong secret, wrong associated data, tampered: nothing opens. */
	assert_int_equal(unseal_store(k, wrong, "key", 3, out, (size_t)n, pt,
	    sizeof(pt)), SEAL_BAD);
	assert_int_equal(unseal_store(k, secret, "kez", 3, out, (size_t)n, pt,
	    sizeof(pt)), SEAL_BAD);
	out[n - 1] ^= 1;
	assert_int_equal(unseal_store(k, secret, "key", 3, out, (size_t)n, pt,
	    sizeof(pt)), SEAL_BAD);
	out[n - 1] ^= 1;
	assert_int_equal(unseal_store(k, secret, "key", 3, out, 10, pt,
	    sizeof(pt)), SEAL_MALFORMED);
	/* Another cookie key, same secret: nothing opens either. */
	assert_int_equal(unseal_store(other, secret, "key", 3, out, (size_t)n,
	    pt, sizeof(pt)), SEAL_BAD);
	/* Blind names: stable per key, different across keys. */
	seal_blind_name(k, "alice", 5, h1);
	seal_blind_name(k, "alice", 5, h2);
	assert_string_equal(h1, h2);
	seal_blind_name(other, "alice", 5, h2);
	assert_string_not_equal(h1, h2);
	assert_int_equal(strlen(h1), 64);
	seal_keys_free(other);
	seal_keys_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seal_round_trip),
		cmocka_unit_test(test_seal_nonce_differs),
		cmocka_unit_test(test_seal_out_too_small),
		cmocka_unit_test(test_seal_bad_arguments),
		cmocka_unit_test(test_seal_rotation),
		cmocka_unit_test(test_seal_tampered),
		cmocka_unit_test(test_seal_truncated_every_length),
		cmocka_unit_test(test_seal_wrong_name_purpose),
		cmocka_unit_test(test_seal_expiry),
		cmocka_unit_test(test_seal_malformed),
		cmocka_unit_test(test_seal_ptmax),
		cmocka_unit_test(test_seal_large),
		cmocka_unit_test(test_secret_forms),
		cmocka_unit_test(test_secret_refused),
		cmocka_unit_test(test_result_names),
		cmocka_unit_test(test_session_round_trip),
		cmocka_unit_test(test_session_minimal),
		cmocka_unit_test(test_session_empty),
		cmocka_unit_test(test_session_truncated),
		cmocka_unit_test(test_session_hand_made),
		cmocka_unit_test(test_session_bad_version),
		cmocka_unit_test(test_session_tags),
		cmocka_unit_test(test_session_long_string),
		cmocka_unit_test(test_session_total),
		cmocka_unit_test(test_session_utf8),
		cmocka_unit_test(test_session_nul),
		cmocka_unit_test(test_session_groups),
		cmocka_unit_test(test_session_trailing),
		cmocka_unit_test(test_store),
	};

	if (seal_init() == -1)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
