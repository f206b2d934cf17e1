/*
 * Sandbox tests.  Each case forks a child that enters the sandbox (as
 * "nobody" in a fresh chroot when the test runs as root, in development
 * mode otherwise) and reports by how it ends; the parent checks that and
 * what the child wrote on fd 2.  Children leave with _exit(), so neither
 * stdio buffers nor the sanitizers' exit handlers run twice.
 */
#define _GNU_SOURCE

#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <linux/openat2.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "log.h"
#include "sandbox.h"
#include "sandbox_filters.h"

#define TRAP_EXIT	159	/* 128 + SIGSYS, as sandbox.c documents */
#define PRE_FAILED	120	/* the child's set-up before the sandbox failed */

struct outcome {
	pid_t	pid;
	int	status;
	char	err[8192];
};

typedef int	(*child_fn)(void);

static char	 tmpbase[] = "/tmp/gh-sandbox-XXXXXX";
static char	 chroot_dir[PATH_MAX];
static int	 as_root;
static uid_t	 nobody_uid;
static gid_t	 nobody_gid;

/* Set by a case before it forks; read by the child. */
static int	 sock_domain, sock_type;

static struct sandbox_opts
opts_for(enum gh_role role, int debug)
{
	struct sandbox_opts	opts = { role, "nobody", chroot_dir, debug,
				    NULL, 0 };

	return opts;
}

static void
run_child(const struct sandbox_opts *opts, child_fn pre, child_fn body,
    struct outcome *o)
{
	int	p[2];
	size_t	off = 0;
	ssize_t	n;

	assert_int_equal(pipe(p), 0);
	fflush(stdout);
	fflush(stderr);
	if ((o->pid = fork()) == 0) {
		if (dup2(p[1], STDOUT_FILENO) == -1 ||
		    dup2(p[1], STDERR_FILENO) == -1)
			_exit(PRE_FAILED);
		close(p[0]);
		close(p[1]);
		if (pre != NULL && pre() != 0)
			_exit(PRE_FAILED);
		sandbox_enter(opts);
		_exit(body());
	}
	assert_true(o->pid > 0);
	close(p[1]);
	while (off < sizeof(o->err) - 1 &&
	    (n = read(p[0], o->err + off, sizeof(o->err) - 1 - off)) > 0)
		off += (size_t)n;
	o->err[off] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(o->pid, &o->status, 0), o->pid);
}

static void
assert_exited(const struct outcome *o, int code)
{
	if (!WIFEXITED(o->status) || WEXITSTATUS(o->status) != code)
		fail_msg("child status %#x, want exit %d; its stderr:\n%s",
		    o->status, code, o->err);
}

static void
assert_killed(const struct outcome *o, int sig)
{
	if (!WIFSIGNALED(o->status) || WTERMSIG(o->status) != sig)
		fail_msg("child status %#x, want signal %d; its stderr:\n%s",
		    o->status, sig, o->err);
}

static int
count(const char *hay, const char *needle)
{
	int	n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		n++;
	return n;
}

static void
tmppath(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpbase, name);
}

/* --- what a child does inside -------------------------------------- */

static int
body_mkdir(void)
{
	(void)mkdir("/gh-sandbox-never", 0700);
	return 0;
}

static int
body_fork(void)
{
	return fork() == -1 ? 1 : 0;
}

static int
body_execve(void)
{
	char *const	argv[] = { "true", NULL };

	execve("/bin/true", argv, environ);
	return 0;
}

static int
body_mmap_exec(void)
{
	return mmap(NULL, 4096, PROT_READ | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED;
}

static int
body_mprotect_exec(void)
{
	void	*p;

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	return mprotect(p, 4096, PROT_READ | PROT_EXEC);
}

static int
body_kill_other(void)
{
	return kill(1, 0);
}

static int
body_tgkill_other(void)
{
	return (int)syscall(SYS_tgkill, 1, 1, 0);
}

static int
body_ptrace(void)
{
	return (int)ptrace(PTRACE_TRACEME, 0, NULL, NULL);
}

static int
body_dup2_other(void)
{
	return dup2(STDERR_FILENO, 7);
}

static int
body_fcntl_dupfd(void)
{
	return fcntl(STDERR_FILENO, F_DUPFD, 10);
}

static int
body_abort(void)
{
	abort();
}

static int
body_open(void)
{
	int	fd;

	fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	return fd == -1 && errno == EACCES ? 0 : 1;
}

/* What glibc and log.c do in a running child. */
static int
body_libc(void)
{
	struct timespec	 ts;
	struct timeval	 tv;
	struct tm	 tm;
	time_t		 now;
	char		*p, buf[64];
	int		 flags;

	if ((p = malloc(4 << 20)) == NULL)
		return 1;
	memset(p, 'x', 4 << 20);
	if ((p = realloc(p, 16 << 20)) == NULL)
		return 2;
	free(p);
	if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) == -1 ||
	    syscall(SYS_gettimeofday, &tv, NULL) == -1)
		return 3;
	now = time(NULL);
	localtime_r(&now, &tm);
	strftime(buf, sizeof(buf), "%F %T %Z", &tm);
	if (getrandom(buf, sizeof(buf), 0) != sizeof(buf))
		return 4;
	if ((flags = fcntl(STDERR_FILENO, F_GETFL)) == -1 ||
	    fcntl(STDERR_FILENO, F_SETFL, flags) == -1 ||
	    fcntl(STDERR_FILENO, F_SETFD, FD_CLOEXEC) == -1)
		return 5;
	if (dup2(STDERR_FILENO, STDERR_FILENO) == -1)
		return 6;
	if (printf("%s %.3f\n", strerror(ENOENT), 1.5) < 0 ||
	    fflush(stdout) != 0)
		return 7;
	log_info("sandbox test: log after the drop");
	return 0;
}

static int
body_socket(void)
{
	int	fd;

	fd = socket(sock_domain, sock_type, 0);
	if (fd >= 0 || errno == EAFNOSUPPORT)
		return 0;
	return errno == EACCES ? EACCES : 1;
}

/* --- static files: openat2 beneath the ro_dirs, nothing else ------- */

static int	www_fd = -1, other_fd = -1;

static int
open_beneath(int dirfd, const char *path, int flags)
{
	struct open_how	how;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* Each failure its own exit code, so the test says which one. */
static int
body_ro_dirs(void)
{
	char	buf[16];
	int	fd;

	if ((fd = open_beneath(www_fd, "sub/f.txt", O_RDONLY)) == -1)
		return 1;
	if (pread(fd, buf, sizeof(buf), 0) != 6 || memcmp(buf, "hello\n", 6))
		return 2;
	close(fd);
	if ((fd = open_beneath(www_fd, "sub", O_RDONLY | O_DIRECTORY)) == -1)
		return 3;
	close(fd);
	if (open_beneath(www_fd, "../outside.txt", O_RDONLY) != -1 ||
	    errno != EXDEV)
		return 4;
	/* Landlock: another tree, and writing in this one. */
	if (open_beneath(other_fd, "outside.txt", O_RDONLY) != -1 ||
	    errno != EACCES)
		return 5;
	if (open_beneath(www_fd, "sub/f.txt", O_WRONLY) != -1 ||
	    errno != EACCES)
		return 6;
	if (open_beneath(www_fd, "new.txt", O_WRONLY | O_CREAT) != -1 ||
	    errno != EACCES)
		return 7;
	/* glibc's open() is still refused by seccomp. */
	if (open("/etc/passwd", O_RDONLY) != -1 || errno != EACCES)
		return 8;
	return 0;
}

static int
body_openat2(void)
{
	return open_beneath(AT_FDCWD, "/etc/passwd", O_RDONLY) == -1 &&
	    errno == EACCES ? 0 : 1;
}

/* --- a libevent loop, as the children run it ------------------------ */

static struct event_base	*ev_base;
static int			 ev_pair[2], ev_ticks, ev_reads;

static int
pre_loop(void)
{
	if ((ev_base = event_base_new()) == NULL)
		return 1;
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, ev_pair);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	char	*p;

	(void)fd;
	(void)what;
	(void)arg;
	if ((p = malloc(1 << 20)) != NULL)
		memset(p, 1, 1 << 20);
	free(p);
	if (write(ev_pair[0], "tick", 4) == 4 && ++ev_ticks == 3)
		raise(SIGUSR1);
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	char	buf[16];

	(void)what;
	(void)arg;
	if (read(fd, buf, sizeof(buf)) == 4)
		ev_reads++;
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	(void)arg;
	event_base_loopexit(ev_base, NULL);
}

static int
body_loop(void)
{
	struct timeval	 tv = { 0, 10000 };
	struct event	*tick, *rd, *sig;

	tick = event_new(ev_base, -1, EV_PERSIST, on_tick, NULL);
	rd = event_new(ev_base, ev_pair[1], EV_READ | EV_PERSIST, on_read,
	    NULL);
	sig = evsignal_new(ev_base, SIGUSR1, on_signal, NULL);
	if (tick == NULL || rd == NULL || sig == NULL ||
	    event_add(tick, &tv) == -1 || event_add(rd, NULL) == -1 ||
	    event_add(sig, NULL) == -1)
		return 1;
	if (event_base_dispatch(ev_base) == -1)
		return 2;
	event_free(tick);
	event_free(rd);
	event_free(sig);
	event_base_free(ev_base);
	return ev_ticks == 3 && ev_reads == 3 ? 0 : 3;
}

/* --- TCP: accept on a passed listener, connect out ------------------ */

static int			 tcp_listener;
static struct sockaddr_in	 tcp_addr;

static int
pre_tcp(void)
{
	socklen_t	len = sizeof(tcp_addr);

	memset(&tcp_addr, 0, sizeof(tcp_addr));
	tcp_addr.sin_family = AF_INET;
	tcp_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((tcp_listener = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(tcp_listener, (struct sockaddr *)&tcp_addr,
	    sizeof(tcp_addr)) == -1 || listen(tcp_listener, 1) == -1)
		return 1;
	return getsockname(tcp_listener, (struct sockaddr *)&tcp_addr, &len);
}

static int
body_tcp(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	char			buf[8];
	int			c, s, one = 1;

	if ((c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(c, (struct sockaddr *)&tcp_addr, sizeof(tcp_addr)) == -1)
		return 1;
	if ((s = accept4(tcp_listener, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return 2;
	if (setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
	    setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) ||
	    getpeername(s, (struct sockaddr *)&sin, &len) ||
	    getsockname(s, (struct sockaddr *)&sin, &len))
		return 3;
	if (send(c, "ping", 4, 0) != 4 || recv(s, buf, sizeof(buf), 0) != 4 ||
	    shutdown(s, SHUT_RDWR) == -1)
		return 4;
	return close(s) || close(c);
}

/* --- /proc/self/status, opened before the drop ---------------------- */

static int	status_fd = -1;

static int
pre_status(void)
{
	status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	return status_fd == -1;
}

static int
status_has(const char *status, const char *line)
{
	if (strstr(status, line) != NULL)
		return 1;
	fprintf(stderr, "no \"%s\" in:\n%s", line + 1, status);
	return 0;
}

static int
body_status(void)
{
	char	buf[8192], ids[128];
	ssize_t	n;

	if ((n = read(status_fd, buf, sizeof(buf) - 1)) <= 0)
		return 1;
	buf[n] = '\0';
	if (!status_has(buf, "\nNoNewPrivs:\t1\n") ||
	    !status_has(buf, "\nSeccomp:\t2\n") ||
	    !status_has(buf, "\nCapEff:\t0000000000000000\n"))
		return 2;
	if (!as_root)
		return 0;
	snprintf(ids, sizeof(ids), "\nUid:\t%u\t%u\t%u\t%u\n", nobody_uid,
	    nobody_uid, nobody_uid, nobody_uid);
	if (!status_has(buf, ids))
		return 3;
	snprintf(ids, sizeof(ids), "\nGid:\t%u\t%u\t%u\t%u\n", nobody_gid,
	    nobody_gid, nobody_gid, nobody_gid);
	if (!status_has(buf, ids))
		return 4;
	snprintf(ids, sizeof(ids), "\nGroups:\t%u \n", nobody_gid);
	return status_has(buf, ids) ? 0 : 5;
}

/* --- syslog, and a kernel without Landlock --------------------------- */

static int	dgram_pair[2];

/* log_init connects syslog (LOG_NDELAY); there may be no /dev/log. */
static int
pre_syslog(void)
{
	log_init(LOG_TARGET_SYSLOG, LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	return socketpair(AF_UNIX, SOCK_DGRAM, 0, dgram_pair);
}

/* syslog(3) sends on a connected socket, or tries to make a new one. */
static int
body_syslog(void)
{
	char	buf[8];

	log_info("sandbox test: syslog after the drop");
	log_info("sandbox test: syslog again");
	if (send(dgram_pair[0], "log", 3, MSG_NOSIGNAL) != 3 ||
	    recv(dgram_pair[1], buf, sizeof(buf), 0) != 3)
		return 1;
	return 0;
}

static int	landlock_errno;

/* A filter of our own makes landlock_create_ruleset fail as told. */
static int
pre_no_landlock(void)
{
	scmp_filter_ctx	ctx;
	int		rc;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL)
		return 1;
	rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(landlock_errno),
	    SCMP_SYS(landlock_create_ruleset), 0);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc != 0 || pre_status();
}

/* Development mode as root: become nobody first, then keep the status fd. */
static int
pre_not_root(void)
{
	if (as_root && (setgroups(1, &nobody_gid) == -1 ||
	    setresgid(nobody_gid, nobody_gid, nobody_gid) == -1 ||
	    setresuid(nobody_uid, nobody_uid, nobody_uid) == -1))
		return 1;
	return pre_status();
}

/* --- sandbox_enter --------------------------------------------------- */

static void
test_filters_build(void **state)
{
	const enum gh_role	 roles[] = { ROLE_PROXY, ROLE_AUTHD,
				    ROLE_SESSIOND };
	scmp_filter_ctx		 ctx;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		ctx = sandbox_filter_build(roles[i], SCMP_ACT_KILL_PROCESS);
		assert_non_null(ctx);
		seccomp_release(ctx);
	}
}

static void
test_status(void **state)
{
	const enum gh_role	 roles[] = { ROLE_PROXY, ROLE_AUTHD,
				    ROLE_SESSIOND };
	struct sandbox_opts	 opts;
	struct outcome		 o;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		opts = opts_for(roles[i], 0);
		run_child(&opts, pre_status, body_status, &o);
		assert_exited(&o, 0);
		assert_int_equal(count(o.err, "development mode"), !as_root);
	}
}

static void
test_dev_mode(void **state)
{
	struct sandbox_opts	opts = opts_for(ROLE_PROXY, 0);
	struct outcome		o;

	(void)state;
	run_child(&opts, pre_not_root, body_status, &o);
	assert_exited(&o, 0);
	assert_int_equal(count(o.err, "\n"), 1);
	assert_int_equal(count(o.err, "sandbox: not root: gatehouse-proxy "
	    "keeps its uid and has no chroot (development mode)"), 1);
}

static void
test_syslog(void **state)
{
	struct sandbox_opts	opts = opts_for(ROLE_AUTHD, 0);
	struct outcome		o;

	(void)state;
	run_child(&opts, pre_syslog, body_syslog, &o);
	assert_exited(&o, 0);
}

static void
test_landlock_unavailable(void **state)
{
	const int		 unsupported[] = { ENOSYS, EOPNOTSUPP };
	struct sandbox_opts	 opts = opts_for(ROLE_SESSIOND, 0);
	struct outcome		 o;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
		landlock_errno = unsupported[i];
		run_child(&opts, pre_no_landlock, body_status, &o);
		assert_exited(&o, 0);
		assert_int_equal(count(o.err, "Landlock unavailable"), 1);
	}
	/* Any other failure stops the start. */
	landlock_errno = EPERM;
	run_child(&opts, pre_no_landlock, body_status, &o);
	assert_exited(&o, 1);
	assert_non_null(strstr(o.err, "landlock"));
}

static void
test_allowed(void **state)
{
	const enum gh_role	 roles[] = { ROLE_PROXY, ROLE_AUTHD,
				    ROLE_SESSIOND };
	struct sandbox_opts	 opts;
	struct outcome		 o;
	size_t			 i;
	int			 debug;

	(void)state;
	for (debug = 0; debug <= 1; debug++) {
		for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
			opts = opts_for(roles[i], debug);
			run_child(&opts, NULL, body_libc, &o);
			assert_exited(&o, 0);
			assert_int_equal(count(o.err, "log after the drop"), 1);
			run_child(&opts, pre_loop, body_loop, &o);
			assert_exited(&o, 0);
			run_child(&opts, NULL, body_open, &o);
			assert_exited(&o, 0);
		}
	}
}

static void
test_forbidden(void **state)
{
	const child_fn		 bodies[] = { body_mkdir, body_fork,
				    body_execve, body_mmap_exec,
				    body_mprotect_exec, body_kill_other,
				    body_tgkill_other, body_ptrace,
				    body_dup2_other, body_fcntl_dupfd };
	const enum gh_role	 roles[] = { ROLE_PROXY, ROLE_AUTHD,
				    ROLE_SESSIOND };
	struct sandbox_opts	 opts;
	struct outcome		 o;
	size_t			 i, r;

	(void)state;
	for (r = 0; r < sizeof(roles) / sizeof(roles[0]); r++) {
		opts = opts_for(roles[r], 0);
		for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
			run_child(&opts, NULL, bodies[i], &o);
			assert_killed(&o, SIGSYS);
		}
	}
}

static void
test_ro_dirs(void **state)
{
	struct sandbox_opts	opts = opts_for(ROLE_PROXY, 0);
	struct outcome		o;
	char			path[PATH_MAX];
	int			fd;

	(void)state;
	tmppath(path, sizeof(path), "www");
	assert_int_equal(mkdir(path, 0755), 0);
	tmppath(path, sizeof(path), "www/sub");
	assert_int_equal(mkdir(path, 0755), 0);
	tmppath(path, sizeof(path), "www/sub/f.txt");
	assert_true((fd = open(path, O_CREAT | O_WRONLY, 0644)) >= 0);
	assert_int_equal(write(fd, "hello\n", 6), 6);
	close(fd);
	tmppath(path, sizeof(path), "outside.txt");
	assert_int_equal(close(open(path, O_CREAT | O_WRONLY, 0644)), 0);
	tmppath(path, sizeof(path), "www");
	www_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	other_fd = open(tmpbase, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(www_fd >= 0 && other_fd >= 0);
	opts.ro_dirs = &www_fd;
	opts.nro_dirs = 1;
	run_child(&opts, NULL, body_ro_dirs, &o);
	assert_exited(&o, 0);
	/* Without the rule, the same tree is closed too. */
	opts.nro_dirs = 0;
	run_child(&opts, NULL, body_ro_dirs, &o);
	assert_exited(&o, 1);
	close(www_fd);
	close(other_fd);
}

/* Roles that serve no files: openat2 refused like open. */
static void
test_openat2_refused(void **state)
{
	const enum gh_role	 roles[] = { ROLE_AUTHD, ROLE_SESSIOND };
	struct sandbox_opts	 opts;
	struct outcome		 o;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		opts = opts_for(roles[i], 0);
		run_child(&opts, NULL, body_openat2, &o);
		assert_exited(&o, 0);
	}
}

static void
test_abort(void **state)
{
	struct sandbox_opts	opts = opts_for(ROLE_SESSIOND, 0);
	struct outcome		o;

	(void)state;
	run_child(&opts, NULL, body_abort, &o);
	assert_killed(&o, SIGABRT);
}

static void
test_trap_names_syscall(void **state)
{
	struct sandbox_opts	opts = opts_for(ROLE_PROXY, 1);
	struct outcome		o;
	char			want[128];

	(void)state;
	run_child(&opts, NULL, body_mkdir, &o);
	assert_exited(&o, TRAP_EXIT);
#ifdef SYS_mkdir
	snprintf(want, sizeof(want), "%s[%ld]: sandbox: refused syscall "
	    "mkdir (%d)\n", program_invocation_short_name, (long)o.pid,
	    SYS_mkdir);
#else
	snprintf(want, sizeof(want), "%s[%ld]: sandbox: refused syscall "
	    "mkdirat (%d)\n", program_invocation_short_name, (long)o.pid,
	    SYS_mkdirat);
#endif
	if (strstr(o.err, want) == NULL)
		fail_msg("want \"%s\" in:\n%s", want, o.err);
}

static void
test_tcp(void **state)
{
	struct sandbox_opts	opts;
	struct outcome		o;

	(void)state;
	opts = opts_for(ROLE_PROXY, 0);
	run_child(&opts, pre_tcp, body_tcp, &o);
	assert_exited(&o, 0);
	/* Only the proxy accepts. */
	opts = opts_for(ROLE_AUTHD, 0);
	run_child(&opts, pre_tcp, body_tcp, &o);
	assert_killed(&o, SIGSYS);
}

#define S_OK		0
#define S_EACCES	EACCES
#define S_KILLED	-1

static void
test_socket_rules(void **state)
{
	static const struct {
		enum gh_role	role;
		int		domain, type, want;
	} c[] = {
		{ ROLE_PROXY, AF_INET, SOCK_STREAM, S_OK },
		{ ROLE_PROXY, AF_INET6, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, S_OK },
		{ ROLE_PROXY, AF_INET, SOCK_DGRAM, S_KILLED },
		{ ROLE_PROXY, AF_INET, SOCK_RAW, S_KILLED },
		{ ROLE_PROXY, AF_UNIX, SOCK_STREAM, S_OK },	/* unix:// upstreams */
		{ ROLE_PROXY, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, S_EACCES },
		{ ROLE_PROXY, AF_NETLINK, SOCK_RAW, S_KILLED },
		{ ROLE_AUTHD, AF_INET, SOCK_DGRAM, S_OK },
		{ ROLE_AUTHD, AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, S_OK },
		{ ROLE_AUTHD, AF_INET, SOCK_STREAM, S_OK },
		{ ROLE_AUTHD, AF_UNIX, SOCK_STREAM, S_KILLED },
		{ ROLE_AUTHD, AF_UNIX, SOCK_DGRAM, S_EACCES },
		{ ROLE_SESSIOND, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, S_OK },
		{ ROLE_SESSIOND, AF_INET6, SOCK_STREAM, S_OK },
		{ ROLE_SESSIOND, AF_INET, SOCK_DGRAM, S_KILLED },
		{ ROLE_SESSIOND, AF_UNIX, SOCK_DGRAM, S_EACCES },
		{ ROLE_SESSIOND, AF_UNIX, SOCK_SEQPACKET, S_KILLED },
	};
	struct sandbox_opts	opts;
	struct outcome		o;
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		opts = opts_for(c[i].role, 0);
		sock_domain = c[i].domain;
		sock_type = c[i].type;
		run_child(&opts, NULL, body_socket, &o);
		if (c[i].want == S_KILLED)
			assert_killed(&o, SIGSYS);
		else
			assert_exited(&o, c[i].want);
	}
}

static void
test_no_parent_filter(void **state)
{
	struct sandbox_opts	opts = opts_for(ROLE_PARENT, 0);
	struct outcome		o;

	(void)state;
	run_child(&opts, NULL, body_libc, &o);
	assert_exited(&o, 1);
	assert_non_null(strstr(o.err, "no seccomp allowlist for gatehouse"));
}

static void
test_root_failures(void **state)
{
	struct sandbox_opts	opts = opts_for(ROLE_PROXY, 0);
	struct outcome		o;
	char			missing[PATH_MAX];

	(void)state;
	if (!as_root)
		skip();
	opts.user = "gh-no-such-user";
	run_child(&opts, NULL, body_libc, &o);
	assert_exited(&o, 1);
	assert_non_null(strstr(o.err, "unknown user gh-no-such-user"));
	snprintf(missing, sizeof(missing), "%s/missing", tmpbase);
	opts = opts_for(ROLE_PROXY, 0);
	opts.chroot_dir = missing;
	run_child(&opts, NULL, body_libc, &o);
	assert_exited(&o, 1);
	assert_non_null(strstr(o.err, "chroot"));
}

#ifdef GH_SANITIZE
/* Volatile, so that neither the compiler nor its warning sees the bug. */
static char *volatile	freed;

static int
body_use_after_free(void)
{
	char	*p;

	if ((p = malloc(8)) == NULL)
		return 2;
	freed = p;
	free(p);
	freed[1] = 'x';
	return 0;
}

static int
body_int_overflow(void)
{
	volatile int	i = INT_MAX;

	i = i + 1;
	return i == 0;
}

/* Sanitizer reports still reach fd 2 from inside the sandbox. */
static void
test_sanitizer_reports(void **state)
{
	struct sandbox_opts	opts = opts_for(ROLE_PROXY, 0);
	struct outcome		o;

	(void)state;
	run_child(&opts, NULL, body_use_after_free, &o);
	assert_exited(&o, 1);
	assert_non_null(strstr(o.err, "AddressSanitizer: heap-use-after-free"));
	run_child(&opts, NULL, body_int_overflow, &o);
	assert_exited(&o, 1);
	assert_non_null(strstr(o.err, "runtime error: signed integer overflow"));
}
#endif

/* --- sandbox_chroot_prepare ------------------------------------------ */

/* Runs sandbox_chroot_prepare with fd 2 captured into err. */
static int
prepare(const char *dir, char *err, size_t len)
{
	int	p[2], saved, rc;
	ssize_t	n;

	assert_int_equal(pipe(p), 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(p[1], STDERR_FILENO);
	rc = sandbox_chroot_prepare(dir);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(p[1]);
	n = read(p[0], err, len - 1);
	err[n > 0 ? n : 0] = '\0';
	close(p[0]);
	return rc;
}

static void
test_prepare_creates(void **state)
{
	struct stat	st;
	char		dir[PATH_MAX], err[1024];
	mode_t		old;

	(void)state;
	if (!as_root)
		skip();
	tmppath(dir, sizeof(dir), "new/a/b");
	old = umask(077);
	assert_int_equal(prepare(dir, err, sizeof(err)), 0);
	umask(old);
	assert_int_equal(lstat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_gid, 0);
	/* A second run finds it as it left it. */
	assert_int_equal(prepare(dir, err, sizeof(err)), 0);
}

static void
test_prepare_refuses(void **state)
{
	char	dir[PATH_MAX], file[PATH_MAX + 8], err[1024];

	(void)state;
	if (!as_root)
		skip();
	tmppath(dir, sizeof(dir), "full");
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(file, sizeof(file), "%s/f", dir);
	assert_int_equal(close(open(file, O_CREAT | O_WRONLY, 0600)), 0);
	assert_int_equal(prepare(dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not empty (contains f)"));

	assert_int_equal(prepare(file, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a directory"));

	tmppath(dir, sizeof(dir), "writable");
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(chmod(dir, 0775), 0);
	assert_int_equal(prepare(dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "mode 0775, not 0755"));

	tmppath(dir, sizeof(dir), "owned");
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(chown(dir, nobody_uid, 0), 0);
	assert_int_equal(prepare(dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not root"));

	tmppath(dir, sizeof(dir), "link");
	assert_int_equal(symlink(chroot_dir, dir), 0);
	assert_int_equal(prepare(dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "symbolic link"));

	assert_int_equal(prepare("var/empty", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not an absolute path"));
	assert_int_equal(prepare("", err, sizeof(err)), -1);
}

/* As a user: nothing is created, a non-directory is still refused. */
static int
body_prepare_user(void)
{
	char	dir[PATH_MAX];

	tmppath(dir, sizeof(dir), "user-missing");
	if (sandbox_chroot_prepare(dir) != 0 || access(dir, F_OK) == 0)
		return 1;
	tmppath(dir, sizeof(dir), "user-file");
	if (sandbox_chroot_prepare(dir) != -1)
		return 2;
	if (sandbox_chroot_prepare("relative") != -1)
		return 3;
	tmppath(dir, sizeof(dir), "user-dir");
	return sandbox_chroot_prepare(dir) != 0 ? 4 : 0;
}

static void
test_prepare_not_root(void **state)
{
	char	path[PATH_MAX];
	pid_t	pid;
	int	status;

	(void)state;
	tmppath(path, sizeof(path), "user-file");
	assert_int_equal(close(open(path, O_CREAT | O_WRONLY, 0644)), 0);
	tmppath(path, sizeof(path), "user-dir");
	assert_int_equal(mkdir(path, 0777), 0);
	assert_int_equal(chmod(path, 0777), 0);
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == 0)
		_exit(pre_not_root() != 0 ? PRE_FAILED : body_prepare_user());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* --- set-up ---------------------------------------------------------- */

static int
setup(void **state)
{
	struct passwd	*pw;

	(void)state;
	log_init(LOG_TARGET_STDERR, LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	if ((pw = getpwnam("nobody")) == NULL)
		return -1;
	nobody_uid = pw->pw_uid;
	nobody_gid = pw->pw_gid;
	as_root = geteuid() == 0;
	if (mkdtemp(tmpbase) == NULL || chmod(tmpbase, 0755) == -1)
		return -1;
	snprintf(chroot_dir, sizeof(chroot_dir), "%s/root", tmpbase);
	if (as_root)
		return sandbox_chroot_prepare(chroot_dir);
	return 0;
}

static int
teardown(void **state)
{
	char	cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpbase);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filters_build),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_dev_mode),
		cmocka_unit_test(test_allowed),
		cmocka_unit_test(test_syslog),
		cmocka_unit_test(test_landlock_unavailable),
		cmocka_unit_test(test_forbidden),
		cmocka_unit_test(test_ro_dirs),
		cmocka_unit_test(test_openat2_refused),
		cmocka_unit_test(test_abort),
		cmocka_unit_test(test_trap_names_syscall),
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_socket_rules),
		cmocka_unit_test(test_no_parent_filter),
		cmocka_unit_test(test_root_failures),
#ifdef GH_SANITIZE
		cmocka_unit_test(test_sanitizer_reports),
#endif
		cmocka_unit_test(test_prepare_creates),
		cmocka_unit_test(test_prepare_refuses),
		cmocka_unit_test(test_prepare_not_root),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
