/*
 * What gatehouse-sessiond's main loop calls: its keys, loaded before the
 * sandbox, and the answers to its peers' requests.
 */
#ifndef GH_SESSIOND_H
#define GH_SESSIOND_H

#include <stdint.h>

#include "chan.h"
#include "config.h"

struct seal_keys;

/*
 * Before the sandbox: libsodium's set-up and the keys of every cookie
 * secret, in locked memory.  The config's copies of the secrets are wiped
 * once the keys are derived.  Fatal on any error.
 */
void	sessiond_keys_privinit(struct config *);
void	sessiond_keys_free(void);

/*
 * A request whose answer may come later (Redis): who asked, and which
 * start of that peer, so that an answer never goes to a successor.
 */
struct peer;
struct reply_to {
	struct peer	*p;
	uint32_t	 serial;
	uint64_t	 id;
	uint32_t	 wants;		/* IMSG_SESSION_OPEN's */
	uint32_t	 purpose;	/* IMSG_SEAL's and IMSG_UNSEAL's */
	int64_t		 expires;	/* IMSG_SEAL's */
};
struct reply_to	*reply_to_new(struct peer *, uint64_t id);
/* Sends m if the peer is still that start; wipes m; frees r. */
void		 reply_to_send(struct reply_to *r, struct imsg_out *m);

/*
 * Answers one IMSG_SESSION_OPEN from a worker with IMSG_SESSION_CLAIMS.
 * Returns -1 only when the message is malformed: the caller closes that
 * worker's channel.
 */
int	sessiond_open(struct peer *, struct imsg_in *);

/*
 * authd's requests: IMSG_SEAL (a new session or CSRF cookie value),
 * IMSG_UNSEAL (a CSRF cookie, or a session to refresh or sign out),
 * IMSG_STORE_REVOKE and IMSG_STORE_LOCK.  A session is sealed only when
 * it decodes.  Returns -1 as sessiond_open.
 */
int	sessiond_seal(struct peer *, struct imsg_in *);
int	sessiond_unseal(struct peer *, struct imsg_in *);
int	sessiond_revoke(struct peer *, struct imsg_in *);
int	sessiond_lock(struct peer *, struct imsg_in *);

/* The keys sessiond_keys_privinit loaded. */
const struct seal_keys	*sessiond_keys(void);

#endif /* GH_SESSIOND_H */
