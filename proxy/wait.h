/*
 * Requests a worker has sent to authd or sessiond on behalf of a client
 * connection, waiting for their answer.  Each has a deadline: a peer
 * that is slow or gone is an answer too (in NULL), never a hang.
 */
#ifndef GH_WAIT_H
#define GH_WAIT_H

#include "chan.h"
#include "imsg.h"

struct conn;

/*
 * The answer to one request: in is the peer's message, or NULL when the
 * deadline passed or the request could not be sent.  Returns -1 when in
 * is malformed (the channel closes), else 0.
 */
typedef int	(*wait_fn)(struct conn *, struct imsg_in *);

/*
 * Gives m a request id, sends it on ch and waits up to sec seconds.  When
 * it cannot be sent, fn(c, NULL) is called at once.  c->waiting is set
 * meanwhile; after fn the connection resumes (http_resume).
 */
void	wait_send(struct conn *, struct chan *ch, struct imsg_out *m, int sec,
	    wait_fn);

/* An answer from a peer: the waiting request's fn, or -1 when malformed. */
int	wait_answer(struct imsg_in *);

/* The connection goes away: its request is forgotten. */
void	wait_cancel(struct conn *);

#endif /* GH_WAIT_H */
