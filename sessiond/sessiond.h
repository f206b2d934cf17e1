/*
 * What gatehouse-sessiond's main loop calls: its keys, loaded before the
 * sandbox, and the answers to its peers' requests.
 */
#ifndef GH_SESSIOND_H
#define GH_SESSIOND_H

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
 * Answers one IMSG_SESSION_OPEN from a worker with IMSG_SESSION_CLAIMS.
 * Returns -1 only when the message is malformed or the answer cannot be
 * queued: the caller closes that worker's channel.
 */
int	sessiond_open(struct chan *, struct imsg_in *, const char *cookie_name);

/*
 * authd's requests: IMSG_SEAL (a new session or CSRF cookie value) and
 * IMSG_UNSEAL (a CSRF cookie, or a session to refresh or sign out).  A
 * session is sealed only when it decodes.  Returns -1 as sessiond_open.
 */
int	sessiond_seal(struct chan *, struct imsg_in *);
int	sessiond_unseal(struct chan *, struct imsg_in *);

/* The keys sessiond_keys_privinit loaded. */
const struct seal_keys	*sessiond_keys(void);

#endif /* GH_SESSIOND_H */
