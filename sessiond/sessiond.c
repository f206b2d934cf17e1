/*
 * gatehouse-sessiond: seals and opens cookies; it alone holds the cookie
 * keys.  This release answers its peers' liveness round trips; sealing
 * and the session stores arrive with sign-in.
 */
#include "child.h"

int
main(int argc, char **argv)
{
	static struct child	sessiond;

	child_init(&sessiond, ROLE_SESSIOND, argc, argv);
	child_sandbox(&sessiond);
	child_ready(&sessiond, child_dispatch_ping);
	event_base_dispatch(sessiond.base);
	config_free(&sessiond.cf);
	return 0;
}
