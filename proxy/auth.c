/*
 * The worker's side of sessions: sessiond opens the cookie (the worker
 * holds no cookie key), the worker applies the policy and sets the
 * identity headers.  Every value that came from the identity provider is
 * checked before it goes into a header.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "auth.h"
#include "claims.h"
#include "conn.h"
#include "cookie.h"
#include "log.h"
#include "login.h"
#include "signin.h"
#include "wait.h"
#include "worker.h"

#define AUTH_TIMEOUT_SEC	2
#define REFRESH_TIMEOUT_SEC	15	/* authd's IdP timeout, and some */
#define COOKIE_HEADERS_MAX	16

static uint32_t
wanted_tokens(void)
{
	const struct config	*cf = &worker->c.cf;
	uint32_t		 wants = 0;

	if (cf->pass_authorization_header || cf->set_authorization_header)
		wants |= CLAIMS_WANT_ID_TOKEN;
	if (cf->pass_access_token)
		wants |= CLAIMS_WANT_ACCESS_TOKEN;
	return wants;
}

/* The cookie name's value, joined from its parts; 0 when there is none. */
int
auth_cookie(const struct conn *c, const char *name, char *out, size_t len)
{
	const char	*v[COOKIE_HEADERS_MAX];
	size_t		 i, n = 0;

	for (i = 0; i < c->req.nheaders && n < COOKIE_HEADERS_MAX; i++)
		if (strcasecmp(c->req.headers[i].name, "Cookie") == 0)
			v[n++] = c->req.headers[i].value;
	return cookie_get(v, n, name, out, len);
}

static int	claims_answer(struct conn *, struct imsg_in *);
static int	bearer_answer(struct conn *, struct imsg_in *);

/*
 * The JWT of "Authorization: Bearer <jwt>" (three dot-separated base64url
 * parts), or NULL.
 */
static const char *
bearer_token(const struct conn *c)
{
	static const char	 b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_.";
	const char		*v = http_header_get(&c->req, "Authorization");
	const char		*t, *dot;

	if (v == NULL || strncasecmp(v, "Bearer ", 7) != 0)
		return NULL;
	t = v + 7;
	if (strspn(t, b64url) != strlen(t) || (dot = strchr(t, '.')) == NULL ||
	    (dot = strchr(dot + 1, '.')) == NULL || strchr(dot + 1, '.') != NULL)
		return NULL;
	return t;
}

/* The session cookie, when there is no bearer token (or it failed). */
static void
cookie_session(struct conn *c)
{
	static char	 cookie[CLAIMS_COOKIE_MAX];
	struct imsg_out	 m;
	int		 n;

	if ((n = auth_cookie(c, worker->c.cf.cookie_name, cookie,
	    sizeof(cookie))) <= 0) {
		c->auth_done(c);
		return;
	}
	if ((c->identity = auth_cache_get(cookie, (size_t)n)) != NULL) {
		c->auth = AUTH_OK;
		explicit_bzero(cookie, (size_t)n);
		c->auth_done(c);
		return;
	}
	if (claims_compose_open(&m, 0, wanted_tokens(), cookie) == -1)
		claims_answer(c, NULL);
	else
		wait_send(c, child_peer(&worker->c, ROLE_SESSIOND, 0), &m,
		    AUTH_TIMEOUT_SEC, claims_answer);
	/* Only what this cookie used: the whole buffer is 64 KiB a request. */
	explicit_bzero(cookie, (size_t)n);
}

void
auth_session(struct conn *c, auth_done_fn done)
{
	const char	*token;
	const char	*v[1];
	struct imsg_out	 m;

	c->auth = AUTH_NONE;
	c->auth_done = done;
	if (!worker->c.cf.skip_jwt_bearer_tokens ||
	    (token = bearer_token(c)) == NULL) {
		cookie_session(c);
		return;
	}
	if ((c->identity = auth_cache_get(token, strlen(token))) != NULL) {
		c->auth = AUTH_OK;
		done(c);
		return;
	}
	v[0] = token;
	if (login_compose_strings(&m, IMSG_BEARER, 0, v, 1) == -1)
		bearer_answer(c, NULL);
	else
		wait_send(c, child_peer(&worker->c, ROLE_AUTHD, 0), &m,
		    REFRESH_TIMEOUT_SEC, bearer_answer);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? strdup(s) : NULL;
}

static int
identity_copy(struct identity *id, const struct claims *cl)
{
	size_t	i;

	memset(id, 0, sizeof(*id));
	id->user = dup_or_null(cl->user);
	id->email = dup_or_null(cl->email);
	id->preferred_username = dup_or_null(cl->preferred_username);
	id->id_token = dup_or_null(cl->id_token);
	id->access_token = dup_or_null(cl->access_token);
	if (cl->ngroups > 0 &&
	    (id->groups = calloc(cl->ngroups, sizeof(char *))) == NULL)
		return -1;
	for (i = 0; i < cl->ngroups; i++)
		if ((id->groups[id->ngroups++] = strdup(cl->groups[i])) == NULL)
			return -1;
	return 0;
}

void
identity_free(struct identity *id)
{
	size_t	i;

	if (id == NULL || --id->refs > 0)
		return;
	for (i = 0; i < id->ngroups; i++)
		free(id->groups[i]);
	free(id->groups);
	free(id->user);
	free(id->email);
	free(id->preferred_username);
	if (id->id_token != NULL)
		explicit_bzero(id->id_token, strlen(id->id_token));
	if (id->access_token != NULL)
		explicit_bzero(id->access_token, strlen(id->access_token));
	free(id->id_token);
	free(id->access_token);
	free(id);
}

struct identity *
identity_new(const struct claims *cl)
{
	struct identity	*id;

	if ((id = calloc(1, sizeof(*id))) == NULL)
		return NULL;
	if (identity_copy(id, cl) == -1) {
		id->refs = 1;
		identity_free(id);
		return NULL;
	}
	id->refs = 1;
	id->expires_on = cl->expires_on;
	return id;
}

/* c->identity from cl; AUTH_OK, or AUTH_UNAVAILABLE out of memory. */
static int
identity_set(struct conn *c, const struct claims *cl)
{
	identity_free(c->identity);
	c->identity = identity_new(cl);
	return c->identity != NULL ? AUTH_OK : AUTH_UNAVAILABLE;
}

/*
 * authd's answer to a refresh.  A new session replaces the old one (and
 * its cookie); one the IdP ended is gone; any other failure keeps the old
 * session while its access token is valid.
 */
static int
refresh_answer(struct conn *c, struct imsg_in *in)
{
	struct login_done	d;

	if (in != NULL && login_parse_done(in, &d) == -1)
		return -1;
	if (in != NULL && d.result == LOGIN_OK) {
		c->auth = identity_set(c, &d.claims);
		if (c->auth == AUTH_OK &&
		    signin_set_session_cookie(c, d.cookie) == -1)
			c->auth = AUTH_UNAVAILABLE;
	} else if (in != NULL && d.result == LOGIN_NO_SESSION) {
		log_info("auth: %s: session ended by the identity provider",
		    c->peer);
		signin_clear_session_cookie(c);
		identity_free(c->identity);
		c->identity = NULL;
		c->auth = AUTH_NONE;
	} else if (c->identity->expires_on != 0 &&
	    c->identity->expires_on <= (int64_t)time(NULL)) {
		log_info("auth: %s: refresh failed (%s) and the access token "
		    "expired", c->peer, in != NULL ?
		    login_result_name(d.result) : "authd did not answer");
		identity_free(c->identity);
		c->identity = NULL;
		c->auth = AUTH_NONE;
	}
	c->auth_done(c);
	return 0;
}

/* A session due for refresh goes to authd first. */
static int
refresh_start(struct conn *c)
{
	static char	 cookie[CLAIMS_COOKIE_MAX];
	const char	*v[1] = { cookie };
	struct imsg_out	 m;
	int		 n, rc;

	if ((n = auth_cookie(c, worker->c.cf.cookie_name, cookie,
	    sizeof(cookie))) <= 0)
		return -1;
	rc = login_compose_strings(&m, IMSG_SESSION_REFRESH, 0, v, 1);
	explicit_bzero(cookie, (size_t)n);
	if (rc == -1)
		return -1;
	wait_send(c, child_peer(&worker->c, ROLE_AUTHD, 0), &m,
	    REFRESH_TIMEOUT_SEC, refresh_answer);
	explicit_bzero(m.buf, m.len);
	return 0;
}

/* The request's cookie opened to c->identity: remembered for a while. */
static void
cache_put(struct conn *c, int64_t refresh_due)
{
	static char	cookie[CLAIMS_COOKIE_MAX];
	int		n;

	if (worker->c.cf.session_cache_ttl <= 0 || (n = auth_cookie(c,
	    worker->c.cf.cookie_name, cookie, sizeof(cookie))) <= 0)
		return;
	auth_cache_put(cookie, (size_t)n, c->identity, refresh_due);
	explicit_bzero(cookie, (size_t)n);
}

/*
 * authd's word on a bearer token.  A valid one is the request's session
 * (and remembered until it expires); an invalid one, as oauth2-proxy,
 * falls back to the cookie, or with bearer_token_login_fallback off is
 * refused (403).
 */
static int
bearer_answer(struct conn *c, struct imsg_in *in)
{
	struct login_done	 d;
	const char		*token;

	if (in != NULL && login_parse_done(in, &d) == -1)
		return -1;
	if (in != NULL && d.result == LOGIN_OK) {
		c->auth = identity_set(c, &d.claims);
		if (c->auth == AUTH_OK && (token = bearer_token(c)) != NULL)
			auth_cache_put(token, strlen(token), c->identity,
			    d.claims.expires_on);
		c->auth_done(c);
		return 0;
	}
	log_info("auth: %s: bearer token refused: %s", c->peer, in == NULL ?
	    "authd did not answer" : d.message);
	if (in == NULL && !worker->c.cf.bearer_token_login_fallback)
		c->auth = AUTH_UNAVAILABLE;
	else if (!worker->c.cf.bearer_token_login_fallback)
		c->auth = AUTH_FORBIDDEN;
	else {
		cookie_session(c);
		return 0;
	}
	c->auth_done(c);
	return 0;
}

/* sessiond's answer; a malformed one closes its channel (-1). */
static int
claims_answer(struct conn *c, struct imsg_in *in)
{
	struct claims		 cl;
	uint32_t		 result;

	if (in == NULL) {
		log_warnx("auth: sessiond did not answer in %d s",
		    AUTH_TIMEOUT_SEC);
		c->auth = AUTH_UNAVAILABLE;
		c->auth_done(c);
		return 0;
	}
	if (claims_parse(in, &result, &cl) == -1)
		return -1;
	if (result == CLAIMS_OK) {
		c->auth = identity_set(c, &cl);
		if (c->auth == AUTH_OK && cl.refresh_due != 0 &&
		    cl.refresh_due <= (int64_t)time(NULL) &&
		    refresh_start(c) == 0)
			return 0;
		if (c->auth == AUTH_OK)
			cache_put(c, cl.refresh_due);
	} else
		log_debug("auth: %s: session refused: %s", c->peer,
		    claims_result_name(result));
	c->auth_done(c);
	return 0;
}
