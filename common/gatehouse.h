/*
 * Facts every gatehouse process agrees on: the roles, the fixed file
 * descriptor numbers a child finds after exec, and version strings.
 */
#ifndef GATEHOUSE_H
#define GATEHOUSE_H

#define GATEHOUSE_VERSION	"0.1.0"

/* Roles, as bits so a config key can name the roles that receive it. */
enum gh_role {
	ROLE_PARENT	= 1 << 0,
	ROLE_PROXY	= 1 << 1,
	ROLE_AUTHD	= 1 << 2,
	ROLE_SESSIOND	= 1 << 3,
};
#define ROLE_CHILDREN	(ROLE_PROXY | ROLE_AUTHD | ROLE_SESSIOND)
#define ROLE_ALL	(ROLE_PARENT | ROLE_CHILDREN)

/*
 * The fd contract of a child after exec; everything else is closed.
 * 0 and 1 are /dev/null, 2 is the log (the parent's stderr or the role's
 * log file), 3 the channel to the parent, and a worker's listening
 * sockets follow from FD_LISTEN_FIRST on.  Channels to peers arrive
 * later over the parent channel (IMSG_CHAN_PEER), so that a restarted
 * peer is reached the same way as the first one.
 */
#define FD_LOG			2
#define FD_PARENT		3
#define FD_LISTEN_FIRST		4

#define PROXY_MAX_LISTENERS	8
#define PROXY_MAX_WORKERS	64

const char	*role_name(enum gh_role);

#endif /* GATEHOUSE_H */
