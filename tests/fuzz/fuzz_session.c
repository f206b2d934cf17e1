/*
 * libFuzzer target: the two decoders of sessiond, the session codec and
 * unseal.  The input is decoded as a session (which must then re-encode
 * to itself), opened as a cookie value, used as edits to a real sealed
 * value (which must then not open), and sealed and opened as plaintext.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "../../sessiond/seal.h"
#include "session.h"

#define NAME		"_oauth2_proxy"
#define EXPIRES		((int64_t)2000000000)
#define NOW		((int64_t)1700000000)

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct seal_keys	*keys;
static char		 sealed[SEAL_VALUE_SIZE(64)];
static size_t		 sealedlen;
static uint8_t		 pt[SEAL_PT_MAX];
static uint8_t		 enc[SESSION_ENC_MAX], enc2[SESSION_ENC_MAX];
static char		 val[SEAL_VALUE_SIZE(SEAL_PT_MAX)];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char		*sec[] = { "0123456789abcdef0123456789abcdef",
				    "WUVMTE9XIFNVQk1BUklORQ" };
	struct conf_list	 l = { sec, 2 };
	char			 err[128];
	int			 n;

	(void)argc;
	(void)argv;
	if (seal_init() == -1 || seal_keys_load(&l, &keys, err,
	    sizeof(err)) == -1)
		abort();
	n = seal(keys, SEAL_SESSION, NAME, EXPIRES, "a session of some length",
	    24, sealed, sizeof(sealed));
	if (n <= 0)
		abort();
	sealedlen = (size_t)n;
	return (0);
}

/* A decoded session re-encodes, and that encoding is stable. */
static void
fuzz_decode(const uint8_t *data, size_t len)
{
	struct session	s, t;
	int		n, m;

	if (session_decode(data, len, &s) == -1)
		return;
	if ((n = session_encode(&s, 0, enc, sizeof(enc))) < 0 ||
	    session_decode(enc, (size_t)n, &t) == -1)
		abort();
	if ((m = session_encode(&t, 0, enc2, sizeof(enc2))) != n ||
	    memcmp(enc, enc2, (size_t)n) != 0)
		abort();
	session_free(&t);
	if (session_encode(&s, SESSION_MINIMAL, enc, sizeof(enc)) < 0)
		abort();
	session_free(&s);
}

/* Arbitrary bytes never open; edits of a real value never do either. */
static void
fuzz_unseal(const uint8_t *data, size_t len)
{
	size_t	n, i, ptlen;
	int	r;

	r = unseal(keys, len > 0 ? data[0] % SEAL_NPURPOSE + 1 : SEAL_SESSION,
	    NAME, NOW, (const char *)data, len, pt, sizeof(pt), &ptlen);
	if (r == SEAL_OK || r == SEAL_EXPIRED || r == SEAL_ERROR)
		abort();
	if (len == 0)
		return;
	/* The first byte cuts the value short, the rest flip its bits. */
	n = sealedlen - data[0] % 8;
	memcpy(val, sealed, sealedlen);
	for (i = 1; i < len && i - 1 < n; i++)
		val[i - 1] ^= (char)data[i];
	r = unseal(keys, SEAL_SESSION, NAME, NOW, val, n, pt, sizeof(pt),
	    &ptlen);
	if (r == SEAL_OK && (n != sealedlen ||
	    memcmp(val, sealed, sealedlen) != 0))
		abort();
	if (r != SEAL_OK && r != SEAL_BAD && r != SEAL_MALFORMED)
		abort();
}

/* Whatever is sealed opens, as itself, for its name and purpose only. */
static void
fuzz_round_trip(const uint8_t *data, size_t len)
{
	size_t	n;
	int	v;

	if (len > SEAL_PT_MAX)
		return;
	v = seal(keys, SEAL_CSRF, NAME "_csrf", EXPIRES, data, len, val,
	    sizeof(val));
	if (v < 0 || (size_t)v > SEAL_VALUE_LEN(len))
		abort();
	if (unseal(keys, SEAL_CSRF, NAME "_csrf", NOW, val, (size_t)v, pt,
	    sizeof(pt), &n) != SEAL_OK || n != len ||
	    memcmp(pt, data, len) != 0)
		abort();
	if (unseal(keys, SEAL_SESSION, NAME "_csrf", NOW, val, (size_t)v, pt,
	    sizeof(pt), &n) != SEAL_BAD)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	fuzz_decode(data, len);
	fuzz_unseal(data, len);
	fuzz_round_trip(data, len);
	return (0);
}
