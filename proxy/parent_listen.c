/*
 * Listening sockets, opened by the parent before any child runs.  Each
 * worker gets its own SO_REUSEPORT socket for a TCP address, so the
 * kernel spreads new connections over the workers without a thundering
 * herd; a unix socket is one socket that every worker accepts on.
 *
 * The listeners follow oauth2-proxy's legacy configuration: http_address,
 * unless a TLS certificate is set, which turns it off; https_address only
 * with a certificate and key.  A worker gets them in that order.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "parent.h"

#define LISTEN_BACKLOG	511
#define MODE_MAX	0777

/* An address oauth2-proxy would take and gatehouse does not. */
static int
listen_refused(const char *text, const char **why)
{
	if (strncasecmp(text, "fd:", 3) == 0) {
		*why = "systemd socket activation (fd:N) is not supported: "
		    "give the address itself";
		return 1;
	}
	return 0;
}

/* ",mode=0660" after a unix path: octal permission bits. */
static int
parse_mode(const char *opts, int *mode)
{
	char	*end;
	long	 v;

	if (strncmp(opts, "mode=", 5) != 0 || opts[5] == '\0' ||
	    strspn(opts + 5, "01234567") != strlen(opts + 5))
		return -1;
	v = strtol(opts + 5, &end, 8);
	if (v < 0 || v > MODE_MAX)
		return -1;
	*mode = (int)v;
	return 0;
}

/* "unix:///path[,mode=0NNN]" or "unix:/path[,mode=0NNN]". */
static int
parse_unix(const char *rest, struct listen_addr *a, struct conf_diag *diag)
{
	const char	*comma;
	size_t		 n;

	if (strncmp(rest, "//", 2) == 0)
		rest += 2;
	comma = strchr(rest, ',');
	n = comma != NULL ? (size_t)(comma - rest) : strlen(rest);
	if (n == 0 || rest[0] != '/') {
		conf_error(diag, "%s: %s: a unix socket needs an absolute "
		    "path, as in unix:///run/gatehouse.sock", a->key, a->text);
		return -1;
	}
	if (n >= sizeof(a->path)) {
		conf_error(diag, "%s: %s: socket path longer than %zu bytes",
		    a->key, a->text, sizeof(a->path) - 1);
		return -1;
	}
	memcpy(a->path, rest, n);
	a->path[n] = '\0';
	a->local = 1;
	if (comma != NULL && parse_mode(comma + 1, &a->mode) == -1) {
		conf_error(diag, "%s: %s: expected \",mode=\" and an octal "
		    "file mode, such as \",mode=0660\"", a->key, a->text);
		return -1;
	}
	return 0;
}

/* A decimal port, 1 to 65535. */
static int
valid_port(const char *s)
{
	char	*end;
	long	 v;

	if (*s < '0' || *s > '9')
		return 0;
	v = strtol(s, &end, 10);
	return *end == '\0' && v >= 1 && v <= 65535;
}

/* "host:port", "[v6]:port" or ":port", the scheme already cut. */
static int
parse_tcp(const char *p, struct listen_addr *a, struct conf_diag *diag)
{
	const char	*colon;
	size_t		 n;

	if (*p == '[') {
		if ((colon = strstr(p, "]:")) == NULL)
			goto bad;
		n = (size_t)(colon - p - 1);
		p++;
		colon++;
	} else {
		if ((colon = strrchr(p, ':')) == NULL ||
		    memchr(p, ':', (size_t)(colon - p)) != NULL)
			goto bad;
		n = (size_t)(colon - p);
	}
	if (n >= sizeof(a->host) || strlen(colon + 1) >= sizeof(a->port) ||
	    !valid_port(colon + 1))
		goto bad;
	memcpy(a->host, p, n);
	a->host[n] = '\0';
	strcpy(a->port, colon + 1);
	return 0;
bad:
	conf_error(diag, "%s: %s: expected [%s://]host:port, [::1]:port or "
	    ":port%s", a->key, a->text, a->tls ? "https" : "http",
	    a->tls ? "" : ", or unix:///path");
	return -1;
}

static int
listen_parse(const char *key, const char *text, int tls,
    struct listen_addr *a, struct conf_diag *diag)
{
	const char	*scheme = tls ? "https://" : "http://", *why;

	memset(a, 0, sizeof(*a));
	a->key = key;
	a->text = text;
	a->tls = tls;
	a->mode = -1;
	if (listen_refused(text, &why)) {
		conf_error(diag, "%s: %s: %s", key, text, why);
		return -1;
	}
	if (!tls && strncasecmp(text, "unix:", 5) == 0)
		return parse_unix(text + 5, a, diag);
	if (strncasecmp(text, scheme, strlen(scheme)) == 0)
		text += strlen(scheme);
	return parse_tcp(text, a, diag);
}

static int
enabled(const char *address)
{
	return address != NULL && address[0] != '\0' &&
	    strcmp(address, "-") != 0;
}

/*
 * The listeners of a config, in the order the workers get them: the
 * plain one, then the TLS one.  A certificate turns the plain one off, as
 * in oauth2-proxy's legacy configuration.
 */
int
listen_config(const struct config *cf, struct listen_addr *addrs, size_t *n,
    struct conf_diag *diag)
{
	int	tls = cf->tls_cert_file != NULL && cf->tls_cert_file[0] != '\0';
	int	bad = 0;

	*n = 0;
	if (!tls && enabled(cf->http_address) && listen_parse("http_address",
	    cf->http_address, 0, &addrs[(*n)++], diag) == -1)
		bad = 1;
	if (tls && enabled(cf->https_address) && listen_parse("https_address",
	    cf->https_address, 1, &addrs[(*n)++], diag) == -1)
		bad = 1;
	if (!bad && *n == 0) {
		conf_error(diag, "%s: no listener: %s", tls ?
		    "https_address" : "http_address", tls ? "https_address is "
		    "off, and tls_cert_file turns http_address off" :
		    "http_address is off, and https_address needs "
		    "tls_cert_file and tls_key_file");
		bad = 1;
	}
	return bad ? -1 : 0;
}

static struct addrinfo *
resolve(const struct listen_addr *a, struct conf_diag *diag)
{
	struct addrinfo	 hints, *res;
	int		 e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	e = getaddrinfo(a->host[0] ? a->host : NULL, a->port, &hints, &res);
	if (e != 0) {
		if (diag != NULL)
			conf_error(diag, "%s: %s: %s", a->key, a->text,
			    gai_strerror(e));
		else
			log_warnx("listen: %s: %s", a->text, gai_strerror(e));
		return NULL;
	}
	return res;
}

/* The socket's directory exists, and the path is free or a socket. */
static int
check_unix(const struct listen_addr *a, struct conf_diag *diag)
{
	char		 buf[sizeof(a->path)];
	const char	*dir;
	struct stat	 st;

	memcpy(buf, a->path, sizeof(buf));
	dir = dirname(buf);
	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		conf_error(diag, "%s: %s: no directory %s", a->key, a->text,
		    dir);
		return -1;
	}
	if (lstat(a->path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		conf_error(diag, "%s: %s: exists and is not a socket",
		    a->key, a->path);
		return -1;
	}
	return 0;
}

/* For "gatehouse -n" and every load: the addresses parse and resolve. */
int
listen_check(const struct config *cf, struct conf_diag *diag)
{
	struct listen_addr	 addrs[PROXY_MAX_LISTENERS];
	struct addrinfo		*res;
	size_t			 i, n;
	int			 bad = 0;

	if (listen_config(cf, addrs, &n, diag) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (addrs[i].local) {
			if (check_unix(&addrs[i], diag) == -1)
				bad = 1;
		} else if ((res = resolve(&addrs[i], diag)) == NULL)
			bad = 1;
		else
			freeaddrinfo(res);
	}
	return bad ? -1 : 0;
}

/* One socket on the first address the name resolves to. */
static int
open_tcp(const struct listen_addr *a, int *fdp)
{
	struct addrinfo	*res;
	int		 fd, on = 1;

	if ((res = resolve(a, NULL)) == NULL)
		return -1;
	fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, res->ai_protocol);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == -1 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, LISTEN_BACKLOG) == -1) {
		log_warn("listen: %s", a->text);
		if (fd != -1)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	*fdp = fd;
	return 0;
}

/*
 * A stale socket file, left by a crash or by the generation a reload
 * replaces, is removed; anything else at that path is left alone.
 */
static int
unlink_stale(const char *path)
{
	struct stat	st;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	return unlink(path);
}

/*
 * The file gets its mode at bind(2) time through the umask, so that there
 * is no moment when it is more open than configured.  Without a mode it
 * is left to the umask, as in oauth2-proxy.
 */
static int
open_unix(struct listener *l)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	mode_t			 old = 0;
	int			 fd, r;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, l->addr.path, sizeof(sun.sun_path));
	if (unlink_stale(l->addr.path) == -1) {
		log_warn("listen: %s", l->addr.path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		log_warn("listen: socket");
		return -1;
	}
	if (l->addr.mode != -1)
		old = umask(~(mode_t)l->addr.mode & 0777);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	if (l->addr.mode != -1)
		umask(old);
	if (r == -1 || listen(fd, LISTEN_BACKLOG) == -1 ||
	    stat(l->addr.path, &st) == -1) {
		log_warn("listen: %s", l->addr.path);
		close(fd);
		return -1;
	}
	l->shared_fd = fd;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	return 0;
}

/*
 * On a reload: the unix socket of the running generation, at the same
 * path, becomes this one's too, with the mode now configured.
 */
int
listen_adopt(struct listener *l, const struct listener *old)
{
	if ((l->shared_fd = fcntl(old->shared_fd, F_DUPFD_CLOEXEC, 0)) == -1 ||
	    (l->addr.mode != -1 && chmod(l->addr.path,
	    (mode_t)l->addr.mode) == -1)) {
		log_warn("listen: %s", l->addr.path);
		return -1;
	}
	l->dev = old->dev;
	l->ino = old->ino;
	return 0;
}

/*
 * A socket for one worker: its own for TCP, a duplicate of the shared
 * one for a unix socket.  The caller owns *fdp.
 */
int
listen_open(struct listener *l, int *fdp)
{
	if (!l->addr.local)
		return open_tcp(&l->addr, fdp);
	if (l->shared_fd == -1 && open_unix(l) == -1)
		return -1;
	if ((*fdp = fcntl(l->shared_fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		log_warn("listen: %s", l->addr.path);
		return -1;
	}
	return 0;
}

/*
 * The shared socket; and its file, unless another generation uses it
 * (keep_file) or it is no longer the one we made.
 */
void
listen_close(struct listener *l, int keep_file)
{
	struct stat	st;

	if (l->shared_fd == -1)
		return;
	close(l->shared_fd);
	l->shared_fd = -1;
	if (!keep_file && lstat(l->addr.path, &st) == 0 &&
	    S_ISSOCK(st.st_mode) && st.st_dev == l->dev &&
	    st.st_ino == l->ino)
		unlink(l->addr.path);
}
