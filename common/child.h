/*
 * What every child process does the same way: receive its config slice
 * from the parent, enter the sandbox, acknowledge, and take the messages
 * every child accepts from the parent.
 */
#ifndef GH_CHILD_H
#define GH_CHILD_H

#include <stdint.h>
#include <event2/event.h>

#include "chan.h"
#include "config.h"
#include "gatehouse.h"

/* A channel to a peer process, identified by what the parent said of it. */
struct peer {
	uint32_t		 role;
	uint32_t		 instance;
	uint32_t		 serial;	/* which start of that instance */
	struct chan		*chan;
	struct child		*child;
};

#define CHILD_MAX_PEERS	(PROXY_MAX_WORKERS + 2)

struct child {
	enum gh_role		 role;
	struct config		 cf;
	uint32_t		 instance;
	uint32_t		 nlisten;	/* workers: listening fds */
	uint32_t		 listen_tls[PROXY_MAX_LISTENERS];
	struct event_base	*base;
	struct chan		*parent;
	struct event		*ev_sigterm;
	int			 draining;
	struct peer		 peers[CHILD_MAX_PEERS];
	char			 peer_names[CHILD_MAX_PEERS][32];
	chan_dispatch_fn	 dispatch_peer;
	void			(*drain)(struct child *);	/* NULL: stop */
	const int		*ro_dirs;	/* Landlock: readable trees */
	size_t			 nro_dirs;
};

/*
 * Start-up before the event loop, in this order: child_init (config slice,
 * logging, event base), the role's own privileged set-up, child_sandbox,
 * child_ready (parent channel on the loop, IMSG_CONF_ACK).
 *
 * From the parent every child takes IMSG_LOG_REOPEN, IMSG_DRAIN (the
 * role's drain hook, or the loop stops when it has none) and
 * IMSG_CHAN_PEER: a channel to a peer this role talks to, replacing an
 * older one to the same peer, whose messages go to the role's peer
 * dispatcher with the struct peer as argument.
 */
void	child_init(struct child *, enum gh_role, int argc, char **argv);
void	child_sandbox(struct child *);
void	child_ready(struct child *, chan_dispatch_fn peer);

/* A peer dispatcher for roles that only answer liveness round trips. */
int	child_dispatch_ping(struct chan *, struct imsg_in *, int *fd,
	    void *arg);

/* Answers an IMSG_PING from any peer; -1 when malformed. */
int	child_answer_ping(struct chan *, struct imsg_in *);

/* The channel to a peer, or NULL while there is none. */
struct chan *child_peer(struct child *, enum gh_role, uint32_t instance);

#endif /* GH_CHILD_H */
