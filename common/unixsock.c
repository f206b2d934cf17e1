/*
 * Unix sockets from inside a chroot (see unixsock.h).
 */
#define _GNU_SOURCE	/* O_PATH */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "unixsock.h"

int
unix_target_open(struct unix_target *t, const char *path, char *err,
    size_t errlen)
{
	const char	*slash = strrchr(path, '/');
	char		 dir[4096];

	t->dirfd = t->backfd = -1;
	if (path[0] != '/' || slash == NULL ||
	    strlen(slash + 1) >= sizeof(t->name) || slash[1] == '\0') {
		snprintf(err, errlen, "%s: not an absolute socket path", path);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((t->backfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "working directory: %s", strerror(errno));
		return -1;
	}
	if ((t->dirfd = open(dir[0] != '\0' ? dir : "/", O_PATH |
	    O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		unix_target_close(t);
		return -1;
	}
	memcpy(t->name, slash + 1, strlen(slash + 1) + 1);
	return 0;
}

void
unix_target_close(struct unix_target *t)
{
	if (t->dirfd != -1)
		close(t->dirfd);
	if (t->backfd != -1)
		close(t->backfd);
	t->dirfd = t->backfd = -1;
}

int
unix_target_connect(const struct unix_target *t, int fd)
{
	struct sockaddr_un	sun;
	int			rc, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, t->name, strlen(t->name) + 1);
	if (fchdir(t->dirfd) == -1)
		return -1;
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	saved = errno;
	if (fchdir(t->backfd) == -1)
		fatal("unix socket: cannot return to the working directory");
	errno = saved;
	return rc;
}
