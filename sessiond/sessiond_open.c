/*
 * Session cookies opened for the workers.  A worker sends the cookie
 * value as the browser gave it (split cookies joined); the store opens it
 * (the cookie itself, or its ticket and Redis), sessiond decodes the
 * session and answers with what the worker may see: never the refresh
 * token, and the other tokens only when the worker asks for them.  The
 * seal's expiry is the session's: an authentic value past it is expired.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "child.h"
#include "claims.h"
#include "log.h"
#include "seal.h"
#include "session.h"
#include "sessiond.h"
#include "store.h"

_Static_assert(SESSION_GROUPS_MAX <= CLAIMS_MAX_GROUPS,
    "a decoded session's groups fit in its claims");

static struct seal_keys	*keys;

/* The keys are all sessiond needs; its copies of the secrets go. */
static void
secrets_wipe(struct config *cf)
{
	size_t	i;

	if (cf->cookie_secret != NULL)
		explicit_bzero(cf->cookie_secret, strlen(cf->cookie_secret));
	for (i = 0; i < cf->cookie_secrets.n; i++)
		if (cf->cookie_secrets.v[i] != NULL)
			explicit_bzero(cf->cookie_secrets.v[i],
			    strlen(cf->cookie_secrets.v[i]));
}

void
sessiond_keys_privinit(struct config *cf)
{
	char	err[256];

	if (seal_init() == -1)
		fatalx("sessiond: libsodium cannot start");
	/* The message names the secret by its index, never its text. */
	if (seal_keys_load(&cf->cookie_secrets, &keys, err, sizeof(err)) == -1)
		fatalx("sessiond: %s", err);
	secrets_wipe(cf);
	log_debug("sessiond: %zu cookie keys loaded", seal_keys_count(keys));
}

const struct seal_keys *
sessiond_keys(void)
{
	return (keys);
}

void
sessiond_keys_free(void)
{
	seal_keys_free(keys);
	keys = NULL;
}

static uint32_t
result_of_unseal(int r)
{
	switch (r) {
	case SEAL_OK:
		return (CLAIMS_OK);
	case SEAL_BAD:
		return (CLAIMS_NONE);
	case SEAL_EXPIRED:
		return (CLAIMS_EXPIRED);
	case SEAL_MALFORMED:
		return (CLAIMS_MALFORMED);
	default:
		return (CLAIMS_ERROR);	/* STORE_UNAVAILABLE too: fail closed */
	}
}

static const char *
str_or_empty(const char *s)
{
	return (s != NULL ? s : "");
}

/* The claims point into s; only wanted tokens, and no refresh token. */
static void
claims_of_session(const struct session *s, uint32_t wants, struct claims *c)
{
	size_t	i;

	c->user = str_or_empty(s->user);
	c->email = str_or_empty(s->email);
	c->preferred_username = str_or_empty(s->preferred_username);
	for (i = 0; i < s->ngroups; i++)
		c->groups[i] = s->groups[i];
	c->ngroups = s->ngroups;
	c->created_at = s->created_at;
	c->expires_on = s->expires_on;
	c->refresh_due = s->refresh_due;
	c->id_token = (wants & CLAIMS_WANT_ID_TOKEN) ?
	    str_or_empty(s->id_token) : "";
	c->access_token = (wants & CLAIMS_WANT_ACCESS_TOKEN) ?
	    str_or_empty(s->access_token) : "";
}

struct reply_to *
reply_to_new(struct peer *p, uint64_t id)
{
	struct reply_to	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (NULL);
	r->p = p;
	r->serial = p->serial;
	r->id = id;
	return (r);
}

void
reply_to_send(struct reply_to *r, struct imsg_out *m)
{
	if (r->p->chan != NULL && r->p->serial == r->serial &&
	    chan_send(r->p->chan, m) == -1)
		log_warnx("%s: cannot queue the answer", r->p->chan->peer);
	explicit_bzero(m->buf, m->len);
	free(r);
}

/* The store's answer: the session decoded, and what the worker may see. */
static void
opened(void *arg, int r, const uint8_t *pt, size_t len)
{
	static struct imsg_out	 m;
	struct reply_to		*rt = arg;
	struct session		 s;
	struct claims		 c;
	uint32_t		 result = result_of_unseal(r);

	memset(&s, 0, sizeof(s));
	memset(&c, 0, sizeof(c));
	if (result == CLAIMS_OK && session_decode(pt, len, &s) == -1)
		result = CLAIMS_MALFORMED;
	if (result == CLAIMS_OK)
		claims_of_session(&s, rt->wants, &c);
	if (claims_compose(&m, rt->id, result, &c) == -1) {
		/* Tokens too large for one message: the worker gets none. */
		log_warnx("session claims do not fit in a message");
		result = CLAIMS_ERROR;
		claims_compose(&m, rt->id, result, NULL);
	}
	session_free(&s);
	log_debug("session open: %s", r == STORE_UNAVAILABLE ?
	    "store unavailable" : claims_result_name(result));
	reply_to_send(rt, &m);
}

int
sessiond_open(struct peer *p, struct imsg_in *in)
{
	const char	*cookie;
	struct reply_to	*rt;
	uint32_t	 wants;

	if (claims_parse_open(in, &wants, &cookie) == -1)
		return (-1);
	if ((rt = reply_to_new(p, in->hdr.id)) == NULL)
		return (0);	/* the worker's deadline answers */
	rt->wants = wants;
	store_open(cookie, opened, rt);
	return (0);
}
