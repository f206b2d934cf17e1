/*
 * Session cookies opened for the workers.  A worker sends the cookie
 * value as the browser gave it (split cookies joined); sessiond unseals
 * it under the session cookie's name with every key, decodes the
 * session and answers with what the worker may see: never the refresh
 * token, and the other tokens only when the worker asks for them.  The
 * seal's expiry is the session's: an authentic value past it is expired.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "claims.h"
#include "log.h"
#include "seal.h"
#include "session.h"
#include "sessiond.h"

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
		return (CLAIMS_ERROR);
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

/*
 * The result of opening cookie, with the session in *s when CLAIMS_OK.
 * The plaintext is wiped once decoded.
 */
static uint32_t
open_cookie(const char *cookie_name, const char *cookie, struct session *s)
{
	static uint8_t	pt[SESSION_ENC_MAX];
	size_t		ptlen = 0;
	uint32_t	result;
	int		r;

	memset(s, 0, sizeof(*s));
	r = unseal(keys, SEAL_SESSION, cookie_name, (int64_t)time(NULL),
	    cookie, strlen(cookie), pt, sizeof(pt), &ptlen);
	if ((result = result_of_unseal(r)) != CLAIMS_OK)
		return (result);
	if (session_decode(pt, ptlen, s) == -1)
		result = CLAIMS_MALFORMED;
	explicit_bzero(pt, ptlen);
	return (result);
}

int
sessiond_open(struct chan *ch, struct imsg_in *in, const char *cookie_name)
{
	static struct imsg_out	 m;
	struct session		 s;
	struct claims		 c;
	const char		*cookie;
	uint32_t		 wants, result;
	int			 rc;

	if (claims_parse_open(in, &wants, &cookie) == -1)
		return (-1);
	memset(&c, 0, sizeof(c));
	result = open_cookie(cookie_name, cookie, &s);
	if (result == CLAIMS_OK)
		claims_of_session(&s, wants, &c);
	if (claims_compose(&m, in->hdr.id, result, &c) == -1) {
		/* Tokens too large for one message: the worker gets none. */
		log_warnx("%s: session claims do not fit in a message",
		    ch->peer);
		result = CLAIMS_ERROR;
		claims_compose(&m, in->hdr.id, result, NULL);
	}
	session_free(&s);
	log_debug("%s: session open: %s", ch->peer,
	    claims_result_name(result));
	rc = chan_send(ch, &m);
	explicit_bzero(m.buf, m.len);
	return (rc == -1 ? -1 : 0);
}
