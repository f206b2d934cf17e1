/*
 * gatehouse-sessiond: seals and opens cookies and holds the cookie keys.
 * This release answers its peers' liveness round trips; sealing and
 * the stores arrive with sign-in.
 */
#include <stdlib.h>

#include "child.h"
#include "log.h"

static struct child	sessiond;

static int
sessiond_dispatch_peer(struct chan *ch, struct imsg_in *in, int *fd, void *arg)
{
	(void)fd;
	(void)arg;
	switch (in->hdr.type) {
	case IMSG_PING:
		return child_answer_ping(ch, in);
	default:
		/* A bad peer loses its channel; sessiond goes on. */
		return -1;
	}
}

static int
sessiond_dispatch_parent(struct chan *ch, struct imsg_in *in, int *fd, void *arg)
{
	(void)ch;
	(void)arg;
	return child_dispatch_parent(&sessiond, in, fd) == 1 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	child_init(&sessiond, ROLE_SESSIOND, argc, argv);
	child_sandbox(&sessiond);
	child_ready(&sessiond, sessiond_dispatch_parent, sessiond_dispatch_peer);
	event_base_dispatch(sessiond.base);
	config_free(&sessiond.cf);
	return 0;
}
