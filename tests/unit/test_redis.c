/*
 * sessiond's Redis client.  The URL parser: every shape go-redis's
 * ParseURL reads, and each class of bad URL, without ever quoting a
 * password.  Then against a real redis-server, started by the test on
 * 127.0.0.1 and a free port (or a unix socket in a temporary directory):
 * binary round trips and pipelining, a password, an ACL user, a wrong
 * password, a unix socket, db numbers, a host name from the hosts file;
 * TLS with a CA and certificates made by `openssl` (the right CA, a wrong
 * one, a name the certificate lacks, insecure_skip_verify); Redis killed
 * with commands pending and started again; a stopped Redis and the
 * command timeout; the idle timeout; a connection the server closes; the
 * limits on pending commands, bytes to send and a reply's size.  A fake
 * server sends what Redis never does: a reply in pieces, an array of 2^31
 * elements, too deep a nesting, junk, a reply to no command.  The
 * connection API is used directly as Sentinel and Cluster will: freed
 * from its own callbacks, and pub/sub.  Every test checks that no
 * descriptor is left open; every wait is bounded.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "redis_conn.h"

struct url_case {
	const char	*url;
	int		 tls, local;
	const char	*host;
	int		 port, db, skip_verify;
	const char	*user, *pass;
};

static const struct url_case url_good[] = {
	{ "redis://localhost", 0, 0, "localhost", 6379, 0, 0, NULL, NULL },
	{ "redis://h.example:1234/5", 0, 0, "h.example", 1234, 5, 0, NULL,
	    NULL },
	{ "redis://127.0.0.1:6380", 0, 0, "127.0.0.1", 6380, 0, 0, NULL, NULL },
	{ "redis://:s3cret@127.0.0.1/2", 0, 0, "127.0.0.1", 6379, 2, 0, NULL,
	    "s3cret" },
	{ "redis://alice:p%40ss%3Aw%2Frd%25@h/0", 0, 0, "h", 6379, 0, 0,
	    "alice", "p@ss:w/rd%" },
	{ "redis://a%20b:x+y@h", 0, 0, "h", 6379, 0, 0, "a b", "x+y" },
	/* The last '@' ends the user information, as in Go. */
	{ "redis://u:p@ss@h", 0, 0, "h", 6379, 0, 0, "u", "p@ss" },
	{ "redis://user@h", 0, 0, "h", 6379, 0, 0, "user", NULL },
	{ "redis://user:@h", 0, 0, "h", 6379, 0, 0, "user", NULL },
	{ "redis://@h", 0, 0, "h", 6379, 0, 0, NULL, NULL },
	{ "rediss://h:6390", 1, 0, "h", 6390, 0, 0, NULL, NULL },
	{ "rediss://h?skip_verify=true", 1, 0, "h", 6379, 0, 1, NULL, NULL },
	{ "rediss://h?skip_verify=0", 1, 0, "h", 6379, 0, 0, NULL, NULL },
	{ "REDIS://H", 0, 0, "H", 6379, 0, 0, NULL, NULL },
	{ "redis://[::1]:7000/3", 0, 0, "::1", 7000, 3, 0, NULL, NULL },
	{ "redis://[::1]", 0, 0, "::1", 6379, 0, 0, NULL, NULL },
	{ "redis://[2001:db8::1]/1", 0, 0, "2001:db8::1", 6379, 1, 0, NULL,
	    NULL },
	{ "redis://", 0, 0, "localhost", 6379, 0, 0, NULL, NULL },
	{ "redis:///4", 0, 0, "localhost", 6379, 4, 0, NULL, NULL },
	{ "redis://h:/", 0, 0, "h", 6379, 0, 0, NULL, NULL },
	{ "redis://h//7//", 0, 0, "h", 6379, 7, 0, NULL, NULL },
	{ "redis://h/%37", 0, 0, "h", 6379, 7, 0, NULL, NULL },
	{ "redis://h/007", 0, 0, "h", 6379, 7, 0, NULL, NULL },
	{ "redis://h/2147483647", 0, 0, "h", 6379, 2147483647, 0, NULL, NULL },
	/* db in the query wins over the path, as in go-redis. */
	{ "redis://h/3?db=4", 0, 0, "h", 6379, 4, 0, NULL, NULL },
	{ "redis://h/3?db=", 0, 0, "h", 6379, 3, 0, NULL, NULL },
	{ "redis://h?dial_timeout=3&read_timeout=1.5s&pool_size=10&"
	    "pool_fifo=true&max_retries=-1&client_name=a+b&idle_timeout=1m30s",
	    0, 0, "h", 6379, 0, 0, NULL, NULL },
	{ "redis://h?&&db=1&", 0, 0, "h", 6379, 1, 0, NULL, NULL },
	{ "unix:///tmp/redis.sock", 0, 1, "/tmp/redis.sock", 0, 0, 0, NULL,
	    NULL },
	{ "unix://u:p%21@/tmp/redis.sock?db=3", 0, 1, "/tmp/redis.sock", 0, 3,
	    0, "u", "p!" },
	{ "unix://:pw@/run/r%20s.sock", 0, 1, "/run/r s.sock", 0, 0, 0, NULL,
	    "pw" },
	{ "unix:/tmp/redis.sock?db=1", 0, 1, "/tmp/redis.sock", 0, 1, 0, NULL,
	    NULL },
	{ "Unix:///a", 0, 1, "/a", 0, 0, 0, NULL, NULL },
};

static const struct {
	const char	*url;
	const char	*error;		/* a part of the message */
} url_bad[] = {
	{ "", "not a URL" },
	{ "localhost:6379", "unsupported scheme \"localhost\"" },
	{ "http://h", "unsupported scheme \"http\"" },
	{ "rediss+sentinel://h", "unsupported scheme" },
	{ "//h", "not a URL" },
	{ "redis:h", "expected //host" },
	{ "redis:/h", "expected //host" },
	{ "redis://h:0", "bad port" },
	{ "redis://h:65536", "bad port" },
	{ "redis://h:12a", "bad port" },
	{ "redis://h:99999999999999999999", "bad port" },
	{ "redis://h/abc", "bad database number" },
	{ "redis://h/1/2", "bad path" },
	{ "redis://h/-1", "out of range" },
	{ "redis://h/2147483648", "out of range" },
	{ "redis://h/99999999999999999999", "out of range" },
	{ "redis://h/+1", "bad database number" },
	{ "redis://h?db=x", "bad database number" },
	{ "redis://h?db=-2", "out of range" },
	{ "redis://h?foo=1", "unexpected query option" },
	{ "redis://h?db=1&db=2", "given twice" },
	{ "redis://h?db=1;x=2", "';'" },
	{ "redis://h?dial_timeout=soon", "bad value for query option "
	    "dial_timeout" },
	{ "redis://h?dial_timeout=5x", "dial_timeout" },
	{ "redis://h?pool_fifo=yes", "pool_fifo" },
	{ "redis://h?pool_size=1.5", "pool_size" },
	{ "redis://h?skip_verify=true", "rediss:// URLs only" },
	{ "rediss://h?skip_verify=maybe", "bad skip_verify" },
	{ "redis://h?db=%zz", "bad query option" },
	{ "redis://u:p%zz@h", "bad password" },
	{ "redis://u:p%4@h", "bad password" },
	{ "redis://u:p%00x@h", "bad password" },
	{ "redis://u%0@h", "bad user name" },
	{ "redis://u:p\"w@h", "bad character" },
	{ "redis://u:p[w@h", "bad character" },
	{ "redis://[::1", "without ']'" },
	{ "redis://[::1]x", "junk after ']'" },
	{ "redis://[1.2.3.4]", "bad IPv6" },
	{ "redis://[fe80::1%25eth0]", "bad IPv6" },
	{ "redis://::1", "must be in brackets" },
	{ "redis://::1:6379", "must be in brackets" },
	{ "redis://h_1", "bad host name" },
	{ "redis://-h", "bad host name" },
	{ "redis://h.", "bad host name" },
	{ "redis://127.1", "bad host name" },
	{ "redis://a..b", "bad host name" },
	{ "redis://h h", "space" },
	{ "redis://h\t", "control" },
	{ "redis://h\x7f", "control" },
	{ "redis://h\xc3\xa9", "non-ASCII" },
	{ "redis://:pa#ss@h", "'#'" },
	{ "redis://h#frag", "'#'" },
	{ "unix://", "empty unix socket path" },
	{ "unix:", "empty unix socket path" },
	{ "unix://?db=1", "empty unix socket path" },
	{ "unix://host/tmp/r.sock", "has no host" },
	{ "unix:tmp/r.sock", "absolute" },
	{ "unix:///tmp/%zz", "bad %-escape" },
	{ "unix:///a?foo=1", "unexpected query option" },
	{ "unix:///a?db=x", "bad database number" },
};

static void
check_url(const struct url_case *c)
{
	struct redis_url	u;
	char			err[256] = "";

	if (redis_url_parse(c->url, &u, err, sizeof(err)) == -1)
		fail_msg("%s: %s", c->url, err);
	assert_int_equal(u.tls, c->tls);
	assert_int_equal(u.local, c->local);
	assert_string_equal(u.host, c->host);
	assert_int_equal(u.port, c->port);
	assert_int_equal(u.db, c->db);
	assert_int_equal(u.skip_verify, c->skip_verify);
	if (c->user == NULL)
		assert_null(u.username);
	else
		assert_string_equal(u.username, c->user);
	if (c->pass == NULL)
		assert_null(u.password);
	else
		assert_string_equal(u.password, c->pass);
	redis_url_clear(&u);
	assert_null(u.password);
}

static void
test_url_good(void **state)
{
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(url_good) / sizeof(url_good[0]); i++)
		check_url(&url_good[i]);
}

static void
test_url_bad(void **state)
{
	struct redis_url	u;
	char			err[256];
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(url_bad) / sizeof(url_bad[0]); i++) {
		err[0] = '\0';
		if (redis_url_parse(url_bad[i].url, &u, err, sizeof(err)) != -1)
			fail_msg("%s: accepted", url_bad[i].url);
		if (strstr(err, url_bad[i].error) == NULL)
			fail_msg("%s: \"%s\" lacks \"%s\"", url_bad[i].url, err,
			    url_bad[i].error);
		redis_url_clear(&u);
	}
}

/* Errors never quote the password, whatever it holds. */
static void
test_url_secret(void **state)
{
	static const char *const urls[] = {
		"redis://u:SECRET@h:bad",
		"redis://u:SECRET@h/x",
		"redis://u:SECRET?x@h",
		"redis://u:SE/CRET@h",
		"redis://SECRET@h_x",
		"redis://u:SECRET@h?SECRET=1",
		"redis://u:SECRET@h?db=SECRET",
		"redis://u:SECRET%zz@h",
	};
	struct redis_url	u;
	char			err[256];
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		assert_int_equal(redis_url_parse(urls[i], &u, err,
		    sizeof(err)), -1);
		if (strstr(err, "SECRET") != NULL ||
		    strstr(err, "CRET") != NULL)
			fail_msg("%s: %s", urls[i], err);
		redis_url_clear(&u);
	}
}

/* Too long: a host name, a socket path, a password. */
static void
test_url_lengths(void **state)
{
	struct redis_url	u;
	char			url[4096], err[256], label[64];
	size_t			i;

	(void)state;
	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(url, sizeof(url), "redis://%s.%s.%s.%s", label, label, label,
	    label);
	assert_int_equal(redis_url_parse(url, &u, err, sizeof(err)), -1);
	redis_url_clear(&u);
	snprintf(url, sizeof(url), "redis://%s.%s.%s.%.61s", label, label,
	    label, label);
	assert_int_equal(redis_url_parse(url, &u, err, sizeof(err)), 0);
	redis_url_clear(&u);

	snprintf(url, sizeof(url), "unix:///");
	for (i = 0; i < REDIS_PATH_MAX - 1; i++)
		strcat(url, "p");
	assert_int_equal(redis_url_parse(url, &u, err, sizeof(err)), 0);
	assert_int_equal(strlen(u.host), REDIS_PATH_MAX);
	redis_url_clear(&u);
	strcat(url, "p");
	assert_int_equal(redis_url_parse(url, &u, err, sizeof(err)), -1);
	redis_url_clear(&u);

	snprintf(url, sizeof(url), "redis://:");
	for (i = 0; i < REDIS_CRED_MAX + 1; i++)
		strcat(url, "x");
	strcat(url, "@h");
	assert_int_equal(redis_url_parse(url, &u, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad password"));
	redis_url_clear(&u);
}

/* oauth2-proxy's rule: a configured user or password wins over the URL's. */
static void
test_url_overrides(void **state)
{
	struct redis_conn_opts	o;
	struct redis_url	u;
	char			err[256];

	(void)state;
	assert_int_equal(redis_url_parse("rediss://u:p@h:7/2", &u, err,
	    sizeof(err)), 0);
	redis_conn_opts_url(&o, &u, NULL, "");
	assert_string_equal(o.username, "u");
	assert_string_equal(o.password, "p");
	assert_string_equal(o.host, "h");
	assert_int_equal(o.port, 7);
	assert_int_equal(o.db, 2);
	assert_int_equal(o.tls, 1);
	redis_conn_opts_url(&o, &u, "alice", "wonderland");
	assert_string_equal(o.username, "alice");
	assert_string_equal(o.password, "wonderland");
	redis_url_clear(&u);
}

/* --- a real redis-server ------------------------------------------------ */

#define WAIT_MS		5000	/* bound on any wait */
#define CMD_MS		2000
#define SERVERS_MAX	4

struct server {
	pid_t	pid;
	int	port;		/* TCP or TLS; 0: unix socket only */
	int	tls;		/* port is a TLS port */
	char	sock[108];
};

struct fx {
	struct event_base	*base;
	int			 nfds;		/* open at the start */
	char			 dir[64];
	char			 resolv[128], hosts[128];
	struct server		 srv[SERVERS_MAX];
	int			 nsrv;
};

struct result {
	int	 called;
	int	 type;
	long long integer;
	char	*str;
	size_t	 len;
	size_t	 elements;
	char	 error[REDIS_ERROR_MAX];
	int	 failed;
};

struct state {
	int	up;
	int	ups, downs;
};

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
write_file(const char *path, const char *text)
{
	FILE	*f;

	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

/* A port that was free a moment ago. */
static int
free_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			s, port;

	assert_true((s = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(s);
	return port;
}

static int
try_connect(const struct server *s)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_un	*sun = (struct sockaddr_un *)&ss;
	socklen_t		 len;
	int			 fd, ok;

	memset(&ss, 0, sizeof(ss));
	if (s->port != 0) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)s->port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*sin);
	} else {
		sun->sun_family = AF_UNIX;
		snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", s->sock);
		len = sizeof(*sun);
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) == -1)
		return 0;
	ok = connect(fd, (struct sockaddr *)&ss, len) == 0;
	close(fd);
	return ok;
}

/*
 * redis-server with args after the common ones, listening on s->port
 * (TCP, or TLS when args say so) or s->sock; waits until it accepts.
 */
static void
server_start(struct fx *f, struct server *s, const char *const *args)
{
	const char	*argv[40];
	char		 port[16];
	int		 n = 0, fd;
	int64_t		 t0;

	snprintf(port, sizeof(port), "%d", s->port);
	argv[n++] = "redis-server";
	argv[n++] = "--save";
	argv[n++] = "";
	argv[n++] = "--appendonly";
	argv[n++] = "no";
	argv[n++] = "--bind";
	argv[n++] = "127.0.0.1";
	argv[n++] = "--dir";
	argv[n++] = f->dir;
	argv[n++] = "--port";
	argv[n++] = s->tls ? "0" : port;
	if (s->tls) {
		argv[n++] = "--tls-port";
		argv[n++] = port;
	}
	while (*args != NULL && n < 38)
		argv[n++] = *args++;
	argv[n] = NULL;
	assert_true((s->pid = fork()) != -1);
	if (s->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp("redis-server", (char *const *)argv);
		_exit(127);
	}
	for (t0 = now_ms(); !try_connect(s); usleep(5000))
		if (now_ms() - t0 > WAIT_MS)
			fail_msg("redis-server did not start");
}

static void
server_stop(struct server *s)
{
	if (s->pid <= 0)
		return;
	/* Even a stopped one: no SIGCONT, which would let it answer. */
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	s->pid = 0;
}

/* A plain server on a free port, with extra args. */
static struct server *
plain_server(struct fx *f, const char *const *args)
{
	static const char *const none[] = { NULL };
	struct server	*s = &f->srv[f->nsrv++];

	assert_true(f->nsrv <= SERVERS_MAX);
	s->port = free_port();
	server_start(f, s, args != NULL ? args : none);
	return s;
}

static int
count_fds(void)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	assert_non_null(d = opendir("/proc/self/fd"));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
fx_setup(void **state)
{
	struct fx	*f;

	assert_non_null(f = calloc(1, sizeof(*f)));
	snprintf(f->dir, sizeof(f->dir), "/tmp/gh-redis-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->resolv, sizeof(f->resolv), "%s/resolv.conf", f->dir);
	snprintf(f->hosts, sizeof(f->hosts), "%s/hosts", f->dir);
	/* Nothing is ever asked of this nameserver: localhost is a host. */
	write_file(f->resolv, "nameserver 127.0.0.1\n");
	write_file(f->hosts, "127.0.0.1 localhost\n");
	assert_non_null(f->base = event_base_new());
	f->nfds = count_fds();
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx	*f = *state;
	char		 cmd[128];
	int		 i, leaked;

	for (i = 0; i < f->nsrv; i++)
		server_stop(&f->srv[i]);
	event_base_loop(f->base, EVLOOP_NONBLOCK);
	/* Every client is freed by now: no descriptor may be left. */
	if ((leaked = count_fds() - f->nfds) != 0)
		fprintf(stderr, "%d descriptors leaked\n", leaked);
	event_base_free(f->base);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		leaked = -1;
	free(f);
	return leaked == 0 ? 0 : -1;
}

/* Runs the loop until cond or ms. */
static int
run_until(struct fx *f, int (*cond)(void *), void *arg, int ms)
{
	struct timeval	tv = { 0, 5000 };
	int64_t		t0 = now_ms();

	while (!cond(arg) && now_ms() - t0 < ms) {
		event_base_loopexit(f->base, &tv);
		event_base_dispatch(f->base);
	}
	return cond(arg);
}

static void
run_for(struct fx *f, int ms)
{
	struct timeval	tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
}

static int
is_up(void *arg)
{
	return ((struct state *)arg)->up;
}

static int
is_down(void *arg)
{
	return ((struct state *)arg)->downs > 0;
}

static int
is_called(void *arg)
{
	return ((struct result *)arg)->called > 0;
}

static void
state_cb(void *arg, int up)
{
	struct state	*st = arg;

	st->up = up;
	if (up)
		st->ups++;
	else
		st->downs++;
}

static void
result_clear(struct result *r)
{
	free(r->str);
	memset(r, 0, sizeof(*r));
}

static void
reply_cb(void *arg, const redisReply *reply, const char *error)
{
	struct result	*r = arg;

	r->called++;
	if (reply == NULL) {
		r->failed = 1;
		snprintf(r->error, sizeof(r->error), "%s", error);
		return;
	}
	assert_null(error);
	r->type = reply->type;
	r->integer = reply->integer;
	r->elements = reply->elements;
	if (reply->str != NULL) {
		assert_non_null(r->str = malloc(reply->len + 1));
		memcpy(r->str, reply->str, reply->len + 1);
		r->len = reply->len;
	}
}

static struct redis_opts
opts_for(struct fx *f, const char *url)
{
	struct redis_opts	o;

	memset(&o, 0, sizeof(o));
	o.mode = REDIS_STANDALONE;
	o.url = url;
	o.command_timeout_ms = CMD_MS;
	o.resolv_conf = f->resolv;
	o.hosts = f->hosts;
	return o;
}

static struct redis *
client_new(struct fx *f, const struct redis_opts *o, struct state *st)
{
	struct redis	*r;
	char		 err[256] = "";

	memset(st, 0, sizeof(*st));
	r = redis_new(f->base, o, state_cb, st, err, sizeof(err));
	if (r == NULL)
		fail_msg("redis_new: %s", err);
	return r;
}

/* A client on url that must come up. */
static struct redis *
client_up(struct fx *f, const char *url, struct state *st)
{
	struct redis_opts	 o = opts_for(f, url);
	struct redis		*r = client_new(f, &o, st);

	if (!run_until(f, is_up, st, WAIT_MS))
		fail_msg("%s: not up: %s", url, redis_error(r));
	return r;
}

static void
client_free(struct fx *f, struct redis *r)
{
	redis_free(r);
	event_base_loop(f->base, EVLOOP_NONBLOCK);
}

/* Sends argv (binary-safe with lens) and waits for the answer. */
static void
do_cmdv(struct fx *f, struct redis *r, struct result *res, int argc,
    const char **argv, const size_t *lens)
{
	memset(res, 0, sizeof(*res));
	assert_int_equal(redis_command(r, argv[argc > 1 ? 1 : 0],
	    strlen(argv[argc > 1 ? 1 : 0]), reply_cb, res, argc, argv, lens),
	    0);
	assert_int_equal(res->called, 0);	/* never from inside */
	if (!run_until(f, is_called, res, WAIT_MS))
		fail_msg("%s: no answer", argv[0]);
	assert_int_equal(res->called, 1);
}

/* Text arguments, NULL-terminated. */
static void
do_cmd(struct fx *f, struct redis *r, struct result *res, ...)
{
	const char	*argv[16];
	va_list		 ap;
	int		 argc = 0;

	va_start(ap, res);
	while ((argv[argc] = va_arg(ap, const char *)) != NULL && argc < 15)
		argc++;
	va_end(ap);
	do_cmdv(f, r, res, argc, argv, NULL);
}

static void
expect_status(struct fx *f, struct redis *r, const char *status, ...)
{
	const char	*argv[16];
	struct result	 res;
	va_list		 ap;
	int		 argc = 0;

	va_start(ap, status);
	while ((argv[argc] = va_arg(ap, const char *)) != NULL && argc < 15)
		argc++;
	va_end(ap);
	do_cmdv(f, r, &res, argc, argv, NULL);
	if (res.failed)
		fail_msg("%s: %s", argv[0], res.error);
	if (res.type == REDIS_REPLY_ERROR || strcmp(res.str, status) != 0)
		fail_msg("%s: %s", argv[0], res.str);
	result_clear(&res);
}

/* SET key value, GET key: the value comes back. */
static void
round_trip(struct fx *f, struct redis *r, const char *key, const char *val)
{
	struct result	res;

	expect_status(f, r, "OK", "SET", key, val, NULL);
	do_cmd(f, r, &res, "GET", key, NULL);
	assert_int_equal(res.type, REDIS_REPLY_STRING);
	assert_string_equal(res.str, val);
	result_clear(&res);
}

static void	url_of(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
url_of(char *buf, size_t len, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* --- standalone against a real server ----------------------------------- */

static void
test_round_trips(void **state)
{
	struct fx	*f = *state;
	struct server	*s = plain_server(f, NULL);
	struct redis	*r;
	struct state	 st;
	struct result	 res, many[200];
	const char	*argv[4];
	size_t		 lens[4];
	char		 url[128], val[] = "a\0b\r\n\0";
	int		 i;

	url_of(url, sizeof(url), "redis://127.0.0.1:%d", s->port);
	r = client_up(f, url, &st);
	assert_int_equal(st.ups, 1);
	assert_true(redis_up(r));
	assert_string_equal(redis_error(r), "");

	/* A value with NUL bytes and CRLF, as it was. */
	argv[0] = "SET";
	argv[1] = "k";
	argv[2] = val;
	lens[0] = 3;
	lens[1] = 1;
	lens[2] = sizeof(val) - 1;
	do_cmdv(f, r, &res, 3, argv, lens);
	assert_int_equal(res.type, REDIS_REPLY_STATUS);
	result_clear(&res);
	do_cmd(f, r, &res, "GET", "k", NULL);
	assert_int_equal(res.type, REDIS_REPLY_STRING);
	assert_int_equal(res.len, sizeof(val) - 1);
	assert_memory_equal(res.str, val, sizeof(val) - 1);
	result_clear(&res);

	do_cmd(f, r, &res, "EXPIRE", "k", "100", NULL);
	assert_int_equal(res.type, REDIS_REPLY_INTEGER);
	assert_int_equal(res.integer, 1);
	result_clear(&res);
	do_cmd(f, r, &res, "TTL", "k", NULL);
	assert_true(res.integer > 90 && res.integer <= 100);
	result_clear(&res);
	do_cmd(f, r, &res, "DEL", "k", NULL);
	assert_int_equal(res.integer, 1);
	result_clear(&res);
	do_cmd(f, r, &res, "GET", "k", NULL);
	assert_int_equal(res.type, REDIS_REPLY_NIL);
	result_clear(&res);

	/* An error reply is a reply. */
	expect_status(f, r, "OK", "SET", "s", "text", NULL);
	do_cmd(f, r, &res, "INCR", "s", NULL);
	assert_false(res.failed);
	assert_int_equal(res.type, REDIS_REPLY_ERROR);
	result_clear(&res);

	/* Pipelined: 200 INCRs sent at once, answered in order. */
	memset(many, 0, sizeof(many));
	argv[0] = "INCR";
	argv[1] = "n";
	for (i = 0; i < 200; i++)
		assert_int_equal(redis_command(r, "n", 1, reply_cb, &many[i],
		    2, argv, NULL), 0);
	assert_true(run_until(f, is_called, &many[199], WAIT_MS));
	for (i = 0; i < 200; i++) {
		assert_int_equal(many[i].called, 1);
		assert_int_equal(many[i].integer, i + 1);
	}
	/* No argument, or one over the output cap: refused at once. */
	assert_int_equal(redis_command(r, "n", 1, reply_cb, &res, 0, argv,
	    NULL), -1);
	argv[0] = "SET";
	argv[1] = "x";
	lens[0] = 3;
	lens[1] = (size_t)REDIS_CONN_OUTPUT_MAX + 1;
	assert_int_equal(redis_command(r, "x", 1, reply_cb, &res, 2, argv,
	    lens), -1);
	client_free(f, r);
	assert_int_equal(st.downs, 0);
}

/* Down until the first connection: commands fail, from the loop. */
static void
test_not_connected(void **state)
{
	struct fx		*f = *state;
	struct redis_opts	 o;
	struct redis		*r;
	struct state		 st;
	struct result		 res;
	const char		*argv[] = { "GET", "k" };
	char			 url[128];
	int64_t			 t0;

	url_of(url, sizeof(url), "redis://127.0.0.1:%d", free_port());
	o = opts_for(f, url);
	r = client_new(f, &o, &st);
	assert_false(redis_up(r));
	memset(&res, 0, sizeof(res));
	assert_int_equal(redis_command(r, "k", 1, reply_cb, &res, 2, argv,
	    NULL), 0);
	assert_int_equal(res.called, 0);
	t0 = now_ms();
	assert_true(run_until(f, is_called, &res, WAIT_MS));
	assert_true(now_ms() - t0 < 100);
	assert_true(res.failed);
	assert_string_equal(res.error, "not connected");
	/* The attempts fail; the reason is kept for a log line. */
	run_for(f, 300);
	assert_false(redis_up(r));
	assert_non_null(strstr(redis_error(r), "Connection refused"));
	assert_int_equal(st.ups, 0);
	assert_int_equal(st.downs, 0);		/* never up, never down */
	client_free(f, r);
}

/* A host name, looked up with the test's hosts file. */
static void
test_host_name(void **state)
{
	struct fx	*f = *state;
	struct server	*s = plain_server(f, NULL);
	struct redis	*r;
	struct state	 st;
	char		 url[128];

	url_of(url, sizeof(url), "redis://localhost:%d/1", s->port);
	r = client_up(f, url, &st);
	round_trip(f, r, "name", "localhost");
	client_free(f, r);
}

static void
test_password(void **state)
{
	static const char *const args[] = { "--requirepass", "s3cret", NULL };
	struct fx		*f = *state;
	struct server		*s = plain_server(f, args);
	struct redis_opts	 o;
	struct redis		*r;
	struct state		 st;
	char			 url[128];

	url_of(url, sizeof(url), "redis://:s3cret@127.0.0.1:%d", s->port);
	r = client_up(f, url, &st);
	round_trip(f, r, "pw", "yes");
	client_free(f, r);

	/* The configured password wins over the URL's. */
	url_of(url, sizeof(url), "redis://:wrong@127.0.0.1:%d", s->port);
	o = opts_for(f, url);
	o.password = "s3cret";
	r = client_new(f, &o, &st);
	assert_true(run_until(f, is_up, &st, WAIT_MS));
	round_trip(f, r, "pw", "override");
	client_free(f, r);
}

static void
test_wrong_password(void **state)
{
	static const char *const args[] = { "--requirepass", "s3cret", NULL };
	struct fx		*f = *state;
	struct server		*s = plain_server(f, args);
	struct redis_opts	 o;
	struct redis		*r;
	struct state		 st;
	char			 url[128];

	url_of(url, sizeof(url), "redis://:nope@127.0.0.1:%d", s->port);
	o = opts_for(f, url);
	r = client_new(f, &o, &st);
	run_for(f, 500);
	assert_false(redis_up(r));
	assert_int_equal(st.ups, 0);
	assert_non_null(strstr(redis_error(r), "AUTH: WRONGPASS"));
	assert_null(strstr(redis_error(r), "nope"));
	client_free(f, r);

	/* No password at all: the PING is refused. */
	url_of(url, sizeof(url), "redis://127.0.0.1:%d", s->port);
	o = opts_for(f, url);
	r = client_new(f, &o, &st);
	run_for(f, 300);
	assert_false(redis_up(r));
	assert_non_null(strstr(redis_error(r), "PING: NOAUTH"));
	client_free(f, r);
}

/* An ACL user whose password needs percent-encoding in the URL. */
static void
test_acl_user(void **state)
{
	struct fx	*f = *state;
	struct server	*s = plain_server(f, NULL);
	struct redis	*admin, *r;
	struct state	 st, st2;
	char		 url[160];

	url_of(url, sizeof(url), "redis://127.0.0.1:%d", s->port);
	admin = client_up(f, url, &st);
	expect_status(f, admin, "OK", "ACL", "SETUSER", "alice", "on",
	    ">p@ss:w/rd", "~*", "+@all", NULL);

	url_of(url, sizeof(url),
	    "redis://alice:p%%40ss%%3Aw%%2Frd@127.0.0.1:%d", s->port);
	r = client_up(f, url, &st2);
	round_trip(f, r, "acl", "alice");
	client_free(f, r);

	url_of(url, sizeof(url), "redis://alice:p%%40ss@127.0.0.1:%d",
	    s->port);
	{
		struct redis_opts o = opts_for(f, url);

		r = client_new(f, &o, &st2);
		run_for(f, 300);
		assert_false(redis_up(r));
		assert_non_null(strstr(redis_error(r), "WRONGPASS"));
		client_free(f, r);
	}
	client_free(f, admin);
}

static void
test_unix_socket(void **state)
{
	struct fx	*f = *state;
	struct server	*s = &f->srv[f->nsrv++];
	struct redis	*r;
	struct state	 st;
	struct result	 res;
	char		 url[200];
	const char	*args[] = { "--unixsocket", s->sock, "--unixsocketperm",
			    "700", "--requirepass", "pw", NULL };

	snprintf(s->sock, sizeof(s->sock), "%s/redis.sock", f->dir);
	s->port = 0;
	server_start(f, s, args);
	snprintf(url, sizeof(url), "unix://:pw@%s?db=2", s->sock);
	r = client_up(f, url, &st);
	round_trip(f, r, "sock", "unix");
	client_free(f, r);

	/* db 0 does not have it. */
	snprintf(url, sizeof(url), "unix://:pw@%s", s->sock);
	r = client_up(f, url, &st);
	do_cmd(f, r, &res, "GET", "sock", NULL);
	assert_int_equal(res.type, REDIS_REPLY_NIL);
	result_clear(&res);
	client_free(f, r);
}

static void
test_db(void **state)
{
	struct fx		*f = *state;
	struct server		*s = plain_server(f, NULL);
	struct redis_opts	 o;
	struct redis		*r3, *r0;
	struct state		 st3, st0;
	struct result		 res;
	char			 url[128];

	url_of(url, sizeof(url), "redis://127.0.0.1:%d/3", s->port);
	r3 = client_up(f, url, &st3);
	expect_status(f, r3, "OK", "SET", "where", "three", NULL);
	url_of(url, sizeof(url), "redis://127.0.0.1:%d", s->port);
	r0 = client_up(f, url, &st0);
	do_cmd(f, r0, &res, "GET", "where", NULL);
	assert_int_equal(res.type, REDIS_REPLY_NIL);
	result_clear(&res);
	expect_status(f, r0, "OK", "SELECT", "3", NULL);
	do_cmd(f, r0, &res, "GET", "where", NULL);
	assert_string_equal(res.str, "three");
	result_clear(&res);
	client_free(f, r0);
	client_free(f, r3);

	/* Redis has 16 databases: 16 is refused by SELECT. */
	url_of(url, sizeof(url), "redis://127.0.0.1:%d/16", s->port);
	o = opts_for(f, url);
	r3 = client_new(f, &o, &st3);
	run_for(f, 300);
	assert_false(redis_up(r3));
	assert_non_null(strstr(redis_error(r3), "SELECT: ERR DB index is out "
	    "of range"));
	client_free(f, r3);
}

/* --- TLS ------------------------------------------------------------------ */

/*
 * A CA, a server certificate it signs for redis.example and 127.0.0.1,
 * and another CA that signed nothing.
 */
static void
make_certs(struct fx *f)
{
	char	cmd[2048];

	snprintf(cmd, sizeof(cmd), "cd %s && ("
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
	    " -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=gh-test-ca &&"
	    " openssl req -x509 -newkey ec -pkeyopt"
	    " ec_paramgen_curve:prime256v1 -nodes -keyout other.key"
	    " -out other.crt -days 2 -subj /CN=gh-other-ca &&"
	    " openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
	    " -nodes -keyout srv.key -out srv.csr -subj /CN=redis.example &&"
	    " printf 'subjectAltName=DNS:redis.example,IP:127.0.0.1\\n'"
	    " > ext.cnf &&"
	    " openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key"
	    " -CAcreateserial -out srv.crt -days 2 -extfile ext.cnf"
	    ") >/dev/null 2>&1", f->dir);
	assert_int_equal(system(cmd), 0);
}

static struct server *
tls_server(struct fx *f)
{
	struct server	*s = &f->srv[f->nsrv++];
	char		 cert[128], key[128], ca[128];
	const char	*args[] = { "--tls-cert-file", cert, "--tls-key-file",
			    key, "--tls-ca-cert-file", ca, "--tls-auth-clients",
			    "no", NULL };

	make_certs(f);
	snprintf(cert, sizeof(cert), "%s/srv.crt", f->dir);
	snprintf(key, sizeof(key), "%s/srv.key", f->dir);
	snprintf(ca, sizeof(ca), "%s/ca.crt", f->dir);
	s->port = free_port();
	s->tls = 1;
	server_start(f, s, args);
	return s;
}

/* A TLS client that must not come up; its error must hold what. */
static void
tls_refused(struct fx *f, const char *url, const char *ca, const char *what)
{
	struct redis_opts	 o = opts_for(f, url);
	struct redis		*r;
	struct state		 st;

	o.ca_path = ca;
	r = client_new(f, &o, &st);
	run_for(f, 400);
	assert_false(redis_up(r));
	if (strstr(redis_error(r), what) == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", url, redis_error(r), what);
	client_free(f, r);
}

static void
test_tls(void **state)
{
	struct fx		*f = *state;
	struct server		*s = tls_server(f);
	struct redis_opts	 o;
	struct redis		*r;
	struct state		 st;
	char			 url[128], ca[128], other[128];

	snprintf(ca, sizeof(ca), "%s/ca.crt", f->dir);
	snprintf(other, sizeof(other), "%s/other.crt", f->dir);

	/* The right CA; the address is in the certificate. */
	url_of(url, sizeof(url), "rediss://127.0.0.1:%d/1", s->port);
	o = opts_for(f, url);
	o.ca_path = ca;
	r = client_new(f, &o, &st);
	if (!run_until(f, is_up, &st, WAIT_MS))
		fail_msg("not up: %s", redis_error(r));
	round_trip(f, r, "tls", "verified");
	client_free(f, r);

	/* A CA that did not sign it; no CA but the system's. */
	tls_refused(f, url, other, "certificate verify failed");
	tls_refused(f, url, NULL, "certificate verify failed");
	/* A name the certificate lacks. */
	url_of(url, sizeof(url), "rediss://localhost:%d", s->port);
	tls_refused(f, url, ca, "hostname mismatch");

	/* insecure_skip_verify, or ?skip_verify=true: anything goes. */
	o = opts_for(f, url);
	o.ca_path = other;
	o.insecure_skip_verify = 1;
	r = client_new(f, &o, &st);
	assert_true(run_until(f, is_up, &st, WAIT_MS));
	round_trip(f, r, "tls", "unverified");
	client_free(f, r);
	url_of(url, sizeof(url), "rediss://localhost:%d?skip_verify=true",
	    s->port);
	o = opts_for(f, url);
	r = client_new(f, &o, &st);
	assert_true(run_until(f, is_up, &st, WAIT_MS));
	client_free(f, r);

	/* redis:// with a CA file is TLS too, as in oauth2-proxy. */
	url_of(url, sizeof(url), "redis://127.0.0.1:%d", s->port);
	o = opts_for(f, url);
	o.ca_path = ca;
	r = client_new(f, &o, &st);
	assert_true(run_until(f, is_up, &st, WAIT_MS));
	round_trip(f, r, "tls", "redis://");
	client_free(f, r);

	/* A CA file that cannot be read is a config error. */
	o.ca_path = "/nonexistent/ca.crt";
	{
		char err[256] = "";

		assert_null(redis_new(f->base, &o, state_cb, &st, err,
		    sizeof(err)));
		assert_non_null(strstr(err, "redis_ca_path: /nonexistent"));
	}
}

/* --- failures ------------------------------------------------------------ */

static int
all_called(void *arg)
{
	struct result	*r = arg;
	int		 i;

	for (i = 0; i < 3; i++)
		if (!r[i].called)
			return 0;
	return 1;
}

/*
 * Redis killed with commands pending: they fail at once, the client goes
 * down; Redis back on the same port: the client comes up by itself.
 */
static void
test_kill_restart(void **state)
{
	static const char *const none[] = { NULL };
	struct fx		*f = *state;
	struct server		*s = plain_server(f, NULL);
	struct redis_opts	 o;
	struct redis		*r;
	struct state		 st;
	struct result		 res[3], late;
	const char		*argv[] = { "GET", "k" };
	char			 url[128];
	int64_t			 t0;
	int			 i;

	url_of(url, sizeof(url), "redis://127.0.0.1:%d", s->port);
	o = opts_for(f, url);
	o.command_timeout_ms = 5000;
	r = client_new(f, &o, &st);
	assert_true(run_until(f, is_up, &st, WAIT_MS));
	kill(s->pid, SIGSTOP);
	memset(res, 0, sizeof(res));
	for (i = 0; i < 3; i++)
		assert_int_equal(redis_command(r, "k", 1, reply_cb, &res[i], 2,
		    argv, NULL), 0);
	run_for(f, 50);
	assert_int_equal(res[0].called, 0);
	t0 = now_ms();
	server_stop(s);
	assert_true(run_until(f, all_called, res, WAIT_MS));
	assert_true(now_ms() - t0 < 1000);
	for (i = 0; i < 3; i++) {
		assert_true(res[i].failed);
		assert_non_null(strstr(res[i].error, "connection"));
	}
	assert_int_equal(st.downs, 1);
	assert_false(redis_up(r));
	memset(&late, 0, sizeof(late));
	assert_int_equal(redis_command(r, "k", 1, reply_cb, &late, 2, argv,
	    NULL), 0);
	assert_true(run_until(f, is_called, &late, WAIT_MS));
	assert_string_equal(late.error, "not connected");

	/* Back: up again without a word from us. */
	server_start(f, s, none);
	t0 = now_ms();
	if (!run_until(f, is_up, &st, 7000))
		fail_msg("not up again: %s", redis_error(r));
	assert_int_equal(st.ups, 2);
	round_trip(f, r, "again", "yes");
	client_free(f, r);
}

/* A stopped Redis: the command fails after its deadline, not before. */
static void
test_command_timeout(void **state)
{
	struct fx		*f = *state;
	struct server		*s = plain_server(f, NULL);
	struct redis_opts	 o;
	struct redis		*r;
	struct state		 st;
	struct result		 res;
	const char		*argv[] = { "GET", "k" };
	char			 url[128];
	int64_t			 t0, took;

	url_of(url, sizeof(url), "redis://127.0.0.1:%d", s->port);
	o = opts_for(f, url);
	o.command_timeout_ms = 300;
	r = client_new(f, &o, &st);
	assert_true(run_until(f, is_up, &st, WAIT_MS));
	kill(s->pid, SIGSTOP);
	memset(&res, 0, sizeof(res));
	t0 = now_ms();
	assert_int_equal(redis_command(r, "k", 1, reply_cb, &res, 2, argv,
	    NULL), 0);
	assert_true(run_until(f, is_called, &res, WAIT_MS));
	took = now_ms() - t0;
	assert_true(took >= 290 && took < 1000);
	assert_true(res.failed);
	assert_true(strncmp(res.error, "timeout", 7) == 0);
	assert_int_equal(st.downs, 1);
	assert_false(redis_up(r));

	kill(s->pid, SIGCONT);
	if (!run_until(f, is_up, &st, 7000))
		fail_msg("not up again: %s", redis_error(r));
	round_trip(f, r, "after", "timeout");
	client_free(f, r);
}

static long long
client_id(struct fx *f, struct redis *r)
{
	struct result	res;
	long long	id;

	do_cmd(f, r, &res, "CLIENT", "ID", NULL);
	assert_int_equal(res.type, REDIS_REPLY_INTEGER);
	id = res.integer;
	result_clear(&res);
	return id;
}

/* Closed when idle, opened again by the next command; up throughout. */
static void
test_idle_timeout(void **state)
{
	struct fx		*f = *state;
	struct server		*s = plain_server(f, NULL);
	struct redis_opts	 o;
	struct redis		*r, *admin;
	struct state		 st, st2;
	struct result		 res;
	char			 url[128];
	long long		 id;

	url_of(url, sizeof(url), "redis://127.0.0.1:%d", s->port);
	admin = client_up(f, url, &st2);
	o = opts_for(f, url);
	o.idle_timeout_sec = 1;
	r = client_new(f, &o, &st);
	assert_true(run_until(f, is_up, &st, WAIT_MS));
	id = client_id(f, r);
	run_for(f, 1300);
	/* The admin alone is connected now. */
	do_cmd(f, admin, &res, "CLIENT", "LIST", NULL);
	assert_null(strstr(res.str + strcspn(res.str, "\n") + 1, "id="));
	result_clear(&res);
	assert_true(redis_up(r));
	assert_true(client_id(f, r) != id);
	assert_int_equal(st.downs, 0);
	assert_int_equal(st.ups, 1);
	client_free(f, r);
	client_free(f, admin);
}

/*
 * The server closes a connection that was up a while with nothing
 * pending (Redis's own idle timeout): it is opened again at once, and
 * the client never goes down.
 */
static void
test_quiet_close(void **state)
{
	struct fx	*f = *state;
	struct server	*s = plain_server(f, NULL);
	struct redis	*r, *admin;
	struct state	 st, st2;
	struct result	 res;
	char		 url[128], idbuf[32];
	long long	 id;

	url_of(url, sizeof(url), "redis://127.0.0.1:%d", s->port);
	admin = client_up(f, url, &st2);
	r = client_up(f, url, &st);
	id = client_id(f, r);
	run_for(f, REDIS_CONN_STABLE_MS + 100);
	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	do_cmd(f, admin, &res, "CLIENT", "KILL", "ID", idbuf, NULL);
	assert_int_equal(res.integer, 1);
	result_clear(&res);
	run_for(f, 100);
	assert_true(redis_up(r));
	assert_true(client_id(f, r) != id);
	assert_int_equal(st.downs, 0);

	/* Killed again at once: not up long enough, so down. */
	id = client_id(f, r);
	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	do_cmd(f, admin, &res, "CLIENT", "KILL", "ID", idbuf, NULL);
	result_clear(&res);
	assert_true(run_until(f, is_down, &st, WAIT_MS));
	assert_true(run_until(f, is_up, &st, WAIT_MS));
	client_free(f, r);
	client_free(f, admin);
}

struct counter {
	int	called;
	int	failed;
	int	want;
};

static void
count_cb(void *arg, const redisReply *reply, const char *error)
{
	struct counter	*c = arg;

	(void)error;
	c->called++;
	if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
		c->failed++;
}

static int
counted(void *arg)
{
	struct counter	*c = arg;

	return c->called >= c->want;
}

/* REDIS_CONN_PENDING_MAX commands wait; one more is refused. */
static void
test_pending_limit(void **state)
{
	struct fx		*f = *state;
	struct server		*s = plain_server(f, NULL);
	struct redis_opts	 o;
	struct redis		*r;
	struct state		 st;
	struct counter		 cnt;
	const char		*argv[] = { "GET", "k" };
	char			 url[128];
	int			 i;

	url_of(url, sizeof(url), "redis://127.0.0.1:%d", s->port);
	o = opts_for(f, url);
	o.command_timeout_ms = 500;
	r = client_new(f, &o, &st);
	assert_true(run_until(f, is_up, &st, WAIT_MS));
	kill(s->pid, SIGSTOP);
	memset(&cnt, 0, sizeof(cnt));
	cnt.want = REDIS_CONN_PENDING_MAX;
	for (i = 0; i < REDIS_CONN_PENDING_MAX; i++)
		assert_int_equal(redis_command(r, "k", 1, count_cb, &cnt, 2,
		    argv, NULL), 0);
	assert_int_equal(redis_command(r, "k", 1, count_cb, &cnt, 2, argv,
	    NULL), -1);
	assert_true(run_until(f, counted, &cnt, WAIT_MS));
	assert_int_equal(cnt.failed, REDIS_CONN_PENDING_MAX);
	kill(s->pid, SIGCONT);
	assert_true(run_until(f, is_up, &st, 7000));
	client_free(f, r);
}

/*
 * Bytes not yet sent are capped (three 9 MiB values fit, a fourth does
 * not); a reply larger than the reader may hold fails, and the
 * connection with it.
 */
static void
test_big_values(void **state)
{
	struct fx		*f = *state;
	struct server		*s = plain_server(f, NULL);
	struct redis_opts	 o;
	struct redis		*r;
	struct state		 st;
	struct counter		 cnt;
	struct result		 res;
	const char		*argv[3];
	size_t			 lens[3], bigsz = REDIS_CONN_INPUT_MAX + 1024;
	char			*big, url[128];
	int			 i;

	url_of(url, sizeof(url), "redis://127.0.0.1:%d", s->port);
	o = opts_for(f, url);
	o.command_timeout_ms = 5000;
	r = client_new(f, &o, &st);
	assert_true(run_until(f, is_up, &st, WAIT_MS));
	assert_non_null(big = malloc(bigsz));
	memset(big, 'v', bigsz);
	argv[0] = "SET";
	argv[1] = "big";
	argv[2] = big;
	lens[0] = 3;
	lens[1] = 3;
	lens[2] = bigsz;
	memset(&cnt, 0, sizeof(cnt));
	cnt.want = 3;
	for (i = 0; i < 3; i++)
		assert_int_equal(redis_command(r, "big", 3, count_cb, &cnt, 3,
		    argv, lens), 0);
	assert_int_equal(redis_command(r, "big", 3, count_cb, &cnt, 3, argv,
	    lens), -1);
	assert_true(run_until(f, counted, &cnt, WAIT_MS));
	assert_int_equal(cnt.failed, 0);
	free(big);

	do_cmd(f, r, &res, "GET", "big", NULL);
	assert_true(res.failed);
	assert_string_equal(res.error, "protocol error: reply too large");
	assert_int_equal(st.downs, 1);
	assert_true(run_until(f, is_up, &st, 7000));
	do_cmd(f, r, &res, "STRLEN", "big", NULL);
	assert_int_equal(res.integer, (long long)bigsz);
	client_free(f, r);
}

/* --- a fake server, for what Redis never sends --------------------------- */

/*
 * Accepts one connection; for each answer, reads a command and writes the
 * answer ('|' in it: a pause, so the reply comes in pieces).
 */
static pid_t
fake_server(int *port, const char *const *answers)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	char			 buf[4096];
	const char		*a, *bar;
	pid_t			 pid;
	int			 ls, fd;

	assert_true((ls = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(ls, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&sin, &len), 0);
	assert_int_equal(listen(ls, 4), 0);
	*port = ntohs(sin.sin_port);
	assert_true((pid = fork()) != -1);
	if (pid != 0) {
		close(ls);
		return pid;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(5);
	if ((fd = accept(ls, NULL, NULL)) == -1)
		_exit(1);
	for (; *answers != NULL; answers++) {
		if (read(fd, buf, sizeof(buf)) <= 0)
			_exit(0);
		for (a = *answers; *a != '\0'; a = bar + (*bar == '|')) {
			bar = a + strcspn(a, "|");
			if (write(fd, a, (size_t)(bar - a)) == -1)
				_exit(1);
			if (*bar == '|')
				usleep(30000);
		}
	}
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	_exit(0);
}

/* One command against a fake server; error is what it fails with. */
static void
fake_case(struct fx *f, const char *const *answers, const char *value,
    const char *error)
{
	struct redis_opts	 o;
	struct redis		*r;
	struct state		 st;
	struct result		 res;
	char			 url[128];
	pid_t			 pid;
	int			 port;

	pid = fake_server(&port, answers);
	url_of(url, sizeof(url), "redis://127.0.0.1:%d", port);
	o = opts_for(f, url);
	o.command_timeout_ms = 1000;
	r = client_new(f, &o, &st);
	if (value == NULL && error == NULL) {
		/* The handshake must fail. */
		run_for(f, 200);
		assert_false(redis_up(r));
	} else {
		assert_true(run_until(f, is_up, &st, WAIT_MS));
		do_cmd(f, r, &res, "GET", "k", NULL);
		if (value != NULL) {
			assert_false(res.failed);
			assert_string_equal(res.str, value);
		} else {
			assert_true(res.failed);
			if (strstr(res.error, error) == NULL)
				fail_msg("\"%s\" lacks \"%s\"", res.error,
				    error);
			assert_false(redis_up(r));
		}
		result_clear(&res);
	}
	client_free(f, r);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void
test_bad_replies(void **state)
{
	static const char *const split[] = { "+PO|NG\r\n",
	    "$5\r\nhe|l|lo\r\n", NULL };
	static const char *const huge[] = { "+PONG\r\n", "*2000000000\r\n",
	    NULL };
	static const char *const deep[] = { "+PONG\r\n",
	    "*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n",
	    NULL };
	static const char *const junk[] = { "+PONG\r\n", "?junk\r\n", NULL };
	static const char *const badlen[] = { "+PONG\r\n", "$-7\r\n", NULL };
	static const char *const refused[] = { "-ERR no\r\n", NULL };
	struct fx	*f = *state;

	fake_case(f, split, "hello", NULL);
	fake_case(f, huge, NULL, "protocol error: array reply too large");
	fake_case(f, deep, NULL, "protocol error: No support for nested");
	fake_case(f, junk, NULL, "protocol error: Protocol error");
	fake_case(f, badlen, NULL, "protocol error: Bulk string length");
	fake_case(f, refused, NULL, NULL);
}

/* A reply that answers no command: the connection is dropped. */
static void
test_unsolicited(void **state)
{
	static const char *const extra[] = { "+PONG\r\n+EXTRA\r\n", NULL };
	struct fx		*f = *state;
	struct redis_opts	 o;
	struct redis		*r;
	struct state		 st;
	char			 url[128];
	pid_t			 pid;
	int			 port;

	pid = fake_server(&port, extra);
	url_of(url, sizeof(url), "redis://127.0.0.1:%d", port);
	o = opts_for(f, url);
	r = client_new(f, &o, &st);
	assert_true(run_until(f, is_down, &st, WAIT_MS));
	assert_false(redis_up(r));
	assert_non_null(strstr(redis_error(r), "a reply to no command"));
	client_free(f, r);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* --- the connection API, as Sentinel and Cluster will use it ------------- */

struct connfx {
	struct redis_env	*env;
	struct redis_conn	*conn;
	struct state		 st;
	int			 freed_in_cb;
	int			 pushes;
	char			 payload[64];
	struct result		 other;
};

static struct redis_conn *
conn_to(struct fx *f, struct connfx *cf, int port, redis_push_fn push,
    redis_state_fn state)
{
	struct redis_env_opts	eo;
	struct redis_conn_opts	co;
	char			err[256] = "";

	if (cf->env == NULL) {
		memset(&eo, 0, sizeof(eo));
		assert_non_null(cf->env = redis_env_new(f->base, &eo, err,
		    sizeof(err)));
	}
	memset(&co, 0, sizeof(co));
	co.host = "127.0.0.1";
	co.port = port;
	co.role = "test";
	co.command_timeout_ms = co.connect_timeout_ms = CMD_MS;
	co.state = state;
	co.push = push;
	co.arg = cf;
	if ((cf->conn = redis_conn_new(cf->env, &co, err, sizeof(err))) ==
	    NULL)
		fail_msg("redis_conn_new: %s", err);
	snprintf(err, sizeof(err), "127.0.0.1:%d", port);
	assert_string_equal(redis_conn_addr(cf->conn), err);
	return cf->conn;
}

static void
conn_state_cb(void *arg, int up)
{
	struct connfx	*cf = arg;

	state_cb(&cf->st, up);
}

/* Frees its own connection from the callback of a command. */
static void
free_reply_cb(void *arg, const redisReply *reply, const char *error)
{
	struct connfx	*cf = arg;

	(void)reply;
	(void)error;
	cf->freed_in_cb++;
	redis_conn_free(cf->conn);
	cf->conn = NULL;
}

/* Frees its own connection when it goes down. */
static void
free_state_cb(void *arg, int up)
{
	struct connfx	*cf = arg;

	state_cb(&cf->st, up);
	if (!up) {
		cf->freed_in_cb++;
		redis_conn_free(cf->conn);
		cf->conn = NULL;
	}
}

static int
freed(void *arg)
{
	return ((struct connfx *)arg)->freed_in_cb > 0;
}

static int
conn_up(void *arg)
{
	return ((struct connfx *)arg)->st.up;
}

static void
conn_fx_done(struct fx *f, struct connfx *cf)
{
	redis_conn_free(cf->conn);
	redis_env_free(cf->env);
	event_base_loop(f->base, EVLOOP_NONBLOCK);
}

/*
 * A connection freed from its own callbacks: a reply's (another command
 * still pending), a refusal's, and the state callback's while commands
 * fail.  No callback comes after; ASan sees no use after free.
 */
static void
test_conn_free_in_callback(void **state)
{
	struct fx		*f = *state;
	struct server		*s = plain_server(f, NULL);
	struct connfx		 cf;
	struct redis		*admin;
	struct state		 st;
	struct result		 res;
	const char		*get[] = { "GET", "k" };
	const char		*blpop[] = { "BLPOP", "nothing", "0" };
	char			 url[128];

	memset(&cf, 0, sizeof(cf));
	conn_to(f, &cf, s->port, NULL, conn_state_cb);
	assert_false(redis_conn_up(cf.conn));
	assert_true(run_until(f, conn_up, &cf, WAIT_MS));
	assert_int_equal(redis_conn_command(cf.conn, free_reply_cb, &cf, 2,
	    get, NULL), 0);
	assert_int_equal(redis_conn_command(cf.conn, reply_cb, &cf.other, 2,
	    get, NULL), 0);
	assert_true(run_until(f, freed, &cf, WAIT_MS));
	run_for(f, 50);
	assert_int_equal(cf.freed_in_cb, 1);
	assert_int_equal(cf.other.called, 0);
	redis_env_free(cf.env);

	/* Down from the start: the refusal's callback frees it. */
	memset(&cf, 0, sizeof(cf));
	conn_to(f, &cf, free_port(), NULL, conn_state_cb);
	assert_int_equal(redis_conn_command(cf.conn, free_reply_cb, &cf, 2,
	    get, NULL), 0);
	assert_int_equal(redis_conn_command(cf.conn, reply_cb, &cf.other, 2,
	    get, NULL), 0);
	assert_true(run_until(f, freed, &cf, WAIT_MS));
	run_for(f, 50);
	assert_int_equal(cf.other.called, 0);
	redis_env_free(cf.env);

	/* Killed by the server with a BLPOP pending: down, then freed. */
	memset(&cf, 0, sizeof(cf));
	url_of(url, sizeof(url), "redis://127.0.0.1:%d", s->port);
	admin = client_up(f, url, &st);
	conn_to(f, &cf, s->port, NULL, free_state_cb);
	assert_true(run_until(f, conn_up, &cf, WAIT_MS));
	assert_int_equal(redis_conn_command(cf.conn, reply_cb, &cf.other, 3,
	    blpop, NULL), 0);
	run_for(f, 50);
	do_cmd(f, admin, &res, "CLIENT", "KILL", "TYPE", "normal", "SKIPME",
	    "yes", NULL);
	assert_int_equal(res.integer, 1);
	result_clear(&res);
	assert_true(run_until(f, freed, &cf, WAIT_MS));
	assert_int_equal(cf.other.called, 1);
	assert_true(cf.other.failed);
	assert_int_equal(cf.st.downs, 1);
	run_for(f, 300);	/* no retry of a freed connection */
	redis_env_free(cf.env);
	client_free(f, admin);
	result_clear(&cf.other);
}

static void
push_cb(void *arg, const redisReply *r)
{
	struct connfx	*cf = arg;

	cf->pushes++;
	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	assert_int_equal(r->elements, 3);
	snprintf(cf->payload, sizeof(cf->payload), "%.*s",
	    (int)r->element[2]->len, r->element[2]->str);
}

static int
pushed(void *arg)
{
	return ((struct connfx *)arg)->pushes > 0;
}

/* Pub/sub messages go to the push callback, not to a command's. */
static void
test_conn_pubsub(void **state)
{
	struct fx	*f = *state;
	struct server	*s = plain_server(f, NULL);
	struct connfx	 cf;
	struct redis	*pub;
	struct state	 st;
	struct result	 res;
	const char	*sub[] = { "SUBSCRIBE", "+switch-master" };
	char		 url[128];

	memset(&cf, 0, sizeof(cf));
	conn_to(f, &cf, s->port, push_cb, conn_state_cb);
	assert_true(run_until(f, conn_up, &cf, WAIT_MS));
	memset(&res, 0, sizeof(res));
	assert_int_equal(redis_conn_command(cf.conn, reply_cb, &res, 2, sub,
	    NULL), 0);
	assert_true(run_until(f, is_called, &res, WAIT_MS));
	assert_int_equal(res.type, REDIS_REPLY_ARRAY);
	assert_int_equal(res.elements, 3);
	result_clear(&res);

	url_of(url, sizeof(url), "redis://127.0.0.1:%d", s->port);
	pub = client_up(f, url, &st);
	do_cmd(f, pub, &res, "PUBLISH", "+switch-master",
	    "mymaster 127.0.0.1 1 127.0.0.1 2", NULL);
	assert_int_equal(res.integer, 1);
	result_clear(&res);
	assert_true(run_until(f, pushed, &cf, WAIT_MS));
	assert_string_equal(cf.payload, "mymaster 127.0.0.1 1 127.0.0.1 2");
	client_free(f, pub);
	conn_fx_done(f, &cf);
}

/* Bad options are refused by name. */
static void
test_conn_opts(void **state)
{
	struct fx		*f = *state;
	struct redis_env_opts	 eo;
	struct redis_conn_opts	 co;
	struct redis_env	*env;
	struct redis_opts	 o;
	char			 err[256];

	memset(&eo, 0, sizeof(eo));
	assert_non_null(env = redis_env_new(f->base, &eo, err, sizeof(err)));
	memset(&co, 0, sizeof(co));
	co.host = "127.0.0.1";
	co.port = 6379;
	co.command_timeout_ms = co.connect_timeout_ms = 100;
	co.tls = 1;
	assert_null(redis_conn_new(env, &co, err, sizeof(err)));
	assert_non_null(strstr(err, "TLS"));
	co.tls = 0;
	co.port = 0;
	assert_null(redis_conn_new(env, &co, err, sizeof(err)));
	assert_string_equal(err, "bad port");
	co.port = 1;
	co.command_timeout_ms = 0;
	assert_null(redis_conn_new(env, &co, err, sizeof(err)));
	assert_string_equal(err, "timeout out of range");
	redis_env_free(env);

	o = opts_for(f, "http://h");
	assert_null(redis_new(f->base, &o, NULL, NULL, err, sizeof(err)));
	assert_string_equal(err, "redis_connection_url: unsupported scheme "
	    "\"http\" (redis://, rediss:// or unix://)");
	o = opts_for(f, NULL);
	assert_null(redis_new(f->base, &o, NULL, NULL, err, sizeof(err)));
	o = opts_for(f, "redis://h");
	o.mode = REDIS_SENTINEL;
	assert_null(redis_new(f->base, &o, NULL, NULL, err, sizeof(err)));
	assert_string_equal(err, "redis_sentinel_connection_urls is not set");
}

#define T(t)	cmocka_unit_test_setup_teardown(t, fx_setup, fx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_good),
		cmocka_unit_test(test_url_bad),
		cmocka_unit_test(test_url_secret),
		cmocka_unit_test(test_url_lengths),
		cmocka_unit_test(test_url_overrides),
		T(test_round_trips),
		T(test_not_connected),
		T(test_host_name),
		T(test_password),
		T(test_wrong_password),
		T(test_acl_user),
		T(test_unix_socket),
		T(test_db),
		T(test_tls),
		T(test_kill_restart),
		T(test_command_timeout),
		T(test_idle_timeout),
		T(test_quiet_close),
		T(test_pending_limit),
		T(test_big_values),
		T(test_bad_replies),
		T(test_unsolicited),
		T(test_conn_free_in_callback),
		T(test_conn_pubsub),
		T(test_conn_opts),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
