/*
 * Sign-in as the workers ask for it.
 *
 * Start: a random state, nonce and PKCE verifier, sealed by sessiond
 * into the CSRF cookie together with the redirect target and the
 * redirect_uri; the worker gets the authorization URL and the cookie.
 *
 * Finish (the callback): sessiond opens the CSRF cookie, the state is
 * compared (and remembered, so a callback is never redeemed twice)
 * before the code goes to the IdP, the ID token is checked against the
 * JWKS and the nonce, missing claims come from userinfo, and sessiond
 * seals the new session.  oauth2-proxy redeems the code first and
 * compares the state afterwards.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "authd.h"
#include "b64.h"
#include "flow.h"
#include "log.h"
#include "login.h"
#include "pct.h"
#include "session.h"

#define RANDOM_BYTES	32		/* state and nonce: 43 characters */
#define VERIFIER_BYTES	48		/* PKCE verifier: 64 characters */
#define RANDOM_MAX	B64URL_LEN(VERIFIER_BYTES) + 1
#define USED_STATES	4096		/* callbacks remembered */

/* States already redeemed, until their CSRF cookie would have expired. */
static struct used_state {
	unsigned char	hash[32];
	time_t		until;
} used[USED_STATES];

struct flow *
flow_new(struct peer *p, uint64_t id)
{
	struct flow	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->p = p;
	f->serial = p->serial;
	f->id = id;
	TAILQ_INIT(&f->waiters);
	return f;
}

void
flow_free(struct flow *f)
{
	struct flow_waiter	*w;

	flow_refresh_forget(f);
	while ((w = TAILQ_FIRST(&f->waiters)) != NULL) {
		TAILQ_REMOVE(&f->waiters, w, entry);
		free(w);
	}
	if (f->cookie != NULL)
		explicit_bzero(f->cookie, strlen(f->cookie));
	free(f->cookie);
	json_decref(f->csrf);
	jwt_claims_free(&f->claims);
	json_decref(f->userinfo);
	jwt_strings_free(f->groups, f->ngroups);
	session_free(&f->s);
	free(f);
}

static void
send_to(struct peer *p, uint32_t serial, uint64_t id, struct imsg_out *m)
{
	((struct imsg_hdr *)(void *)m->buf)->id = id;
	if (p->chan != NULL && p->serial == serial)
		chan_send(p->chan, m);
}

/* Answers every worker that asked, if it is still the same start. */
void
flow_send(struct flow *f, struct imsg_out *m)
{
	struct flow_waiter	*w;

	send_to(f->p, f->serial, f->id, m);
	TAILQ_FOREACH(w, &f->waiters, entry)
		send_to(w->p, w->serial, w->id, m);
	explicit_bzero(m->buf, m->len);
}

static void
reply_url(struct flow *f, uint32_t result, const char *url,
    const char *csrf)
{
	static struct imsg_out	 m;
	const char		*v[3] = { url, f->state, csrf };

	if (login_compose_result(&m, IMSG_LOGIN_URL, f->id, result, v,
	    result == LOGIN_OK ? 3 : 0) == 0)
		flow_send(f, &m);
	flow_free(f);
}

/* A failed sign-in: the audit event, and the worker's answer. */
void
flow_fail(struct flow *f, uint32_t result, const char *why)
{
	static struct imsg_out	m;
	struct login_done	d;

	log_audit("login_failed", "reason", login_result_name(result),
	    "detail", why, NULL);
	memset(&d, 0, sizeof(d));
	d.result = result;
	d.message = why;
	if (login_compose_done(&m, f->id, &d) == 0)
		flow_send(f, &m);
	flow_free(f);
}

static int
random_text(char *out, size_t outlen, size_t nbytes)
{
	unsigned char	b[VERIFIER_BYTES];

	if (nbytes > sizeof(b) || RAND_bytes(b, (int)nbytes) != 1)
		return -1;
	b64url_encode(b, nbytes, out, outlen);
	explicit_bzero(b, sizeof(b));
	return 0;
}

/* The PKCE method: code_challenge_method, else S256 when offered. */
static const char *
pkce_method(void)
{
	const char	*m = authd->cf.code_challenge_method;

	if (m != NULL && *m != '\0')
		return m;
	return idp_endpoints()->pkce_s256 ? "S256" : NULL;
}

static void
add_param(struct evbuffer *b, const char *name, const char *value)
{
	evbuffer_add_printf(b, "&%s=", name);
	pct_encode(b, value);
}

/* The authorization request: response_type=code and the login's values. */
static char *
authorize_url(struct flow *f, const char *redirect_uri, int pkce)
{
	const struct config	*cf = &authd->cf;
	const char		*ep = idp_endpoints()->authorization_endpoint;
	const char		*method = pkce_method();
	unsigned char		 h[EVP_MAX_MD_SIZE];
	unsigned int		 hlen;
	char			 challenge[B64URL_LEN(32) + 1];
	struct evbuffer		*b;

	if ((b = evbuffer_new()) == NULL)
		return NULL;
	evbuffer_add_printf(b, "%s%cresponse_type=code", ep,
	    strchr(ep, '?') != NULL ? '&' : '?');
	add_param(b, "client_id", cf->client_id);
	add_param(b, "redirect_uri", redirect_uri);
	add_param(b, "scope", cf->scope);
	add_param(b, "state", f->state);
	add_param(b, "nonce", f->nonce);
	if (pkce && strcmp(method, "S256") == 0) {
		EVP_Digest(f->verifier, strlen(f->verifier), h, &hlen,
		    EVP_sha256(), NULL);
		b64url_encode(h, hlen, challenge, sizeof(challenge));
		add_param(b, "code_challenge", challenge);
		add_param(b, "code_challenge_method", "S256");
	} else if (pkce) {
		add_param(b, "code_challenge", f->verifier);
		add_param(b, "code_challenge_method", "plain");
	}
	/* As oauth2-proxy: prompt when set, else approval_prompt. */
	if (cf->prompt != NULL && *cf->prompt != '\0')
		add_param(b, "prompt", cf->prompt);
	else if (cf->approval_prompt != NULL && *cf->approval_prompt != '\0')
		add_param(b, "approval_prompt", cf->approval_prompt);
	if (cf->acr_values != NULL && *cf->acr_values != '\0')
		add_param(b, "acr_values", cf->acr_values);
	return buf_string(b);
}

/* The CSRF cookie is sealed under one name; the worker may rename it. */
static const char *
csrf_seal_name(void)
{
	static char	name[300];

	snprintf(name, sizeof(name), "%s_csrf", authd->cf.cookie_name);
	return name;
}

static void
start_sealed(void *arg, uint32_t result, const void *data, size_t len)
{
	struct flow	*f = arg;
	char		*url;

	(void)len;
	if (result != LOGIN_OK) {
		reply_url(f, result, NULL, NULL);
		return;
	}
	if ((url = authorize_url(f, json_string_value(json_object_get(f->csrf,
	    "ru")), json_object_get(f->csrf, "v") != NULL)) == NULL) {
		reply_url(f, LOGIN_ERROR, NULL, NULL);
		return;
	}
	reply_url(f, LOGIN_OK, url, data);
	free(url);
}

int
flow_start(struct peer *p, struct imsg_in *in)
{
	const char	*v[2];		/* redirect_uri, rd */
	struct flow	*f;
	char		*text;
	int64_t		 expires;
	int		 rc;

	if (login_parse_strings(in, v, 2) == -1)
		return -1;
	if ((f = flow_new(p, in->hdr.id)) == NULL)
		return 0;
	if (!idp_ready()) {
		reply_url(f, LOGIN_UNAVAILABLE, NULL, NULL);
		return 0;
	}
	if (random_text(f->state, sizeof(f->state), RANDOM_BYTES) == -1 ||
	    random_text(f->nonce, sizeof(f->nonce), RANDOM_BYTES) == -1 ||
	    random_text(f->verifier, sizeof(f->verifier), VERIFIER_BYTES) ==
	    -1 || (f->csrf = json_pack("{ss ss ss ss}", "s", f->state, "n",
	    f->nonce, "rd", v[1], "ru", v[0])) == NULL ||
	    (pkce_method() != NULL && json_object_set_new(f->csrf, "v",
	    json_string(f->verifier)) == -1) ||
	    (text = json_dumps(f->csrf, JSON_COMPACT)) == NULL) {
		reply_url(f, LOGIN_ERROR, NULL, NULL);
		return 0;
	}
	expires = (int64_t)time(NULL) + authd->cf.cookie_csrf_expire /
	    1000000000;
	rc = sd_seal(LOGIN_SEAL_CSRF, csrf_seal_name(), expires, text,
	    strlen(text), NULL, start_sealed, f);
	explicit_bzero(text, strlen(text));
	free(text);
	if (rc == -1)
		reply_url(f, LOGIN_UNAVAILABLE, NULL, NULL);
	return 0;
}

/* --- the callback ---------------------------------------------------- */

/* 1 when state was redeemed before; else it is remembered now. */
static int
state_replayed(const char *state)
{
	unsigned char	 h[EVP_MAX_MD_SIZE];
	unsigned int	 hlen;
	time_t		 now = time(NULL);
	size_t		 i, slot = 0;

	EVP_Digest(state, strlen(state), h, &hlen, EVP_sha256(), NULL);
	for (i = 0; i < USED_STATES; i++) {
		if (used[i].until >= now &&
		    memcmp(used[i].hash, h, sizeof(used[i].hash)) == 0)
			return 1;
		if (used[i].until < used[slot].until)
			slot = i;
	}
	memcpy(used[slot].hash, h, sizeof(used[slot].hash));
	used[slot].until = now + authd->cf.cookie_csrf_expire / 1000000000;
	return 0;
}

static const char *
csrf_get(struct flow *f, const char *key)
{
	const char	*s = json_string_value(json_object_get(f->csrf, key));

	return s != NULL ? s : "";
}

static void	finish_tokens(void *, int, const char *, size_t, const char *);

static void
finish_csrf(void *arg, uint32_t result, const void *data, size_t len)
{
	struct flow	*f = arg;
	struct evbuffer	*b;
	const char	*state;
	size_t		 n;

	if (result != LOGIN_OK) {
		flow_fail(f, result == LOGIN_NO_SESSION ? LOGIN_CSRF : result,
		    "the CSRF cookie does not open");
		return;
	}
	if ((f->csrf = json_loadb(data, len, 0, NULL)) == NULL) {
		flow_fail(f, LOGIN_CSRF, "the CSRF cookie is not ours");
		return;
	}
	state = csrf_get(f, "s");
	n = strlen(state);
	if (n == 0 || strlen(f->state) != n ||
	    CRYPTO_memcmp(state, f->state, n) != 0) {
		flow_fail(f, LOGIN_STATE, "state is not the CSRF cookie's");
		return;
	}
	if (state_replayed(state)) {
		flow_fail(f, LOGIN_STATE, "callback replayed");
		return;
	}
	if (f->code[0] == '\0') {
		flow_fail(f, LOGIN_IDP_ERROR, "no code in the callback");
		return;
	}
	if ((b = evbuffer_new()) != NULL) {
		evbuffer_add_printf(b, "grant_type=authorization_code");
		add_param(b, "code", f->code);
		add_param(b, "redirect_uri", csrf_get(f, "ru"));
		if (*csrf_get(f, "v") != '\0')
			add_param(b, "code_verifier", csrf_get(f, "v"));
	}
	flow_token_request(f, b, finish_tokens);
}

int
flow_finish(struct peer *p, struct imsg_in *in)
{
	const char	*v[3];		/* code, state, csrf */
	struct flow	*f;

	if (login_parse_strings(in, v, 3) == -1)
		return -1;
	if ((f = flow_new(p, in->hdr.id)) == NULL)
		return 0;
	if (strlen(v[0]) >= sizeof(f->code) ||
	    strlen(v[1]) >= sizeof(f->state)) {
		flow_fail(f, LOGIN_STATE, "code or state too long");
		return 0;
	}
	memcpy(f->code, v[0], strlen(v[0]) + 1);
	memcpy(f->state, v[1], strlen(v[1]) + 1);
	if (!idp_ready())
		flow_fail(f, LOGIN_UNAVAILABLE, "the identity provider is "
		    "not known yet");
	else if (*v[2] == '\0')
		flow_fail(f, LOGIN_CSRF, "no CSRF cookie");
	else if (sd_unseal(LOGIN_SEAL_CSRF, csrf_seal_name(), v[2],
	    finish_csrf, f) == -1)
		flow_fail(f, LOGIN_UNAVAILABLE, "sessiond unavailable");
	return 0;
}

static void
finish_tokens(void *arg, int status, const char *body, size_t len,
    const char *error)
{
	struct flow	*f = arg;

	explicit_bzero(f->code, sizeof(f->code));
	if (flow_tokens(f, status, body, len, error) == 0)
		flow_verify(f);
}
