/*
 * One request of a worker on its way through authd (flow*.c only).  A
 * refresh may have more workers waiting for the same session.
 */
#ifndef GH_FLOW_H
#define GH_FLOW_H

#include <sys/queue.h>

#include <stdint.h>

#include <jansson.h>

#include "child.h"
#include "fetch.h"
#include "jwt.h"
#include "session.h"

struct evbuffer;
struct imsg_out;

struct flow_waiter {
	TAILQ_ENTRY(flow_waiter) entry;
	struct peer		*p;
	uint32_t		 serial;
	uint64_t		 id;
};

struct flow {
	TAILQ_ENTRY(flow)	 entry;		/* refreshes in flight */
	struct peer		*p;		/* who asked, and which start */
	uint32_t		 serial;
	uint64_t		 id;
	int			 refresh;	/* else a sign-in */
	unsigned char		 key[32];	/* refresh: cookie's hash */
	TAILQ_HEAD(, flow_waiter) waiters;	/* refresh: others asking */

	char			 state[64];
	char			 nonce[64];
	char			 verifier[72];
	char			 code[2048];
	json_t			*csrf;		/* the opened CSRF cookie */
	int			 refetched;	/* JWKS fetched for an unknown kid */
	int			 new_id_token;	/* the token endpoint sent one */
	int			 idp_refreshed;	/* a refresh the IdP answered */
	size_t			 verifier_at;	/* bearer: 0 provider, i issuer i */
	struct jwt_claims	 claims;	/* of the ID token */
	json_t			*userinfo;
	char			**groups;
	size_t			 ngroups;
	int64_t			 expires_in;	/* access token, seconds */
	struct session		 s;		/* the session being made */
	char			*cookie;	/* refresh, sign-out: its cookie */
	int			 all;		/* sign-out: every session */
};

struct flow	*flow_new(struct peer *, uint64_t id);
void		 flow_free(struct flow *);
void		 flow_send(struct flow *, struct imsg_out *);
void		 flow_fail(struct flow *, uint32_t result, const char *why);
/*
 * POSTs the form in b (NULL: out of memory) to the token endpoint; the
 * answer goes to done, a failure to start fails the flow.  b is freed,
 * the form wiped.
 */
void		 flow_token_request(struct flow *, struct evbuffer *b,
		    fetch_done_fn done);

/*
 * The token endpoint's answer into f->s (tokens) and f->expires_in.
 * 0, or -1 once the flow has failed (and is freed).
 */
int	flow_tokens(struct flow *, int status, const char *body, size_t len,
	    const char *error);

/* flow_refresh.c: a refresh ends; the other workers asking forget it. */
void	flow_refresh_forget(struct flow *);

/* ID token, claims, userinfo, the session sealed, the worker answered. */
void	flow_verify(struct flow *);

#endif /* GH_FLOW_H */
