/*
 * authd's requests: the values of new session and CSRF cookies, opening
 * them again for the callback, a refresh or a sign-out, ending sessions
 * and the refresh lock.  Only authd may ask (sessiond.c checks the peer);
 * the keys never leave.  CSRF cookies are always sealed values; sessions
 * go through the store (store.h), which may answer later.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "login.h"
#include "seal.h"
#include "session.h"
#include "sessiond.h"
#include "store.h"

_Static_assert(LOGIN_SEAL_SESSION == SEAL_SESSION &&
    LOGIN_SEAL_CSRF == SEAL_CSRF, "one numbering of seal purposes");

/* What a value may be sealed for: a session or a CSRF cookie. */
static int
purpose_ok(uint32_t p)
{
	return (p == SEAL_SESSION || p == SEAL_CSRF);
}

/* A SEAL_* or STORE_* result as authd reads it. */
static uint32_t
login_result(int r)
{
	switch (r) {
	case SEAL_OK:
		return (LOGIN_OK);
	case STORE_UNAVAILABLE:
	case STORE_BUSY:
		return (LOGIN_UNAVAILABLE);
	case SEAL_ERROR:
		return (LOGIN_ERROR);
	default:
		return (LOGIN_NO_SESSION);
	}
}

static void
sealed(void *arg, int r, const char *value)
{
	static struct imsg_out	 m;
	struct reply_to		*rt = arg;
	const char		*v[1] = { r == SEAL_OK ? value : "" };

	if (r != SEAL_OK)
		log_warnx("seal: %s", r == STORE_UNAVAILABLE ?
		    "the session store is unavailable" : "cannot seal");
	if (login_compose_result(&m, IMSG_SEALED, rt->id, login_result(r), v,
	    1) == -1)
		log_warnx("seal: the value does not fit in a message");
	reply_to_send(rt, &m);
}

/* A session is sealed only when it is one: it decodes and keeps rules. */
static int
session_ok(const void *pt, size_t len)
{
	struct session	s;

	if (session_decode(pt, len, &s) == -1)
		return (0);
	session_free(&s);
	return (1);
}

int
sessiond_seal(struct peer *p, struct imsg_in *in)
{
	const char	*name, *replace;
	const void	*pt;
	size_t		 ptlen;
	uint32_t	 purpose;
	uint64_t	 expires;
	struct reply_to	*rt;
	char		*v;

	if (imsg_get_u32(in, &purpose) == -1 ||
	    imsg_get_string(in, &name) == -1 ||
	    imsg_get_u64(in, &expires) == -1 ||
	    imsg_get_data(in, &pt, &ptlen) == -1 ||
	    imsg_get_string(in, &replace) == -1 || imsg_end(in) == -1 ||
	    !purpose_ok(purpose) || expires > INT64_MAX)
		return (-1);
	if ((rt = reply_to_new(p, in->hdr.id)) == NULL)
		return (0);	/* authd's deadline answers */
	if (purpose == SEAL_CSRF) {
		v = malloc(SEAL_VALUE_SIZE(ptlen));
		sealed(rt, v != NULL && seal(sessiond_keys(), SEAL_CSRF, name,
		    (int64_t)expires, pt, ptlen, v, SEAL_VALUE_SIZE(ptlen)) !=
		    -1 ? SEAL_OK : SEAL_ERROR, v);
		free(v);
	} else if (!session_ok(pt, ptlen)) {
		log_warnx("seal: refused to seal a malformed session");
		sealed(rt, SEAL_ERROR, NULL);
	} else
		store_save(pt, ptlen, (int64_t)expires,
		    *replace != '\0' ? replace : NULL, sealed, rt);
	return (0);
}

static void
unsealed(void *arg, int r, const uint8_t *pt, size_t len)
{
	static struct imsg_out	 m;
	struct reply_to		*rt = arg;

	log_debug("unseal: %s", r == STORE_UNAVAILABLE ? "store unavailable" :
	    seal_result_name(r));
	imsg_compose(&m, IMSG_UNSEALED, rt->id);
	imsg_add_u32(&m, login_result(r));
	imsg_add_data(&m, pt, r == SEAL_OK ? len : 0);
	if (imsg_close(&m) == -1) {
		imsg_compose(&m, IMSG_UNSEALED, rt->id);
		imsg_add_u32(&m, LOGIN_ERROR);
		imsg_add_data(&m, NULL, 0);
		imsg_close(&m);
	}
	reply_to_send(rt, &m);
}

int
sessiond_unseal(struct peer *p, struct imsg_in *in)
{
	static uint8_t	 pt[IMSG_MAX_BODY];
	const char	*name, *value;
	size_t		 ptlen = 0;
	uint32_t	 purpose;
	struct reply_to	*rt;
	int		 r;

	if (imsg_get_u32(in, &purpose) == -1 ||
	    imsg_get_string(in, &name) == -1 ||
	    imsg_get_string(in, &value) == -1 || imsg_end(in) == -1 ||
	    !purpose_ok(purpose))
		return (-1);
	if ((rt = reply_to_new(p, in->hdr.id)) == NULL)
		return (0);
	if (purpose == SEAL_SESSION) {
		store_open(value, unsealed, rt);
		return (0);
	}
	/* The answer must fit: header, result and the data's length. */
	r = unseal(sessiond_keys(), purpose, name, (int64_t)time(NULL), value,
	    strlen(value), pt, sizeof(pt) - 64, &ptlen);
	unsealed(rt, r, pt, ptlen);
	explicit_bzero(pt, ptlen);
	return (0);
}

static void
store_done(void *arg, int r)
{
	static struct imsg_out	 m;
	struct reply_to		*rt = arg;

	imsg_compose(&m, IMSG_STORE_DONE, rt->id);
	imsg_add_u32(&m, login_result(r));
	imsg_close(&m);
	reply_to_send(rt, &m);
}

int
sessiond_revoke(struct peer *p, struct imsg_in *in)
{
	const char	*cookie;
	uint32_t	 all;
	struct reply_to	*rt;

	if (imsg_get_string(in, &cookie) == -1 ||
	    imsg_get_u32(in, &all) == -1 || imsg_end(in) == -1)
		return (-1);
	if ((rt = reply_to_new(p, in->hdr.id)) != NULL)
		store_revoke(cookie, all != 0, store_done, rt);
	return (0);
}

int
sessiond_lock(struct peer *p, struct imsg_in *in)
{
	const char	*cookie;
	struct reply_to	*rt;

	if (login_parse_strings(in, &cookie, 1) == -1)
		return (-1);
	if ((rt = reply_to_new(p, in->hdr.id)) != NULL)
		store_lock(cookie, store_done, rt);
	return (0);
}
