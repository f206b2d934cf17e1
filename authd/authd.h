/*
 * The parts of gatehouse-authd: the identity provider's endpoints and
 * keys (idp.c), requests to sessiond (sdreq.c) and the sign-in flows the
 * workers ask for (flow.c).
 */
#ifndef GH_AUTHD_H
#define GH_AUTHD_H

#include <stddef.h>
#include <stdint.h>

#include "child.h"
#include "discovery.h"
#include "fetch.h"
#include "jwt.h"

#define IDP_MAX_BODY		(1024 * 1024)	/* any answer of the IdP */
#define IDP_TIMEOUT_MS		10000L		/* any request to it */

extern struct child	*authd;

/* idp.c */
void	idp_privinit(struct child *);	/* before the sandbox; fatal */
void	idp_start(void);		/* discovery, then the JWKS */
int	idp_ready(void);		/* endpoints known */
const struct oidc_discovery	*idp_endpoints(void);

/*
 * Requests to the IdP; done as in fetch.h, exactly once, from the loop.
 * idp_post adds the client's credentials as the endpoint wants them
 * (client_secret_basic or client_secret_post) to form, an already
 * encoded application/x-www-form-urlencoded body.
 */
int	idp_get(const char *url, const char *bearer, fetch_done_fn, void *);
int	idp_post(const char *url, const char *form, fetch_done_fn, void *);

/* The evbuffer's text and a NUL as a new string; the buffer is freed. */
struct evbuffer;
char	*buf_string(struct evbuffer *);

/* The provider's keys (NULL until its endpoints are known). */
struct keyset	*idp_keys(void);

/* What an ID token must be, for this provider and this nonce. */
void	idp_expect(struct jwt_expect *, const char *nonce);

/*
 * keys.c: an issuer's JWKS.  keyset_with calls done(arg, jwks) from the
 * loop once keys are there: at once when they are (and refetch is 0 or
 * the last fetch is too recent), else after a fetch; jwks is NULL when
 * there are none.
 */
struct keyset;
typedef void	(*keyset_fn)(void *arg, const struct jwks *);
struct keyset	*keyset_new(const char *jwks_uri);
void		 keyset_fetch(struct keyset *);
int		 keyset_with(struct keyset *, int refetch, keyset_fn, void *);

/* sdreq.c: sealing by sessiond; done gets a LOGIN_* result. */
typedef void	(*sd_done_fn)(void *arg, uint32_t result, const void *data,
		    size_t len);
int	sd_seal(uint32_t purpose, const char *name, int64_t expires,
	    const void *pt, size_t len, const char *replace, sd_done_fn,
	    void *arg);
/* The session store: end a session (all: its user's), lock a refresh. */
int	sd_revoke(const char *cookie, int all, sd_done_fn, void *arg);
int	sd_lock(const char *cookie, sd_done_fn, void *arg);
int	sd_unseal(uint32_t purpose, const char *name, const char *value,
	    sd_done_fn, void *arg);
/* IMSG_SEALED, IMSG_UNSEALED, IMSG_STORE_DONE */
int	sd_answer(struct imsg_in *);

/* flow.c: the workers' requests; -1 on a malformed one. */
int	flow_start(struct peer *, struct imsg_in *);
int	flow_finish(struct peer *, struct imsg_in *);
int	flow_refresh(struct peer *, struct imsg_in *);
int	flow_logout(struct peer *, struct imsg_in *);

/* bearer.c: skip_jwt_bearer_tokens. */
void	bearer_start(void);		/* extra_jwt_issuers' keys */
int	flow_bearer(struct peer *, struct imsg_in *);

#endif /* GH_AUTHD_H */
