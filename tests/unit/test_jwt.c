/*
 * ID token validation: keys made here with OpenSSL, a JWKS built from
 * them, tokens signed with cjose, and one test per rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <cjose/cjose.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "jwt.h"

#define ISSUER		"https://idp.example.com"
#define CLIENT		"gatehouse"
#define NONCE		"n-0S6_WzA2Mj"
#define NOW		((time_t)1700000000)

/* Signing keys (private, for cjose) and their public JWKS. */
static cjose_jwk_t	*rsa1, *rsa2, *ec1, *rsa_small;
static struct jwks	*ks;
static char		*jwks_text;
static char		 err[512];

static char *const	extra_auds[] = { "other-api" };
static char *const	all_algs[] = { "RS256", "PS256", "ES256", "ES384" };

/* --- keys ------------------------------------------------------------ */

static char * __attribute__((format(printf, 1, 2)))
xprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*out;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	out = malloc((size_t)n + 1);
	assert_non_null(out);
	va_start(ap, fmt);
	vsnprintf(out, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return out;
}

static char *
b64u(const void *p, size_t n)
{
	cjose_err	 cerr;
	char		*out;
	size_t		 outlen;

	assert_true(cjose_base64url_encode(p, n, &out, &outlen, &cerr));
	return out;
}

/* A BIGNUM parameter of pkey, big-endian, padded to pad bytes if > 0. */
static uint8_t *
bn_param(EVP_PKEY *pkey, const char *name, size_t pad, size_t *len)
{
	BIGNUM	*bn = NULL;
	uint8_t	*buf;

	assert_int_equal(EVP_PKEY_get_bn_param(pkey, name, &bn), 1);
	*len = pad > 0 ? pad : (size_t)BN_num_bytes(bn);
	buf = malloc(*len);
	assert_non_null(buf);
	assert_int_equal(BN_bn2binpad(bn, buf, (int)*len), (int)*len);
	BN_free(bn);
	return buf;
}

/* An RSA key from OpenSSL as a cjose private JWK. */
static cjose_jwk_t *
rsa_key(unsigned int bits)
{
	cjose_jwk_rsa_keyspec	 s;
	cjose_err		 cerr;
	cjose_jwk_t		*jwk;
	EVP_PKEY		*pkey;

	pkey = EVP_RSA_gen(bits);
	assert_non_null(pkey);
	memset(&s, 0, sizeof(s));
	s.n = bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, 0, &s.nlen);
	s.e = bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, 0, &s.elen);
	s.d = bn_param(pkey, OSSL_PKEY_PARAM_RSA_D, 0, &s.dlen);
	s.p = bn_param(pkey, OSSL_PKEY_PARAM_RSA_FACTOR1, 0, &s.plen);
	s.q = bn_param(pkey, OSSL_PKEY_PARAM_RSA_FACTOR2, 0, &s.qlen);
	s.dp = bn_param(pkey, OSSL_PKEY_PARAM_RSA_EXPONENT1, 0, &s.dplen);
	s.dq = bn_param(pkey, OSSL_PKEY_PARAM_RSA_EXPONENT2, 0, &s.dqlen);
	s.qi = bn_param(pkey, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, 0, &s.qilen);
	jwk = cjose_jwk_create_RSA_spec(&s, &cerr);
	assert_non_null(jwk);
	free(s.n);
	free(s.e);
	free(s.d);
	free(s.p);
	free(s.q);
	free(s.dp);
	free(s.dq);
	free(s.qi);
	EVP_PKEY_free(pkey);
	return jwk;
}

/* A P-256 key from OpenSSL as a cjose private JWK. */
static cjose_jwk_t *
ec_key(void)
{
	cjose_jwk_ec_keyspec	 s;
	cjose_err		 cerr;
	cjose_jwk_t		*jwk;
	EVP_PKEY		*pkey;

	pkey = EVP_EC_gen("P-256");
	assert_non_null(pkey);
	memset(&s, 0, sizeof(s));
	s.crv = CJOSE_JWK_EC_P_256;
	s.d = bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, 32, &s.dlen);
	s.x = bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32, &s.xlen);
	s.y = bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32, &s.ylen);
	jwk = cjose_jwk_create_EC_spec(&s, &cerr);
	assert_non_null(jwk);
	free(s.d);
	free(s.x);
	free(s.y);
	EVP_PKEY_free(pkey);
	return jwk;
}

/* The public JWK of key as a JSON object with kid, use and alg added. */
static json_t *
public_jwk(cjose_jwk_t *key, const char *kid, const char *use,
    const char *alg)
{
	cjose_err	 cerr;
	char		*text;
	json_t		*o;

	text = cjose_jwk_to_json(key, false, &cerr);
	assert_non_null(text);
	o = json_loads(text, 0, NULL);
	assert_non_null(o);
	free(text);
	assert_null(json_object_get(o, "d"));
	if (kid != NULL)
		json_object_set_new(o, "kid", json_string(kid));
	if (use != NULL)
		json_object_set_new(o, "use", json_string(use));
	if (alg != NULL)
		json_object_set_new(o, "alg", json_string(alg));
	return o;
}

static int
setup(void **state)
{
	json_t	*doc, *keys;

	(void)state;
	rsa1 = rsa_key(2048);
	rsa2 = rsa_key(2048);
	rsa_small = rsa_key(1024);
	ec1 = ec_key();
	keys = json_array();
	json_array_append_new(keys, public_jwk(rsa1, "rsa1", "sig", NULL));
	json_array_append_new(keys, public_jwk(rsa2, "rsa2", NULL, "RS256"));
	json_array_append_new(keys, public_jwk(ec1, "ec1", "sig", "ES256"));
	json_array_append_new(keys, public_jwk(ec1, "ec1-any", NULL, NULL));
	/* Skipped: too small, for encryption, symmetric, unknown type. */
	json_array_append_new(keys, public_jwk(rsa_small, "small", "sig",
	    NULL));
	json_array_append_new(keys, public_jwk(rsa2, "enc", "enc", NULL));
	json_array_append_new(keys, json_pack("{s:s, s:s, s:s}", "kty", "oct",
	    "kid", "hmac", "k", "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"));
	json_array_append_new(keys, json_pack("{s:s, s:s, s:s, s:s}", "kty",
	    "OKP", "kid", "ed", "crv", "Ed25519", "x",
	    "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"));
	doc = json_pack("{s:o}", "keys", keys);
	jwks_text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	ks = jwks_parse(jwks_text, strlen(jwks_text), err, sizeof(err));
	if (ks == NULL)
		fail_msg("jwks_parse: %s", err);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	jwks_free(ks);
	free(jwks_text);
	cjose_jwk_release(rsa1);
	cjose_jwk_release(rsa2);
	cjose_jwk_release(rsa_small);
	cjose_jwk_release(ec1);
	return 0;
}

/* --- tokens ------------------------------------------------------------ */

/* The claims of a good ID token for CLIENT at NOW. */
static json_t *
claims(void)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:b, s:s, "
	    "s:s, s:[s,s], s:{s:[s,s]}, s:s}",
	    "iss", ISSUER, "sub", "248289761001", "aud", CLIENT,
	    "exp", (json_int_t)NOW + 300, "iat", (json_int_t)NOW,
	    "nonce", NONCE, "email", "jane@example.com",
	    "email_verified", 1, "preferred_username", "jane",
	    "name", "Jane Doe", "groups", "admins", "staff",
	    "realm_access", "roles", "reader", "writer",
	    "https://example.com/claims.email", "namespaced@example.com");
}

/* The good claims as JSON text. */
static char *
claims_text(void)
{
	json_t	*c = claims();
	char	*text;

	text = json_dumps(c, JSON_COMPACT);
	json_decref(c);
	assert_non_null(text);
	return text;
}

/* Signs payload text with cjose; kid NULL leaves it out. */
static char *
sign_text(cjose_jwk_t *key, const char *alg, const char *kid,
    const char *payload)
{
	cjose_header_t	*hdr;
	cjose_jws_t	*jws;
	cjose_err	 cerr;
	const char	*ser;
	char		*out;

	hdr = cjose_header_new(&cerr);
	assert_non_null(hdr);
	assert_true(cjose_header_set(hdr, CJOSE_HDR_ALG, alg, &cerr));
	if (kid != NULL)
		assert_true(cjose_header_set(hdr, CJOSE_HDR_KID, kid, &cerr));
	jws = cjose_jws_sign(key, hdr, (const uint8_t *)payload,
	    strlen(payload), &cerr);
	if (jws == NULL)
		fail_msg("cjose_jws_sign: %s", cerr.message);
	assert_true(cjose_jws_export(jws, &ser, &cerr));
	out = strdup(ser);
	cjose_jws_release(jws);
	cjose_header_release(hdr);
	return out;
}

/* Signs c (and releases it). */
static char *
sign(cjose_jwk_t *key, const char *alg, const char *kid, json_t *c)
{
	char	*text, *tok;

	text = json_dumps(c, JSON_COMPACT);
	json_decref(c);
	tok = sign_text(key, alg, kid, text);
	free(text);
	return tok;
}

/* A token from raw header and payload text and signature bytes. */
static char *
assemble(const char *hdr, const char *payload, const void *sig,
    size_t siglen)
{
	char	*h, *p, *s, *out;

	h = b64u(hdr, strlen(hdr));
	p = b64u(payload, strlen(payload));
	s = siglen > 0 ? b64u(sig, siglen) : strdup("");
	out = xprintf("%s.%s.%s", h, p, s);
	free(h);
	free(p);
	free(s);
	return out;
}

static struct jwt_expect
expect(void)
{
	struct jwt_expect	x;

	memset(&x, 0, sizeof(x));
	x.issuer = ISSUER;
	x.client_id = CLIENT;
	x.nonce = NONCE;
	x.algs = all_algs;
	x.nalgs = sizeof(all_algs) / sizeof(all_algs[0]);
	x.now = NOW;
	x.skew = JWT_SKEW_DEFAULT;
	return x;
}

/* Verifies tok (and frees it); the claims are released unless kept. */
static int
check_x(char *tok, const struct jwt_expect *x, struct jwt_claims *keep)
{
	struct jwt_claims	c;
	int			rv;

	err[0] = '\0';
	rv = jwt_verify_id_token(ks, tok, x, &c, err, sizeof(err));
	free(tok);
	if (rv != JWT_OK) {
		assert_true(err[0] != '\0');
		assert_null(c.raw);
	}
	if (keep != NULL)
		*keep = c;
	else
		jwt_claims_free(&c);
	return rv;
}

static int
check(char *tok)
{
	struct jwt_expect	x = expect();

	return check_x(tok, &x, NULL);
}

/* Claims c with one member replaced (value NULL: removed). */
static json_t *
with(json_t *c, const char *name, json_t *value)
{
	if (value == NULL)
		json_object_del(c, name);
	else
		json_object_set_new(c, name, value);
	return c;
}

#define assert_reason(got, want) do {					\
	int	g_ = (got);						\
	if (g_ != (want))						\
		fail_msg("got %s (%s), want %s", jwt_reason_name(g_),	\
		    err, jwt_reason_name(want));			\
} while (0)

/* --- tests --------------------------------------------------------------- */

static void
test_jwks(void **state)
{
	(void)state;
	/* rsa1, rsa2, ec1, ec1-any; small, enc, oct and OKP skipped. */
	assert_int_equal(jwks_count(ks), 4);
}

static void
test_valid_rs256(void **state)
{
	struct jwt_expect	 x = expect();
	struct jwt_claims	 c;

	(void)state;
	assert_reason(check_x(sign(rsa1, "RS256", "rsa1", claims()), &x, &c),
	    JWT_OK);
	assert_string_equal(c.sub, "248289761001");
	assert_string_equal(c.iss, ISSUER);
	assert_string_equal(c.aud, CLIENT);
	assert_string_equal(c.email, "jane@example.com");
	assert_int_equal(c.email_verified, 1);
	assert_string_equal(c.preferred_username, "jane");
	assert_string_equal(c.name, "Jane Doe");
	assert_string_equal(c.nonce, NONCE);
	assert_null(c.azp);
	assert_int_equal(c.exp, NOW + 300);
	assert_int_equal(c.iat, NOW);
	assert_int_equal(c.nbf, 0);
	assert_int_equal(c.ngroups, 2);
	assert_string_equal(c.groups[0], "admins");
	assert_string_equal(c.groups[1], "staff");
	jwt_claims_free(&c);
	assert_null(c.raw);
	jwt_claims_free(&c);
}

static void
test_valid_others(void **state)
{
	(void)state;
	assert_reason(check(sign(ec1, "ES256", "ec1", claims())), JWT_OK);
	assert_reason(check(sign(rsa1, "PS256", "rsa1", claims())), JWT_OK);
	/* No kid: every key of the type is tried. */
	assert_reason(check(sign(rsa2, "RS256", NULL, claims())), JWT_OK);
	assert_reason(check(sign(rsa1, "RS256", NULL, claims())), JWT_OK);
	assert_reason(check(sign(ec1, "ES256", NULL, claims())), JWT_OK);
	/* NumericDate with a fraction. */
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "exp",
	    json_real((double)NOW + 10.5)))), JWT_OK);
}

static void
test_alg_none(void **state)
{
	struct jwt_expect	x = expect();
	static char *const	none[] = { "none", "RS256" };
	char			*p;

	(void)state;
	p = claims_text();
	assert_reason(check(assemble("{\"alg\":\"none\"}", p, NULL, 0)),
	    JWT_ALG);
	assert_reason(check(assemble("{\"alg\":\"none\",\"kid\":\"rsa1\"}", p,
	    NULL, 0)), JWT_ALG);
	assert_reason(check(assemble("{\"alg\":\"NONE\"}", p, "x", 1)),
	    JWT_ALG);
	/* Even when a (broken) list names it. */
	x.algs = none;
	x.nalgs = 2;
	assert_reason(check_x(assemble("{\"alg\":\"none\"}", p, NULL, 0), &x,
	    NULL), JWT_ALG);
	free(p);
}

static void
test_hmac_with_public_key(void **state)
{
	struct jwt_expect	 x = expect();
	static char *const	 hs[] = { "HS256", "RS256" };
	cjose_err		 cerr;
	cjose_jwk_t		*oct;
	char			*pub;

	(void)state;
	/* The classic confusion: the RSA public key as the HMAC secret. */
	pub = cjose_jwk_to_json(rsa1, false, &cerr);
	assert_non_null(pub);
	oct = cjose_jwk_create_oct_spec((const uint8_t *)pub, strlen(pub),
	    &cerr);
	assert_non_null(oct);
	assert_reason(check(sign(oct, "HS256", "rsa1", claims())), JWT_ALG);
	assert_reason(check(sign(oct, "HS256", NULL, claims())), JWT_ALG);
	x.algs = hs;
	x.nalgs = 2;
	assert_reason(check_x(sign(oct, "HS256", "rsa1", claims()), &x, NULL),
	    JWT_ALG);
	/* The oct key of the JWKS was skipped: its kid is unknown. */
	assert_reason(check_x(sign(oct, "HS256", "hmac", claims()), &x, NULL),
	    JWT_ALG);
	cjose_jwk_release(oct);
	free(pub);
}

static void
test_alg_key_mismatch(void **state)
{
	struct jwt_expect	 x = expect();
	static char *const	 es[] = { "ES256" };
	char			*p;
	unsigned char		 sig[256];

	(void)state;
	memset(sig, 0x5a, sizeof(sig));
	p = claims_text();
	/* RS256 naming the EC key, ES256 naming an RSA key. */
	assert_reason(check(assemble("{\"alg\":\"RS256\",\"kid\":\"ec1\"}", p,
	    sig, 256)), JWT_ALG);
	assert_reason(check(assemble("{\"alg\":\"ES256\",\"kid\":\"rsa1\"}", p,
	    sig, 64)), JWT_ALG);
	/* ES384 with the P-256 key: the curve must fit too. */
	assert_reason(check(assemble("{\"alg\":\"ES384\",\"kid\":\"ec1\"}", p,
	    sig, 96)), JWT_ALG);
	/* The same with a key that names no alg of its own. */
	assert_reason(check(assemble("{\"alg\":\"RS256\",\"kid\":\"ec1-any\"}",
	    p, sig, 256)), JWT_ALG);
	assert_reason(check(assemble("{\"alg\":\"PS256\",\"kid\":\"ec1-any\"}",
	    p, sig, 256)), JWT_ALG);
	assert_reason(check(assemble("{\"alg\":\"ES384\",\"kid\":\"ec1-any\"}",
	    p, sig, 96)), JWT_ALG);
	assert_reason(check(sign(ec1, "ES256", "ec1-any", claims())), JWT_OK);
	/* rsa2 is declared RS256: PS256 with it is refused. */
	assert_reason(check(sign(rsa2, "PS256", "rsa2", claims())), JWT_ALG);
	/* Allowed by us but not advertised by the provider. */
	x.algs = es;
	x.nalgs = 1;
	assert_reason(check_x(sign(rsa1, "RS256", "rsa1", claims()), &x, NULL),
	    JWT_ALG);
	/* No list: RS256 only. */
	x.algs = NULL;
	x.nalgs = 0;
	assert_reason(check_x(sign(rsa1, "RS256", "rsa1", claims()), &x, NULL),
	    JWT_OK);
	assert_reason(check_x(sign(ec1, "ES256", "ec1", claims()), &x, NULL),
	    JWT_ALG);
	/* Unknown algorithms. */
	assert_reason(check(assemble("{\"alg\":\"EdDSA\",\"kid\":\"ed\"}", p,
	    sig, 64)), JWT_ALG);
	assert_reason(check(assemble("{\"alg\":\"rs256\",\"kid\":\"rsa1\"}", p,
	    sig, 256)), JWT_ALG);
	free(p);
}

/* tok with part i (0, 1, 2) replaced by text. */
static char *
replace_part(char *tok, int i, const char *text)
{
	char	*d1, *d2, *out;

	d1 = strchr(tok, '.');
	d2 = strchr(d1 + 1, '.');
	*d1 = *d2 = '\0';
	out = xprintf("%s.%s.%s", i == 0 ? text : tok,
	    i == 1 ? text : d1 + 1, i == 2 ? text : d2 + 1);
	free(tok);
	return out;
}

/*
 * tok with its signature one byte longer (a zero byte appended) or
 * shorter (the last byte dropped), encoded canonically.
 */
static char *
resize_sig(char *tok, int delta)
{
	cjose_err	 cerr;
	uint8_t		*sig, *s2;
	size_t		 len;
	char		*dot, *enc, *out;

	dot = strrchr(tok, '.');
	assert_true(cjose_base64url_decode(dot + 1, strlen(dot + 1), &sig,
	    &len, &cerr));
	s2 = calloc(1, len + 1);
	assert_non_null(s2);
	memcpy(s2, sig, len);
	enc = b64u(s2, delta > 0 ? len + 1 : len - 1);
	*dot = '\0';
	out = xprintf("%s.%s", tok, enc);
	free(enc);
	free(s2);
	free(sig);
	free(tok);
	return out;
}

static void
test_tampered(void **state)
{
	json_t	*c;
	char	*tok, *p, *sig;

	(void)state;
	/* Payload: another subject, same signature. */
	c = with(claims(), "sub", json_string("admin"));
	p = json_dumps(c, JSON_COMPACT);
	json_decref(c);
	sig = b64u(p, strlen(p));
	tok = replace_part(sign(rsa1, "RS256", "rsa1", claims()), 1, sig);
	assert_reason(check(tok), JWT_SIGNATURE);
	tok = replace_part(sign(ec1, "ES256", "ec1", claims()), 1, sig);
	assert_reason(check(tok), JWT_SIGNATURE);
	free(sig);
	free(p);

	/* Signature: one character changed, or one byte short. */
	tok = sign(rsa1, "RS256", "rsa1", claims());
	p = strrchr(tok, '.') + 1;
	p[0] = p[0] == 'A' ? 'B' : 'A';
	assert_reason(check(tok), JWT_SIGNATURE);
	tok = sign(ec1, "ES256", "ec1", claims());
	p = strrchr(tok, '.') + 1;
	p[5] = p[5] == 'A' ? 'B' : 'A';
	assert_reason(check(tok), JWT_SIGNATURE);
	/* ES256: R || S of 32 bytes each, nothing more, nothing less. */
	assert_reason(check(resize_sig(sign(ec1, "ES256", "ec1", claims()),
	    -1)), JWT_SIGNATURE);
	assert_reason(check(resize_sig(sign(ec1, "ES256", "ec1", claims()),
	    1)), JWT_SIGNATURE);
	assert_reason(check(resize_sig(sign(ec1, "ES256", NULL, claims()),
	    1)), JWT_SIGNATURE);
	assert_reason(check(resize_sig(sign(rsa1, "RS256", "rsa1", claims()),
	    1)), JWT_SIGNATURE);
	assert_reason(check(resize_sig(sign(rsa1, "PS256", "rsa1", claims()),
	    -1)), JWT_SIGNATURE);
	tok = sign(rsa1, "RS256", "rsa1", claims());
	tok = replace_part(tok, 2, "");
	assert_reason(check(tok), JWT_SIGNATURE);

	/* Signed by rsa1, claiming rsa2. */
	assert_reason(check(sign(rsa1, "RS256", "rsa2", claims())),
	    JWT_SIGNATURE);
	/* Signed by a key not in the JWKS, without kid. */
	assert_reason(check(sign(rsa_small, "RS256", NULL, claims())),
	    JWT_SIGNATURE);
}

static void
test_issuer(void **state)
{
	struct jwt_expect	x = expect();

	(void)state;
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "iss",
	    json_string("https://evil.example")))), JWT_ISSUER);
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "iss",
	    json_string(ISSUER "/")))), JWT_ISSUER);
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "iss",
	    NULL))), JWT_ISSUER);
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "iss",
	    json_integer(1)))), JWT_ISSUER);
	/* insecure_oidc_skip_issuer_verification. */
	x.issuer = NULL;
	assert_reason(check_x(sign(rsa1, "RS256", "rsa1", with(claims(), "iss",
	    json_string("https://evil.example"))), &x, NULL), JWT_OK);
}

static void
test_audience(void **state)
{
	struct jwt_expect	x = expect();
	struct jwt_claims	c;

	(void)state;
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "aud",
	    json_string("someone-else")))), JWT_AUDIENCE);
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "aud",
	    NULL))), JWT_AUDIENCE);
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "aud",
	    json_array()))), JWT_AUDIENCE);
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "aud",
	    json_pack("[s,i]", CLIENT, 1)))), JWT_AUDIENCE);
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "aud",
	    json_pack("[s,s]", "a", "b")))), JWT_AUDIENCE);
	/* An array holding the client id; first is reported. */
	assert_reason(check_x(sign(rsa1, "RS256", "rsa1", with(claims(), "aud",
	    json_pack("[s,s]", "other", CLIENT))), &x, &c), JWT_OK);
	assert_string_equal(c.aud, "other");
	jwt_claims_free(&c);
	/* oidc_extra_audiences. */
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "aud",
	    json_pack("[s,s]", "x", "other-api")))), JWT_AUDIENCE);
	x.extra_audiences = extra_auds;
	x.nextra_audiences = 1;
	assert_reason(check_x(sign(rsa1, "RS256", "rsa1", with(claims(), "aud",
	    json_pack("[s,s]", "x", "other-api"))), &x, NULL), JWT_OK);
	assert_reason(check_x(sign(rsa1, "RS256", "rsa1", with(claims(), "aud",
	    json_string("other-api"))), &x, NULL), JWT_OK);
}

static void
test_azp(void **state)
{
	struct jwt_expect	x = expect();
	json_t			*c;

	(void)state;
	/* Several audiences: azp, when present, must be the client. */
	c = with(claims(), "aud", json_pack("[s,s]", CLIENT, "other"));
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(c, "azp",
	    json_string("other")))), JWT_AZP);
	c = with(claims(), "aud", json_pack("[s,s]", CLIENT, "other"));
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(c, "azp",
	    json_string(CLIENT)))), JWT_OK);
	c = with(claims(), "aud", json_pack("[s,s]", CLIENT, "other"));
	assert_reason(check(sign(rsa1, "RS256", "rsa1", c)), JWT_OK);
	c = with(claims(), "aud", json_pack("[s,s]", CLIENT, "other"));
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(c, "azp",
	    json_integer(3)))), JWT_AZP);
	/* An extra audience with another party's azp: several audiences. */
	x.extra_audiences = extra_auds;
	x.nextra_audiences = 1;
	c = with(claims(), "aud", json_pack("[s,s]", "other-api", "x"));
	assert_reason(check_x(sign(rsa1, "RS256", "rsa1", with(c, "azp",
	    json_string("x"))), &x, NULL), JWT_AZP);
	/* One audience: azp is not compared. */
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "azp",
	    json_string("other")))), JWT_OK);
}

static void
test_nonce(void **state)
{
	struct jwt_expect	x = expect();

	(void)state;
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(),
	    "nonce", json_string("n-0S6_WzA2Mk")))), JWT_NONCE);
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(),
	    "nonce", json_string(NONCE "x")))), JWT_NONCE);
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(),
	    "nonce", json_string("")))), JWT_NONCE);
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(),
	    "nonce", NULL))), JWT_NONCE);
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(),
	    "nonce", json_integer(5)))), JWT_NONCE);
	/* insecure_oidc_skip_nonce. */
	x.nonce = NULL;
	assert_reason(check_x(sign(rsa1, "RS256", "rsa1", with(claims(),
	    "nonce", NULL)), &x, NULL), JWT_OK);
	assert_reason(check_x(sign(rsa1, "RS256", "rsa1", with(claims(),
	    "nonce", json_string("whatever"))), &x, NULL), JWT_OK);
}

static void
test_times(void **state)
{
	struct jwt_expect	x = expect();
	json_t			*c;

	(void)state;
	/* exp: valid while exp + skew is after now. */
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "exp",
	    json_integer(NOW - 61)))), JWT_EXPIRED);
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "exp",
	    json_integer(NOW - 60)))), JWT_EXPIRED);
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "exp",
	    json_integer(NOW - 30)))), JWT_OK);
	x.skew = 0;
	assert_reason(check_x(sign(rsa1, "RS256", "rsa1", with(claims(), "exp",
	    json_integer(NOW))), &x, NULL), JWT_EXPIRED);
	x.skew = -5;			/* treated as 0 */
	assert_reason(check_x(sign(rsa1, "RS256", "rsa1", with(claims(), "exp",
	    json_integer(NOW + 1))), &x, NULL), JWT_OK);
	/* iat in the future beyond the skew. */
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "iat",
	    json_integer(NOW + 120)))), JWT_NOT_YET);
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "iat",
	    json_integer(NOW + 30)))), JWT_OK);
	/* nbf honoured when present. */
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "nbf",
	    json_integer(NOW + 120)))), JWT_NOT_YET);
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "nbf",
	    json_integer(NOW - 10)))), JWT_OK);
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "nbf",
	    json_string("soon")))), JWT_MALFORMED);
	/* Required, and numbers. */
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "exp",
	    NULL))), JWT_MALFORMED);
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "iat",
	    NULL))), JWT_MALFORMED);
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "exp",
	    json_string("1700000300")))), JWT_MALFORMED);
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "exp",
	    json_real(1e300)))), JWT_MALFORMED);
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "exp",
	    json_integer(INT64_MAX)))), JWT_MALFORMED);
	c = with(claims(), "exp", json_integer(NOW - 1000));
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(c, "iat",
	    json_integer(NOW - 2000)))), JWT_EXPIRED);
}

static void
test_identity_claims(void **state)
{
	struct jwt_expect	x = expect();
	struct jwt_claims	c;

	(void)state;
	assert_reason(check_x(sign(rsa1, "RS256", "rsa1", with(claims(),
	    "email_verified", json_false())), &x, &c), JWT_OK);
	assert_int_equal(c.email_verified, 0);
	jwt_claims_free(&c);
	assert_reason(check_x(sign(rsa1, "RS256", "rsa1", with(claims(),
	    "email_verified", NULL)), &x, &c), JWT_OK);
	assert_int_equal(c.email_verified, -1);
	jwt_claims_free(&c);
	assert_reason(check_x(sign(rsa1, "RS256", "rsa1", with(claims(),
	    "email_verified", json_string("true"))), &x, &c), JWT_OK);
	assert_int_equal(c.email_verified, 1);
	jwt_claims_free(&c);
	assert_reason(check_x(sign(rsa1, "RS256", "rsa1", with(claims(),
	    "email_verified", json_integer(1))), &x, &c), JWT_OK);
	assert_int_equal(c.email_verified, 0);
	jwt_claims_free(&c);

	/* groups as one string, as an array with other types, absent. */
	assert_reason(check_x(sign(rsa1, "RS256", "rsa1", with(claims(),
	    "groups", json_string("admins"))), &x, &c), JWT_OK);
	assert_int_equal(c.ngroups, 1);
	assert_string_equal(c.groups[0], "admins");
	jwt_claims_free(&c);
	assert_reason(check_x(sign(rsa1, "RS256", "rsa1", with(claims(),
	    "groups", json_pack("[s,i,s,{}]", "a", 2, "b"))), &x, &c), JWT_OK);
	assert_int_equal(c.ngroups, 2);
	assert_string_equal(c.groups[1], "b");
	jwt_claims_free(&c);
	assert_reason(check_x(sign(rsa1, "RS256", "rsa1", with(claims(),
	    "groups", NULL)), &x, &c), JWT_OK);
	assert_int_equal(c.ngroups, 0);
	assert_null(c.groups);
	jwt_claims_free(&c);

	/* sub is required. */
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "sub",
	    NULL))), JWT_MALFORMED);
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "sub",
	    json_string("")))), JWT_MALFORMED);
}

static void
test_claim_lookup(void **state)
{
	struct jwt_expect	 x = expect();
	struct jwt_claims	 c;
	char			**v;
	size_t			 n;

	(void)state;
	assert_reason(check_x(sign(rsa1, "RS256", "rsa1", claims()), &x, &c),
	    JWT_OK);
	assert_int_equal(jwt_claim_strings(&c, "realm_access.roles", &v, &n),
	    0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0], "reader");
	assert_string_equal(v[1], "writer");
	jwt_strings_free(v, n);
	assert_int_equal(jwt_claim_strings(&c, "groups", &v, &n), 0);
	assert_int_equal(n, 2);
	jwt_strings_free(v, n);
	assert_int_equal(jwt_claim_strings(&c, "email", &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0], "jane@example.com");
	jwt_strings_free(v, n);
	assert_int_equal(jwt_claim_strings(&c, "exp", &v, &n), 1);
	assert_null(v);
	assert_int_equal(n, 0);
	assert_int_equal(jwt_claim_strings(&c, "realm_access.nope", &v, &n),
	    1);
	assert_int_equal(jwt_claim_strings(&c, "realm_access", &v, &n), 1);

	assert_string_equal(jwt_claim_string(&c, "email"), "jane@example.com");
	assert_null(jwt_claim_string(&c, "realm_access.roles"));
	assert_null(jwt_claim_string(&c, "realm_access..roles"));
	assert_null(jwt_claim_string(&c, ".email"));
	assert_null(jwt_claim_string(&c, "email.x"));
	assert_null(jwt_claim_string(&c, "missing"));
	assert_null(jwt_claim_string(&c, NULL));
	/* A key with dots in it is found as it is first. */
	assert_string_equal(jwt_claim_string(&c,
	    "https://example.com/claims.email"), "namespaced@example.com");
	assert_non_null(jwt_claim(&c, "realm_access"));
	jwt_claims_free(&c);
	assert_null(jwt_claim_string(&c, "email"));
}

static void
test_malformed(void **state)
{
	static const char *const	bad[] = {
		"", ".", "..", "...", "a", "a.b", "a.b.c.d", "a.b.c.d.e",
		"eyJhbGciOiJSUzI1NiJ9", "eyJhbGciOiJSUzI1NiJ9.e30",
		".e30.", "eyJhbGciOiJSUzI1NiJ9..", "eyJhbGciOiJSUzI1NiJ9.e30.!!",
		"eyJhbGciOiJSUzI1NiJ9.e30=.AAAA",
		"eyJhbGciOiJSUzI1NiJ9=.e30.AAAA",
		"eyJhbGciOiJSUzI1NiJ9.e3+.AAAA",
		"eyJhbGciOiJSUzI1NiJ9.e3/.AAAA",
		"eyJhbGciOiJSUzI1NiJ9.e30.A",		/* 1 mod 4 */
		"eyJhbGciOiJSUzI1NiJ9.e31.AAAA",	/* unused bits set */
		"eyJhbGciOiJSUzI1NiJ9.e30.AA AA",
		"eyJhbGciOiJSUzI1NiJ9 .e30.AAAA",
	};
	static const char *const	hdrs[] = {
		"not json", "[\"RS256\"]", "{}", "{\"alg\":256}",
		"{\"alg\":null}", "{\"alg\":\"RS256\",\"kid\":1}",
		"{\"alg\":\"RS256\",\"crit\":[\"exp\"],\"exp\":1}",
		"{\"alg\":\"RS256\",\"alg\":\"none\"}",
		"{\"alg\":\"RS256\"} x",
	};
	struct jwt_expect	 x = expect();
	char			*p, *big;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (check(strdup(bad[i])) != JWT_MALFORMED)
			fail_msg("\"%s\": %s", bad[i], err);
	}
	p = claims_text();
	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++)
		assert_reason(check(assemble(hdrs[i], p, "xy", 2)),
		    JWT_MALFORMED);
	free(p);

	/* Signed, but the payload is no object or repeats a claim. */
	assert_reason(check(sign_text(rsa1, "RS256", "rsa1", "[1,2]")),
	    JWT_MALFORMED);
	assert_reason(check(sign_text(rsa1, "RS256", "rsa1", "not json")),
	    JWT_MALFORMED);
	assert_reason(check(sign_text(rsa1, "RS256", "rsa1",
	    "{\"sub\":\"a\",\"sub\":\"b\"}")), JWT_MALFORMED);

	/* Huge: over JWT_MAX_SIZE, even when otherwise valid. */
	big = malloc(JWT_MAX_SIZE + 2);
	assert_non_null(big);
	memset(big, 'A', JWT_MAX_SIZE + 1);
	big[10] = '.';
	big[20] = '.';
	big[JWT_MAX_SIZE + 1] = '\0';
	assert_reason(check(big), JWT_MALFORMED);
	p = malloc(JWT_MAX_SIZE);
	assert_non_null(p);
	memset(p, 'x', JWT_MAX_SIZE - 1);
	p[JWT_MAX_SIZE - 1] = '\0';
	assert_reason(check(sign(rsa1, "RS256", "rsa1", with(claims(), "pad",
	    json_string(p)))), JWT_MALFORMED);
	free(p);

	/* NULL token, NULL key set. */
	assert_reason(check_x(NULL, &x, NULL), JWT_MALFORMED);
	err[0] = '\0';
	{
		struct jwt_claims	c;
		char			*tok;

		tok = sign(rsa1, "RS256", "rsa1", claims());
		assert_reason(jwt_verify_id_token(NULL, tok, &x, &c, err,
		    sizeof(err)), JWT_KID_UNKNOWN);
		free(tok);
	}
}

static void
test_unknown_kid(void **state)
{
	cjose_jwk_t	*other;
	unsigned char	 sig[96];
	char		*p;

	(void)state;
	memset(sig, 0x5a, sizeof(sig));
	assert_reason(check(sign(rsa1, "RS256", "rotated", claims())),
	    JWT_KID_UNKNOWN);
	/* Skipped keys are unknown too. */
	assert_reason(check(sign(rsa_small, "RS256", "small", claims())),
	    JWT_KID_UNKNOWN);
	assert_reason(check(sign(rsa2, "RS256", "enc", claims())),
	    JWT_KID_UNKNOWN);
	/* No kid and no key that fits the alg: the caller may refetch. */
	p = claims_text();
	assert_reason(check(assemble("{\"alg\":\"ES384\"}", p, sig, 96)),
	    JWT_KID_UNKNOWN);
	free(p);
	/* No kid, keys that fit, none verifies: a bad signature. */
	other = rsa_key(2048);
	assert_reason(check(sign(other, "RS256", NULL, claims())),
	    JWT_SIGNATURE);
	cjose_jwk_release(other);
}

/* A JWKS of one key member, parsed; returns the usable count or -1. */
static int
one_key(const char *member)
{
	struct jwks	*k;
	char		*doc;
	int		 n;

	doc = xprintf("{\"keys\":[%s]}", member);
	k = jwks_parse(doc, strlen(doc), err, sizeof(err));
	free(doc);
	n = k == NULL ? -1 : (int)jwks_count(k);
	jwks_free(k);
	return n;
}

static void
test_jwks_parse(void **state)
{
	static const char *const	bad[] = {
		"", "nope", "[]", "{}", "{\"keys\":{}}", "{\"keys\":[]}",
		"{\"keys\":[1,\"x\",null]}",
		"{\"keys\":[],\"keys\":[]}",
	};
	json_t				*doc, *keys, *k;
	char				*text, *big;
	struct jwks			*j;
	size_t				 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_null(jwks_parse(bad[i], strlen(bad[i]), err,
		    sizeof(err)));
		assert_true(err[0] != '\0');
	}
	/* Each kind of key member alone. */
	k = public_jwk(rsa1, "a", NULL, NULL);
	text = json_dumps(k, JSON_COMPACT);
	assert_int_equal(one_key(text), 1);
	free(text);
	json_object_set_new(k, "key_ops", json_pack("[s]", "encrypt"));
	text = json_dumps(k, JSON_COMPACT);
	assert_int_equal(one_key(text), -1);
	free(text);
	json_object_set_new(k, "key_ops", json_pack("[s,s]", "sign",
	    "verify"));
	text = json_dumps(k, JSON_COMPACT);
	assert_int_equal(one_key(text), 1);
	free(text);
	json_object_set_new(k, "alg", json_string("ES256"));	/* misfit */
	text = json_dumps(k, JSON_COMPACT);
	assert_int_equal(one_key(text), -1);
	free(text);
	json_object_set_new(k, "alg", json_string("RSA-OAEP"));
	text = json_dumps(k, JSON_COMPACT);
	assert_int_equal(one_key(text), -1);
	free(text);
	json_decref(k);
	assert_int_equal(one_key("{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}"), -1);
	assert_int_equal(one_key("{\"kty\":\"RSA\",\"n\":\"AQAB\","
	    "\"e\":\"AQAB\"}"), -1);
	assert_int_equal(one_key("{\"kty\":\"RSA\",\"n\":7,\"e\":\"AQAB\"}"),
	    -1);
	assert_int_equal(one_key("{\"kty\":\"EC\",\"crv\":\"P-256\","
	    "\"x\":\"AAAA\",\"y\":\"AAAA\"}"), -1);
	assert_int_equal(one_key("{\"kty\":\"EC\",\"crv\":\"secp256k1\","
	    "\"x\":\"AAAA\",\"y\":\"AAAA\"}"), -1);
	k = public_jwk(rsa1, NULL, NULL, NULL);
	json_object_set_new(k, "kid", json_array());
	text = json_dumps(k, JSON_COMPACT);
	assert_int_equal(one_key(text), -1);
	free(text);
	json_object_set_new(k, "kid", json_string("ok"));
	json_object_set_new(k, "use", json_integer(1));
	text = json_dumps(k, JSON_COMPACT);
	assert_int_equal(one_key(text), -1);
	free(text);
	json_decref(k);

	/*
	 * Members cjose would choke on (its base64 decoder aborts on some)
	 * or that make no key: each makes the key skipped, nothing more.
	 */
	k = public_jwk(rsa1, NULL, NULL, NULL);
	{
		static const char *const	bad_b64[] = { "", "A", "AB=",
		    "rhHCR=5gJ3Tf", "AQAB=", "AQ AB", "AQ+B", "AQ/B", "AQB",
		    "AQAB\n" };
		static const char *const	bad_e[] = { "AQ", "AAAB", "Ag",
		    "AA", "AAAAAAAAAAAAAAAAAAAAAAAAAQAB" };
		char				*n;

		n = strdup(json_string_value(json_object_get(k, "n")));
		assert_non_null(n);
		for (i = 0; i < sizeof(bad_b64) / sizeof(bad_b64[0]); i++) {
			json_object_set_new(k, "n", json_string(bad_b64[i]));
			text = json_dumps(k, JSON_COMPACT);
			assert_int_equal(one_key(text), -1);
			free(text);
			json_object_set_new(k, "n", json_string(n));
			json_object_set_new(k, "e", json_string(bad_b64[i]));
			text = json_dumps(k, JSON_COMPACT);
			assert_int_equal(one_key(text), -1);
			free(text);
			json_object_set_new(k, "e", json_string("AQAB"));
		}
		free(n);
		text = json_dumps(k, JSON_COMPACT);
		assert_int_equal(one_key(text), 1);
		free(text);
		for (i = 0; i < sizeof(bad_e) / sizeof(bad_e[0]); i++) {
			json_object_set_new(k, "e", json_string(bad_e[i]));
			text = json_dumps(k, JSON_COMPACT);
			assert_int_equal(one_key(text), -1);
			free(text);
		}
		json_object_set_new(k, "e", json_string("AAEAAQ"));
		text = json_dumps(k, JSON_COMPACT);
		assert_int_equal(one_key(text), 1);	/* 65537, leading 0 */
		free(text);
	}
	json_decref(k);
	k = public_jwk(ec1, NULL, NULL, NULL);
	json_object_set_new(k, "x", json_string("AB="));
	text = json_dumps(k, JSON_COMPACT);
	assert_int_equal(one_key(text), -1);
	free(text);
	json_decref(k);
	k = public_jwk(ec1, NULL, NULL, NULL);
	json_object_set_new(k, "crv", json_string("P-384"));
	text = json_dumps(k, JSON_COMPACT);
	assert_int_equal(one_key(text), -1);
	free(text);
	json_decref(k);

	/* More than JWKS_MAX_KEYS members. */
	keys = json_array();
	for (i = 0; i <= JWKS_MAX_KEYS; i++)
		json_array_append_new(keys, public_jwk(ec1, NULL, NULL, NULL));
	doc = json_pack("{s:o}", "keys", keys);
	text = json_dumps(doc, JSON_COMPACT);
	assert_null(jwks_parse(text, strlen(text), err, sizeof(err)));
	assert_non_null(strstr(err, "keys"));
	json_array_remove(keys, 0);
	free(text);
	text = json_dumps(doc, JSON_COMPACT);
	j = jwks_parse(text, strlen(text), err, sizeof(err));
	assert_non_null(j);
	assert_int_equal(jwks_count(j), JWKS_MAX_KEYS);
	jwks_free(j);
	free(text);
	json_decref(doc);

	/* Larger than JWKS_MAX_SIZE. */
	big = malloc(JWKS_MAX_SIZE + 1);
	assert_non_null(big);
	memset(big, ' ', JWKS_MAX_SIZE + 1);
	memcpy(big, jwks_text, strlen(jwks_text));
	assert_null(jwks_parse(big, JWKS_MAX_SIZE + 1, err, sizeof(err)));
	j = jwks_parse(big, JWKS_MAX_SIZE, err, sizeof(err));
	assert_non_null(j);
	jwks_free(j);
	free(big);
	jwks_free(NULL);
	assert_int_equal(jwks_count(NULL), 0);
}

static void
test_private_members_ignored(void **state)
{
	cjose_err	 cerr;
	struct jwks	*saved = ks;
	char		*priv, *doc;

	(void)state;
	/* A provider that publishes its private key still only verifies. */
	priv = cjose_jwk_to_json(ec1, true, &cerr);
	assert_non_null(priv);
	assert_non_null(strstr(priv, "\"d\""));
	doc = xprintf("{\"keys\":[%s]}", priv);
	ks = jwks_parse(doc, strlen(doc), err, sizeof(err));
	assert_non_null(ks);
	assert_reason(check(sign(ec1, "ES256", NULL, claims())), JWT_OK);
	jwks_free(ks);
	ks = saved;
	free(doc);
	free(priv);
}

static void
test_reason_names(void **state)
{
	(void)state;
	assert_string_equal(jwt_reason_name(JWT_OK), "ok");
	assert_string_equal(jwt_reason_name(JWT_MALFORMED), "malformed");
	assert_string_equal(jwt_reason_name(JWT_ALG), "alg");
	assert_string_equal(jwt_reason_name(JWT_KID_UNKNOWN), "kid_unknown");
	assert_string_equal(jwt_reason_name(JWT_SIGNATURE), "signature");
	assert_string_equal(jwt_reason_name(JWT_ISSUER), "issuer");
	assert_string_equal(jwt_reason_name(JWT_AUDIENCE), "audience");
	assert_string_equal(jwt_reason_name(JWT_AZP), "azp");
	assert_string_equal(jwt_reason_name(JWT_EXPIRED), "expired");
	assert_string_equal(jwt_reason_name(JWT_NOT_YET), "not_yet_valid");
	assert_string_equal(jwt_reason_name(JWT_NONCE), "nonce");
	assert_string_equal(jwt_reason_name(JWT_INTERNAL), "internal");
	assert_string_equal(jwt_reason_name(-12), "unknown");
	assert_string_equal(jwt_reason_name(3), "unknown");
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_jwks),
		cmocka_unit_test(test_valid_rs256),
		cmocka_unit_test(test_valid_others),
		cmocka_unit_test(test_alg_none),
		cmocka_unit_test(test_hmac_with_public_key),
		cmocka_unit_test(test_alg_key_mismatch),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_issuer),
		cmocka_unit_test(test_audience),
		cmocka_unit_test(test_azp),
		cmocka_unit_test(test_nonce),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_identity_claims),
		cmocka_unit_test(test_claim_lookup),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_unknown_kid),
		cmocka_unit_test(test_jwks_parse),
		cmocka_unit_test(test_private_members_ignored),
		cmocka_unit_test(test_reason_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
