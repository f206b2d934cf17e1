/*
 * gatehouse-authd: everything that talks to the identity provider.  It
 * alone holds the client secret.  Workers ask it to start and finish
 * sign-ins, refresh sessions and sign out; sessiond seals for it.
 */
#include "authd.h"
#include "log.h"
#include "login.h"

/*
 * A worker's PING is the /ready probe: while the provider's endpoints
 * are not known, the answer says so.
 */
static int
answer_ping(struct chan *ch, struct imsg_in *in, const struct peer *p)
{
	if (p->role != ROLE_PROXY || idp_ready())
		return child_answer_ping(ch, in);
	if (imsg_end(in) == -1)
		return -1;
	return chan_sendv(ch, IMSG_NOT_READY, in->hdr.id) == -1 ? -1 : 0;
}

static int
authd_dispatch_peer(struct chan *ch, struct imsg_in *in, int *fd, void *arg)
{
	struct peer	*p = arg;

	(void)fd;
	if (in->hdr.type == IMSG_PING)
		return answer_ping(ch, in, p);
	if (p->role == ROLE_PROXY) {
		switch (in->hdr.type) {
		case IMSG_LOGIN_START:
			return flow_start(p, in);
		case IMSG_LOGIN_FINISH:
			return flow_finish(p, in);
		case IMSG_SESSION_REFRESH:
			return flow_refresh(p, in);
		case IMSG_LOGOUT:
			return flow_logout(p, in);
		case IMSG_BEARER:
			return flow_bearer(p, in);
		default:
			break;
		}
	} else if (p->role == ROLE_SESSIOND) {
		switch (in->hdr.type) {
		case IMSG_PONG:
			return imsg_end(in);
		case IMSG_SEALED:
		case IMSG_UNSEALED:
		case IMSG_STORE_DONE:
			return sd_answer(in);
		default:
			break;
		}
	}
	log_warnx("%s: %s not accepted from this peer", ch->peer,
	    imsg_type_name(in->hdr.type));
	return -1;
}

int
main(int argc, char **argv)
{
	static struct child	c;

	child_init(&c, ROLE_AUTHD, argc, argv);
	idp_privinit(&c);
	child_sandbox(&c);
	child_ready(&c, authd_dispatch_peer);
	idp_start();
	bearer_start();
	event_base_dispatch(c.base);
	config_free(&c.cf);
	return 0;
}
