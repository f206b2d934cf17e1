/*
 * Upstreams the worker answers itself.  static://CODE: CODE and
 * "Authenticated", whatever the method.  file://: GET and HEAD of
 * regular files beneath a directory opened before the sandbox, as Go's
 * http.FileServer behind http.StripPrefix serves them, with these
 * differences, each on purpose:
 *  - the path is mapped by static_map_path(): an encoded "/" or "\",
 *    a NUL, a "." or ".." segment or a bad escape is 404, never a file;
 *  - files are opened with openat2(RESOLVE_BENEATH, no symlinks, no
 *    other mounts): a symbolic link is 404, even one inside the tree;
 *  - a directory is served by its index.html; without one it is 404,
 *    as if nothing were there (no listings: the proxy's seccomp filter
 *    does not even allow getdents64);
 *  - only GET and HEAD (405 otherwise); no ranges and no conditional
 *    requests: 200 with the whole file;
 *  - a file:// upstream must name a directory.
 * A directory asked for without its final "/" is redirected to it (301)
 * with a relative Location ("./name/"), so that no path a client sends
 * ("//evil.example/x") becomes another site.
 */
#define _GNU_SOURCE

#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <linux/openat2.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "static.h"
#include "pct.h"

#define STATIC_CHUNK	(64 * 1024)	/* read per fill() */
#define STATIC_PATH_MAX	4096
#define STATIC_INDEX	"index.html"
#define STATIC_OPEN	(O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | \
			 O_NOCTTY)	/* NONBLOCK: a FIFO must not hang */
#define STATIC_RESOLVE	(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | \
			 RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)
#define TEXT_PLAIN	"text/plain; charset=utf-8"

/* The directories of the file:// upstreams, by path, opened once. */
static struct static_dir {
	char	*path;
	int	 fd;
} static_dirs[UPSTREAM_MAX];
static size_t	static_ndirs;

/* One file being sent. */
struct static_file {
	int			 fd;
	off_t			 off;
	uint64_t		 left;
	struct http_stream	 stream;
};

static const struct {
	const char	*ext;
	const char	*type;
} mime_types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "json", "application/json" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "ico", "image/x-icon" },
	{ "txt", TEXT_PLAIN },
	{ "woff2", "font/woff2" },
	{ "wasm", "application/wasm" },
};

static const char *
mime_type(const char *name)
{
	const char	*dot = strrchr(name, '.');
	size_t		 i;

	if (dot != NULL && strchr(dot, '/') == NULL)
		for (i = 0; i < sizeof(mime_types) / sizeof(mime_types[0]); i++)
			if (strcasecmp(dot + 1, mime_types[i].ext) == 0)
				return mime_types[i].type;
	return "application/octet-stream";
}

static int
dir_fd(const char *path)
{
	size_t	i;

	for (i = 0; i < static_ndirs; i++)
		if (strcmp(static_dirs[i].path, path) == 0)
			return static_dirs[i].fd;
	return -1;
}

/* Once, before the sandbox; a directory named twice is opened once. */
int
static_privinit(const struct upstream_set *set, int *dirs, size_t max)
{
	const struct upstream	*u;
	struct static_dir	*d;
	size_t			 i;

	for (i = 0; i < set->n; i++) {
		u = &set->u[i];
		if (u->type != UPSTREAM_FILE || dir_fd(u->path) != -1)
			continue;
		if (static_ndirs == max) {
			log_warnx("static: more than %zu directories", max);
			return -1;
		}
		d = &static_dirs[static_ndirs];
		if ((d->fd = open(u->path, O_PATH | O_DIRECTORY |
		    O_CLOEXEC)) == -1) {
			log_warn("static: %s", u->path);
			return -1;
		}
		if ((d->path = strdup(u->path)) == NULL) {
			log_warn("static: %s", u->path);
			close(d->fd);
			return -1;
		}
		dirs[static_ndirs++] = d->fd;
	}
	return (int)static_ndirs;
}

static int
has_dot_segment(const char *s)
{
	size_t	n;

	for (;; s += n + 1) {
		n = strcspn(s, "/");
		if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' &&
		    s[1] == '.'))
			return 1;
		if (s[n] == '\0')
			return 0;
	}
}

int
static_map_path(const char *route, const char *path, char *out,
    size_t outlen)
{
	size_t	rlen = strlen(route), o = 0;
	int	c, hi, lo;

	if (rlen == 0 || strncmp(path, route, rlen) != 0 ||
	    (route[rlen - 1] != '/' && path[rlen] != '\0') || outlen < 2)
		return -1;
	/* Go joins the rest to the directory as "/rest", cleaned. */
	for (path += rlen; *path == '/'; path++)
		;
	for (; *path != '\0'; path++) {
		c = (unsigned char)*path;
		if (c == '%') {
			if ((hi = pct_hexval(path[1])) < 0 ||
			    (lo = pct_hexval(path[2])) < 0)
				return -1;
			c = hi << 4 | lo;
			path += 2;
			if (c == '/' || c == '\\' || c == '\0')
				return -1;
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (has_dot_segment(out))
		return -1;
	if (o == 0)
		strcpy(out, ".");
	return 0;
}

static int
open_beneath(int dirfd, const char *rel)
{
	struct open_how	how;

	memset(&how, 0, sizeof(how));
	how.flags = STATIC_OPEN;
	how.resolve = STATIC_RESOLVE;
	return (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
}

/* Go's FileServer: missing 404, not permitted 403, anything else 500. */
static int
errno_status(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
	case ELOOP:		/* a symbolic link */
	case EXDEV:		/* out of the tree, or another mount */
	case ENAMETOOLONG:
		return 404;
	case EACCES:
	case EPERM:
		return 403;
	default:
		return 500;
	}
}

static int
file_fill(struct evbuffer *out, void *arg)
{
	struct static_file	*sf = arg;
	struct evbuffer_iovec	 vec;
	size_t			 want;
	ssize_t			 n;

	want = sf->left < STATIC_CHUNK ? (size_t)sf->left : STATIC_CHUNK;
	if (want == 0)
		return 0;
	if (evbuffer_reserve_space(out, (ev_ssize_t)want, &vec, 1) != 1)
		return -1;
	do
		n = pread(sf->fd, vec.iov_base, want, sf->off);
	while (n == -1 && errno == EINTR);
	if (n <= 0) {
		/* Cut short: the length sent in the head is now a lie. */
		if (n == 0)
			log_warnx("static: a file shrank while being sent");
		else
			log_warn("static: read");
		return -1;
	}
	vec.iov_len = (size_t)n;
	if (evbuffer_commit_space(out, &vec, 1) == -1)
		return -1;
	sf->off += n;
	sf->left -= (uint64_t)n;
	return sf->left > 0;
}

static void
file_done(void *arg)
{
	struct static_file	*sf = arg;

	close(sf->fd);
	free(sf);
}

/* Takes fd, whatever happens. */
static void
send_file(struct conn *c, int fd, const struct stat *st, const char *name)
{
	struct static_file	*sf;
	struct tm		 tm;
	char			 extra[128], date[40];

	if ((sf = calloc(1, sizeof(*sf))) == NULL ||
	    gmtime_r(&st->st_mtime, &tm) == NULL) {
		free(sf);
		close(fd);
		http_respond_error(c, 500);
		return;
	}
	sf->fd = fd;
	sf->left = (uint64_t)st->st_size;
	sf->stream.fill = file_fill;
	sf->stream.done = file_done;
	sf->stream.arg = sf;
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	snprintf(extra, sizeof(extra), "X-Content-Type-Options: nosniff\r\n"
	    "Last-Modified: %s\r\n", date);
	http_respond_stream(c, 200, mime_type(name), extra,
	    (uint64_t)st->st_size, &sf->stream);
}

/* "./name/" for a directory asked for as ".../name", query kept. */
static void
redirect_dir(struct conn *c, const char *path)
{
	const struct http_request	*r = http_req(c);
	const char			*base = strrchr(path, '/') + 1;
	char				 loc[STATIC_PATH_MAX + 32];
	int				 n;

	n = snprintf(loc, sizeof(loc), "Location: ./%s/%s%s\r\n", base,
	    r->query != NULL ? "?" : "", r->query != NULL ? r->query : "");
	if (n < 0 || (size_t)n >= sizeof(loc)) {
		http_respond_error(c, 404);
		return;
	}
	http_respond(c, 301, NULL, loc, "", 0);
}

/* fd is an open directory: its index.html, or 404 (never a listing). */
static void
send_index(struct conn *c, int fd)
{
	struct stat	st;
	int		ifd;

	ifd = open_beneath(fd, STATIC_INDEX);
	close(fd);
	if (ifd == -1) {
		http_respond_error(c, errno_status(errno));
		return;
	}
	if (fstat(ifd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(ifd);
		http_respond_error(c, 404);
		return;
	}
	send_file(c, ifd, &st, STATIC_INDEX);
}

static void
serve_file(struct conn *c, const struct upstream *u, const char *path)
{
	struct stat	st;
	char		rel[STATIC_PATH_MAX];
	int		dfd, fd;

	if ((dfd = dir_fd(u->path)) == -1 ||
	    static_map_path(u->route, path, rel, sizeof(rel)) == -1) {
		http_respond_error(c, 404);
		return;
	}
	if ((fd = open_beneath(dfd, rel)) == -1) {
		http_respond_error(c, errno_status(errno));
		return;
	}
	if (fstat(fd, &st) == -1 || (!S_ISREG(st.st_mode) &&
	    !S_ISDIR(st.st_mode))) {
		close(fd);
		http_respond_error(c, 404);
	} else if (S_ISDIR(st.st_mode) && path[strlen(path) - 1] != '/') {
		close(fd);
		redirect_dir(c, path);
	} else if (S_ISDIR(st.st_mode))
		send_index(c, fd);
	else
		send_file(c, fd, &st, rel);
}

void
static_serve(struct conn *c, const struct upstream *u, const char *path)
{
	const char	*method = http_req(c)->method;

	if (u->type == UPSTREAM_STATIC) {
		http_respond(c, u->status, TEXT_PLAIN, NULL, "Authenticated",
		    13);
		return;
	}
	if (u->type != UPSTREAM_FILE) {
		http_respond_error(c, 500);
		return;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		http_respond(c, 405, TEXT_PLAIN, "Allow: GET, HEAD\r\n"
		    "X-Content-Type-Options: nosniff\r\n",
		    "Method Not Allowed\n", 19);
		return;
	}
	serve_file(c, u, path);
}
