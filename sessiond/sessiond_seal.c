/*
 * Sealing for authd: the values of new session and CSRF cookies, and
 * opening them again for the callback, a refresh or a sign-out.  Only
 * authd may ask (sessiond.c checks the peer); the keys never leave.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "login.h"
#include "seal.h"
#include "session.h"
#include "sessiond.h"

_Static_assert(LOGIN_SEAL_SESSION == SEAL_SESSION &&
    LOGIN_SEAL_CSRF == SEAL_CSRF, "one numbering of seal purposes");

/* What a value may be sealed for: a session or a CSRF cookie. */
static int
purpose_ok(uint32_t p)
{
	return (p == SEAL_SESSION || p == SEAL_CSRF);
}

/* A session is sealed only when it is one: it decodes and keeps rules. */
static int
plaintext_ok(uint32_t purpose, const void *pt, size_t len)
{
	struct session	s;

	if (purpose != SEAL_SESSION)
		return (1);
	if (session_decode(pt, len, &s) == -1)
		return (0);
	session_free(&s);
	return (1);
}

static int
answer(struct chan *ch, struct imsg_out *m, int rc)
{
	int	sent;

	if (rc == -1) {
		log_warnx("%s: answer does not fit in a message", ch->peer);
		return (-1);
	}
	sent = chan_send(ch, m);
	explicit_bzero(m->buf, m->len);
	return (sent == -1 ? -1 : 0);
}

int
sessiond_seal(struct chan *ch, struct imsg_in *in)
{
	static struct imsg_out	 m;
	static char		 value[SEAL_VALUE_SIZE(IMSG_MAX_BODY)];
	const char		*name, *v[1] = { "" };
	const void		*pt;
	size_t			 ptlen;
	uint32_t		 purpose, result = LOGIN_ERROR;
	uint64_t		 expires;

	if (imsg_get_u32(in, &purpose) == -1 ||
	    imsg_get_string(in, &name) == -1 ||
	    imsg_get_u64(in, &expires) == -1 ||
	    imsg_get_data(in, &pt, &ptlen) == -1 || imsg_end(in) == -1 ||
	    !purpose_ok(purpose) || expires > INT64_MAX)
		return (-1);
	if (!plaintext_ok(purpose, pt, ptlen))
		log_warnx("%s: refused to seal a malformed session", ch->peer);
	else if (seal(sessiond_keys(), purpose, name, (int64_t)expires, pt,
	    ptlen, value, sizeof(value)) == -1)
		log_warnx("%s: cannot seal", ch->peer);
	else {
		result = LOGIN_OK;
		v[0] = value;
	}
	return (answer(ch, &m, login_compose_result(&m, IMSG_SEALED,
	    in->hdr.id, result, v, 1)));
}

int
sessiond_unseal(struct chan *ch, struct imsg_in *in)
{
	static struct imsg_out	 m;
	static uint8_t		 pt[IMSG_MAX_BODY];
	const char		*name, *value;
	size_t			 ptlen = 0;
	uint32_t		 purpose;
	int			 r;

	if (imsg_get_u32(in, &purpose) == -1 ||
	    imsg_get_string(in, &name) == -1 ||
	    imsg_get_string(in, &value) == -1 || imsg_end(in) == -1 ||
	    !purpose_ok(purpose))
		return (-1);
	r = unseal(sessiond_keys(), purpose, name, (int64_t)time(NULL), value,
	    strlen(value), pt, sizeof(pt) - 64, &ptlen);
	log_debug("%s: unseal: %s", ch->peer, seal_result_name(r));
	imsg_compose(&m, IMSG_UNSEALED, in->hdr.id);
	imsg_add_u32(&m, r == SEAL_OK ? LOGIN_OK : r == SEAL_ERROR ?
	    LOGIN_ERROR : LOGIN_NO_SESSION);
	imsg_add_data(&m, pt, r == SEAL_OK ? ptlen : 0);
	explicit_bzero(pt, ptlen);
	return (answer(ch, &m, imsg_close(&m)));
}
