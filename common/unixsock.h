/*
 * Unix stream sockets reached from inside a chroot, where their paths do
 * not exist: the socket's directory is opened (O_PATH) before the
 * sandbox, and a connect goes by the socket's name from that directory,
 * then back to the working directory of the time it was opened (the
 * chroot's root once sandboxed).  The process is single-threaded, so
 * nothing else sees the changed directory.  Landlock (before ABI 6) does
 * not govern connecting to a unix socket; seccomp must allow fchdir.
 */
#ifndef GH_UNIXSOCK_H
#define GH_UNIXSOCK_H

#include <sys/un.h>

#include <stddef.h>

struct unix_target {
	int	dirfd;		/* the socket's directory */
	int	backfd;		/* the working directory when opened */
	char	name[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* Before the sandbox.  0, or -1 with err set. */
int	unix_target_open(struct unix_target *, const char *path, char *err,
	    size_t errlen);
void	unix_target_close(struct unix_target *);

/* connect(2) on fd (non-blocking: EINPROGRESS as connect). */
int	unix_target_connect(const struct unix_target *, int fd);

#endif /* GH_UNIXSOCK_H */
