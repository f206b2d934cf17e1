/*
 * Every seccomp allowlist of gatehouse, side by side.  A role's filter is
 * the union of named groups of syscalls; the table at the end says which
 * role gets which group, so the three children can be compared at a
 * glance.  The parent has no filter.
 *
 * To allow a syscall that a role turns out to need, add it to the group
 * that explains why it is needed (or make a new group), with an argument
 * rule when the syscall is broader than the need.  SCMP_SYS() names a
 * syscall on every architecture; a rule for a syscall the architecture
 * lacks (open, mkdir, epoll_wait on aarch64) has no effect there.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "gatehouse.h"
#include "log.h"
#include "sandbox_filters.h"

#define SC_MAX_ARGS	2
#define SC_MAX_GROUPS	12

/* The type bits of socket(2)'s second argument, without NONBLOCK|CLOEXEC. */
#define SC_SOCK_TYPE	0xf

/* An EQ datum that stands for the filtering process's own pid. */
#define SC_SELF		((scmp_datum_t)-1)

struct sc_rule {
	const char		*name;
	int			 nr;
	uint32_t		 action;
	struct scmp_arg_cmp	 argv[SC_MAX_ARGS];	/* op 0 ends the list */
};

#define ALLOW(sc, ...)							\
	{ #sc, SCMP_SYS(sc), SCMP_ACT_ALLOW, { __VA_ARGS__ } }
#define DENY(sc, err, ...)						\
	{ #sc, SCMP_SYS(sc), SCMP_ACT_ERRNO(err), { __VA_ARGS__ } }
#define EQ(n, v)		{ (n), SCMP_CMP_EQ, (v), 0 }
#define MASKED_EQ(n, m, v)	{ (n), SCMP_CMP_MASKED_EQ, (m), (v) }
#define SC_END			{ NULL, 0, 0, { { 0, 0, 0, 0 } } }

/*
 * Every child: the fds it already holds, memory that never becomes code,
 * time, signals, its own exit.  Opening a file is refused with EACCES
 * rather than a kill: glibc still probes a few files after start (the
 * time zone on first use), and in an empty chroot under Landlock no open
 * could succeed anyway.  openat2, which glibc never calls, is decided
 * by sc_files and sc_no_files.
 */
static const struct sc_rule sc_base[] = {
	ALLOW(read),
	ALLOW(readv),
	ALLOW(write),
	ALLOW(writev),
	ALLOW(close),
	ALLOW(lseek),
	ALLOW(fstat),
	ALLOW(newfstatat),		/* glibc's fstat(), for stdio */
	ALLOW(brk),
	ALLOW(mmap, MASKED_EQ(2, PROT_EXEC, 0)),
	ALLOW(mprotect, MASKED_EQ(2, PROT_EXEC, 0)),
	ALLOW(munmap),
	ALLOW(mremap),
	ALLOW(madvise),
	ALLOW(clock_gettime),		/* the vDSO falls back to these */
	ALLOW(gettimeofday),
	ALLOW(time),
	ALLOW(clock_nanosleep),
	ALLOW(nanosleep),
	ALLOW(getpid),
	ALLOW(gettid),
	ALLOW(getrandom),
	ALLOW(futex),
	ALLOW(rt_sigaction),
	ALLOW(rt_sigprocmask),
	ALLOW(rt_sigreturn),
	ALLOW(restart_syscall),
	ALLOW(fcntl, EQ(1, F_GETFL)),	/* non-blocking and close-on-exec */
	ALLOW(fcntl, EQ(1, F_SETFL)),
	ALLOW(fcntl, EQ(1, F_GETFD)),
	ALLOW(fcntl, EQ(1, F_SETFD)),
	ALLOW(dup2, EQ(1, FD_LOG)),	/* a reopened log file becomes fd 2 */
	ALLOW(dup3, EQ(1, FD_LOG)),
	ALLOW(tgkill, EQ(0, SC_SELF)),	/* abort() raises SIGABRT this way */
	ALLOW(exit),
	ALLOW(exit_group),
	DENY(open, EACCES),
	DENY(openat, EACCES),
	SC_END
};

/*
 * Static files (file:// upstreams), read beneath directory fds opened
 * before the sandbox.  seccomp cannot read openat2's struct open_how:
 * RESOLVE_BENEATH is static.c's to set; what confines any openat2 to
 * reading those trees is Landlock (and, without it, the empty chroot).
 * Directories are never listed: no getdents64.
 */
static const struct sc_rule sc_files[] = {
	ALLOW(openat2),
	ALLOW(pread64),
	SC_END
};

/* The roles that serve no files refuse openat2 as they refuse open. */
static const struct sc_rule sc_no_files[] = {
	DENY(openat2, EACCES),
	SC_END
};

/*
 * syslog(3) sends on the socket log_init() connected before the drop.
 * After a syslogd restart glibc makes a new socket to reconnect; /dev/log
 * is not in the chroot, so refuse it with an error syslog(3) survives.
 */
static const struct sc_rule sc_syslog[] = {
	ALLOW(sendto, EQ(4, 0)),
	DENY(socket, EACCES, EQ(0, AF_UNIX),
	    MASKED_EQ(1, SC_SOCK_TYPE, SOCK_DGRAM)),
	SC_END
};

/*
 * libevent 2.1's epoll loop.  event_base_new() must run before the drop:
 * it creates the epoll fd and the socketpair that delivers signals.
 */
static const struct sc_rule sc_loop[] = {
	ALLOW(epoll_wait),
	ALLOW(epoll_pwait),
	ALLOW(epoll_ctl),
	ALLOW(ioctl, EQ(1, FIONREAD)),	/* evbuffer_read() sizes its read */
	SC_END
};

/* The SOCK_SEQPACKET channels; fds arrive as SCM_RIGHTS. */
static const struct sc_rule sc_chan[] = {
	ALLOW(recvmsg),
	ALLOW(sendmsg),
	SC_END
};

/* Talking on a connected stream socket, and tuning it. */
static const struct sc_rule sc_sock[] = {
	ALLOW(recvfrom),
	ALLOW(sendto, EQ(4, 0)),
	ALLOW(shutdown),
	ALLOW(getsockname),
	ALLOW(getpeername),
	ALLOW(getsockopt),
	ALLOW(setsockopt),
	SC_END
};

/* Clients on the listening sockets the parent passed (libevent: accept4). */
static const struct sc_rule sc_accept[] = {
	ALLOW(accept4),
	SC_END
};

/* Outgoing TCP: upstreams, the identity provider, Redis. */
static const struct sc_rule sc_tcp_out[] = {
	ALLOW(socket, EQ(0, AF_INET), MASKED_EQ(1, SC_SOCK_TYPE, SOCK_STREAM)),
	ALLOW(socket, EQ(0, AF_INET6), MASKED_EQ(1, SC_SOCK_TYPE, SOCK_STREAM)),
	ALLOW(connect),
	SC_END
};

/* DNS over UDP: evdns (common/resolve.c) in authd and sessiond. */
static const struct sc_rule sc_udp_out[] = {
	ALLOW(socket, EQ(0, AF_INET), MASKED_EQ(1, SC_SOCK_TYPE, SOCK_DGRAM)),
	ALLOW(socket, EQ(0, AF_INET6), MASKED_EQ(1, SC_SOCK_TYPE, SOCK_DGRAM)),
	ALLOW(sendto),
	ALLOW(sendmmsg),
	ALLOW(poll),
	ALLOW(ppoll),
	SC_END
};

/*
 * DNS without new sockets: evdns sends on the UDP sockets resolve_init
 * opened before the sandbox, to the nameserver's address (sessiond's
 * Redis host names).
 */
static const struct sc_rule sc_dns[] = {
	ALLOW(sendto),
	SC_END
};

/*
 * Redis, or an upstream, on a Unix socket.  Its path does not exist in
 * the chroot: connect(2) goes by name from the socket's directory, opened
 * before the sandbox, and returns (fchdir) to the chroot's root.
 */
static const struct sc_rule sc_unix_out[] = {
	ALLOW(socket, EQ(0, AF_UNIX), MASKED_EQ(1, SC_SOCK_TYPE, SOCK_STREAM)),
	ALLOW(fchdir),
	SC_END
};

/*
 * Keys in libsodium's guarded memory (sodium_malloc): mapped, locked and
 * made read-only before the sandbox.  When sessiond stops, sodium_free()
 * makes the pages writable (sc_base), wipes them and unlocks them.
 * munlock can only give up a lock the process holds, so no argument rule
 * narrows it; mlock stays refused, since no key is made after the drop.
 */
static const struct sc_rule sc_locked_keys[] = {
	ALLOW(munlock),
	SC_END
};

#ifdef GH_SANITIZE
/*
 * The ASan/UBSan runtime (make asan).  Its _exit() interceptor looks at
 * the signal stack.  A report must still reach fd 2, unsymbolized: the
 * runtime's probes of /proc/self/exe, of the terminal and of readable
 * memory (through a pipe) fail instead of killing the process.
 */
static const struct sc_rule sc_sanitize[] = {
	ALLOW(sigaltstack),
	DENY(readlink, EACCES),
	DENY(readlinkat, EACCES),
	DENY(ioctl, ENOTTY, EQ(1, TCGETS)),
	DENY(pipe, EMFILE),
	DENY(pipe2, EMFILE),
	SC_END
};
#define SC_SANITIZE	sc_sanitize
#else
#define SC_SANITIZE	NULL
#endif

static const struct sc_role {
	enum gh_role		 role;
	const struct sc_rule	*groups[SC_MAX_GROUPS];	/* NULL ends it */
} sc_roles[] = {
	{ ROLE_PROXY,	 { sc_base, sc_syslog, sc_loop, sc_chan, sc_sock,
			   sc_accept, sc_tcp_out, sc_unix_out, sc_files,
			   SC_SANITIZE } },
	{ ROLE_AUTHD,	 { sc_base, sc_syslog, sc_loop, sc_chan, sc_sock,
			   sc_tcp_out, sc_udp_out, sc_no_files, SC_SANITIZE } },
	{ ROLE_SESSIOND, { sc_base, sc_syslog, sc_loop, sc_chan, sc_sock,
			   sc_tcp_out, sc_dns, sc_unix_out, sc_locked_keys,
			   sc_no_files, SC_SANITIZE } },
};

static void
rule_add(scmp_filter_ctx ctx, const struct sc_rule *r)
{
	struct scmp_arg_cmp	 argv[SC_MAX_ARGS];
	unsigned int		 argc;
	int			 rc;

	for (argc = 0; argc < SC_MAX_ARGS && r->argv[argc].op != 0; argc++) {
		argv[argc] = r->argv[argc];
		if (argv[argc].op == SCMP_CMP_EQ &&
		    argv[argc].datum_a == SC_SELF)
			argv[argc].datum_a = (scmp_datum_t)getpid();
	}
	rc = seccomp_rule_add_array(ctx, r->action, r->nr, argc, argv);
	if (rc < 0)
		fatalx("sandbox: seccomp rule for %s: %s", r->name,
		    strerror(-rc));
}

scmp_filter_ctx
sandbox_filter_build(enum gh_role role, uint32_t defaction)
{
	const struct sc_rule	*const *g, *r;
	scmp_filter_ctx		 ctx;
	size_t			 i;

	for (i = 0; i < sizeof(sc_roles) / sizeof(sc_roles[0]); i++)
		if (sc_roles[i].role == role)
			break;
	if (i == sizeof(sc_roles) / sizeof(sc_roles[0]))
		fatalx("sandbox: no seccomp allowlist for %s", role_name(role));
	if ((ctx = seccomp_init(defaction)) == NULL)
		fatalx("sandbox: seccomp_init failed");
	for (g = sc_roles[i].groups; *g != NULL; g++)
		for (r = *g; r->name != NULL; r++)
			rule_add(ctx, r);
	return ctx;
}
