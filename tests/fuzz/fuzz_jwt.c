/*
 * libFuzzer target: the ID token validator and its inputs.  The first
 * byte picks what the rest is:
 *	0	a compact token, checked against a fixed JWKS
 *	1	a JWKS document
 *	2	a discovery document (and an endpoint URL)
 *	3	a token payload, signed here with the fixed EC key, so that
 *		the claim checks and claim look-ups are reached
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjose/cjose.h>

#include "../../authd/discovery.h"
#include "../../authd/jwt.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_NOW	((time_t)1700000000)

static const char	fixed_jwks[] = "{\"keys\":["
    "{\"kty\":\"RSA\",\"kid\":\"rsa\",\"use\":\"sig\",\"e\":\"AQAB\","
    "\"n\":\"rhHCR5gJ3TfPOmM7ssm-Ek0DiNgEI9KpRYPsllS3xVpZtT-4O5lVVI1eun4W5"
    "Cr5kS1odExB33cQ5nYa7_8pbrMJMzhkxR9LMAZIQ_mii8DiijfeK-pF2MaUcmwdkTmo8i"
    "VqnhwRANFxtrB0cOm2l3a7Gx8Tipghk5Cbn2fMIzYgOmdEYjn6MMSX-IWEcvEa814t0W1"
    "QR7jFCpb9Aqi9Aty2jMSxI8ynyd5RYhZfLfI4MJmvFFKXrnWaKKoCdGqgkEePVLWYwHAZ"
    "Q21p76scnQzkBP3ORlm2MQf6V5ZswOJqtB6rT_U2yLklGefgZgwGcWNbO-IKRyEwt4XUv"
    "yD2MQ\"},"
    "{\"kty\":\"EC\",\"kid\":\"ec\",\"crv\":\"P-256\","
    "\"x\":\"JFyHM5QrkiH4rItUIDoiKnihSfaY5D7c2Q1K5D1OK1Q\","
    "\"y\":\"Rhl__ncRN2eCd6goTCTyOV8meOZH7so8i3_dR0nYSGY\"}]}";

/* The EC key's private half: a test key, made for this file only. */
static const char	fixed_ec_private[] = "{\"kty\":\"EC\",\"crv\":\"P-256\","
    "\"x\":\"JFyHM5QrkiH4rItUIDoiKnihSfaY5D7c2Q1K5D1OK1Q\","
    "\"y\":\"Rhl__ncRN2eCd6goTCTyOV8meOZH7so8i3_dR0nYSGY\","
    "\"d\":\"xyb6LjDEk_oeYb6tYwxNKjBvmlqdlGUomJA7CjomgYA\"}";

static char *const	fuzz_algs[] = { "RS256", "PS256", "ES256" };
static char *const	fuzz_auds[] = { "api" };

static struct jwks	*ks;
static cjose_jwk_t	*signer;

static void
fuzz_init(void)
{
	cjose_err	cerr;
	char		err[256];

	if (ks != NULL)
		return;
	if ((ks = jwks_parse(fixed_jwks, strlen(fixed_jwks), err,
	    sizeof(err))) == NULL)
		abort();
	if ((signer = cjose_jwk_import(fixed_ec_private,
	    strlen(fixed_ec_private), &cerr)) == NULL)
		abort();
}

static void
fuzz_claims(const struct jwt_claims *c)
{
	static const char *const	names[] = { "groups", "email",
	    "realm_access.roles", "a.b.c", "a..b", ".", "" };
	char				**v;
	size_t				  i, n;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		(void)jwt_claim_string(c, names[i]);
		if (jwt_claim_strings(c, names[i], &v, &n) == 0)
			jwt_strings_free(v, n);
	}
}

static void
fuzz_token(const char *token)
{
	struct jwt_expect	x;
	struct jwt_claims	c;
	char			err[256];

	memset(&x, 0, sizeof(x));
	x.issuer = "https://idp.example.com";
	x.client_id = "gatehouse";
	x.extra_audiences = fuzz_auds;
	x.nextra_audiences = 1;
	x.nonce = "nonce";
	x.algs = fuzz_algs;
	x.nalgs = 3;
	x.now = FUZZ_NOW;
	x.skew = JWT_SKEW_DEFAULT;
	if (jwt_verify_id_token(ks, token, &x, &c, err, sizeof(err)) ==
	    JWT_OK) {
		fuzz_claims(&c);
		jwt_claims_free(&c);
	}
	(void)jwt_reason_name(0);
}

/* Signs payload with the fixed EC key, then checks the token. */
static void
fuzz_signed(const uint8_t *payload, size_t len)
{
	cjose_header_t	*hdr;
	cjose_jws_t	*jws;
	cjose_err	 cerr;
	const char	*ser;

	if ((hdr = cjose_header_new(&cerr)) == NULL)
		return;
	if (cjose_header_set(hdr, CJOSE_HDR_ALG, "ES256", &cerr) &&
	    cjose_header_set(hdr, CJOSE_HDR_KID, "ec", &cerr) &&
	    (jws = cjose_jws_sign(signer, hdr, payload, len, &cerr)) !=
	    NULL) {
		if (cjose_jws_export(jws, &ser, &cerr))
			fuzz_token(ser);
		cjose_jws_release(jws);
	}
	cjose_header_release(hdr);
}

static void
fuzz_discovery(const char *text, size_t len, int skip)
{
	struct oidc_discovery	 d;
	const char		*why;
	char			 err[256];

	if (discovery_parse(text, len, "https://idp.example.com", skip, &d,
	    err, sizeof(err)) == 0)
		discovery_free(&d);
	(void)idp_url_ok(text, &why);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct jwks	*k;
	char		*text, err[256];

	if (len < 1)
		return 0;
	fuzz_init();
	/* A NUL-terminated copy, exactly as long as the input. */
	if ((text = malloc(len)) == NULL)
		return 0;
	memcpy(text, data + 1, len - 1);
	text[len - 1] = '\0';
	switch (data[0] & 3) {
	case 0:
		fuzz_token(text);
		break;
	case 1:
		if ((k = jwks_parse(text, len - 1, err, sizeof(err))) != NULL)
			jwks_free(k);
		break;
	case 2:
		fuzz_discovery(text, len - 1, (data[0] >> 2) & 1);
		break;
	default:
		fuzz_signed(data + 1, len - 1);
		break;
	}
	free(text);
	return 0;
}
