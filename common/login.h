/*
 * The sign-in messages: worker <-> authd (start, finish, refresh, sign
 * out) and authd <-> sessiond (seal, unseal).  Strings are "" when absent;
 * parsed strings point into the message.
 *
 *	IMSG_LOGIN_START	worker -> authd: redirect_uri, rd
 *	IMSG_LOGIN_URL		authd -> worker: result, url, state, csrf
 *	IMSG_LOGIN_FINISH	worker -> authd: code, state, csrf
 *	IMSG_SESSION_REFRESH	worker -> authd: cookie
 *	IMSG_LOGIN_DONE		authd -> worker, answering FINISH and REFRESH:
 *				result, message; when LOGIN_OK also rd,
 *				cookie, u64 cookie_expires, and the claims
 *	IMSG_LOGOUT		worker -> authd: cookie, rd, all ("1": every
 *				session of the user)
 *	IMSG_LOGOUT_DONE	authd -> worker: rd (maybe the IdP's
 *				end_session_endpoint)
 *	IMSG_BEARER		worker -> authd: a JWT, answered with
 *				IMSG_LOGIN_DONE (no cookie, its claims)
 *	IMSG_SEAL		authd -> sessiond: u32 purpose, name,
 *				u64 expires, data plaintext, replace (a
 *				session's current cookie: keep its ticket)
 *	IMSG_SEALED		sessiond -> authd: result, value
 *	IMSG_UNSEAL		authd -> sessiond: u32 purpose, name, value
 *	IMSG_UNSEALED		sessiond -> authd: result, data plaintext
 *	IMSG_STORE_REVOKE	authd -> sessiond: cookie, u32 all
 *	IMSG_STORE_LOCK		authd -> sessiond: cookie
 *	IMSG_STORE_DONE		sessiond -> authd: result (LOGIN_OK,
 *				LOGIN_UNAVAILABLE: Redis away or locked)
 */
#ifndef GH_LOGIN_H
#define GH_LOGIN_H

#include <stddef.h>
#include <stdint.h>

#include "claims.h"
#include "imsg.h"

/* What a sign-in step came to; login_result_name names it for logs. */
enum login_result {
	LOGIN_OK = 0,
	LOGIN_UNAVAILABLE,	/* authd not ready, IdP unreachable or slow */
	LOGIN_CSRF,		/* CSRF cookie missing, forged or expired */
	LOGIN_STATE,		/* state does not match the CSRF cookie */
	LOGIN_IDP_ERROR,	/* the IdP refused (token endpoint error) */
	LOGIN_TOKEN,		/* the ID token did not validate */
	LOGIN_UNVERIFIED,	/* email_verified is false */
	LOGIN_NO_SESSION,	/* refresh: the cookie does not open */
	LOGIN_ERROR,		/* anything else */
	LOGIN_NRESULTS
};

/* Purposes of IMSG_SEAL and IMSG_UNSEAL (sessiond's enum seal_purpose). */
#define LOGIN_SEAL_SESSION	1
#define LOGIN_SEAL_CSRF		2

const char	*login_result_name(uint32_t);

struct login_done {
	uint32_t		 result;
	const char		*message;
	const char		*rd;
	const char		*cookie;
	int64_t			 cookie_expires;	/* Unix seconds; 0: none */
	struct claims		 claims;
};

int	login_compose_done(struct imsg_out *, uint64_t id,
	    const struct login_done *);
int	login_parse_done(struct imsg_in *, struct login_done *);

/* Messages of strings only: compose n strings, parse exactly n. */
int	login_compose_strings(struct imsg_out *, uint32_t type, uint64_t id,
	    const char *const *v, size_t n);
int	login_parse_strings(struct imsg_in *, const char **v, size_t n);

/* A result followed by strings (IMSG_LOGIN_URL, IMSG_SEALED). */
int	login_compose_result(struct imsg_out *, uint32_t type, uint64_t id,
	    uint32_t result, const char *const *v, size_t n);
int	login_parse_result(struct imsg_in *, uint32_t *result, const char **v,
	    size_t n);

#endif /* GH_LOGIN_H */
