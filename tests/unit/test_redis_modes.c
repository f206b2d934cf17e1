/*
 * sessiond's Redis client in Sentinel and Cluster modes, against real
 * redis-server processes the test starts on 127.0.0.1 and free ports,
 * and kills at the end.
 *
 * Without a server: the slot of a key (hash tags as Redis reads them),
 * configuration errors, and a client whose sentinels are all away (it
 * stays down, commands fail at once).  Sentinel: a master, a replica and
 * three sentinels behind a dead one; SET and GET through the client; the
 * master killed: the client goes down, commands fail at once, and it
 * follows the failover to the promoted replica by itself; what was
 * written before is there, writes work.  Passwords on the sentinels and
 * on the data nodes, and a wrong one.  Cluster: three masters; keys
 * spread over all three, slots as CLUSTER KEYSLOT says, hash tags
 * together; a fourth node joins and a slot that holds a key moves to it:
 * during the migration the client follows ASK, after it MOVED, with its
 * old map; a master killed takes the client down while the other
 * masters still answer.  With a replica per master, a master killed:
 * the client follows the promoted replica.  Every wait is bounded; every test checks that
 * no descriptor is left open.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
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

#include "redis.h"
#include "redis_modes.h"

#define WAIT_MS		5000	/* bound on a wait */
#define FAILOVER_MS	20000	/* bound on a Sentinel failover */
#define CMD_MS		1000
#define SERVERS_MAX	8
#define MASTER_NAME	"gh-master"

struct server {
	pid_t	pid;
	int	port;
	int	bus;		/* a cluster node's bus port */
};

struct fx {
	struct event_base	*base;
	int			 nfds;
	char			 dir[64];
	char			 resolv[128], hosts[128];
	struct server		 srv[SERVERS_MAX];
	int			 nsrv;
};

struct result {
	int		 called;
	int		 type;
	long long	 integer;
	char		*str;
	size_t		 len;
	size_t		 elements;
	char		 error[REDIS_ERROR_MAX];
	int		 failed;
	int64_t		 at;		/* when the callback came */
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
try_connect(int port)
{
	struct sockaddr_in	sin;
	int			fd, ok;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return 0;
	ok = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	close(fd);
	return ok;
}

/* Runs argv with stdout and stderr to log; waits until port accepts. */
static void
spawn(struct fx *f, struct server *s, const char *const *argv)
{
	char	log[128];
	int	fd;
	int64_t	t0;

	snprintf(log, sizeof(log), "%s/%d.log", f->dir, s->port);
	assert_true((s->pid = fork()) != -1);
	if (s->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600)) !=
		    -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (t0 = now_ms(); !try_connect(s->port); usleep(5000))
		if (now_ms() - t0 > WAIT_MS)
			fail_msg("%s did not start", argv[0]);
}

/* redis-server on a free port, with extra arguments. */
static struct server *
server_start(struct fx *f, const char *const *extra)
{
	struct server	*s = &f->srv[f->nsrv++];
	const char	*argv[32];
	char		 port[16];
	int		 n = 0;

	assert_true(f->nsrv <= SERVERS_MAX);
	s->port = free_port();
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
	argv[n++] = port;
	while (extra != NULL && *extra != NULL && n < 31)
		argv[n++] = *extra++;
	argv[n] = NULL;
	spawn(f, s, argv);
	return s;
}

/* A sentinel watching the master at port, with extra config lines. */
static struct server *
sentinel_start(struct fx *f, int master, int quorum, const char *extra)
{
	struct server	*s = &f->srv[f->nsrv++];
	const char	*argv[4];
	char		 conf[128], text[1024];

	assert_true(f->nsrv <= SERVERS_MAX);
	s->port = free_port();
	snprintf(conf, sizeof(conf), "%s/sentinel-%d.conf", f->dir, s->port);
	snprintf(text, sizeof(text),
	    "port %d\nbind 127.0.0.1\ndir %s\nprotected-mode no\n"
	    "sentinel monitor %s 127.0.0.1 %d %d\n"
	    "sentinel down-after-milliseconds %s 1000\n"
	    "sentinel failover-timeout %s 5000\n%s",
	    s->port, f->dir, MASTER_NAME, master, quorum, MASTER_NAME,
	    MASTER_NAME, extra != NULL ? extra : "");
	write_file(conf, text);
	argv[0] = "redis-server";
	argv[1] = conf;
	argv[2] = "--sentinel";
	argv[3] = NULL;
	spawn(f, s, argv);
	return s;
}

static void
server_stop(struct server *s)
{
	if (s->pid <= 0)
		return;
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	s->pid = 0;
}

/* A command line that must succeed within ms. */
static void
run_tool(struct fx *f, int ms, const char *const *argv)
{
	char	log[128];
	pid_t	pid;
	int	status, fd;
	int64_t	t0 = now_ms();

	snprintf(log, sizeof(log), "%s/tool.log", f->dir);
	assert_true((pid = fork()) != -1);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600)) !=
		    -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (now_ms() - t0 > ms) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			fail_msg("%s: still running after %d ms", argv[0], ms);
		}
		usleep(10000);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("%s %s: failed (see %s)", argv[0], argv[1], log);
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
	snprintf(f->dir, sizeof(f->dir), "/tmp/gh-redis-modes-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->resolv, sizeof(f->resolv), "%s/resolv.conf", f->dir);
	snprintf(f->hosts, sizeof(f->hosts), "%s/hosts", f->dir);
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
	if ((leaked = count_fds() - f->nfds) != 0)
		fprintf(stderr, "%d descriptors leaked\n", leaked);
	event_base_free(f->base);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		leaked = -1;
	free(f);
	return leaked == 0 ? 0 : -1;
}

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
	return !((struct state *)arg)->up;
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
	r->at = now_ms();
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
opts_base(struct fx *f, enum redis_mode mode)
{
	struct redis_opts	o;

	memset(&o, 0, sizeof(o));
	o.mode = mode;
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
	if ((r = redis_new(f->base, o, state_cb, st, err, sizeof(err))) ==
	    NULL)
		fail_msg("redis_new: %s", err);
	return r;
}

static void
client_free(struct fx *f, struct redis *r)
{
	redis_free(r);
	event_base_loop(f->base, EVLOOP_NONBLOCK);
}

/* A standalone client to one server, for the test's own commands. */
static struct redis *
admin_new(struct fx *f, int port, const char *password, struct state *st)
{
	struct redis_opts	 o = opts_base(f, REDIS_STANDALONE);
	struct redis		*r;
	char			 url[128];

	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
	o.url = url;
	o.password = password;
	r = client_new(f, &o, st);
	if (!run_until(f, is_up, st, WAIT_MS))
		fail_msg("%s: not up: %s", url, redis_error(r));
	return r;
}

/* argv through r (key: argv[1]) and its answer, within WAIT_MS. */
static void
do_cmdv(struct fx *f, struct redis *r, struct result *res, int argc,
    const char **argv)
{
	const char	*key = argv[argc > 1 ? 1 : 0];

	memset(res, 0, sizeof(*res));
	assert_int_equal(redis_command(r, key, strlen(key), reply_cb, res,
	    argc, argv, NULL), 0);
	assert_int_equal(res->called, 0);	/* never from inside */
	if (!run_until(f, is_called, res, WAIT_MS))
		fail_msg("%s: no answer", argv[0]);
	assert_int_equal(res->called, 1);
}

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
	do_cmdv(f, r, res, argc, argv);
}

/* The reply must be the status or string want. */
static void
expect_str(struct fx *f, struct redis *r, const char *want, ...)
{
	const char	*argv[16];
	struct result	 res;
	va_list		 ap;
	int		 argc = 0;

	va_start(ap, want);
	while ((argv[argc] = va_arg(ap, const char *)) != NULL && argc < 15)
		argc++;
	va_end(ap);
	do_cmdv(f, r, &res, argc, argv);
	if (res.failed)
		fail_msg("%s %s: %s", argv[0], argc > 1 ? argv[1] : "",
		    res.error);
	if (res.str == NULL || strcmp(res.str, want) != 0)
		fail_msg("%s %s: \"%s\", not \"%s\"", argv[0], argc > 1 ?
		    argv[1] : "", res.str != NULL ? res.str : "(none)", want);
	result_clear(&res);
}

static long long
expect_int(struct fx *f, struct redis *r, ...)
{
	const char	*argv[16];
	struct result	 res;
	va_list		 ap;
	long long	 v;
	int		 argc = 0;

	va_start(ap, r);
	while ((argv[argc] = va_arg(ap, const char *)) != NULL && argc < 15)
		argc++;
	va_end(ap);
	do_cmdv(f, r, &res, argc, argv);
	if (res.failed || res.type != REDIS_REPLY_INTEGER)
		fail_msg("%s: %s", argv[0], res.failed ? res.error : res.str);
	v = res.integer;
	result_clear(&res);
	return v;
}

/* Freed with commands in flight: none is called back. */
static void
free_pending(struct fx *f, struct redis *r)
{
	const char	*get[] = { "GET", NULL };
	struct result	 res[20];
	char		 key[20][16];
	int		 i;

	memset(res, 0, sizeof(res));
	for (i = 0; i < 20; i++) {
		snprintf(key[i], sizeof(key[i]), "key:%d", i);
		get[1] = key[i];
		assert_int_equal(redis_command(r, key[i], strlen(key[i]),
		    reply_cb, &res[i], 2, get, NULL), 0);
	}
	client_free(f, r);
	run_for(f, 50);
	for (i = 0; i < 20; i++)
		assert_int_equal(res[i].called, 0);
}

/* --- without a server --------------------------------------------------- */

/* Slots as Redis's own documentation and CLUSTER KEYSLOT give them. */
static void
test_slots(void **state)
{
	static const struct {
		const char	*key, *same;
	} tags[] = {
		{ "{user1000}.following", "{user1000}.followers" },
		{ "{user1000}.following", "user1000" },
		{ "foo{bar}{zap}", "bar" },
		{ "foo{{bar}}zap", "{bar" },
		{ "}{a}", "a" },
		{ "x{a}}", "a" },
	};
	static const char *const whole[] = { "foo{}{bar}", "{}", "{", "}",
	    "a{b", "}b{" };
	size_t	i;

	(void)state;
	assert_int_equal(redis_cluster_slot("123456789", 9), 0x31c3 & 16383);
	assert_int_equal(redis_cluster_slot("foo", 3), 12182);
	assert_int_equal(redis_cluster_slot("bar", 3), 5061);
	assert_int_equal(redis_cluster_slot("", 0), 0);
	assert_int_equal(redis_cluster_slot(NULL, 0), 0);
	/* Binary-safe: the length counts, not a NUL. */
	assert_true(redis_cluster_slot("a\0b", 3) !=
	    redis_cluster_slot("a", 1));
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (redis_cluster_slot(tags[i].key, strlen(tags[i].key)) !=
		    redis_cluster_slot(tags[i].same, strlen(tags[i].same)))
			fail_msg("%s: not in the slot of %s", tags[i].key,
			    tags[i].same);
	/* "{}" hashes the whole key: foo{}{bar} is not bar's slot. */
	assert_true(redis_cluster_slot("foo{}{bar}", 10) !=
	    redis_cluster_slot("bar", 3));
	for (i = 0; i < sizeof(whole) / sizeof(whole[0]); i++)
		assert_true(redis_cluster_slot(whole[i], strlen(whole[i])) <
		    16384);
}

/* Configuration errors, by name; never a password in them. */
static void
test_mode_opts(void **state)
{
	struct fx		*f = *state;
	struct redis_opts	 o;
	const char		*urls[REDIS_MODE_URLS_MAX + 1];
	const char		*bad[] = { "redis://127.0.0.1:1",
				    "redis://u:SECRET@h:bad" };
	const char		*sock[] = { "unix:///tmp/redis.sock" };
	char			 err[256];
	size_t			 i;

	o = opts_base(f, REDIS_SENTINEL);
	o.master_name = MASTER_NAME;
	assert_null(redis_new(f->base, &o, NULL, NULL, err, sizeof(err)));
	assert_string_equal(err, "redis_sentinel_connection_urls is not set");
	o.sentinel_urls = bad;
	o.nsentinel_urls = 2;
	assert_null(redis_new(f->base, &o, NULL, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "redis_sentinel_connection_urls: "));
	assert_non_null(strstr(err, "bad port"));
	assert_null(strstr(err, "SECRET"));
	o.nsentinel_urls = 1;
	o.master_name = NULL;
	assert_null(redis_new(f->base, &o, NULL, NULL, err, sizeof(err)));
	assert_string_equal(err, "redis_sentinel_master_name is not set");
	o.master_name = "two words";
	assert_null(redis_new(f->base, &o, NULL, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "redis_sentinel_master_name"));
	for (i = 0; i < REDIS_MODE_URLS_MAX + 1; i++)
		urls[i] = "redis://127.0.0.1:1";
	o.master_name = MASTER_NAME;
	o.sentinel_urls = urls;
	o.nsentinel_urls = REDIS_MODE_URLS_MAX + 1;
	assert_null(redis_new(f->base, &o, NULL, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "more than"));

	o = opts_base(f, REDIS_CLUSTER);
	assert_null(redis_new(f->base, &o, NULL, NULL, err, sizeof(err)));
	assert_string_equal(err, "redis_cluster_connection_urls is not set");
	o.cluster_urls = bad + 1;
	o.ncluster_urls = 1;
	assert_null(redis_new(f->base, &o, NULL, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "redis_cluster_connection_urls: "));
	assert_null(strstr(err, "SECRET"));
	o.cluster_urls = sock;
	assert_null(redis_new(f->base, &o, NULL, NULL, err, sizeof(err)));
	assert_string_equal(err, "redis_cluster_connection_urls: unix sockets "
	    "are not supported with Cluster");
	o.mode = 7;
	assert_null(redis_new(f->base, &o, NULL, NULL, err, sizeof(err)));
}

/*
 * No sentinel answers, no cluster node either: the clients stay down,
 * commands fail at once and from the loop, the retries are bounded.
 */
static void
test_nobody(void **state)
{
	struct fx		*f = *state;
	struct redis_opts	 o;
	struct redis		*r;
	struct state		 st;
	struct result		 res;
	char			 u1[64], u2[64];
	const char		*urls[2] = { u1, u2 };
	int64_t			 t0;
	int			 mode;

	snprintf(u1, sizeof(u1), "redis://127.0.0.1:%d", free_port());
	snprintf(u2, sizeof(u2), "redis://127.0.0.1:%d", free_port());
	for (mode = 0; mode < 2; mode++) {
		o = opts_base(f, mode == 0 ? REDIS_SENTINEL : REDIS_CLUSTER);
		o.master_name = MASTER_NAME;
		o.sentinel_urls = o.cluster_urls = urls;
		o.nsentinel_urls = o.ncluster_urls = 2;
		r = client_new(f, &o, &st);
		run_for(f, 700);
		assert_false(redis_up(r));
		assert_int_equal(st.ups, 0);
		assert_true(*redis_error(r) != '\0');
		t0 = now_ms();
		do_cmd(f, r, &res, "GET", "k", NULL);
		assert_true(res.failed);
		assert_true(res.at - t0 < 100);
		assert_non_null(strstr(res.error, "not connected"));
		result_clear(&res);
		client_free(f, r);
	}
}

/* --- Sentinel ----------------------------------------------------------- */

/* "SENTINEL master <name>": the sentinel sees the others and the replica. */
static void
sentinel_sees_cb(void *arg, const redisReply *reply, const char *error)
{
	struct result	*r = arg;
	size_t		 i;
	int		 others = 0, replicas = 0;

	(void)error;
	r->called++;
	for (i = 0; reply != NULL && reply->type == REDIS_REPLY_ARRAY &&
	    i + 1 < reply->elements; i += 2) {
		if (reply->element[i]->type != REDIS_REPLY_STRING ||
		    reply->element[i + 1]->type != REDIS_REPLY_STRING)
			continue;
		if (strcmp(reply->element[i]->str, "num-other-sentinels") == 0)
			others = atoi(reply->element[i + 1]->str);
		if (strcmp(reply->element[i]->str, "num-slaves") == 0)
			replicas = atoi(reply->element[i + 1]->str);
	}
	r->integer = others * 10 + replicas;
}

static void
sentinels_ready(struct fx *f, struct server **sent, int n, int others)
{
	const char	*argv[] = { "SENTINEL", "master", MASTER_NAME };
	struct redis	*adm;
	struct state	 st;
	struct result	 res;
	int64_t		 t0 = now_ms();
	int		 i;

	for (i = 0; i < n; i++) {
		adm = admin_new(f, sent[i]->port, NULL, &st);
		for (;;) {
			memset(&res, 0, sizeof(res));
			assert_int_equal(redis_command(adm, NULL, 0,
			    sentinel_sees_cb, &res, 3, argv, NULL), 0);
			assert_true(run_until(f, is_called, &res, WAIT_MS));
			if (res.integer == others * 10 + 1)
				break;
			if (now_ms() - t0 > 3 * WAIT_MS)
				fail_msg("sentinel %d sees %lld", i,
				    res.integer);
			run_for(f, 100);
		}
		client_free(f, adm);
	}
}

/*
 * The master killed: down at once, commands fail at once; the sentinels
 * promote the replica and the same client follows.  A dead sentinel
 * comes first in the list.
 */
static void
test_sentinel_failover(void **state)
{
	struct fx		*f = *state;
	struct server		*m, *rep, *sent[3];
	/* Redis 7 waits 5 s before a diskless full sync, by default. */
	const char		*master[] = { "--repl-diskless-sync-delay",
				    "0", NULL };
	const char		*replica[] = { "--repl-diskless-sync-delay",
				    "0", "--replicaof", "127.0.0.1", NULL,
				    NULL };
	char			 mport[16], urls[4][64];
	const char		*up[4];
	struct redis_opts	 o;
	struct redis		*r, *adm;
	struct state		 st, ast;
	struct result		 res;
	int64_t			 t0;
	int			 i;

	m = server_start(f, master);
	snprintf(mport, sizeof(mport), "%d", m->port);
	replica[4] = mport;
	rep = server_start(f, replica);
	for (i = 0; i < 3; i++)
		sent[i] = sentinel_start(f, m->port, 2, NULL);
	sentinels_ready(f, sent, 3, 2);

	snprintf(urls[0], sizeof(urls[0]), "redis://127.0.0.1:%d",
	    free_port());
	for (i = 0; i < 3; i++)
		snprintf(urls[i + 1], sizeof(urls[i + 1]),
		    "redis://127.0.0.1:%d", sent[i]->port);
	for (i = 0; i < 4; i++)
		up[i] = urls[i];
	o = opts_base(f, REDIS_SENTINEL);
	o.master_name = MASTER_NAME;
	o.sentinel_urls = up;
	o.nsentinel_urls = 4;
	r = client_new(f, &o, &st);
	if (!run_until(f, is_up, &st, WAIT_MS))
		fail_msg("not up: %s", redis_error(r));
	expect_str(f, r, "OK", "SET", "before", "failover", NULL);
	expect_str(f, r, "failover", "GET", "before", NULL);
	/* Replicated before the master goes. */
	for (t0 = now_ms(); expect_int(f, r, "WAIT", "1", "200", NULL) != 1;)
		if (now_ms() - t0 > WAIT_MS)
			fail_msg("the replica does not acknowledge");

	server_stop(m);
	assert_true(run_until(f, is_down, &st, WAIT_MS));
	t0 = now_ms();
	do_cmd(f, r, &res, "GET", "before", NULL);
	assert_true(res.failed);
	assert_true(res.at - t0 < 100);
	result_clear(&res);

	t0 = now_ms();
	if (!run_until(f, is_up, &st, FAILOVER_MS))
		fail_msg("no failover: %s", redis_error(r));
	fprintf(stderr, "failover followed in %lld ms\n",
	    (long long)(now_ms() - t0));
	assert_int_equal(st.ups, 2);
	expect_str(f, r, "failover", "GET", "before", NULL);
	expect_str(f, r, "OK", "SET", "after", "1", NULL);

	/* The write went to the promoted replica, now a master. */
	adm = admin_new(f, rep->port, NULL, &ast);
	expect_str(f, adm, "1", "GET", "after", NULL);
	do_cmd(f, adm, &res, "ROLE", NULL);
	assert_int_equal(res.type, REDIS_REPLY_ARRAY);
	result_clear(&res);
	client_free(f, adm);
	free_pending(f, r);
}

/*
 * requirepass on the sentinels (redis_sentinel_password) and on the
 * data nodes (redis_password, or the sentinel URL's password, as in
 * oauth2-proxy); a wrong sentinel password keeps the client down.
 */
static void
test_sentinel_passwords(void **state)
{
	struct fx		*f = *state;
	struct server		*m, *sent;
	const char		*pass[] = { "--requirepass", "data pw", NULL };
	char			 url[128];
	const char		*urls[1] = { url };
	struct redis_opts	 o;
	struct redis		*r;
	struct state		 st;

	m = server_start(f, pass);
	sent = sentinel_start(f, m->port, 1, "requirepass \"sentinel pw\"\n"
	    "sentinel auth-pass " MASTER_NAME " \"data pw\"\n");

	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", sent->port);
	o = opts_base(f, REDIS_SENTINEL);
	o.master_name = MASTER_NAME;
	o.sentinel_urls = urls;
	o.nsentinel_urls = 1;
	o.sentinel_password = "sentinel pw";
	o.password = "data pw";
	r = client_new(f, &o, &st);
	if (!run_until(f, is_up, &st, WAIT_MS))
		fail_msg("not up: %s", redis_error(r));
	expect_str(f, r, "OK", "SET", "k", "v", NULL);
	expect_str(f, r, "v", "GET", "k", NULL);
	client_free(f, r);

	/* The URL's password is the data nodes' one. */
	snprintf(url, sizeof(url), "redis://:data%%20pw@127.0.0.1:%d",
	    sent->port);
	o.password = NULL;
	r = client_new(f, &o, &st);
	if (!run_until(f, is_up, &st, WAIT_MS))
		fail_msg("not up: %s", redis_error(r));
	expect_str(f, r, "v", "GET", "k", NULL);
	client_free(f, r);

	/* A wrong data password: the master is never confirmed. */
	o.password = "wrong";
	r = client_new(f, &o, &st);
	run_for(f, 1000);
	assert_false(redis_up(r));
	assert_non_null(strstr(redis_error(r), "AUTH"));
	client_free(f, r);

	o.password = "data pw";
	o.sentinel_password = "wrong";
	r = client_new(f, &o, &st);
	run_for(f, 1000);
	assert_false(redis_up(r));
	assert_non_null(strstr(redis_error(r), "AUTH"));
	client_free(f, r);
}

/* --- Cluster ------------------------------------------------------------ */

/*
 * A cluster node, its bus on a free port of its own (Redis 7's
 * cluster-port): the default, port + 10000, may be taken or past 65535.
 */
static struct server *
cluster_node(struct fx *f, const char *timeout)
{
	static char	 conf[SERVERS_MAX][128], bus[SERVERS_MAX][16];
	const char	*args[] = { "--cluster-enabled", "yes",
			    "--cluster-config-file", NULL, "--cluster-port",
			    NULL, "--cluster-node-timeout", timeout,
			    "--repl-diskless-sync-delay", "0", NULL };
	struct server	*s;
	int		 port = free_port(), i = f->nsrv;

	snprintf(conf[i], sizeof(conf[i]), "%s/nodes-%d.conf", f->dir, i);
	snprintf(bus[i], sizeof(bus[i]), "%d", port);
	args[3] = conf[i];
	args[5] = bus[i];
	s = server_start(f, args);
	s->bus = port;
	return s;
}

/* CLUSTER INFO says cluster_state:ok. */
static void
cluster_ok(struct fx *f, struct redis *adm)
{
	struct result	res;
	int64_t		t0 = now_ms();

	for (;;) {
		do_cmd(f, adm, &res, "CLUSTER", "INFO", NULL);
		if (res.str != NULL && strstr(res.str, "cluster_state:ok"))
			break;
		result_clear(&res);
		if (now_ms() - t0 > 3 * WAIT_MS)
			fail_msg("cluster not ok");
		run_for(f, 50);
	}
	result_clear(&res);
}

static void
node_id(struct fx *f, struct redis *adm, char *id, size_t len)
{
	struct result	res;

	do_cmd(f, adm, &res, "CLUSTER", "MYID", NULL);
	assert_non_null(res.str);
	snprintf(id, len, "%s", res.str);
	result_clear(&res);
}

/* The node that serves key: the one of adm[] that does not say MOVED. */
static int
owner_of(struct fx *f, struct redis **adm, int n, const char *key)
{
	struct result	res;
	int		i, owner = -1;

	for (i = 0; i < n; i++) {
		do_cmd(f, adm[i], &res, "EXISTS", key, NULL);
		if (res.type == REDIS_REPLY_INTEGER) {
			assert_int_equal(owner, -1);
			owner = i;
		}
		result_clear(&res);
	}
	assert_int_not_equal(owner, -1);
	return owner;
}

/* The new node knows the cluster, and the cluster knows it. */
static void
cluster_knows(struct fx *f, struct redis **adm, int n, const char *id)
{
	struct result	res;
	int64_t		t0 = now_ms();
	int		i, known;

	for (;;) {
		for (i = 0, known = 0; i < n; i++) {
			do_cmd(f, adm[i], &res, "CLUSTER", "NODES", NULL);
			if (res.str != NULL && strstr(res.str, id) != NULL &&
			    strstr(res.str, "handshake") == NULL)
				known++;
			result_clear(&res);
		}
		if (known == n)
			return;
		if (now_ms() - t0 > 3 * WAIT_MS)
			fail_msg("the new node is not known");
		run_for(f, 50);
	}
}

static void
cluster_keys(struct fx *f, struct redis *r, struct redis **adm)
{
	struct result	res;
	char		key[32], slot[16];
	int		i, tagged = 0;

	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "key:%d", i);
		expect_str(f, r, "OK", "SET", key, key, NULL);
		/* Our slot is Redis's. */
		do_cmd(f, adm[0], &res, "CLUSTER", "KEYSLOT", key, NULL);
		assert_int_equal(res.integer, redis_cluster_slot(key,
		    strlen(key)));
		result_clear(&res);
	}
	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "key:%d", i);
		expect_str(f, r, key, "GET", key, NULL);
	}
	for (i = 0; i < 3; i++)
		if (expect_int(f, adm[i], "DBSIZE", NULL) < 10)
			fail_msg("node %d has too few keys", i);
	/* Hash tags: together, and Redis agrees (a multi-key EXISTS). */
	expect_str(f, r, "OK", "SET", "{user:7}.name", "a", NULL);
	expect_str(f, r, "OK", "SET", "{user:7}.mail", "b", NULL);
	for (i = 0; i < 3; i++) {
		do_cmd(f, adm[i], &res, "EXISTS", "{user:7}.name",
		    "{user:7}.mail", NULL);
		if (res.type == REDIS_REPLY_INTEGER) {
			assert_int_equal(res.integer, 2);
			tagged++;
		}
		result_clear(&res);
	}
	assert_int_equal(tagged, 1);
	snprintf(slot, sizeof(slot), "%u", redis_cluster_slot("user:7", 6));
	assert_int_equal(expect_int(f, adm[0], "CLUSTER", "KEYSLOT",
	    "{user:7}.mail", NULL), atoi(slot));
}

/*
 * The slot of "moving" goes from its owner x to a fourth node d, as
 * redis-cli --cluster reshard does it; the client, with its old map,
 * follows ASK during the migration and MOVED after it.
 */
static void
cluster_move(struct fx *f, struct redis *r, struct redis **adm, int x,
    struct server *d, struct redis *dadm)
{
	char		 slot[16], dport[16], xid[64], did[64];
	int		 i;

	snprintf(slot, sizeof(slot), "%u", redis_cluster_slot("moving", 6));
	snprintf(dport, sizeof(dport), "%d", d->port);
	node_id(f, adm[x], xid, sizeof(xid));
	node_id(f, dadm, did, sizeof(did));
	expect_str(f, dadm, "OK", "CLUSTER", "SETSLOT", slot, "IMPORTING",
	    xid, NULL);
	expect_str(f, adm[x], "OK", "CLUSTER", "SETSLOT", slot, "MIGRATING",
	    did, NULL);
	/* Not moved yet: x answers. */
	expect_str(f, r, "here", "GET", "moving", NULL);
	expect_str(f, adm[x], "OK", "MIGRATE", "127.0.0.1", dport, "", "0",
	    "5000", "KEYS", "moving", NULL);
	/* Gone from x: ASK, then ASKING and GET to d. */
	expect_str(f, r, "here", "GET", "moving", NULL);
	expect_str(f, r, "OK", "SET", "moving", "there", NULL);
	expect_str(f, dadm, "OK", "CLUSTER", "SETSLOT", slot, "NODE", did,
	    NULL);
	for (i = 0; i < 3; i++)
		expect_str(f, adm[i], "OK", "CLUSTER", "SETSLOT", slot, "NODE",
		    did, NULL);
	/* x now says MOVED. */
	expect_str(f, r, "there", "GET", "moving", NULL);
	expect_str(f, r, "OK", "SET", "moving", "again", NULL);
	expect_str(f, dadm, "again", "GET", "moving", NULL);
}

static void
test_cluster(void **state)
{
	struct fx		*f = *state;
	struct server		*n[3], *d;
	struct redis		*adm[3], *dadm, *r;
	struct state		 ast[3], dst, st;
	struct redis_opts	 o;
	struct result		 res;
	char			 urls[3][64], addr[3][32], port0[16], bus0[16];
	const char		*up[3];
	const char		*create[] = { "redis-cli", "--cluster",
				    "create", addr[0], addr[1], addr[2],
				    "--cluster-replicas", "0", "--cluster-yes",
				    NULL };
	int			 i, x, y;
	int64_t			 t0;

	for (i = 0; i < 3; i++) {
		n[i] = cluster_node(f, "5000");
		snprintf(addr[i], sizeof(addr[i]), "127.0.0.1:%d", n[i]->port);
		snprintf(urls[i], sizeof(urls[i]), "redis://%s", addr[i]);
		up[i] = urls[i];
	}
	run_tool(f, 3 * WAIT_MS, create);
	for (i = 0; i < 3; i++) {
		adm[i] = admin_new(f, n[i]->port, NULL, &ast[i]);
		cluster_ok(f, adm[i]);
	}

	/* One seed is enough; the others are found in the map. */
	o = opts_base(f, REDIS_CLUSTER);
	o.cluster_urls = up + 1;
	o.ncluster_urls = 1;
	r = client_new(f, &o, &st);
	if (!run_until(f, is_up, &st, WAIT_MS))
		fail_msg("not up: %s", redis_error(r));
	cluster_keys(f, r, adm);

	/* A fourth node joins; a slot with a key moves to it. */
	expect_str(f, r, "OK", "SET", "moving", "here", NULL);
	x = owner_of(f, adm, 3, "moving");
	d = cluster_node(f, "5000");
	dadm = admin_new(f, d->port, NULL, &dst);
	snprintf(port0, sizeof(port0), "%d", n[0]->port);
	snprintf(bus0, sizeof(bus0), "%d", n[0]->bus);
	expect_str(f, dadm, "OK", "CLUSTER", "MEET", "127.0.0.1", port0, bus0,
	    NULL);
	{
		char	did[64];

		node_id(f, dadm, did, sizeof(did));
		cluster_knows(f, adm, 3, did);
		cluster_ok(f, dadm);
	}
	cluster_move(f, r, adm, x, d, dadm);
	/* The map is asked again: still up, d in it. */
	run_for(f, 500);
	assert_true(redis_up(r));

	/* A master killed: down; the others' slots still answer. */
	y = (x + 1) % 3;
	for (i = 0; i < 100; i++) {
		char	key[32];

		snprintf(key, sizeof(key), "key:%d", i);
		if (owner_of(f, adm, 3, key) != y)
			break;
	}
	assert_true(i < 100);
	client_free(f, adm[y]);
	server_stop(n[y]);
	assert_true(run_until(f, is_down, &st, WAIT_MS));
	{
		char	key[32];

		snprintf(key, sizeof(key), "key:%d", i);
		expect_str(f, r, key, "GET", key, NULL);
	}
	for (i = 0; i < 100; i++) {
		char	key[32];

		snprintf(key, sizeof(key), "key:%d", i);
		if (redis_cluster_slot(key, strlen(key)) ==
		    redis_cluster_slot("moving", 6))
			continue;
		t0 = now_ms();
		do_cmd(f, r, &res, "GET", key, NULL);
		if (res.failed) {
			assert_true(res.at - t0 < 100);
			result_clear(&res);
			break;
		}
		result_clear(&res);
	}
	assert_true(i < 100);
	client_free(f, r);
	client_free(f, dadm);
	for (i = 0; i < 3; i++)
		if (i != y)
			client_free(f, adm[i]);
}

/*
 * Three masters, a replica each; a master killed: the client is down
 * until a replica takes over, which the map, asked again every second
 * meanwhile, shows; the value written before is there.
 */
static void
test_cluster_failover(void **state)
{
	struct fx		*f = *state;
	struct server		*n[6];
	struct redis		*adm[6], *r;
	struct state		 ast[6], st;
	struct redis_opts	 o;
	char			 urls[6][64], addr[6][32];
	const char		*up[6];
	const char		*create[] = { "redis-cli", "--cluster",
				    "create", addr[0], addr[1], addr[2],
				    addr[3], addr[4], addr[5],
				    "--cluster-replicas", "1", "--cluster-yes",
				    NULL };
	const char		*wait[] = { "WAIT", "1", "200" };
	struct result		 res;
	int64_t			 t0;
	int			 i, x;

	for (i = 0; i < 6; i++) {
		n[i] = cluster_node(f, "1000");
		snprintf(addr[i], sizeof(addr[i]), "127.0.0.1:%d", n[i]->port);
		snprintf(urls[i], sizeof(urls[i]), "redis://%s", addr[i]);
		up[i] = urls[i];
	}
	run_tool(f, 3 * WAIT_MS, create);
	for (i = 0; i < 6; i++) {
		adm[i] = admin_new(f, n[i]->port, NULL, &ast[i]);
		cluster_ok(f, adm[i]);
	}
	o = opts_base(f, REDIS_CLUSTER);
	o.cluster_urls = up;
	o.ncluster_urls = 3;
	r = client_new(f, &o, &st);
	if (!run_until(f, is_up, &st, WAIT_MS))
		fail_msg("not up: %s", redis_error(r));
	expect_str(f, r, "OK", "SET", "survivor", "yes", NULL);
	/* WAIT goes where the key went: its replica has it. */
	for (t0 = now_ms();;) {
		memset(&res, 0, sizeof(res));
		assert_int_equal(redis_command(r, "survivor", 8, reply_cb, &res,
		    3, wait, NULL), 0);
		assert_true(run_until(f, is_called, &res, WAIT_MS));
		if (res.type == REDIS_REPLY_INTEGER && res.integer == 1)
			break;
		result_clear(&res);
		if (now_ms() - t0 > WAIT_MS)
			fail_msg("the replica does not acknowledge");
	}
	result_clear(&res);

	x = owner_of(f, adm, 6, "survivor");
	client_free(f, adm[x]);
	server_stop(n[x]);
	assert_true(run_until(f, is_down, &st, WAIT_MS));
	t0 = now_ms();
	if (!run_until(f, is_up, &st, FAILOVER_MS))
		fail_msg("no failover: %s", redis_error(r));
	fprintf(stderr, "cluster failover followed in %lld ms\n",
	    (long long)(now_ms() - t0));
	expect_str(f, r, "yes", "GET", "survivor", NULL);
	expect_str(f, r, "OK", "SET", "survivor", "still", NULL);
	free_pending(f, r);
	for (i = 0; i < 6; i++)
		if (i != x)
			client_free(f, adm[i]);
}

#define T(t)	cmocka_unit_test_setup_teardown(t, fx_setup, fx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slots),
		T(test_mode_opts),
		T(test_nobody),
		T(test_sentinel_passwords),
		T(test_sentinel_failover),
		T(test_cluster),
		T(test_cluster_failover),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
