/*
 * From the token endpoint's answer to a sealed session: the ID token
 * checked against the JWKS (refetched once for an unknown key), claims
 * taken by the configured names, userinfo asked for what the ID token
 * lacks, email_verified enforced, and sessiond seals the session.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authd.h"
#include "flow.h"
#include "log.h"
#include "login.h"

#define IDP_SAYS_MAX	200	/* bytes of an IdP error message we log */
#define SESSION_SEAL_MIN	(24 * 3600)	/* cookie_expire 0: a day */

/* What the IdP said, made safe for one log line. */
static void
idp_says(char *out, size_t len, json_t *j, int status)
{
	const char	*e = json_string_value(json_object_get(j, "error"));
	const char	*d = json_string_value(json_object_get(j,
			    "error_description"));
	size_t		 i;

	snprintf(out, len, "HTTP %d: %.*s%s%.*s", status, IDP_SAYS_MAX,
	    e != NULL ? e : "(no error code)", d != NULL ? ": " : "",
	    IDP_SAYS_MAX, d != NULL ? d : "");
	for (i = 0; out[i] != '\0'; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = '?';
}

static int
take_string(json_t *j, const char *key, char **dst)
{
	const char	*v = json_string_value(json_object_get(j, key));

	if (v == NULL || *v == '\0')
		return 0;
	if (strlen(v) > SESSION_STR_MAX)
		return -1;
	if (*dst != NULL) {
		explicit_bzero(*dst, strlen(*dst));
		free(*dst);
	}
	return (*dst = strdup(v)) == NULL ? -1 : 1;
}

int
flow_tokens(struct flow *f, int status, const char *body, size_t len,
    const char *error)
{
	char		 says[3 * IDP_SAYS_MAX];
	json_t		*j;
	const char	*code;
	int		 r;

	if (status == -1) {
		flow_fail(f, LOGIN_UNAVAILABLE, error);
		return -1;
	}
	j = json_loadb(body, len, 0, NULL);
	if (status != 200) {
		idp_says(says, sizeof(says), j, status);
		code = json_string_value(json_object_get(j, "error"));
		log_warnx("token endpoint: %s", says);
		json_decref(j);
		/* A refresh token the IdP no longer honours ends it all. */
		flow_fail(f, f->refresh && code != NULL && (strcmp(code,
		    "invalid_grant") == 0 || strcmp(code, "invalid_client") ==
		    0) ? LOGIN_NO_SESSION : LOGIN_IDP_ERROR, says);
		return -1;
	}
	if (!json_is_object(j) ||
	    take_string(j, "access_token", &f->s.access_token) != 1 ||
	    (r = take_string(j, "id_token", &f->s.id_token)) == -1 ||
	    (r == 0 && !f->refresh) ||
	    take_string(j, "refresh_token", &f->s.refresh_token) == -1) {
		json_decref(j);
		flow_fail(f, LOGIN_IDP_ERROR, "the token endpoint's answer "
		    "lacks access_token or id_token, or is not JSON");
		return -1;
	}
	f->new_id_token = r == 1;
	if (json_is_integer(json_object_get(j, "expires_in")))
		f->expires_in = json_integer_value(json_object_get(j,
		    "expires_in"));
	json_decref(j);
	return 0;
}

void
flow_token_request(struct flow *f, struct evbuffer *b, fetch_done_fn done)
{
	char	*form;

	if (b == NULL || (form = buf_string(b)) == NULL) {
		flow_fail(f, LOGIN_ERROR, "out of memory");
		return;
	}
	if (idp_post(idp_endpoints()->token_endpoint, form, done, f) == -1)
		flow_fail(f, LOGIN_UNAVAILABLE, "cannot reach the token "
		    "endpoint");
	explicit_bzero(form, strlen(form));
	free(form);
}

/* --- claims ---------------------------------------------------------- */

static const char *
email_claim(void)
{
	const struct config	*cf = &authd->cf;

	/* user_id_claim is the deprecated name of oidc_email_claim. */
	if (cf->user_id_claim != NULL && *cf->user_id_claim != '\0')
		return cf->user_id_claim;
	return cf->oidc_email_claim;
}

/* A claim from the ID token, else from userinfo. */
static const char *
claim_string(struct flow *f, const char *name)
{
	struct jwt_claims	 ui = { .raw = f->userinfo };
	const char		*v = jwt_claim_string(&f->claims, name);

	return v != NULL || f->userinfo == NULL ? v :
	    jwt_claim_string(&ui, name);
}

static int
claim_verified(struct flow *f)
{
	json_t	*v;

	if (f->claims.email_verified != -1 || f->userinfo == NULL)
		return f->claims.email_verified;
	v = json_object_get(f->userinfo, "email_verified");
	if (v == NULL)
		return -1;
	return json_is_true(v) || (json_is_string(v) &&
	    strcmp(json_string_value(v), "true") == 0);
}

static int
set_string(char **dst, const char *v)
{
	if (v == NULL)
		return 0;
	free(*dst);
	return (*dst = strdup(v)) == NULL ? -1 : 0;
}

/* One group more, "role:<client>:<role>" or "role:<role>". */
static int
add_role(struct flow *f, const char *client, const char *role)
{
	char	**ng, *g;
	size_t	  len;

	if (f->ngroups >= JWT_CLAIM_STRINGS_MAX)
		return 0;
	len = 5 + (client != NULL ? strlen(client) + 1 : 0) + strlen(role) + 1;
	if ((g = malloc(len)) == NULL)
		return -1;
	snprintf(g, len, "role:%s%s%s", client != NULL ? client : "",
	    client != NULL ? ":" : "", role);
	if ((ng = reallocarray(f->groups, f->ngroups + 1, sizeof(*ng))) ==
	    NULL) {
		free(g);
		return -1;
	}
	f->groups = ng;
	f->groups[f->ngroups++] = g;
	return 0;
}

/* The "roles" array of o: Keycloak's realm_access, or a client's. */
static int
add_roles(struct flow *f, const json_t *o, const char *client)
{
	const json_t	*v;
	size_t		 i;

	json_array_foreach(json_object_get(o, "roles"), i, v)
		if (json_is_string(v) &&
		    add_role(f, client, json_string_value(v)) == -1)
			return -1;
	return 0;
}

/* resource_access: { "<client>": { "roles": [...] }, ... } */
static int
add_client_roles(struct flow *f)
{
	const char	*client;
	json_t		*o;

	json_object_foreach(json_object_get(f->claims.raw, "resource_access"),
	    client, o)
		if (add_roles(f, o, client) == -1)
			return -1;
	return 0;
}

/*
 * The groups claim, from the ID token or else userinfo, and Keycloak's
 * roles as oauth2-proxy's keycloak-oidc provider names them: a realm role
 * is the group "role:<role>", a client's "role:<client>:<role>"
 * (allowed_roles matches these).
 */
static int
claim_groups(struct flow *f)
{
	struct jwt_claims	 ui = { .raw = f->userinfo };
	const char		*name = authd->cf.oidc_groups_claim;
	int			 r;

	if ((r = jwt_claim_strings(&f->claims, name, &f->groups,
	    &f->ngroups)) == 1 && f->userinfo != NULL)
		r = jwt_claim_strings(&ui, name, &f->groups, &f->ngroups);
	if (r == -1 || add_roles(f, json_object_get(f->claims.raw,
	    "realm_access"), NULL) == -1)
		return -1;
	return add_client_roles(f);
}

static void	session_seal(struct flow *);

/* The session's identity from the claims; 0, or -1 when it failed. */
static int
session_identity(struct flow *f)
{
	struct session	*s = &f->s;
	size_t		 i;

	if (f->claims.raw == NULL)
		return 0;	/* a refresh without a new ID token */
	/* OIDC Core 12.2: a refreshed ID token is about the same user. */
	if (f->refresh && (s->user == NULL ||
	    strcmp(s->user, f->claims.sub) != 0)) {
		flow_fail(f, LOGIN_NO_SESSION, "the refreshed ID token has "
		    "another subject");
		return -1;
	}
	if (claim_string(f, email_claim()) != NULL &&
	    claim_verified(f) == 0 &&
	    !authd->cf.insecure_oidc_allow_unverified_email) {
		flow_fail(f, LOGIN_UNVERIFIED, "email_verified is false");
		return -1;
	}
	if (set_string(&s->user, f->claims.sub) == -1 ||
	    set_string(&s->email, claim_string(f, email_claim())) == -1 ||
	    set_string(&s->preferred_username, claim_string(f,
	    "preferred_username")) == -1 || claim_groups(f) == -1)
		goto oom;
	if (f->groups != NULL || !f->refresh) {
		for (i = 0; i < s->ngroups; i++)
			free(s->groups[i]);
		free(s->groups);
		s->groups = NULL;
		s->ngroups = 0;
		if (f->ngroups > SESSION_GROUPS_MAX)
			log_warnx("login: %zu groups, the first %d kept",
			    f->ngroups, SESSION_GROUPS_MAX);
		s->ngroups = f->ngroups > SESSION_GROUPS_MAX ?
		    SESSION_GROUPS_MAX : f->ngroups;
		s->groups = f->groups;
		for (i = s->ngroups; i < f->ngroups; i++)
			free(f->groups[i]);
		f->groups = NULL;
		f->ngroups = 0;
	}
	return 0;
 oom:
	flow_fail(f, LOGIN_ERROR, "out of memory");
	return -1;
}

static void
userinfo_done(void *arg, int status, const char *body, size_t len,
    const char *error)
{
	struct flow	*f = arg;
	const char	*sub;

	if (status != 200) {
		log_warnx("userinfo: %s", status == -1 ? error :
		    "HTTP status not 200");
		flow_fail(f, status == -1 ? LOGIN_UNAVAILABLE :
		    LOGIN_IDP_ERROR, "userinfo failed");
		return;
	}
	f->userinfo = json_loadb(body, len, 0, NULL);
	sub = json_string_value(json_object_get(f->userinfo, "sub"));
	/* OIDC Core 5.3.2: the sub must be the ID token's. */
	if (!json_is_object(f->userinfo) || sub == NULL ||
	    strcmp(sub, f->claims.sub) != 0) {
		flow_fail(f, LOGIN_IDP_ERROR, "userinfo is not about the "
		    "ID token's subject");
		return;
	}
	if (session_identity(f) == 0)
		session_seal(f);
}

/* Whether the ID token lacks what userinfo may have. */
static int
needs_userinfo(struct flow *f)
{
	return jwt_claim_string(&f->claims, email_claim()) == NULL ||
	    jwt_claim(&f->claims, authd->cf.oidc_groups_claim) == NULL ||
	    f->claims.preferred_username == NULL;
}

static void
verify_keys(void *arg, const struct jwks *jwks)
{
	struct flow		*f = arg;
	struct jwt_expect	 x;
	const char		*nonce = NULL, *ui;
	char			 err[256];
	int			 r;

	if (jwks == NULL) {
		flow_fail(f, LOGIN_UNAVAILABLE, "no signing keys from the "
		    "identity provider");
		return;
	}
	if (!f->refresh)
		nonce = json_string_value(json_object_get(f->csrf, "n"));
	idp_expect(&x, nonce != NULL ? nonce : "");
	if (f->refresh)
		x.nonce = NULL;	/* a refreshed ID token has no new nonce */
	r = jwt_verify_id_token(jwks, f->s.id_token, &x, &f->claims, err,
	    sizeof(err));
	if (r == JWT_KID_UNKNOWN && !f->refetched) {
		f->refetched = 1;
		if (keyset_with(idp_keys(), 1, verify_keys, f) == 0)
			return;
	}
	if (r != JWT_OK) {
		log_warnx("ID token: %s: %s", jwt_reason_name(r), err);
		flow_fail(f, LOGIN_TOKEN, jwt_reason_name(r));
		return;
	}
	ui = idp_endpoints()->userinfo_endpoint;
	if (!f->refresh && ui != NULL && needs_userinfo(f)) {
		if (idp_get(ui, f->s.access_token, userinfo_done, f) == -1)
			flow_fail(f, LOGIN_UNAVAILABLE, "cannot ask userinfo");
		return;
	}
	if (session_identity(f) == 0)
		session_seal(f);
}

void
flow_verify(struct flow *f)
{
	if (!f->new_id_token) {
		session_seal(f);
		return;
	}
	if (keyset_with(idp_keys(), 0, verify_keys, f) == -1)
		flow_fail(f, LOGIN_ERROR, "out of memory");
}

/* --- sealing ------------------------------------------------------------ */

static void
claims_of(const struct session *s, struct claims *c)
{
	size_t	i;

	memset(c, 0, sizeof(*c));
	c->user = s->user != NULL ? s->user : "";
	c->email = s->email != NULL ? s->email : "";
	c->preferred_username = s->preferred_username != NULL ?
	    s->preferred_username : "";
	for (i = 0; i < s->ngroups && i < CLAIMS_MAX_GROUPS; i++)
		c->groups[i] = s->groups[i];
	c->ngroups = i;
	c->created_at = s->created_at;
	c->expires_on = s->expires_on;
	c->refresh_due = s->refresh_due;
	c->id_token = s->id_token != NULL ? s->id_token : "";
	c->access_token = s->access_token != NULL ? s->access_token : "";
}

static void
session_sealed(void *arg, uint32_t result, const void *data, size_t len)
{
	static struct imsg_out	 m;
	struct flow		*f = arg;
	struct login_done	 d;
	int64_t			 expire = authd->cf.cookie_expire / 1000000000;

	(void)len;
	if (result != LOGIN_OK) {
		flow_fail(f, result, "sessiond did not seal the session");
		return;
	}
	memset(&d, 0, sizeof(d));
	d.result = LOGIN_OK;
	d.message = "";
	d.rd = f->csrf != NULL ? json_string_value(json_object_get(f->csrf,
	    "rd")) : "";
	d.rd = d.rd != NULL ? d.rd : "";
	d.cookie = data;
	d.cookie_expires = expire > 0 ? f->s.created_at + expire : 0;
	claims_of(&f->s, &d.claims);
	/* The worker writes the login event, once its policy agreed. */
	log_info("%s: session of %s sealed", f->refresh ? "refresh" :
	    "sign-in", d.claims.email[0] ? d.claims.email : d.claims.user);
	if (login_compose_done(&m, f->id, &d) == -1)
		flow_fail(f, LOGIN_ERROR, "the session does not fit in a "
		    "message");
	else {
		flow_send(f, &m);
		flow_free(f);
	}
}

static void
session_seal(struct flow *f)
{
	static uint8_t		 buf[SESSION_ENC_MAX];
	const struct config	*cf = &authd->cf;
	struct session		*s = &f->s;
	int64_t			 now = (int64_t)time(NULL), expire;
	int			 n;

	expire = cf->cookie_expire / 1000000000;
	/*
	 * Only the IdP extends a session: a sign-in, or a refresh it
	 * answered.  A session without a refresh token keeps its age, so
	 * it still ends cookie_expire after the sign-in.
	 */
	if (!f->refresh || f->idp_refreshed)
		s->created_at = now;
	if (f->expires_in > 0)
		s->expires_on = now + f->expires_in;
	else if (f->claims.raw != NULL)
		s->expires_on = f->claims.exp;
	s->refresh_due = cf->cookie_refresh > 0 ?
	    now + cf->cookie_refresh / 1000000000 : 0;
	n = session_encode(s, cf->session_cookie_minimal ? SESSION_MINIMAL : 0,
	    buf, sizeof(buf));
	if (n == -1) {
		flow_fail(f, LOGIN_ERROR, "the session breaks a limit");
		return;
	}
	if (sd_seal(LOGIN_SEAL_SESSION, cf->cookie_name, s->created_at +
	    (expire > 0 ? expire : SESSION_SEAL_MIN), buf, (size_t)n,
	    f->cookie, session_sealed, f) == -1)
		flow_fail(f, LOGIN_UNAVAILABLE, "sessiond unavailable");
	explicit_bzero(buf, (size_t)n);
}
