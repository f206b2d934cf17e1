/*
 * skip_jwt_bearer_tokens: a worker hands authd the JWT of an
 * "Authorization: Bearer" header, and a valid one is a session for that
 * request.  Verifiers are tried in oauth2-proxy's order: the provider's
 * own (issuer oidc_issuer_url, audience client_id and
 * oidc_extra_audiences), then each of extra_jwt_issuers
 * ("issuer=audience"), whose keys come from its discovery document, or
 * <issuer>/.well-known/jwks.json when it has none.  Every check of an ID
 * token applies (jwt.h), but the nonce.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authd.h"
#include "flow.h"
#include "log.h"
#include "login.h"

struct issuer {
	char			*iss;
	char			*aud;
	struct keyset		*keys;
	struct oidc_discovery	 disc;		/* algs, when discovered */
};

static struct issuer	issuers[CONF_EXTRA_ISSUERS_MAX];
static size_t		nissuers;

static void
issuer_keys(struct issuer *is, const char *jwks_uri)
{
	if ((is->keys = keyset_new(jwks_uri)) == NULL)
		fatalx("authd: out of memory");
	keyset_fetch(is->keys);
}

static void
issuer_discovered(void *arg, int status, const char *body, size_t len,
    const char *error)
{
	struct issuer	*is = arg;
	char		 err[256], uri[2048];

	if (status == 200 && discovery_parse(body, len, is->iss, 0, &is->disc,
	    err, sizeof(err)) == 0) {
		issuer_keys(is, is->disc.jwks_uri);
		return;
	}
	log_warnx("extra_jwt_issuers: %s: discovery: %s; trying "
	    "/.well-known/jwks.json", is->iss, status == -1 ? error :
	    status == 200 ? err : "HTTP status not 200");
	snprintf(uri, sizeof(uri), "%s/.well-known/jwks.json", is->iss);
	issuer_keys(is, uri);
}

void
bearer_start(void)
{
	const struct conf_list	*l = &authd->cf.extra_jwt_issuers;
	struct issuer		*is;
	char			 url[2048];
	const char		*eq;
	size_t			 i;

	for (i = 0; i < l->n && nissuers < CONF_EXTRA_ISSUERS_MAX; i++) {
		/* The parent checked the shape: issuer=audience. */
		if ((eq = strchr(l->v[i], '=')) == NULL)
			continue;
		is = &issuers[nissuers++];
		if ((is->iss = strndup(l->v[i], (size_t)(eq - l->v[i]))) ==
		    NULL || (is->aud = strdup(eq + 1)) == NULL)
			fatalx("authd: out of memory");
		snprintf(url, sizeof(url),
		    "%s/.well-known/openid-configuration", is->iss);
		if (idp_get(url, NULL, issuer_discovered, is) == -1)
			issuer_discovered(is, -1, "", 0, "cannot start");
	}
}

/* --- one token ------------------------------------------------------ */

static void	bearer_try(struct flow *);

static void
bearer_reply(struct flow *f)
{
	static struct imsg_out	 m;
	struct login_done	 d;
	struct claims		*c = &d.claims;
	const char		*email;
	size_t			 i;

	memset(&d, 0, sizeof(d));
	d.result = LOGIN_OK;
	d.message = d.rd = d.cookie = "";
	email = jwt_claim_string(&f->claims, authd->cf.oidc_email_claim);
	/* As oauth2-proxy: without an email claim, the subject stands in. */
	c->user = f->claims.sub;
	c->email = email != NULL ? email : f->claims.sub;
	c->preferred_username = f->claims.preferred_username != NULL ?
	    f->claims.preferred_username : "";
	for (i = 0; i < f->ngroups && i < CLAIMS_MAX_GROUPS; i++)
		c->groups[i] = f->groups[i];
	c->ngroups = i;
	c->created_at = f->claims.iat;
	c->expires_on = f->claims.exp;
	c->id_token = c->access_token = f->s.access_token;
	if (f->claims.email_verified == 0 &&
	    !authd->cf.insecure_oidc_allow_unverified_email) {
		flow_fail(f, LOGIN_UNVERIFIED, "bearer token: email_verified "
		    "is false");
		return;
	}
	if (login_compose_done(&m, f->id, &d) == -1) {
		flow_fail(f, LOGIN_ERROR, "the claims do not fit a message");
		return;
	}
	flow_send(f, &m);
	flow_free(f);
}

static void
bearer_keys(void *arg, const struct jwks *jwks)
{
	struct flow		*f = arg;
	struct issuer		*is = NULL;
	struct jwt_expect	 x;
	char			 err[256];
	int			 r;

	idp_expect(&x, NULL);
	if (f->verifier_at > 0) {
		is = &issuers[f->verifier_at - 1];
		x.issuer = is->iss;
		x.client_id = is->aud;
		x.extra_audiences = NULL;
		x.nextra_audiences = 0;
		x.algs = is->disc.algs;
		x.nalgs = is->disc.nalgs;
	}
	r = jwks == NULL ? JWT_KID_UNKNOWN : jwt_verify_id_token(jwks,
	    f->s.access_token, &x, &f->claims, err, sizeof(err));
	if (r == JWT_KID_UNKNOWN && jwks != NULL && !f->refetched) {
		f->refetched = 1;
		if (keyset_with(is != NULL ? is->keys : idp_keys(), 1,
		    bearer_keys, f) == 0)
			return;
	}
	if (r == JWT_OK) {
		if (jwt_claim_strings(&f->claims, authd->cf.oidc_groups_claim,
		    &f->groups, &f->ngroups) == -1) {
			flow_fail(f, LOGIN_ERROR, "out of memory");
			return;
		}
		bearer_reply(f);
		return;
	}
	log_debug("bearer token: %s: %s", is != NULL ? is->iss : "provider",
	    jwks == NULL ? "no keys" : err);
	f->verifier_at++;
	f->refetched = 0;
	bearer_try(f);
}

/* The next verifier, or the end: no verifier took the token. */
static void
bearer_try(struct flow *f)
{
	struct keyset	*ks = NULL;

	while (ks == NULL && f->verifier_at <= nissuers) {
		ks = f->verifier_at == 0 ? idp_keys() :
		    issuers[f->verifier_at - 1].keys;
		if (ks == NULL)
			f->verifier_at++;
	}
	if (ks == NULL) {
		flow_fail(f, LOGIN_TOKEN, "bearer token: no issuer verifies "
		    "it");
		return;
	}
	if (keyset_with(ks, 0, bearer_keys, f) == -1)
		flow_fail(f, LOGIN_ERROR, "out of memory");
}

int
flow_bearer(struct peer *p, struct imsg_in *in)
{
	const char	*token;
	struct flow	*f;

	if (login_parse_strings(in, &token, 1) == -1)
		return -1;
	if ((f = flow_new(p, in->hdr.id)) == NULL)
		return 0;
	if (strlen(token) > JWT_MAX_SIZE ||
	    (f->s.access_token = strdup(token)) == NULL) {
		flow_fail(f, LOGIN_TOKEN, "bearer token too long");
		return 0;
	}
	bearer_try(f);
	return 0;
}
