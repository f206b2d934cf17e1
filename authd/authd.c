/*
 * gatehouse-authd: everything that talks to the identity provider.  It
 * alone holds the client secret.  This release answers its peers'
 * liveness round trips; the OIDC client arrives with sign-in.
 */
#include <stdlib.h>

#include "child.h"
#include "log.h"

static struct child	authd;

static int
authd_dispatch_peer(struct chan *ch, struct imsg_in *in, int *fd, void *arg)
{
	(void)fd;
	(void)arg;
	switch (in->hdr.type) {
	case IMSG_PING:
		return child_answer_ping(ch, in);
	default:
		/* A bad peer loses its channel; authd goes on. */
		return -1;
	}
}

static int
authd_dispatch_parent(struct chan *ch, struct imsg_in *in, int *fd, void *arg)
{
	(void)ch;
	(void)arg;
	return child_dispatch_parent(&authd, in, fd) == 1 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	child_init(&authd, ROLE_AUTHD, argc, argv);
	child_sandbox(&authd);
	child_ready(&authd, authd_dispatch_parent, authd_dispatch_peer);
	event_base_dispatch(authd.base);
	config_free(&authd.cf);
	return 0;
}
