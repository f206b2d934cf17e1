/*
 * gatehouse-sessiond: seals and opens cookies; it alone holds the cookie
 * keys.  Workers ask it to open session cookies; authd to seal new
 * sessions and CSRF cookies and to open them again.
 */
#include "child.h"
#include "gatehouse.h"
#include "log.h"
#include "sessiond.h"

/*
 * A peer is who the parent said is at the other end of the channel: only
 * workers open sessions, only authd seals and unseals.  Anything else closes that peer's channel, and
 * the parent replaces a worker that sent it; sessiond goes on.
 */
static int
sessiond_dispatch_peer(struct chan *ch, struct imsg_in *in, int *fd,
    void *arg)
{
	struct peer	*p = arg;

	(void)fd;
	switch (in->hdr.type) {
	case IMSG_PING:
		return (child_answer_ping(ch, in));
	case IMSG_SESSION_OPEN:
		if (p->role != ROLE_PROXY)
			break;
		return (sessiond_open(ch, in, p->child->cf.cookie_name));
	case IMSG_SEAL:
		if (p->role != ROLE_AUTHD)
			break;
		return (sessiond_seal(ch, in));
	case IMSG_UNSEAL:
		if (p->role != ROLE_AUTHD)
			break;
		return (sessiond_unseal(ch, in));
	default:
		break;
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
	child_sandbox(&sessiond);
	child_ready(&sessiond, sessiond_dispatch_peer);
	event_base_dispatch(sessiond.base);
	sessiond_keys_free();
	config_free(&sessiond.cf);
	return (0);
}
