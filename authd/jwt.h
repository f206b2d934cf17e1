/*
 * ID token (and bearer JWT) validation: a JWS in compact form, checked
 * with cjose against the keys of a JWKS, then its claims against what the
 * caller expects.  Pure: the caller fetches the JWKS, refetches it on
 * JWT_KID_UNKNOWN (rate-limited), and logs the reason.
 *
 * Algorithms: the header's alg must be in the caller's list (from
 * discovery) and in ours (RS256/384/512, PS256/384/512, ES256/384/512),
 * and the key must fit it: RSA for RS and PS, EC on P-256, P-384 or P-521
 * for ES256, ES384 and ES512.  "none" and HMAC never pass, whatever the
 * lists say, so a public key can never be used as an HMAC secret.  Keys
 * come only from the JWKS: jku, x5u and jwk headers are ignored, and any
 * crit header is refused.
 */
#ifndef GH_JWT_H
#define GH_JWT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#define JWT_MAX_SIZE		(16 * 1024)	/* compact token */
#define JWKS_MAX_SIZE		(256 * 1024)	/* JWKS document */
#define JWKS_MAX_KEYS		64		/* entries in "keys" */
#define JWT_RSA_MIN_BITS	2048		/* smaller RSA keys are skipped */
#define JWT_SKEW_DEFAULT	60		/* seconds of clock skew */
#define JWT_CLAIM_STRINGS_MAX	1024		/* strings from one claim */

/* Why a token was refused; 0 is valid. */
#define JWT_OK			 0
#define JWT_MALFORMED		-1	/* not a JWS, bad JSON, claim missing */
#define JWT_ALG			-2	/* alg not allowed, or not the key's */
#define JWT_KID_UNKNOWN		-3	/* no key in the JWKS for it */
#define JWT_SIGNATURE		-4
#define JWT_ISSUER		-5
#define JWT_AUDIENCE		-6
#define JWT_AZP			-7
#define JWT_EXPIRED		-8
#define JWT_NOT_YET		-9	/* nbf or iat in the future */
#define JWT_NONCE		-10
#define JWT_INTERNAL		-11	/* out of memory */

struct jwks;

struct jwt_expect {
	const char	 *issuer;		/* NULL: not checked
						   (insecure_oidc_skip_
						   issuer_verification) */
	const char	 *client_id;
	char *const	 *extra_audiences;	/* oidc_extra_audiences */
	size_t		  nextra_audiences;
	const char	 *nonce;		/* NULL: not checked
						   (insecure_oidc_skip_nonce) */
	char *const	 *algs;			/* from discovery; NULL: RS256 */
	size_t		  nalgs;
	time_t		  now;
	int		  skew;			/* seconds, e.g. JWT_SKEW_DEFAULT */
};

/*
 * A valid token's claims.  The strings point into raw and live as long as
 * it; absent claims (or ones of another type) are NULL.
 */
struct jwt_claims {
	json_t		 *raw;			/* the payload object */
	const char	 *sub;
	const char	 *email;
	int		  email_verified;	/* 1, 0, or -1 when absent */
	const char	 *preferred_username;
	const char	 *name;
	const char	**groups;		/* "groups": a string or an
						   array of strings */
	size_t		  ngroups;
	const char	 *iss;
	const char	 *aud;			/* the first audience */
	const char	 *azp;
	const char	 *nonce;
	int64_t		  exp;
	int64_t		  iat;
	int64_t		  nbf;			/* 0 when absent */
};

/*
 * Parses a JWKS document.  Kept: RSA (at least JWT_RSA_MIN_BITS) and EC
 * (P-256, P-384, P-521) public keys whose use, when given, is "sig" and
 * whose key_ops, when given, include "verify", with their kid and alg.
 * Skipped: symmetric ("oct") keys always, other key types, and keys that
 * do not import: members that are not canonical base64url, an RSA modulus
 * over 8192 bits, an exponent that is even or below 3, a point off its
 * curve.  Private members are never read.  Returns NULL with err
 * set when the document is not a JWKS, is larger than JWKS_MAX_SIZE, has
 * more than JWKS_MAX_KEYS keys, or has no usable key.
 */
struct jwks	*jwks_parse(const char *json, size_t len, char *err,
		    size_t errlen);
void		 jwks_free(struct jwks *);
size_t		 jwks_count(const struct jwks *);	/* usable keys */

/*
 * Verifies token (NUL-terminated compact JWS) and its claims; fills *out
 * on success, which the caller releases with jwt_claims_free.  Returns
 * JWT_OK or a negative reason, with err saying what exactly.
 *
 * A header with a kid tries the JWKS keys with that kid; without one,
 * every key of the algorithm's type.  No candidate: JWT_KID_UNKNOWN.
 * aud (a string or an array) must contain client_id or an extra audience;
 * with several audiences, an azp claim must equal client_id (OIDC Core
 * 3.1.3.7).  exp and iat are required: exp + skew must be after now, and
 * iat and nbf (when present) no later than now + skew.  iss and sub are
 * required strings; iss must equal the expected issuer unless that is
 * NULL.  The nonce is compared in constant time.
 */
int	jwt_verify_id_token(const struct jwks *, const char *token,
	    const struct jwt_expect *, struct jwt_claims *out, char *err,
	    size_t errlen);
void	jwt_claims_free(struct jwt_claims *);

/* "signature", "expired", ... for logs and metrics. */
const char	*jwt_reason_name(int);

/*
 * Claims by name (oidc_email_claim, oidc_groups_claim, user_id_claim):
 * the name as one key first, then as a dotted path through nested objects
 * ("realm_access.roles"), as oauth2-proxy looks them up.
 */
const json_t	*jwt_claim(const struct jwt_claims *, const char *dotted);

/* The claim as a string, or NULL when absent or not a string. */
const char	*jwt_claim_string(const struct jwt_claims *, const char *dotted);

/*
 * The claim as a list of new strings: a string is one, an array gives its
 * string elements (others skipped, at most JWT_CLAIM_STRINGS_MAX).
 * Returns 0 (*n may be 0), 1 when the claim is absent or neither a
 * string nor an array (*out NULL, *n 0), or -1 when out of memory.
 * Free with jwt_strings_free.
 */
int	jwt_claim_strings(const struct jwt_claims *, const char *dotted,
	    char ***out, size_t *n);
void	jwt_strings_free(char **, size_t);

#endif /* GH_JWT_H */
