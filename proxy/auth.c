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
#include "worker.h"

#define AUTH_TIMEOUT_SEC	2
#define COOKIE_HEADERS_MAX	16

struct auth_wait {
	TAILQ_ENTRY(auth_wait)	 entry;
	uint64_t		 id;
	struct conn		*c;
	struct event		*timeout;
	auth_done_fn		 done;
};

static TAILQ_HEAD(, auth_wait)	waits = TAILQ_HEAD_INITIALIZER(waits);
static uint64_t			next_id;

static void
wait_free(struct auth_wait *w)
{
	TAILQ_REMOVE(&waits, w, entry);
	w->c->auth_wait = 0;
	event_free(w->timeout);
	free(w);
}

/* sessiond is slow or gone: no session can be vouched for. */
static void
wait_timeout(evutil_socket_t s, short ev, void *arg)
{
	struct auth_wait	*w = arg;
	struct conn		*c = w->c;
	auth_done_fn		 done = w->done;

	(void)s;
	(void)ev;
	log_warnx("auth: sessiond did not answer in %d s", AUTH_TIMEOUT_SEC);
	wait_free(w);
	c->auth = AUTH_UNAVAILABLE;
	done(c);
	http_resume(c);
}

void
auth_cancel(struct conn *c)
{
	struct auth_wait	*w;

	TAILQ_FOREACH(w, &waits, entry)
		if (w->c == c) {
			wait_free(w);
			return;
		}
}

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

/* The session cookie, joined from its parts; 0 when there is none. */
static int
session_cookie(const struct conn *c, char *out, size_t len)
{
	const char	*v[COOKIE_HEADERS_MAX];
	size_t		 i, n = 0;

	for (i = 0; i < c->req.nheaders && n < COOKIE_HEADERS_MAX; i++)
		if (strcasecmp(c->req.headers[i].name, "Cookie") == 0)
			v[n++] = c->req.headers[i].value;
	return cookie_get(v, n, worker->c.cf.cookie_name, out, len);
}

void
auth_session(struct conn *c, auth_done_fn done)
{
	static char		 cookie[CLAIMS_COOKIE_MAX];
	struct timeval		 tv = { AUTH_TIMEOUT_SEC, 0 };
	struct imsg_out		 m;
	struct chan		*sd;
	struct auth_wait	*w;
	int			 n;

	c->auth = AUTH_NONE;
	if ((n = session_cookie(c, cookie, sizeof(cookie))) <= 0) {
		done(c);
		return;
	}
	sd = child_peer(&worker->c, ROLE_SESSIOND, 0);
	if (sd == NULL || (w = calloc(1, sizeof(*w))) == NULL) {
		c->auth = AUTH_UNAVAILABLE;
		done(c);
		return;
	}
	w->id = ++next_id;
	w->c = c;
	w->done = done;
	w->timeout = evtimer_new(worker->c.base, wait_timeout, w);
	TAILQ_INSERT_TAIL(&waits, w, entry);
	c->auth_wait = 1;
	if (w->timeout == NULL || evtimer_add(w->timeout, &tv) == -1 ||
	    claims_compose_open(&m, w->id, wanted_tokens(), cookie) == -1 ||
	    chan_send(sd, &m) == -1) {
		wait_free(w);
		c->auth = AUTH_UNAVAILABLE;
		done(c);
	}
	/* Only what this cookie used: the whole buffer is 64 KiB a request. */
	explicit_bzero(cookie, (size_t)n);
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

	if (id == NULL)
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

/* From sessiond; a malformed answer closes its channel (-1). */
int
auth_claims(struct imsg_in *in)
{
	struct auth_wait	*w;
	struct claims		 cl;
	struct conn		*c;
	auth_done_fn		 done;
	uint32_t		 result;

	if (claims_parse(in, &result, &cl) == -1)
		return -1;
	TAILQ_FOREACH(w, &waits, entry)
		if (w->id == in->hdr.id)
			break;
	if (w == NULL)
		return 0;	/* it timed out, or the client left */
	c = w->c;
	done = w->done;
	wait_free(w);
	if (result == CLAIMS_OK) {
		if ((c->identity = calloc(1, sizeof(*c->identity))) == NULL ||
		    identity_copy(c->identity, &cl) == -1) {
			identity_free(c->identity);
			c->identity = NULL;
			c->auth = AUTH_UNAVAILABLE;
		} else
			c->auth = AUTH_OK;
	} else
		log_debug("auth: %s: session refused: %s", c->peer,
		    claims_result_name(result));
	done(c);
	http_resume(c);
	return 0;
}

