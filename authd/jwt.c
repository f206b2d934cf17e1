/*
 * ID token validation with cjose.  cjose 0.6 checks little on its own
 * (it would run HMAC over an RSA key's memory, and splits any ECDSA
 * signature in two), so everything it could be fooled by is decided here
 * first: the compact form, strict base64url, the header, the algorithm
 * against the key's type and curve, and the signature's length.  cjose
 * then only checks the signature; the claims are ours again.
 */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjose/cjose.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "b64.h"
#include "jwt.h"

#define KID_MAX		256		/* a kid we keep */
#define CLAIM_PATH_MAX	256		/* a dotted claim name */
#define QUOTE_MAX	64		/* token text quoted in errors */
#define NUMERIC_MAX	((double)(1LL << 53))	/* NumericDate range */
#define JWK_RSA_N_MAX	1366		/* base64url of an 8192-bit modulus */
#define JWK_RSA_E_MAX	12		/* base64url of a 64-bit exponent */
#define JWK_EC_COORD_MAX	88	/* base64url of a P-521 coordinate */

struct jwk_entry {
	cjose_jwk_t	*jwk;
	char		*kid;		/* NULL when the JWK has none */
	char		*alg;		/* NULL when the JWK has none */
	cjose_jwk_kty_t	 kty;
	int		 crv;		/* EC: the curve's NID */
	size_t		 siglen;	/* bytes of a signature by this key */
};

struct jwks {
	struct jwk_entry	k[JWKS_MAX_KEYS];
	size_t			n;
};

/* The algorithms we verify, and the key each needs. */
struct alg_info {
	const char	*name;
	cjose_jwk_kty_t	 kty;
	int		 crv;		/* EC only */
};

static const struct alg_info	alg_table[] = {
	{ "RS256", CJOSE_JWK_KTY_RSA, 0 },
	{ "RS384", CJOSE_JWK_KTY_RSA, 0 },
	{ "RS512", CJOSE_JWK_KTY_RSA, 0 },
	{ "PS256", CJOSE_JWK_KTY_RSA, 0 },
	{ "PS384", CJOSE_JWK_KTY_RSA, 0 },
	{ "PS512", CJOSE_JWK_KTY_RSA, 0 },
	{ "ES256", CJOSE_JWK_KTY_EC, CJOSE_JWK_EC_P_256 },
	{ "ES384", CJOSE_JWK_KTY_EC, CJOSE_JWK_EC_P_384 },
	{ "ES512", CJOSE_JWK_KTY_EC, CJOSE_JWK_EC_P_521 },
};

static char *const	default_algs[] = { "RS256" };

/* A token split into its three parts, decoded. */
struct jws_parts {
	unsigned char	*hdr, *payload, *sig;
	size_t		 hdrlen, payloadlen, siglen;
	json_t		*header;
	const char	*alg, *kid;
};

static int __attribute__((format(printf, 4, 5)))
jwt_error(int reason, char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return reason;
}

/* s cut short and with anything unprintable as '?', for messages. */
static const char *
quote(const char *s, char *buf, size_t len)
{
	size_t	i;

	if (s == NULL)
		return "(none)";
	for (i = 0; s[i] != '\0' && i < len - 1; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

const char *
jwt_reason_name(int reason)
{
	static const char *const	names[] = {
		"ok", "malformed", "alg", "kid_unknown", "signature",
		"issuer", "audience", "azp", "expired", "not_yet_valid",
		"nonce", "internal",
	};

	if (reason > 0 || -reason >= (int)(sizeof(names) / sizeof(names[0])))
		return "unknown";
	return names[-reason];
}

static const struct alg_info *
alg_lookup(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(alg_table) / sizeof(alg_table[0]); i++)
		if (strcmp(name, alg_table[i].name) == 0)
			return &alg_table[i];
	return NULL;
}

/* --- base64url -------------------------------------------------------- */

/*
 * Whether s[0..n) is canonical unpadded base64url: nothing but the
 * alphabet, a possible length, and the unused bits of the last
 * character zero.  cjose's own decoder aborts the process on some bad
 * input, so nothing reaches it unchecked.
 */
static int
b64u_canonical(const char *s, size_t n)
{
	size_t	i;

	if (n % 4 == 1)
		return 0;
	for (i = 0; i < n; i++)
		if (b64_digit((unsigned char)s[i], 1) == -1)
			return 0;
	if (n % 4 == 0)
		return 1;
	return (b64_digit((unsigned char)s[n - 1], 1) &
	    (n % 4 == 2 ? 0x0f : 0x03)) == 0;
}

/*
 * Decodes s[0..n), unpadded base64url (RFC 7515, section 2), into a new
 * buffer.  Strict: no padding, no other characters, and the unused bits
 * of the last character zero, so each value has one encoding.
 */
static int
b64u_decode(const char *s, size_t n, unsigned char **out, size_t *outlen)
{
	unsigned char	*o;
	unsigned int	 acc = 0;
	size_t		 i, k = 0;
	int		 v, bits = 0;

	*out = NULL;
	if (n % 4 == 1)
		return -1;
	if ((o = malloc(n / 4 * 3 + 3)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if ((v = b64_digit((unsigned char)s[i], 1)) == -1)
			goto bad;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[k++] = (acc >> bits) & 0xff;
		}
	}
	if ((acc & ((1U << bits) - 1)) != 0)
		goto bad;
	*out = o;
	*outlen = k;
	return 0;
 bad:
	free(o);
	return -1;
}

/* --- JWKS -------------------------------------------------------------- */

/* Whether a JWK's use and key_ops allow verifying signatures. */
static int
jwk_for_signatures(json_t *k)
{
	json_t	*v, *e;
	size_t	 i;

	v = json_object_get(k, "use");
	if (v != NULL && (!json_is_string(v) ||
	    strcmp(json_string_value(v), "sig") != 0))
		return 0;
	if ((v = json_object_get(k, "key_ops")) == NULL)
		return 1;
	if (!json_is_array(v))
		return 0;
	json_array_foreach(v, i, e)
		if (json_is_string(e) &&
		    strcmp(json_string_value(e), "verify") == 0)
			return 1;
	return 0;
}

/* A base64url member of a JWK, 1 to max characters, canonical. */
static int
jwk_b64u_member(json_t *k, const char *name, size_t max)
{
	json_t	*v;
	size_t	 n;

	if ((v = json_object_get(k, name)) == NULL || !json_is_string(v))
		return 0;
	n = json_string_length(v);
	return n > 0 && n <= max && b64u_canonical(json_string_value(v), n);
}

/* An RSA public exponent: odd and at least 3 (e = 1 signs anything). */
static int
jwk_rsa_exponent_ok(json_t *k)
{
	unsigned char	*e;
	size_t		 len, i;
	int		 ok = 0;

	if (b64u_decode(json_string_value(json_object_get(k, "e")),
	    json_string_length(json_object_get(k, "e")), &e, &len) == -1)
		return 0;
	for (i = 0; i < len; i++)
		if (e[i] != 0 && (i + 1 < len || e[i] > 1))
			ok = 1;
	ok = ok && len > 0 && (e[len - 1] & 1);
	free(e);
	return ok;
}

/* The members cjose reads, checked before it sees them. */
static int
jwk_members_ok(json_t *k, const char *kty)
{
	const char	*crv;

	if (strcmp(kty, "RSA") == 0)
		return jwk_b64u_member(k, "n", JWK_RSA_N_MAX) &&
		    jwk_b64u_member(k, "e", JWK_RSA_E_MAX) &&
		    jwk_rsa_exponent_ok(k);
	crv = json_string_value(json_object_get(k, "crv"));
	if (crv == NULL || (strcmp(crv, "P-256") != 0 &&
	    strcmp(crv, "P-384") != 0 && strcmp(crv, "P-521") != 0))
		return 0;
	return jwk_b64u_member(k, "x", JWK_EC_COORD_MAX) &&
	    jwk_b64u_member(k, "y", JWK_EC_COORD_MAX);
}

/*
 * The public members of an RSA or EC JWK, checked and copied into a new
 * object, so that cjose never sees private members or anything else.
 */
static json_t *
jwk_public_members(json_t *k, const char *kty)
{
	static const char *const	rsa[] = { "n", "e", NULL };
	static const char *const	ec[] = { "crv", "x", "y", NULL };
	const char *const		*m;
	json_t				*o;

	if (!jwk_members_ok(k, kty))
		return NULL;
	m = strcmp(kty, "RSA") == 0 ? rsa : ec;
	if ((o = json_object()) == NULL)
		return NULL;
	if (json_object_set_new(o, "kty", json_string(kty)) == -1)
		goto bad;
	for (; *m != NULL; m++)
		if (json_object_set(o, *m, json_object_get(k, *m)) == -1)
			goto bad;
	return o;
 bad:
	json_decref(o);
	return NULL;
}

/* The bytes of a signature by e's key; 0 when the key is unusable. */
static size_t
jwk_siglen(struct jwk_entry *e)
{
	cjose_err	cerr;
	size_t		bits;

	bits = cjose_jwk_get_keysize(e->jwk, &cerr);
	if (e->kty == CJOSE_JWK_KTY_RSA)
		return bits >= JWT_RSA_MIN_BITS ? (bits + 7) / 8 : 0;
	e->crv = cjose_jwk_EC_get_curve(e->jwk, &cerr);
	switch (e->crv) {
	case CJOSE_JWK_EC_P_256:
		return 2 * 32;
	case CJOSE_JWK_EC_P_384:
		return 2 * 48;
	case CJOSE_JWK_EC_P_521:
		return 2 * 66;
	default:
		return 0;
	}
}

/* kid and alg, when present, must be strings; alg one that fits. */
static int
jwk_names(json_t *k, struct jwk_entry *e)
{
	const struct alg_info	*ai;
	json_t			*kid, *alg;

	kid = json_object_get(k, "kid");
	alg = json_object_get(k, "alg");
	if ((kid != NULL && (!json_is_string(kid) ||
	    json_string_length(kid) > KID_MAX)) ||
	    (alg != NULL && !json_is_string(alg)))
		return -1;
	if (alg != NULL) {
		ai = alg_lookup(json_string_value(alg));
		if (ai == NULL || ai->kty != e->kty ||
		    (ai->kty == CJOSE_JWK_KTY_EC && ai->crv != e->crv))
			return -1;
		if ((e->alg = strdup(ai->name)) == NULL)
			return -1;
	}
	if (kid != NULL && (e->kid = strdup(json_string_value(kid))) == NULL)
		return -1;
	return 0;
}

static void
jwk_entry_clear(struct jwk_entry *e)
{
	if (e->jwk != NULL)
		cjose_jwk_release(e->jwk);
	free(e->kid);
	free(e->alg);
	memset(e, 0, sizeof(*e));
}

/* One JWKS member into e; -1 when it is skipped. */
static int
jwk_load(json_t *k, struct jwk_entry *e)
{
	cjose_err	 cerr;
	json_t		*kty, *pub;
	const char	*t;

	memset(e, 0, sizeof(*e));
	if (!json_is_object(k) || !jwk_for_signatures(k))
		return -1;
	if ((kty = json_object_get(k, "kty")) == NULL || !json_is_string(kty))
		return -1;
	t = json_string_value(kty);
	if (strcmp(t, "RSA") == 0)
		e->kty = CJOSE_JWK_KTY_RSA;
	else if (strcmp(t, "EC") == 0)
		e->kty = CJOSE_JWK_KTY_EC;
	else
		return -1;	/* "oct" above all: never a verification key */
	if ((pub = jwk_public_members(k, t)) == NULL)
		return -1;
	e->jwk = cjose_jwk_import_json(pub, &cerr);
	json_decref(pub);
	if (e->jwk == NULL || (e->siglen = jwk_siglen(e)) == 0 ||
	    jwk_names(k, e) == -1) {
		jwk_entry_clear(e);
		return -1;
	}
	return 0;
}

struct jwks *
jwks_parse(const char *json, size_t len, char *err, size_t errlen)
{
	json_error_t	 jerr;
	struct jwks	*ks;
	json_t		*doc, *keys, *k;
	size_t		 i;

	if (len > JWKS_MAX_SIZE) {
		jwt_error(0, err, errlen, "jwks: %zu bytes, more than %d",
		    len, JWKS_MAX_SIZE);
		return NULL;
	}
	if ((doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL) {
		jwt_error(0, err, errlen, "jwks: not JSON: %s (line %d, "
		    "column %d)", jerr.text, jerr.line, jerr.column);
		return NULL;
	}
	keys = json_object_get(doc, "keys");
	if (!json_is_object(doc) || keys == NULL || !json_is_array(keys)) {
		jwt_error(0, err, errlen, "jwks: no \"keys\" array");
		goto fail;
	}
	if (json_array_size(keys) > JWKS_MAX_KEYS) {
		jwt_error(0, err, errlen, "jwks: %zu keys, more than %d",
		    json_array_size(keys), JWKS_MAX_KEYS);
		goto fail;
	}
	if ((ks = calloc(1, sizeof(*ks))) == NULL) {
		jwt_error(0, err, errlen, "jwks: out of memory");
		goto fail;
	}
	json_array_foreach(keys, i, k)
		if (jwk_load(k, &ks->k[ks->n]) == 0)
			ks->n++;
	json_decref(doc);
	if (ks->n == 0) {
		jwt_error(0, err, errlen, "jwks: no usable key (RSA of %d "
		    "bits or more, or EC P-256/384/521, for signatures)",
		    JWT_RSA_MIN_BITS);
		jwks_free(ks);
		return NULL;
	}
	return ks;
 fail:
	json_decref(doc);
	return NULL;
}

void
jwks_free(struct jwks *ks)
{
	size_t	i;

	if (ks == NULL)
		return;
	for (i = 0; i < ks->n; i++)
		jwk_entry_clear(&ks->k[i]);
	free(ks);
}

size_t
jwks_count(const struct jwks *ks)
{
	return ks != NULL ? ks->n : 0;
}

/* --- the compact form and the header -------------------------------- */

static void
parts_free(struct jws_parts *p)
{
	free(p->hdr);
	free(p->payload);
	free(p->sig);
	json_decref(p->header);
	memset(p, 0, sizeof(*p));
}

/* Splits and decodes header.payload.signature. */
static int
parts_split(const char *token, size_t len, struct jws_parts *p, char *err,
    size_t errlen)
{
	const char	*d1, *d2;

	if ((d1 = memchr(token, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token))) ==
	    NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)) !=
	    NULL)
		return jwt_error(JWT_MALFORMED, err, errlen,
		    "token: not three dot-separated parts");
	if (d1 == token || d2 == d1 + 1)
		return jwt_error(JWT_MALFORMED, err, errlen,
		    "token: empty header or payload");
	if (b64u_decode(token, (size_t)(d1 - token), &p->hdr,
	    &p->hdrlen) == -1 ||
	    b64u_decode(d1 + 1, (size_t)(d2 - d1 - 1), &p->payload,
	    &p->payloadlen) == -1 ||
	    b64u_decode(d2 + 1, len - (size_t)(d2 + 1 - token), &p->sig,
	    &p->siglen) == -1)
		return jwt_error(JWT_MALFORMED, err, errlen,
		    "token: bad base64url");
	return JWT_OK;
}

/* The protected header: alg (a string), kid (a string if any), no crit. */
static int
parts_header(struct jws_parts *p, char *err, size_t errlen)
{
	json_t	*alg, *kid;

	p->header = json_loadb((const char *)p->hdr, p->hdrlen,
	    JSON_REJECT_DUPLICATES, NULL);
	if (p->header == NULL || !json_is_object(p->header))
		return jwt_error(JWT_MALFORMED, err, errlen,
		    "header: not a JSON object");
	if ((alg = json_object_get(p->header, "alg")) == NULL ||
	    !json_is_string(alg))
		return jwt_error(JWT_MALFORMED, err, errlen,
		    "header: alg missing or not a string");
	kid = json_object_get(p->header, "kid");
	if (kid != NULL && !json_is_string(kid))
		return jwt_error(JWT_MALFORMED, err, errlen,
		    "header: kid not a string");
	/* RFC 7515, section 4.1.11: we understand no extension. */
	if (json_object_get(p->header, "crit") != NULL)
		return jwt_error(JWT_MALFORMED, err, errlen,
		    "header: crit extensions are not supported");
	p->alg = json_string_value(alg);
	p->kid = kid != NULL ? json_string_value(kid) : NULL;
	return JWT_OK;
}

/* The header's alg, when both lists allow it. */
static const struct alg_info *
alg_allowed(const char *alg, const struct jwt_expect *x)
{
	const struct alg_info	*ai;
	char *const		*algs = x->algs;
	size_t			 i, n = x->nalgs;

	if ((ai = alg_lookup(alg)) == NULL)
		return NULL;
	if (algs == NULL || n == 0) {
		algs = default_algs;
		n = 1;
	}
	for (i = 0; i < n; i++)
		if (algs[i] != NULL && strcmp(algs[i], alg) == 0)
			return ai;
	return NULL;
}

/* --- signature ------------------------------------------------------- */

static int
key_fits(const struct jwk_entry *e, const struct alg_info *ai)
{
	if (e->kty != ai->kty)
		return 0;
	if (ai->kty == CJOSE_JWK_KTY_EC && e->crv != ai->crv)
		return 0;
	return e->alg == NULL || strcmp(e->alg, ai->name) == 0;
}

/* Whether e's key verifies token; a fresh import each time. */
static int
key_verifies(const struct jwk_entry *e, const char *token, size_t len,
    const struct jws_parts *p)
{
	cjose_err	 cerr;
	cjose_jws_t	*jws;
	int		 ok;

	if (p->siglen != e->siglen)
		return 0;
	if ((jws = cjose_jws_import(token, len, &cerr)) == NULL)
		return 0;
	ok = cjose_jws_verify(jws, e->jwk, &cerr);
	cjose_jws_release(jws);
	return ok;
}

static int
verify_signature(const struct jwks *ks, const char *token, size_t len,
    const struct jws_parts *p, const struct alg_info *ai, char *err,
    size_t errlen)
{
	char	q[QUOTE_MAX];
	size_t	i, named = 0, tried = 0;

	for (i = 0; ks != NULL && i < ks->n; i++) {
		if (p->kid != NULL && (ks->k[i].kid == NULL ||
		    strcmp(p->kid, ks->k[i].kid) != 0))
			continue;
		named++;
		if (!key_fits(&ks->k[i], ai))
			continue;
		tried++;
		if (key_verifies(&ks->k[i], token, len, p))
			return JWT_OK;
	}
	if (p->kid != NULL && named == 0)
		return jwt_error(JWT_KID_UNKNOWN, err, errlen,
		    "header: kid \"%s\" is not in the JWKS",
		    quote(p->kid, q, sizeof(q)));
	if (tried == 0 && p->kid != NULL)
		return jwt_error(JWT_ALG, err, errlen, "header: alg %s does "
		    "not fit key \"%s\"", ai->name,
		    quote(p->kid, q, sizeof(q)));
	if (tried == 0)
		return jwt_error(JWT_KID_UNKNOWN, err, errlen,
		    "header: no kid, and no key in the JWKS for alg %s",
		    ai->name);
	return jwt_error(JWT_SIGNATURE, err, errlen,
	    "signature: does not verify (alg %s, %zu key%s tried)", ai->name,
	    tried, tried == 1 ? "" : "s");
}

/* --- claims ------------------------------------------------------------ */

/* A NumericDate claim: 0, 1 when absent, -1 when not a sane number. */
static int
claim_time(json_t *o, const char *name, int64_t *out)
{
	json_t	*v;
	double	 d;

	*out = 0;
	if ((v = json_object_get(o, name)) == NULL)
		return 1;
	if (json_is_integer(v)) {
		if (json_integer_value(v) > (json_int_t)NUMERIC_MAX ||
		    json_integer_value(v) < -(json_int_t)NUMERIC_MAX)
			return -1;
		*out = (int64_t)json_integer_value(v);
		return 0;
	}
	if (!json_is_real(v))
		return -1;
	d = json_real_value(v);
	if (!isfinite(d) || d > NUMERIC_MAX || d < -NUMERIC_MAX)
		return -1;
	*out = (int64_t)d;		/* fractions of a second dropped */
	return 0;
}

static const char *
claim_str(json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

static int
check_issuer(const struct jwt_claims *c, const struct jwt_expect *x,
    char *err, size_t errlen)
{
	char	q[QUOTE_MAX];

	if (json_object_get(c->raw, "iss") != NULL && c->iss == NULL)
		return jwt_error(JWT_ISSUER, err, errlen,
		    "iss: not a string");
	if (x->issuer == NULL)
		return JWT_OK;
	if (c->iss == NULL)
		return jwt_error(JWT_ISSUER, err, errlen, "iss: missing");
	if (strcmp(c->iss, x->issuer) != 0)
		return jwt_error(JWT_ISSUER, err, errlen, "iss: \"%s\" is not "
		    "the expected issuer", quote(c->iss, q, sizeof(q)));
	return JWT_OK;
}

static int
audience_ok(const char *aud, const struct jwt_expect *x)
{
	size_t	i;

	if (x->client_id != NULL && strcmp(aud, x->client_id) == 0)
		return 1;
	for (i = 0; i < x->nextra_audiences; i++)
		if (x->extra_audiences[i] != NULL &&
		    strcmp(aud, x->extra_audiences[i]) == 0)
			return 1;
	return 0;
}

/* aud and, with several audiences, azp. */
static int
check_audience(struct jwt_claims *c, const struct jwt_expect *x, char *err,
    size_t errlen)
{
	char	 q[QUOTE_MAX];
	json_t	*aud, *e;
	size_t	 i, n;
	int	 match = 0;

	aud = json_object_get(c->raw, "aud");
	if (json_is_string(aud)) {
		c->aud = json_string_value(aud);
		match = audience_ok(c->aud, x);
		n = 1;
	} else if (json_is_array(aud) && json_array_size(aud) > 0) {
		json_array_foreach(aud, i, e) {
			if (!json_is_string(e))
				return jwt_error(JWT_AUDIENCE, err, errlen,
				    "aud: element %zu not a string", i);
			match |= audience_ok(json_string_value(e), x);
		}
		c->aud = json_string_value(json_array_get(aud, 0));
		n = json_array_size(aud);
	} else
		return jwt_error(JWT_AUDIENCE, err, errlen,
		    "aud: missing, empty, or not a string or array");
	if (!match)
		return jwt_error(JWT_AUDIENCE, err, errlen, "aud: neither the "
		    "client id nor an extra audience (first: \"%s\")",
		    quote(c->aud, q, sizeof(q)));
	if (json_object_get(c->raw, "azp") != NULL && c->azp == NULL)
		return jwt_error(JWT_AZP, err, errlen, "azp: not a string");
	if (n > 1 && c->azp != NULL && (x->client_id == NULL ||
	    strcmp(c->azp, x->client_id) != 0))
		return jwt_error(JWT_AZP, err, errlen, "azp: \"%s\" is not "
		    "the client id", quote(c->azp, q, sizeof(q)));
	return JWT_OK;
}

/* exp, iat and nbf against now, each with the allowed skew. */
static int
check_times(struct jwt_claims *c, const struct jwt_expect *x, char *err,
    size_t errlen)
{
	int64_t	now = (int64_t)x->now;
	int64_t	skew = x->skew > 0 ? x->skew : 0;
	int	r;

	if (claim_time(c->raw, "exp", &c->exp) != 0)
		return jwt_error(JWT_MALFORMED, err, errlen,
		    "exp: missing or not a number");
	if (claim_time(c->raw, "iat", &c->iat) != 0)
		return jwt_error(JWT_MALFORMED, err, errlen,
		    "iat: missing or not a number");
	if ((r = claim_time(c->raw, "nbf", &c->nbf)) == -1)
		return jwt_error(JWT_MALFORMED, err, errlen,
		    "nbf: not a number");
	if (c->exp + skew <= now)
		return jwt_error(JWT_EXPIRED, err, errlen, "exp: expired "
		    "%lld s ago", (long long)(now - c->exp));
	if (c->iat > now + skew)
		return jwt_error(JWT_NOT_YET, err, errlen, "iat: %lld s in "
		    "the future", (long long)(c->iat - now));
	if (r == 0 && c->nbf > now + skew)
		return jwt_error(JWT_NOT_YET, err, errlen, "nbf: %lld s in "
		    "the future", (long long)(c->nbf - now));
	return JWT_OK;
}

static int
check_nonce(const struct jwt_claims *c, const struct jwt_expect *x,
    char *err, size_t errlen)
{
	size_t	n;

	if (x->nonce == NULL)
		return JWT_OK;
	if (c->nonce == NULL)
		return jwt_error(JWT_NONCE, err, errlen,
		    "nonce: missing or not a string");
	n = strlen(x->nonce);
	if (strlen(c->nonce) != n || CRYPTO_memcmp(c->nonce, x->nonce, n) != 0)
		return jwt_error(JWT_NONCE, err, errlen,
		    "nonce: not the one of this login");
	return JWT_OK;
}

/* email_verified: a boolean, or the strings some providers send. */
static int
claim_email_verified(json_t *o)
{
	json_t	*v;

	if ((v = json_object_get(o, "email_verified")) == NULL)
		return -1;
	if (json_is_boolean(v))
		return json_is_true(v);
	if (json_is_string(v))
		return strcmp(json_string_value(v), "true") == 0;
	return 0;
}

/* "groups": one string or an array; the array of pointers is ours. */
static int
claim_groups(struct jwt_claims *c)
{
	json_t	*v, *e;
	size_t	 i;

	if ((v = json_object_get(c->raw, "groups")) == NULL)
		return 0;
	if (json_is_string(v)) {
		if ((c->groups = calloc(1, sizeof(*c->groups))) == NULL)
			return -1;
		c->groups[c->ngroups++] = json_string_value(v);
		return 0;
	}
	if (!json_is_array(v) || json_array_size(v) == 0)
		return 0;
	c->groups = calloc(json_array_size(v), sizeof(*c->groups));
	if (c->groups == NULL)
		return -1;
	json_array_foreach(v, i, e)
		if (json_is_string(e) && c->ngroups < JWT_CLAIM_STRINGS_MAX)
			c->groups[c->ngroups++] = json_string_value(e);
	return 0;
}

static void
claims_fill(struct jwt_claims *c)
{
	c->sub = claim_str(c->raw, "sub");
	c->email = claim_str(c->raw, "email");
	c->email_verified = claim_email_verified(c->raw);
	c->preferred_username = claim_str(c->raw, "preferred_username");
	c->name = claim_str(c->raw, "name");
	c->iss = claim_str(c->raw, "iss");
	c->azp = claim_str(c->raw, "azp");
	c->nonce = claim_str(c->raw, "nonce");
}

static int
check_claims(struct jwt_claims *c, const struct jwt_expect *x, char *err,
    size_t errlen)
{
	int	r;

	claims_fill(c);
	if (c->sub == NULL || c->sub[0] == '\0')
		return jwt_error(JWT_MALFORMED, err, errlen,
		    "sub: missing or not a string");
	if ((r = check_issuer(c, x, err, errlen)) != JWT_OK ||
	    (r = check_audience(c, x, err, errlen)) != JWT_OK ||
	    (r = check_times(c, x, err, errlen)) != JWT_OK ||
	    (r = check_nonce(c, x, err, errlen)) != JWT_OK)
		return r;
	if (claim_groups(c) == -1)
		return jwt_error(JWT_INTERNAL, err, errlen,
		    "groups: out of memory");
	return JWT_OK;
}

/* --- verification ------------------------------------------------------ */

/* Everything before the claims: form, header, algorithm, signature. */
static int
verify_jws(const struct jwks *ks, const char *token, size_t len,
    const struct jwt_expect *x, struct jws_parts *p, char *err,
    size_t errlen)
{
	const struct alg_info	*ai;
	char			 q[QUOTE_MAX];
	int			 r;

	if ((r = parts_split(token, len, p, err, errlen)) != JWT_OK ||
	    (r = parts_header(p, err, errlen)) != JWT_OK)
		return r;
	if ((ai = alg_allowed(p->alg, x)) == NULL)
		return jwt_error(JWT_ALG, err, errlen, "header: alg \"%s\" is "
		    "not allowed", quote(p->alg, q, sizeof(q)));
	return verify_signature(ks, token, len, p, ai, err, errlen);
}

int
jwt_verify_id_token(const struct jwks *ks, const char *token,
    const struct jwt_expect *x, struct jwt_claims *out, char *err,
    size_t errlen)
{
	struct jws_parts	p;
	size_t			len;
	int			r;

	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	if (x == NULL)
		return jwt_error(JWT_INTERNAL, err, errlen,
		    "nothing to check the token against");
	if (token == NULL || (len = strnlen(token, JWT_MAX_SIZE + 1)) >
	    JWT_MAX_SIZE)
		return jwt_error(JWT_MALFORMED, err, errlen,
		    "token: missing or longer than %d bytes", JWT_MAX_SIZE);
	if ((r = verify_jws(ks, token, len, x, &p, err, errlen)) != JWT_OK)
		goto done;
	out->raw = json_loadb((const char *)p.payload, p.payloadlen,
	    JSON_REJECT_DUPLICATES, NULL);
	if (out->raw == NULL || !json_is_object(out->raw)) {
		r = jwt_error(JWT_MALFORMED, err, errlen,
		    "payload: not a JSON object");
		goto done;
	}
	r = check_claims(out, x, err, errlen);
 done:
	parts_free(&p);
	if (r != JWT_OK)
		jwt_claims_free(out);
	return r;
}

void
jwt_claims_free(struct jwt_claims *c)
{
	json_decref(c->raw);
	free(c->groups);
	memset(c, 0, sizeof(*c));
}

/* --- claims by name ---------------------------------------------------- */

const json_t *
jwt_claim(const struct jwt_claims *c, const char *dotted)
{
	json_t		*v;
	const char	*s, *dot;

	if (c->raw == NULL || dotted == NULL)
		return NULL;
	if ((v = json_object_get(c->raw, dotted)) != NULL)
		return v;
	if (strlen(dotted) > CLAIM_PATH_MAX || strchr(dotted, '.') == NULL)
		return NULL;
	v = c->raw;
	for (s = dotted; v != NULL; s = dot + 1) {
		dot = strchr(s, '.');
		if (dot == NULL)
			return json_object_get(v, s);
		if (dot == s)
			return NULL;
		v = json_object_getn(v, s, (size_t)(dot - s));
	}
	return NULL;
}

const char *
jwt_claim_string(const struct jwt_claims *c, const char *dotted)
{
	return json_string_value(jwt_claim(c, dotted));
}

void
jwt_strings_free(char **v, size_t n)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int
jwt_claim_strings(const struct jwt_claims *c, const char *dotted,
    char ***out, size_t *n)
{
	const json_t	*v, *e;
	size_t		 i, cap;

	*out = NULL;
	*n = 0;
	v = jwt_claim(c, dotted);
	if (!json_is_string(v) && !json_is_array(v))
		return 1;
	cap = json_is_string(v) ? 1 : json_array_size(v);
	if (cap > JWT_CLAIM_STRINGS_MAX)
		cap = JWT_CLAIM_STRINGS_MAX;
	if (cap == 0)
		return 0;
	if ((*out = calloc(cap, sizeof(**out))) == NULL)
		return -1;
	for (i = 0; *n < cap && i < (json_is_string(v) ? 1 :
	    json_array_size(v)); i++) {
		e = json_is_string(v) ? v : json_array_get(v, i);
		if (!json_is_string(e))
			continue;
		if (((*out)[*n] = strdup(json_string_value(e))) == NULL) {
			jwt_strings_free(*out, *n);
			*out = NULL;
			*n = 0;
			return -1;
		}
		(*n)++;
	}
	return 0;
}
