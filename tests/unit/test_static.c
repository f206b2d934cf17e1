/*
 * Static files and static:// answers.  static.c is built into this test
 * with a fake HTTP engine that records each answer and streams a file
 * the way the real one does (the struct copied, fill() until it stops,
 * done() once, no fill() for HEAD).  The same requests run once as is
 * and once in a child inside the proxy's sandbox, to show that its
 * allowlist and Landlock rules are enough and that the tree holds.
 */
/* First: static.c defines _GNU_SOURCE before any system header. */
#include "../../proxy/static.c"

#include <sys/stat.h>
#include <sys/wait.h>

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/buffer.h>

#include "sandbox.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define BIG_SIZE	200000

/* --- the fake engine --------------------------------------------------- */

struct conn {
	struct http_request	 req;
	int			 status;	/* -1: the stream gave up */
	char			 ctype[64];
	char			 extra[STATIC_PATH_MAX + 64];
	struct evbuffer		*body;
	uint64_t		 length;
	int			 fills;
	int			 dones;
};

const struct http_request *
http_req(const struct conn *c)
{
	return &c->req;
}

static void
record_head(struct conn *c, int status, const char *ctype, const char *extra)
{
	c->status = status;
	snprintf(c->ctype, sizeof(c->ctype), "%s", ctype != NULL ? ctype : "");
	snprintf(c->extra, sizeof(c->extra), "%s", extra != NULL ? extra : "");
}

void
http_respond(struct conn *c, int status, const char *ctype,
    const char *extra, const char *body, size_t len)
{
	record_head(c, status, ctype, extra);
	c->length = len;
	if (strcmp(c->req.method, "HEAD") != 0)
		evbuffer_add(c->body, body, len);
}

void
http_respond_error(struct conn *c, int status)
{
	http_respond(c, status, "text/plain; charset=utf-8", NULL, "error\n",
	    6);
}

void
http_respond_stream(struct conn *c, int status, const char *ctype,
    const char *extra, uint64_t length, const struct http_stream *s)
{
	struct http_stream	st = *s;
	int			r = 0;

	record_head(c, status, ctype, extra);
	c->length = length;
	if (strcmp(c->req.method, "HEAD") != 0 && length > 0)
		while ((r = st.fill(c->body, st.arg)) == 1)
			c->fills++;
	st.done(st.arg);
	c->dones++;
	if (r == -1)
		c->status = -1;
}

/* --- the tree ------------------------------------------------------------ */

static char	base[] = "/tmp/gh-static-XXXXXX";
static char	chroot_dir[PATH_MAX];
static char	www[PATH_MAX];
static int	dirs[UPSTREAM_MAX];
static int	ndirs;

static struct upstream	files = {
	.type = UPSTREAM_FILE, .id = "file:///www/#/static/",
	.route = "/static/", .prefix = 1, .path = www,
};
static struct upstream	status418 = {
	.type = UPSTREAM_STATIC, .id = "static://418", .route = "/",
	.prefix = 1, .status = 418,
};

static void
put(const char *name, const char *data, size_t len, mode_t mode)
{
	char	path[PATH_MAX + 64];
	int	fd;

	snprintf(path, sizeof(path), "%s/%s", base, name);
	assert_true((fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, mode)) >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
mkdir_in(const char *name)
{
	char	path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", base, name);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(chmod(path, 0755), 0);
}

static void
tree_make(void)
{
	static char	big[BIG_SIZE];
	char		path[PATH_MAX + 64];
	size_t		i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)(i % 251);
	mkdir_in("www");
	mkdir_in("www/sub");
	mkdir_in("www/sub2");
	put("www/index.html", "<h1>home</h1>\n", 14, 0644);
	put("www/a.CSS", "body{}\n", 7, 0644);
	put("www/noext", "x", 1, 0644);
	put("www/empty.txt", "", 0, 0644);
	put("www/sp ace.txt", "space\n", 6, 0644);
	put("www/data.bin", big, sizeof(big), 0644);
	put("www/sub/f.txt", "f\n", 2, 0644);
	put("www/sub2/index.html", "sub2\n", 5, 0644);
	put("secret.txt", "secret\n", 7, 0644);
	snprintf(path, sizeof(path), "%s/www/link", base);
	assert_int_equal(symlink("index.html", path), 0);
	snprintf(path, sizeof(path), "%s/www/out", base);
	assert_int_equal(symlink("../secret.txt", path), 0);
	snprintf(path, sizeof(path), "%s/www/fifo", base);
	assert_int_equal(mkfifo(path, 0644), 0);
}

/* --- the requests ---------------------------------------------------- */

static const struct req_case {
	const char	*method, *path, *query;
	int		 status;
	const char	*ctype;		/* NULL: not checked */
	const char	*body;		/* NULL: not checked */
	const char	*extra;		/* a header line the answer has */
} cases[] = {
	{ "GET", "/static/a.CSS", NULL, 200, "text/css; charset=utf-8",
	    "body{}\n", "X-Content-Type-Options: nosniff\r\n" },
	{ "GET", "/static/a.CSS", NULL, 200, NULL, NULL, "Last-Modified: " },
	{ "GET", "/static/", NULL, 200, "text/html; charset=utf-8",
	    "<h1>home</h1>\n", NULL },
	{ "GET", "/static/index.html", NULL, 200, NULL, "<h1>home</h1>\n",
	    NULL },
	{ "HEAD", "/static/a.CSS", NULL, 200, "text/css; charset=utf-8", "",
	    NULL },
	{ "GET", "/static/sub", NULL, 301, NULL, "",
	    "Location: ./sub/\r\n" },
	{ "GET", "/static/sub", "x=1&y", 301, NULL, "",
	    "Location: ./sub/?x=1&y\r\n" },
	{ "GET", "/static/sub/", NULL, 404, NULL, NULL, NULL },
	{ "GET", "/static/sub/f.txt", NULL, 200, "text/plain; charset=utf-8",
	    "f\n", NULL },
	{ "GET", "/static/sub2/", NULL, 200, NULL, "sub2\n", NULL },
	{ "GET", "/static//sub/f.txt", NULL, 200, NULL, "f\n", NULL },
	{ "GET", "/static/sp%20ace.txt", NULL, 200, NULL, "space\n", NULL },
	{ "GET", "/static/noext", NULL, 200, "application/octet-stream", "x",
	    NULL },
	{ "GET", "/static/empty.txt", NULL, 200, NULL, "", NULL },
	{ "GET", "/static/missing", NULL, 404, NULL, NULL, NULL },
	{ "GET", "/static/a.CSS/", NULL, 404, NULL, NULL, NULL },
	{ "GET", "/static/link", NULL, 404, NULL, NULL, NULL },
	{ "GET", "/static/out", NULL, 404, NULL, NULL, NULL },
	{ "GET", "/static/fifo", NULL, 404, NULL, NULL, NULL },
	{ "GET", "/static/../secret.txt", NULL, 404, NULL, NULL, NULL },
	{ "GET", "/static/%2e%2e/secret.txt", NULL, 404, NULL, NULL, NULL },
	{ "GET", "/static/..%2fsecret.txt", NULL, 404, NULL, NULL, NULL },
	{ "GET", "/static/sub%2ff.txt", NULL, 404, NULL, NULL, NULL },
	{ "GET", "/static/sub%5cf.txt", NULL, 404, NULL, NULL, NULL },
	{ "GET", "/static/a.CSS%00", NULL, 404, NULL, NULL, NULL },
	{ "GET", "/static/%zz", NULL, 404, NULL, NULL, NULL },
	{ "GET", "/other/a.CSS", NULL, 404, NULL, NULL, NULL },
	{ "POST", "/static/a.CSS", NULL, 405, NULL, NULL,
	    "Allow: GET, HEAD\r\n" },
	{ "DELETE", "/static/", NULL, 405, NULL, NULL, NULL },
};

/* Runs one request; NULL when the answer is as expected, else why not. */
static const char *
run_case(const struct upstream *u, const struct req_case *k,
    struct conn *c)
{
	const char	*body;
	size_t		 len;

	memset(c, 0, sizeof(*c));
	c->req.method = k->method;
	c->req.query = k->query;
	if ((c->body = evbuffer_new()) == NULL)
		return "evbuffer_new";
	static_serve(c, u, k->path);
	len = evbuffer_get_length(c->body);
	body = (const char *)evbuffer_pullup(c->body, -1);
	if (c->status != k->status)
		return "status";
	if (k->ctype != NULL && strcmp(c->ctype, k->ctype) != 0)
		return "content type";
	if (k->body != NULL && (len != strlen(k->body) ||
	    (len > 0 && memcmp(body, k->body, len) != 0)))
		return "body";
	if (k->extra != NULL && strstr(c->extra, k->extra) == NULL)
		return "header";
	if (c->dones > 1)
		return "done() more than once";
	return NULL;
}

/* Every case; the number of the first that fails (from 1), or 0. */
static int
run_cases(void)
{
	struct conn	 c;
	const char	*why;
	size_t		 i;

	for (i = 0; i < NELEM(cases); i++) {
		why = run_case(&files, &cases[i], &c);
		evbuffer_free(c.body);
		if (why != NULL) {
			fprintf(stderr, "%s %s: %s (status %d)\n",
			    cases[i].method, cases[i].path, why, c.status);
			return (int)i + 1;
		}
	}
	return 0;
}

/* --- tests ------------------------------------------------------------ */

static void
test_map_path(void **state)
{
	static const struct {
		const char	*route, *path, *want;
	} ok[] = {
		{ "/static/", "/static/a/b.css", "a/b.css" },
		{ "/static/", "/static/", "." },
		{ "/static/", "/static/sub/", "sub/" },
		{ "/static/", "/static///a", "a" },
		{ "/static/", "/static/a%20b", "a b" },
		{ "/static/", "/static/%41", "A" },
		{ "/static/", "/static/.hidden", ".hidden" },
		{ "/static/", "/static/a..b/...", "a..b/..." },
		{ "/", "/x", "x" },
		{ "/page", "/page", "." },
		{ "/a%20b/", "/a%20b/c", "c" },	/* routes stay encoded */
	};
	static const struct {
		const char	*route, *path;
	} bad[] = {
		{ "/static/", "/other/a" },
		{ "/static/", "/static" },
		{ "/page", "/page/x" },
		{ "/page", "/pagex" },
		{ "/static/", "/static/../etc/passwd" },
		{ "/static/", "/static/a/.." },
		{ "/static/", "/static/./a" },
		{ "/static/", "/static/a/./b" },
		{ "/static/", "/static/%2e%2e/x" },
		{ "/static/", "/static/.%2E/x" },
		{ "/static/", "/static/a%2fb" },
		{ "/static/", "/static/a%2Fb" },
		{ "/static/", "/static/a%5cb" },
		{ "/static/", "/static/a%00" },
		{ "/static/", "/static/a%zz" },
		{ "/static/", "/static/a%4" },
		{ "/static/", "/static/a%" },
		{ "", "/x" },
	};
	char	out[64];
	size_t	i;

	(void)state;
	for (i = 0; i < NELEM(ok); i++) {
		if (static_map_path(ok[i].route, ok[i].path, out,
		    sizeof(out)) != 0)
			fail_msg("%s under %s: refused", ok[i].path,
			    ok[i].route);
		assert_string_equal(out, ok[i].want);
	}
	for (i = 0; i < NELEM(bad); i++)
		if (static_map_path(bad[i].route, bad[i].path, out,
		    sizeof(out)) != -1)
			fail_msg("%s under %s: mapped to %s", bad[i].path,
			    bad[i].route, out);
	assert_int_equal(static_map_path("/", "/abcdefg", out, 8), 0);
	assert_int_equal(static_map_path("/", "/abcdefgh", out, 8), -1);
	assert_int_equal(static_map_path("/", "/", out, 1), -1);
}

static void
test_mime_types(void **state)
{
	(void)state;
	assert_string_equal(mime_type("a/b.JS"),
	    "text/javascript; charset=utf-8");
	assert_string_equal(mime_type("x.woff2"), "font/woff2");
	assert_string_equal(mime_type("x.wasm"), "application/wasm");
	assert_string_equal(mime_type("x.tar.gz"), "application/octet-stream");
	assert_string_equal(mime_type("d.html/x"), "application/octet-stream");
	assert_string_equal(mime_type(".svg"), "image/svg+xml");
}

static void
test_serve(void **state)
{
	(void)state;
	assert_int_equal(run_cases(), 0);
}

/* A file larger than one fill(): read in 64 KiB parts, all of it. */
static void
test_big_file(void **state)
{
	const struct req_case	 k = { "GET", "/static/data.bin", NULL,
				    200, NULL, NULL, NULL };
	struct conn		 c;
	const unsigned char	*p;
	size_t			 i;

	(void)state;
	assert_null(run_case(&files, &k, &c));
	assert_int_equal(c.length, BIG_SIZE);
	assert_int_equal(evbuffer_get_length(c.body), BIG_SIZE);
	assert_int_equal(c.fills, BIG_SIZE / STATIC_CHUNK);
	p = evbuffer_pullup(c.body, -1);
	for (i = 0; i < BIG_SIZE; i++)
		if (p[i] != i % 251)
			fail_msg("byte %zu", i);
	evbuffer_free(c.body);
}

static void
test_static_status(void **state)
{
	const struct req_case	 k = { "POST", "/anything", NULL, 418,
				    "text/plain; charset=utf-8",
				    "Authenticated", NULL };
	struct conn		 c;

	(void)state;
	assert_null(run_case(&status418, &k, &c));
	evbuffer_free(c.body);
}

/* The same requests from inside the proxy's sandbox. */
static void
test_sandboxed(void **state)
{
	struct sandbox_opts	opts = { ROLE_PROXY, "nobody", chroot_dir, 0,
				    dirs, 0 };
	pid_t			pid;
	int			status;

	(void)state;
	opts.nro_dirs = (size_t)ndirs;
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == 0) {
		sandbox_enter(&opts);
		_exit(run_cases());
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("sandboxed child: status %#x", status);
}

static int
setup(void **state)
{
	struct upstream_set	set;

	(void)state;
	log_init(LOG_TARGET_STDERR, LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	if (mkdtemp(base) == NULL || chmod(base, 0755) == -1)
		return -1;
	snprintf(www, sizeof(www), "%s/www", base);
	snprintf(chroot_dir, sizeof(chroot_dir), "%s/root", base);
	tree_make();
	if (geteuid() == 0 && sandbox_chroot_prepare(chroot_dir) == -1)
		return -1;
	memset(&set, 0, sizeof(set));
	set.u[0] = status418;
	set.u[1] = files;
	set.u[2] = files;	/* the same directory twice: opened once */
	set.n = 3;
	ndirs = static_privinit(&set, dirs, UPSTREAM_MAX);
	return ndirs == 1 ? 0 : -1;
}

static int
teardown(void **state)
{
	char	cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_path),
		cmocka_unit_test(test_mime_types),
		cmocka_unit_test(test_serve),
		cmocka_unit_test(test_big_file),
		cmocka_unit_test(test_static_status),
		cmocka_unit_test(test_sandboxed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
