/*
 * The IdP HTTP client against a tiny HTTP server forked by the test on
 * 127.0.0.1: a body, a form POST with Basic authentication, a 500, an
 * answer over the cap (with and without Content-Length), a server that
 * never answers, a refused connection, a redirect not followed, a pinned
 * host name, and an unpinned one refused; and, under a seccomp filter that
 * refuses threads as authd's does, a pinned name still works while an
 * unpinned one fails (curl's threaded resolver cannot start).  HTTPS
 * against `openssl s_server` with a certificate made for the test: the
 * right CA blob, a wrong one, and a host name the certificate lacks.
 */
#define _GNU_SOURCE	/* strcasestr */

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>
#include <seccomp.h>

#include "fetch.h"

#define MAX_BODY	1024
#define BIG_BODY	(64 * 1024)
#define TIMEOUT_MS	3000
#define HANG_MAX	64
#define REQ_MAX		8192

static pid_t	server_pid;
static int	server_port;

struct result {
	int	 called;
	int	 status;
	char	*body;
	size_t	 len;
	char	*error;
};

/* Reads the request head and, with Content-Length, its body. */
static ssize_t
read_request(int fd, char *buf, size_t size)
{
	size_t	 off = 0, need = 0;
	char	*end, *cl;
	ssize_t	 n;

	while (off < size - 1) {
		if ((n = read(fd, buf + off, size - 1 - off)) <= 0)
			return -1;
		off += (size_t)n;
		buf[off] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		if (need == 0 && (cl = strcasestr(buf, "Content-Length:")) &&
		    cl < end)
			need = (size_t)(end + 4 - buf) + strtoul(cl + 15, NULL, 10);
		if (off >= need)
			return (ssize_t)off;
	}
	return (ssize_t)off;
}

static void
write_all(int fd, const char *p, size_t len)
{
	ssize_t	n;

	while (len > 0 && (n = write(fd, p, len)) > 0) {
		p += n;
		len -= (size_t)n;
	}
}

static void
answer(int fd, const char *status, const char *extra, const char *body,
    size_t len)
{
	char	head[512];

	snprintf(head, sizeof(head), "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", status, extra, len);
	write_all(fd, head, strlen(head));
	write_all(fd, body, len);
}

/* One connection: the path picks the canned answer. */
static int
serve(int fd)
{
	static char	 req[REQ_MAX], big[BIG_BODY];
	const char	*h;
	ssize_t		 n;

	if ((n = read_request(fd, req, sizeof(req))) <= 0)
		return 0;
	if (strncmp(req, "GET /hang ", 10) == 0)
		return 1;		/* keep it open, never answer */
	if (strncmp(req, "GET /hello ", 11) == 0)
		answer(fd, "200 OK", "", "hello world", 11);
	else if (strncmp(req, "POST /echo ", 11) == 0 ||
	    strncmp(req, "GET /echo ", 10) == 0)
		answer(fd, "200 OK", "", req, (size_t)n);
	else if (strncmp(req, "GET /fail ", 10) == 0)
		answer(fd, "500 Internal Server Error", "", "boom", 4);
	else if (strncmp(req, "GET /redirect ", 14) == 0)
		answer(fd, "302 Found", "Location: /hello\r\n", "moved", 5);
	else if (strncmp(req, "GET /big ", 9) == 0) {
		memset(big, 'x', sizeof(big));
		answer(fd, "200 OK", "", big, sizeof(big));
	} else if (strncmp(req, "GET /bigstream ", 15) == 0) {
		/* No Content-Length: only the write callback can stop it. */
		memset(big, 'y', sizeof(big));
		h = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n";
		write_all(fd, h, strlen(h));
		write_all(fd, big, sizeof(big));
	} else
		answer(fd, "404 Not Found", "", "", 0);
	return 0;
}

static void
server_loop(int ls)
{
	int	nhang = 0, fd;

	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		if ((fd = accept(ls, NULL, NULL)) == -1)
			continue;
		/* A hung connection stays open until the server exits. */
		if (!serve(fd) || nhang++ >= HANG_MAX)
			close(fd);
	}
}

/* A socket on 127.0.0.1 with a port of the kernel's choice. */
static int
listen_any(int *port)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			s;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) == -1) {
		close(s);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return s;
}

static int
group_setup(void **state)
{
	int	ls;

	(void)state;
	if ((ls = listen_any(&server_port)) == -1 || listen(ls, 16) == -1)
		return -1;
	if ((server_pid = fork()) == -1)
		return -1;
	if (server_pid == 0) {
		server_loop(ls);
		_exit(0);
	}
	close(ls);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	kill(server_pid, SIGTERM);
	waitpid(server_pid, NULL, 0);
	return 0;
}

static void
done_cb(void *arg, int status, const char *body, size_t len,
    const char *error)
{
	struct result	*r = arg;

	r->called++;
	r->status = status;
	r->len = len;
	r->body = malloc(len + 1);
	memcpy(r->body, body, len + 1);
	r->error = error ? strdup(error) : NULL;
}

static void
result_free(struct result *r)
{
	free(r->body);
	free(r->error);
}

static struct fetch_ctx *
ctx_new(struct event_base **base, long timeout_ms)
{
	struct fetch_ctx	*ctx;

	assert_non_null(*base = event_base_new());
	/* The system bundle: read at init, unused by plain http. */
	ctx = fetch_init(*base, NULL, MAX_BODY, timeout_ms);
	assert_non_null(ctx);
	return ctx;
}

/* GETs url and runs the loop until the transfer is done. */
static void
run_get(const char *path, long timeout_ms, struct result *r)
{
	struct event_base	*base;
	struct fetch_ctx	*ctx = ctx_new(&base, timeout_ms);
	char			 url[256];

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", server_port, path);
	assert_int_equal(fetch_get(ctx, url, done_cb, r), 0);
	assert_int_equal(r->called, 0);		/* never synchronously */
	event_base_dispatch(base);
	assert_int_equal(r->called, 1);
	fetch_free(ctx);
	event_base_free(base);
}

static void
test_get_body(void **state)
{
	struct result	r;

	(void)state;
	run_get("/hello", TIMEOUT_MS, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, 11);
	assert_string_equal(r.body, "hello world");
	assert_null(r.error);
	result_free(&r);
}

static void
test_user_agent(void **state)
{
	struct result	r;

	(void)state;
	run_get("/echo", TIMEOUT_MS, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "User-Agent: gatehouse/"));
	assert_null(strstr(r.body, "Cookie"));
	result_free(&r);
}

static void
test_post_basic(void **state)
{
	struct event_base	*base;
	struct fetch_ctx	*ctx = ctx_new(&base, TIMEOUT_MS);
	struct result		 r;
	char			 url[256];

	(void)state;
	memset(&r, 0, sizeof(r));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/echo", server_port);
	assert_int_equal(fetch_post_form(ctx, url,
	    "grant_type=authorization_code&code=abc", "client", "s3cret",
	    done_cb, &r), 0);
	event_base_dispatch(base);
	assert_int_equal(r.called, 1);
	assert_int_equal(r.status, 200);
	assert_true(strncmp(r.body, "POST /echo HTTP/1.1\r\n", 21) == 0);
	/* base64("client:s3cret") */
	assert_non_null(strstr(r.body,
	    "\r\nAuthorization: Basic Y2xpZW50OnMzY3JldA==\r\n"));
	assert_non_null(strstr(r.body,
	    "\r\nContent-Type: application/x-www-form-urlencoded\r\n"));
	assert_non_null(strstr(r.body,
	    "\r\n\r\ngrant_type=authorization_code&code=abc"));
	result_free(&r);

	/* Without credentials, no Authorization header. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(fetch_post_form(ctx, url, "a=b", NULL, NULL,
	    done_cb, &r), 0);
	event_base_dispatch(base);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body, "Authorization"));
	assert_non_null(strstr(r.body, "\r\n\r\na=b"));
	result_free(&r);
	fetch_free(ctx);
	event_base_free(base);
}

static void
test_status_500(void **state)
{
	struct result	r;

	(void)state;
	run_get("/fail", TIMEOUT_MS, &r);
	assert_int_equal(r.status, 500);
	assert_string_equal(r.body, "boom");
	assert_null(r.error);
	result_free(&r);
}

static void
test_too_large(void **state)
{
	struct result	r;

	(void)state;
	run_get("/big", TIMEOUT_MS, &r);
	assert_int_equal(r.status, -1);
	assert_string_equal(r.error, "answer too large");
	assert_int_equal(r.len, 0);
	result_free(&r);

	run_get("/bigstream", TIMEOUT_MS, &r);
	assert_int_equal(r.status, -1);
	assert_string_equal(r.error, "answer too large");
	result_free(&r);
}

static void
test_timeout(void **state)
{
	struct result	r;

	(void)state;
	run_get("/hang", 300, &r);
	assert_int_equal(r.status, -1);
	assert_non_null(r.error);
	assert_non_null(strcasestr(r.error, "timed out"));
	result_free(&r);
}

static void
test_refused(void **state)
{
	struct event_base	*base;
	struct fetch_ctx	*ctx = ctx_new(&base, TIMEOUT_MS);
	struct result		 r;
	char			 url[256];
	int			 s, port;

	(void)state;
	/* A port that was just free and has no listener. */
	assert_true((s = listen_any(&port)) != -1);
	close(s);
	memset(&r, 0, sizeof(r));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	assert_int_equal(fetch_get(ctx, url, done_cb, &r), 0);
	event_base_dispatch(base);
	assert_int_equal(r.called, 1);
	assert_int_equal(r.status, -1);
	assert_non_null(r.error);
	result_free(&r);
	fetch_free(ctx);
	event_base_free(base);
}

static void
test_redirect_not_followed(void **state)
{
	struct result	r;

	(void)state;
	run_get("/redirect", TIMEOUT_MS, &r);
	assert_int_equal(r.status, 302);
	assert_string_equal(r.body, "moved");
	result_free(&r);
}

static void
test_pinned_host(void **state)
{
	struct event_base	*base;
	struct fetch_ctx	*ctx = ctx_new(&base, TIMEOUT_MS);
	struct result		 r;
	char			 url[256];

	(void)state;
	fetch_require_pins(ctx, 1);
	/* Bad pins. */
	assert_int_equal(fetch_pin(ctx, "idp.test", server_port, "1.2.3"), -1);
	assert_int_equal(fetch_pin(ctx, "idp test", server_port, "::1"), -1);
	assert_int_equal(fetch_pin(ctx, "idp.test", 0, "127.0.0.1"), -1);
	/* A stale pin, replaced. */
	assert_int_equal(fetch_pin(ctx, "idp.test", server_port,
	    "192.0.2.1,::1"), 0);
	assert_int_equal(fetch_pin(ctx, "idp.test", server_port,
	    "127.0.0.1"), 0);

	memset(&r, 0, sizeof(r));
	snprintf(url, sizeof(url), "http://idp.test:%d/echo", server_port);
	assert_int_equal(fetch_get(ctx, url, done_cb, &r), 0);
	event_base_dispatch(base);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body,
	    "\r\nHost: idp.test:"));
	result_free(&r);

	/* Unpinned names and other ports are refused before curl runs. */
	snprintf(url, sizeof(url), "http://other.test:%d/", server_port);
	assert_int_equal(fetch_get(ctx, url, done_cb, &r), -1);
	snprintf(url, sizeof(url), "http://idp.test:%d/", server_port + 1);
	assert_int_equal(fetch_get(ctx, url, done_cb, &r), -1);
	/* Removing the pin refuses the name again. */
	assert_int_equal(fetch_pin(ctx, "idp.test", server_port, NULL), 0);
	snprintf(url, sizeof(url), "http://idp.test:%d/", server_port);
	assert_int_equal(fetch_get(ctx, url, done_cb, &r), -1);
	fetch_free(ctx);
	event_base_free(base);
}

/* Refuses new threads, as authd's sandbox does (there: no clone at all). */
static int
forbid_threads(void)
{
	scmp_filter_ctx	f;
	int		rc;

	if ((f = seccomp_init(SCMP_ACT_ALLOW)) == NULL)
		return -1;
	rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	rc |= seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
	    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	if (rc == 0)
		rc = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
		    seccomp_load(f) != 0;
	seccomp_release(f);
	return rc ? -1 : 0;
}

/* In a child without threads: exit 0 for a pinned 200, 1 otherwise. */
static int
child_fetch(const char *host, int pin)
{
	struct event_base	*base;
	struct fetch_ctx	*ctx;
	struct result		 r;
	char			 url[256];

	if (forbid_threads() == -1 || (base = event_base_new()) == NULL ||
	    (ctx = fetch_init(base, NULL, MAX_BODY, TIMEOUT_MS)) == NULL)
		return 2;
	if (pin && fetch_pin(ctx, host, server_port, "127.0.0.1") == -1)
		return 2;
	memset(&r, 0, sizeof(r));
	snprintf(url, sizeof(url), "http://%s:%d/hello", host, server_port);
	if (fetch_get(ctx, url, done_cb, &r) == -1)
		return 2;
	event_base_dispatch(base);
	if (r.called != 1)
		return 2;
	return r.status == 200 ? 0 : 1;
}

static int
run_child(const char *host, int pin)
{
	pid_t	pid;
	int	status;

	if ((pid = fork()) == 0)
		_exit(child_fetch(host, pin));
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void
test_no_threads(void **state)
{
	(void)state;
	assert_int_equal(run_child("idp.test", 1), 0);
	/* The control: an unpinned name needs a resolver thread. */
	assert_int_equal(run_child("idp.invalid", 0), 1);
}

static void
test_protocols(void **state)
{
	struct event_base	*base;
	struct fetch_ctx	*ctx = ctx_new(&base, TIMEOUT_MS);
	struct result		 r;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(fetch_get(ctx, "file:///etc/passwd", done_cb, &r), 0);
	event_base_dispatch(base);
	assert_int_equal(r.status, -1);
	assert_non_null(r.error);
	result_free(&r);
	fetch_free(ctx);
	event_base_free(base);
}

#define TLS_BODY_MAX	(256 * 1024)
#define PEM_MAX		(16 * 1024)

static int	sh(const char *, ...) __attribute__((format(printf, 1, 2)));

static int
sh(const char *fmt, ...)
{
	va_list	ap;
	char	cmd[1024];

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static char *
read_pem(const char *path)
{
	char	*buf;
	ssize_t	 n;
	int	 fd;

	assert_true((fd = open(path, O_RDONLY)) != -1);
	assert_non_null(buf = calloc(1, PEM_MAX));
	n = read(fd, buf, PEM_MAX - 1);
	close(fd);
	assert_true(n > 0);
	return buf;
}

/* Waits until something accepts on 127.0.0.1:port. */
static int
wait_port(int port)
{
	struct sockaddr_in	sin;
	int			i, s, ok;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	for (i = 0; i < 100; i++) {
		if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			return -1;
		ok = connect(s, (struct sockaddr *)&sin, sizeof(sin)) == 0;
		close(s);
		if (ok)
			return 0;
		usleep(50 * 1000);
	}
	return -1;
}

static int
tls_get(const char *ca, const char *host, int port, struct result *r)
{
	struct event_base	*base;
	struct fetch_ctx	*ctx;
	char			 url[256];

	assert_non_null(base = event_base_new());
	assert_non_null(ctx = fetch_init(base, ca, TLS_BODY_MAX, TIMEOUT_MS));
	fetch_require_pins(ctx, 1);
	assert_int_equal(fetch_pin(ctx, "idp.test", port, "127.0.0.1"), 0);
	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "https://%s:%d/", host, port);
	assert_int_equal(fetch_get(ctx, url, done_cb, r), 0);
	event_base_dispatch(base);
	assert_int_equal(r->called, 1);
	fetch_free(ctx);
	event_base_free(base);
	return r->status;
}

static void
test_https(void **state)
{
	struct result	 r;
	char		 dir[] = "/tmp/test_fetch.XXXXXX", path[256];
	char		*ca, *other;
	pid_t		 pid;
	int		 s, port, status;

	(void)state;
	if (sh("command -v openssl >/dev/null") != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	assert_int_equal(sh("cd %s && for n in idp other; do openssl req "
	    "-x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	    "-days 1 -subj /CN=$n.test -addext subjectAltName=DNS:idp.test "
	    "-keyout $n.key -out $n.crt 2>/dev/null || exit 1; done", dir), 0);
	snprintf(path, sizeof(path), "%s/idp.crt", dir);
	ca = read_pem(path);
	snprintf(path, sizeof(path), "%s/other.crt", dir);
	other = read_pem(path);

	assert_true((s = listen_any(&port)) != -1);
	close(s);
	if ((pid = fork()) == 0) {
		char	accept[64], cert[256], key[256];
		int	null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		snprintf(accept, sizeof(accept), "127.0.0.1:%d", port);
		snprintf(cert, sizeof(cert), "%s/idp.crt", dir);
		snprintf(key, sizeof(key), "%s/idp.key", dir);
		execlp("openssl", "openssl", "s_server", "-accept", accept,
		    "-cert", cert, "-key", key, "-www", (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	assert_int_equal(wait_port(port), 0);

	assert_int_equal(tls_get(ca, "idp.test", port, &r), 200);
	result_free(&r);
	/* A CA that did not sign the server's certificate. */
	assert_int_equal(tls_get(other, "idp.test", port, &r), -1);
	assert_non_null(r.error);
	result_free(&r);
	/* The right CA, but an address the certificate does not name. */
	assert_int_equal(tls_get(ca, "127.0.0.1", port, &r), -1);
	assert_non_null(r.error);
	result_free(&r);

	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	sh("rm -rf %s", dir);
	free(ca);
	free(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_body),
		cmocka_unit_test(test_user_agent),
		cmocka_unit_test(test_post_basic),
		cmocka_unit_test(test_status_500),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_redirect_not_followed),
		cmocka_unit_test(test_pinned_host),
		cmocka_unit_test(test_protocols),
		cmocka_unit_test(test_no_threads),
		cmocka_unit_test(test_https),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
