/*
 * OpenID Provider metadata: the JSON document served at
 * <issuer>/.well-known/openid-configuration (OpenID Connect Discovery 1.0,
 * section 3), parsed and checked into what authd needs.  Pure: the caller
 * fetches the document and decides what to do with an error.
 *
 * Endpoints must pass idp_url_ok (common/idp_url.h).
 */
#ifndef GH_DISCOVERY_H
#define GH_DISCOVERY_H

#include <stddef.h>

#define DISCOVERY_MAX_SIZE	(256 * 1024)	/* the whole document */
#define DISCOVERY_ALGS_MAX	16		/* algorithms we keep */

struct oidc_discovery {
	char	 *issuer;
	char	 *authorization_endpoint;
	char	 *token_endpoint;
	char	 *userinfo_endpoint;		/* NULL when not advertised */
	char	 *jwks_uri;
	char	 *end_session_endpoint;		/* NULL when not advertised */
	int	  pkce_s256;			/* "S256" in
						   code_challenge_methods_supported */
	int	  auth_basic;			/* client_secret_basic allowed */
	int	  auth_post;			/* client_secret_post allowed */
	char	**algs;				/* ID token signing algorithms */
	size_t	  nalgs;
};

/*
 * Parses json[0..len) into *d.  Required: issuer, authorization_endpoint,
 * token_endpoint and jwks_uri, each a string and an acceptable URL (see
 * above); userinfo_endpoint and end_session_endpoint when present.  The
 * issuer must equal expected_issuer byte for byte unless skip_issuer_check
 * (insecure_oidc_skip_issuer_verification).
 *
 * token_endpoint_auth_methods_supported sets auth_basic and auth_post;
 * absent, it means client_secret_basic only (Discovery 1.0, section 3).
 * Both flags 0 means the provider offers neither secret method.
 *
 * algs is id_token_signing_alg_values_supported filtered to what cjose
 * verifies and gatehouse allows (RS256/384/512, PS256/384/512,
 * ES256/384/512), in the document's order, without repeats: "none" and
 * the HMAC algorithms are dropped.  Absent, it is {"RS256"}, the algorithm
 * every provider must support; present but left empty by the filter, it
 * is an error.
 *
 * Returns 0, or -1 with err set to "FIELD: what is wrong" and *d empty.
 * Unknown fields are ignored; duplicate keys are an error.
 */
int	discovery_parse(const char *json, size_t len,
	    const char *expected_issuer, int skip_issuer_check,
	    struct oidc_discovery *d, char *err, size_t errlen);
void	discovery_free(struct oidc_discovery *);

/* Whether alg is one gatehouse verifies ID tokens with. */
int	discovery_alg_supported(const char *alg);

#endif /* GH_DISCOVERY_H */
