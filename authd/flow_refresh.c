/*
 * Refresh and sign-out.
 *
 * A refresh is asked for by the worker that saw a session due; every
 * request carrying the same cookie while it runs joins it, so the
 * refresh token is used once.  Without a refresh token the session is
 * only sealed again with a new due time while its access token is
 * valid, and keeps its age: it never outlives cookie_expire.
 *
 * Sign-out: with backend_logout_url, authd opens the session for its ID
 * token and calls the URL; "{id_token}" in the redirect target is
 * replaced too (RP-initiated logout at the IdP's end_session_endpoint).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <openssl/evp.h>

#include "authd.h"
#include "flow.h"
#include "log.h"
#include "login.h"
#include "pct.h"

#define ID_TOKEN_MARK	"{id_token}"
#define REFRESH_PAUSE	30	/* seconds without refreshes after a failure */

static TAILQ_HEAD(, flow)	refreshing = TAILQ_HEAD_INITIALIZER(refreshing);

void
flow_refresh_forget(struct flow *f)
{
	if (f->refresh) {
		TAILQ_REMOVE(&refreshing, f, entry);
		f->refresh = 0;
	}
}

/*
 * While the token endpoint is unreachable, refreshes fail at once for
 * REFRESH_PAUSE seconds: each would otherwise hold its request for the
 * IdP timeout.  Sessions stay usable while their access token is valid.
 */
static time_t	refresh_paused_until;

static void
refresh_tokens(void *arg, int status, const char *body, size_t len,
    const char *error)
{
	struct flow	*f = arg;

	if (status == -1) {
		refresh_paused_until = time(NULL) + REFRESH_PAUSE;
		log_warnx("refresh: token endpoint unreachable; refreshes "
		    "paused for %d s", REFRESH_PAUSE);
	}
	f->idp_refreshed = 1;
	if (flow_tokens(f, status, body, len, error) == 0)
		flow_verify(f);
}

static void	refresh_locked(void *, uint32_t, const void *, size_t);

static void
refresh_opened(void *arg, uint32_t result, const void *data, size_t len)
{
	struct flow	*f = arg;

	if (result != LOGIN_OK || session_decode(data, len, &f->s) == -1) {
		flow_fail(f, result == LOGIN_OK || result == LOGIN_NO_SESSION ?
		    LOGIN_NO_SESSION : result, "the session does not open");
		return;
	}
	if (f->s.refresh_token == NULL) {
		/* Nothing to refresh with: valid while its tokens are. */
		if (f->s.expires_on != 0 && f->s.expires_on <= time(NULL))
			flow_fail(f, LOGIN_NO_SESSION, "expired, and no "
			    "refresh token");
		else
			flow_verify(f);
		return;
	}
	if (time(NULL) < refresh_paused_until) {
		flow_fail(f, LOGIN_UNAVAILABLE, "refreshes paused");
		return;
	}
	/* With Redis, one refresh per session among every instance. */
	if (sd_lock(f->cookie, refresh_locked, f) == -1)
		flow_fail(f, LOGIN_UNAVAILABLE, "sessiond unavailable");
}

static void
refresh_locked(void *arg, uint32_t result, const void *data, size_t len)
{
	struct flow	*f = arg;
	struct evbuffer	*b;

	(void)data;
	(void)len;
	if (result != LOGIN_OK) {
		flow_fail(f, LOGIN_UNAVAILABLE, "a refresh of this session "
		    "is under way elsewhere");
		return;
	}
	if ((b = evbuffer_new()) != NULL) {
		evbuffer_add_printf(b, "grant_type=refresh_token&refresh_token=");
		pct_encode(b, f->s.refresh_token);
	}
	flow_token_request(f, b, refresh_tokens);
}

int
flow_refresh(struct peer *p, struct imsg_in *in)
{
	const char		*cookie;
	struct flow		*f;
	struct flow_waiter	*w;
	unsigned char		 key[EVP_MAX_MD_SIZE];
	unsigned int		 klen;

	if (login_parse_strings(in, &cookie, 1) == -1)
		return -1;
	EVP_Digest(cookie, strlen(cookie), key, &klen, EVP_sha256(), NULL);
	TAILQ_FOREACH(f, &refreshing, entry)
		if (memcmp(f->key, key, sizeof(f->key)) == 0)
			break;
	if (f != NULL) {
		if ((w = calloc(1, sizeof(*w))) == NULL)
			return 0;
		w->p = p;
		w->serial = p->serial;
		w->id = in->hdr.id;
		TAILQ_INSERT_TAIL(&f->waiters, w, entry);
		return 0;
	}
	if ((f = flow_new(p, in->hdr.id)) == NULL)
		return 0;
	f->refresh = 1;
	memcpy(f->key, key, sizeof(f->key));
	TAILQ_INSERT_TAIL(&refreshing, f, entry);
	if ((f->cookie = strdup(cookie)) == NULL)
		flow_fail(f, LOGIN_ERROR, "out of memory");
	else if (!idp_ready())
		flow_fail(f, LOGIN_UNAVAILABLE, "the identity provider is "
		    "not known yet");
	else if (sd_unseal(LOGIN_SEAL_SESSION, authd->cf.cookie_name, cookie,
	    refresh_opened, f) == -1)
		flow_fail(f, LOGIN_UNAVAILABLE, "sessiond unavailable");
	return 0;
}

/* --- sign-out -------------------------------------------------------- */

/* text with every ID_TOKEN_MARK replaced by token ("" when none). */
static char *
with_id_token(const char *text, const char *token)
{
	struct evbuffer	*b;
	const char	*m;

	if ((b = evbuffer_new()) == NULL)
		return NULL;
	while ((m = strstr(text, ID_TOKEN_MARK)) != NULL) {
		evbuffer_add(b, text, (size_t)(m - text));
		if (token != NULL)
			pct_encode(b, token);
		text = m + strlen(ID_TOKEN_MARK);
	}
	evbuffer_add(b, text, strlen(text));
	return buf_string(b);
}

static void
backend_logout_done(void *arg, int status, const char *body, size_t len,
    const char *error)
{
	(void)arg;
	(void)body;
	(void)len;
	if (status == 200 || status == 204)
		log_info("backend_logout_url: HTTP %d", status);
	else if (status == -1)
		log_warnx("backend_logout_url: %s", error);
	else
		log_warnx("backend_logout_url: HTTP %d", status);
}

static void
logout_reply(struct flow *f, const char *id_token)
{
	static struct imsg_out	 m;
	const char		*url = authd->cf.backend_logout_url, *rd_in;
	char			*rd, *backend;

	if (id_token != NULL && url != NULL && *url != '\0') {
		if ((backend = with_id_token(url, id_token)) == NULL ||
		    idp_get(backend, NULL, backend_logout_done, NULL) == -1)
			log_warnx("backend_logout_url: cannot start the "
			    "request");
		free(backend);
	}
	/* Only an absolute target, the IdP's end_session_endpoint, gets it. */
	rd_in = json_string_value(json_object_get(f->csrf, "rd"));
	rd = with_id_token(rd_in, strncmp(rd_in, "https://", 8) == 0 ||
	    strncmp(rd_in, "http://", 7) == 0 ? id_token : NULL);
	if (login_compose_strings(&m, IMSG_LOGOUT_DONE, f->id,
	    (const char *const *)&rd, 1) == 0)
		flow_send(f, &m);
	free(rd);
	flow_free(f);
}

/* The store forgot the session (Redis), or had nothing to forget. */
static void
logout_revoked(void *arg, uint32_t result, const void *data, size_t len)
{
	struct flow	*f = arg;

	(void)data;
	(void)len;
	if (result != LOGIN_OK)
		log_warnx("sign-out: the session store could not end the "
		    "session: %s", login_result_name(result));
	log_audit("sign_out", "user", f->s.user != NULL ? f->s.user : "",
	    "email", f->s.email != NULL ? f->s.email : "", "all",
	    f->all ? "yes" : "no", "revoked", result == LOGIN_OK ? "yes" : "no",
	    NULL);
	logout_reply(f, f->s.id_token);
}

static void
logout_opened(void *arg, uint32_t result, const void *data, size_t len)
{
	struct flow	*f = arg;

	if (result != LOGIN_OK || session_decode(data, len, &f->s) == -1) {
		logout_reply(f, NULL);
		return;
	}
	if (sd_revoke(f->cookie, f->all, logout_revoked, f) == -1)
		logout_revoked(f, LOGIN_UNAVAILABLE, NULL, 0);
}

int
flow_logout(struct peer *p, struct imsg_in *in)
{
	const char	*v[3];		/* cookie, rd, all */
	struct flow	*f;

	if (login_parse_strings(in, v, 3) == -1)
		return -1;
	if ((f = flow_new(p, in->hdr.id)) == NULL)
		return 0;
	f->all = strcmp(v[2], "1") == 0;
	if ((f->cookie = strdup(v[0])) == NULL) {
		flow_free(f);
		return 0;
	}
	/* The target rides in the same place as a sign-in's. */
	if ((f->csrf = json_pack("{ss}", "rd", v[1])) == NULL) {
		flow_free(f);
		return 0;
	}
	if (*v[0] == '\0' || sd_unseal(LOGIN_SEAL_SESSION,
	    authd->cf.cookie_name, v[0], logout_opened, f) == -1)
		logout_reply(f, NULL);
	return 0;
}
