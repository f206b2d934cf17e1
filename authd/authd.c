/*
 * gatehouse-authd: everything that talks to the identity provider.  It
 * alone holds the client secret.  This release answers its peers'
 * liveness round trips; the OIDC client arrives with sign-in.
 */
#include "child.h"

int
main(int argc, char **argv)
{
	static struct child	authd;

	child_init(&authd, ROLE_AUTHD, argc, argv);
	child_sandbox(&authd);
	child_ready(&authd, child_dispatch_ping);
	event_base_dispatch(authd.base);
	config_free(&authd.cf);
	return 0;
}
