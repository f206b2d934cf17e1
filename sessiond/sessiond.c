/*
 * gatehouse-sessiond: seals and opens cookies; it alone holds the cookie
 * keys, and the connections to Redis.  Workers ask it to open session
 * cookies; authd to seal new sessions and CSRF cookies, to open them
 * again, to end sessions and to lock one for a refresh.
 */
#include "child.h"
#include "gatehouse.h"
#include "log.h"
#include "sessiond.h"
#include "store.h"

/* A worker's PING is the /ready probe: not ready while Redis is away. */
static int
answer_ping(struct chan *ch, struct imsg_in *in, const struct peer *p)
{
	if (p->role != ROLE_PROXY || store_ready())
		return (child_answer_ping(ch, in));
	if (imsg_end(in) == -1)
		return (-1);
	return (chan_sendv(ch, IMSG_NOT_READY, in->hdr.id) == -1 ? -1 : 0);
}

/*
 * A peer is who the parent said is at the other end of the channel: only
 * workers open sessions, only authd seals, unseals, revokes and locks.
 * Anything else closes that peer's channel, and the parent replaces a
 * worker that sent it; sessiond goes on.
 */
static int
sessiond_dispatch_peer(struct chan *ch, struct imsg_in *in, int *fd,
    void *arg)
{
	struct peer	*p = arg;

	(void)fd;
	if (in->hdr.type == IMSG_PING)
		return (answer_ping(ch, in, p));
	if (p->role == ROLE_PROXY && in->hdr.type == IMSG_SESSION_OPEN)
		return (sessiond_open(p, in));
	if (p->role == ROLE_AUTHD) {
		switch (in->hdr.type) {
		case IMSG_SEAL:
			return (sessiond_seal(p, in));
		case IMSG_UNSEAL:
			return (sessiond_unseal(p, in));
		case IMSG_STORE_REVOKE:
			return (sessiond_revoke(p, in));
		case IMSG_STORE_LOCK:
			return (sessiond_lock(p, in));
		default:
			break;
		}
	}
	log_warnx("%s: %s not accepted from this peer", ch->peer,
	    imsg_type_name(in->hdr.type));
	return (-1);
}

int
main(int argc, char **argv)
{
	static struct child	sessiond;

	child_init(&sessiond, ROLE_SESSIOND, argc, argv);
	sessiond_keys_privinit(&sessiond.cf);
	store_privinit(&sessiond.cf, sessiond.base);
	child_sandbox(&sessiond);
	child_ready(&sessiond, sessiond_dispatch_peer);
	event_base_dispatch(sessiond.base);
	sessiond_keys_free();
	config_free(&sessiond.cf);
	return (0);
}
