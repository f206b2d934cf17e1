/*
 * Listening sockets, opened by the parent before any child runs.  Each
 * worker gets its own SO_REUSEPORT socket, so the kernel spreads new
 * connections over the workers without a thundering herd.
 */
#include <sys/socket.h>

#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "parent.h"

#define LISTEN_BACKLOG	511

/*
 * Splits "[http://]host:port", "[::1]:port" or ":port" into host (NULL
 * for every address) and port.
 */
static int
split_address(const char *address, char *host, size_t hostlen, char *port,
    size_t portlen)
{
	const char	*p = address, *colon;
	size_t		 n;

	if (strncmp(p, "http://", 7) == 0)
		p += 7;
	if (*p == '[') {
		if ((colon = strstr(p, "]:")) == NULL)
			return -1;
		n = (size_t)(colon - p - 1);
		p++;
		colon++;
	} else {
		if ((colon = strrchr(p, ':')) == NULL)
			return -1;
		n = (size_t)(colon - p);
	}
	if (n >= hostlen || strlen(colon + 1) >= portlen || colon[1] == '\0')
		return -1;
	memcpy(host, p, n);
	host[n] = '\0';
	strcpy(port, colon + 1);
	return 0;
}

static struct addrinfo *
resolve(const char *address)
{
	struct addrinfo	 hints, *res;
	char		 host[256], port[16];
	int		 e;

	if (split_address(address, host, sizeof(host), port,
	    sizeof(port)) == -1) {
		log_warnx("listen: %s: expected host:port", address);
		return NULL;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((e = getaddrinfo(host[0] ? host : NULL, port, &hints, &res)) != 0) {
		log_warnx("listen: %s: %s", address, gai_strerror(e));
		return NULL;
	}
	return res;
}

int
listen_check(const char *address)
{
	struct addrinfo	*res;

	if ((res = resolve(address)) == NULL)
		return -1;
	freeaddrinfo(res);
	return 0;
}

/* Opens one socket on the first address the name resolves to. */
int
listen_open(const char *address, int *fdp)
{
	struct addrinfo	*res;
	int		 fd, on = 1;

	if ((res = resolve(address)) == NULL)
		return -1;
	fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, res->ai_protocol);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == -1 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, LISTEN_BACKLOG) == -1) {
		log_warn("listen: %s", address);
		if (fd != -1)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	*fdp = fd;
	return 0;
}
