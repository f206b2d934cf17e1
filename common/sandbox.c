/*
 * The privilege drop and sandbox every child enters after its privileged
 * set-up, in the order of ARCHITECTURE.md: chroot, ids, not dumpable,
 * no_new_privs, Landlock (reading beneath the ro_dirs fds, nothing
 * else), seccomp.  The allowlists are in sandbox_filters.c.
 */
#define _GNU_SOURCE

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <linux/landlock.h>

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifdef GH_SANITIZE
#include <sanitizer/lsan_interface.h>
#endif

#include "log.h"
#include "sandbox.h"
#include "sandbox_filters.h"

/* Newer than the uapi headers of Debian 12. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE	(1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV	(1ULL << 15)
#endif

/*
 * The filesystem rights each Landlock ABI handles: ABI 1 knows EXECUTE
 * to MAKE_SYM, 2 adds REFER, 3 TRUNCATE, 5 IOCTL_DEV (4, 6 and 7 add
 * network, scope and audit features only).  A later ABI handles at least
 * what we know.
 */
#define LL_FS_ABI1	((LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1)
#define LL_FS_ABI2	(LL_FS_ABI1 | LANDLOCK_ACCESS_FS_REFER)
#define LL_FS_ABI3	(LL_FS_ABI2 | LANDLOCK_ACCESS_FS_TRUNCATE)
#define LL_FS_ABI5	(LL_FS_ABI3 | LANDLOCK_ACCESS_FS_IOCTL_DEV)
static const uint64_t ll_fs_rights[] = {
	0, LL_FS_ABI1, LL_FS_ABI2, LL_FS_ABI3, LL_FS_ABI3, LL_FS_ABI5
};
#define LL_ABI_KNOWN	5

/* Syscall names for the trap handler, resolved before the filter loads. */
#define SC_NAMES_MAX	512
static char	*sc_names[SC_NAMES_MAX];

static void
drop_privileges(const struct sandbox_opts *opts)
{
	struct passwd	*pw;
	uid_t		 ruid, euid, suid;
	gid_t		 rgid, egid, sgid, gid;

	if (opts->user == NULL || opts->chroot_dir == NULL)
		fatalx("sandbox: no user or chroot for %s",
		    role_name(opts->role));
	if ((pw = getpwnam(opts->user)) == NULL)
		fatalx("sandbox: unknown user %s", opts->user);
	gid = pw->pw_gid;
	if (chroot(opts->chroot_dir) == -1)
		fatal("sandbox: chroot %s", opts->chroot_dir);
	if (chdir("/") == -1)
		fatal("sandbox: chdir /");
	if (setgroups(1, &gid) == -1)
		fatal("sandbox: setgroups");
	if (setresgid(gid, gid, gid) == -1)
		fatal("sandbox: setresgid");
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("sandbox: setresuid");
	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1)
		fatal("sandbox: getresuid");
	if (ruid != pw->pw_uid || euid != pw->pw_uid || suid != pw->pw_uid ||
	    rgid != gid || egid != gid || sgid != gid)
		fatalx("sandbox: ids not dropped to %s", opts->user);
	/* Also true of a user that is uid 0: children never run as root. */
	if (setuid(0) != -1)
		fatalx("sandbox: uid 0 regained after the drop");
}

/* Read beneath each ro_dirs directory (file:// upstreams), nothing else. */
static void
landlock_add_dirs(int ruleset, uint64_t handled,
    const struct sandbox_opts *opts)
{
	struct landlock_path_beneath_attr	pb;
	size_t					i;

	for (i = 0; i < opts->nro_dirs; i++) {
		memset(&pb, 0, sizeof(pb));
		pb.allowed_access = (LANDLOCK_ACCESS_FS_READ_FILE |
		    LANDLOCK_ACCESS_FS_READ_DIR) & handled;
		pb.parent_fd = opts->ro_dirs[i];
		if (syscall(SYS_landlock_add_rule, ruleset,
		    LANDLOCK_RULE_PATH_BENEATH, &pb, 0) == -1)
			fatal("sandbox: landlock_add_rule");
	}
}

/*
 * No filesystem access but reading the ro_dirs trees: every right the
 * kernel knows is handled and no other rule grants one.  Network rights
 * (ABI 4) are not handled: the proxy, authd and sessiond will connect
 * out over TCP, and seccomp already decides who may make a socket.
 */
static void
landlock_restrict(const struct sandbox_opts *opts)
{
	struct landlock_ruleset_attr	 attr;
	long				 abi;
	int				 fd;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	if (abi == -1 && (errno == ENOSYS || errno == EOPNOTSUPP)) {
		log_warnx("sandbox: Landlock unavailable, continuing without");
		return;
	}
	if (abi == -1)
		fatal("sandbox: landlock ABI version");
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = ll_fs_rights[abi > LL_ABI_KNOWN ?
	    LL_ABI_KNOWN : abi];
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (fd == -1)
		fatal("sandbox: landlock_create_ruleset");
	landlock_add_dirs(fd, attr.handled_access_fs, opts);
	if (syscall(SYS_landlock_restrict_self, fd, 0) == -1)
		fatal("sandbox: landlock_restrict_self");
	close(fd);
}

static size_t
cat_str(char *buf, size_t len, size_t off, const char *s)
{
	while (*s != '\0' && off + 1 < len)
		buf[off++] = *s++;
	return off;
}

static size_t
cat_num(char *buf, size_t len, size_t off, long n)
{
	char	digits[24];
	size_t	i = sizeof(digits) - 1;

	digits[i] = '\0';
	if (n < 0)
		off = cat_str(buf, len, off, "-");
	do {
		digits[--i] = (char)('0' + (n < 0 ? -(n % 10) : n % 10));
		n /= 10;
	} while (n != 0);
	return cat_str(buf, len, off, digits + i);
}

/* Async-signal-safe: names the refused syscall on fd 2 and exits. */
static void
trap_handler(int sig, siginfo_t *si, void *uctx)
{
	char		 line[256];
	const char	*name = "unknown";
	size_t		 off;
	ssize_t		 n;
	int		 nr = si->si_syscall;

	(void)sig;
	(void)uctx;
	if (nr >= 0 && nr < SC_NAMES_MAX && sc_names[nr] != NULL)
		name = sc_names[nr];
	off = cat_str(line, sizeof(line), 0, program_invocation_short_name);
	off = cat_str(line, sizeof(line), off, "[");
	off = cat_num(line, sizeof(line), off, (long)getpid());
	off = cat_str(line, sizeof(line), off,
	    "]: sandbox: refused syscall ");
	off = cat_str(line, sizeof(line), off, name);
	off = cat_str(line, sizeof(line), off, " (");
	off = cat_num(line, sizeof(line), off, nr);
	off = cat_str(line, sizeof(line), off, ")\n");
	/* If fd 2 is gone, the exit status alone tells the parent. */
	n = write(STDERR_FILENO, line, off);
	(void)n;
	_exit(SANDBOX_EXIT_TRAP);
}

static void
trap_install(void)
{
	struct sigaction	sa;
	int			nr;

	for (nr = 0; nr < SC_NAMES_MAX; nr++)
		sc_names[nr] = seccomp_syscall_resolve_num_arch(
		    SCMP_ARCH_NATIVE, nr);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = trap_handler;
	sa.sa_flags = SA_SIGINFO;
	sigfillset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) == -1)
		fatal("sandbox: sigaction SIGSYS");
}

static void
seccomp_enter(const struct sandbox_opts *opts)
{
	scmp_filter_ctx	ctx;
	int		rc;

	if (opts->debug)
		trap_install();
	ctx = sandbox_filter_build(opts->role,
	    opts->debug ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS);
	if ((rc = seccomp_load(ctx)) < 0)
		fatalx("sandbox: seccomp_load: %s", strerror(-rc));
	seccomp_release(ctx);
}

void
sandbox_enter(const struct sandbox_opts *opts)
{
#ifdef GH_SANITIZE
	/*
	 * LeakSanitizer's exit-time check needs ptrace, clone and /proc,
	 * none of which the sandbox allows: check now, and not at exit.
	 */
	__lsan_do_leak_check();
#endif
	if (geteuid() == 0)
		drop_privileges(opts);
	else
		log_warnx("sandbox: not root: %s keeps its uid and has no "
		    "chroot (development mode)", role_name(opts->role));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("sandbox: PR_SET_DUMPABLE");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("sandbox: PR_SET_NO_NEW_PRIVS");
	landlock_restrict(opts);
	seccomp_enter(opts);
}

/* mkdir -p, each new directory 0755 root:root whatever the umask. */
static int
chroot_mkdir(const char *dir)
{
	char	path[PATH_MAX], *p, c;

	if ((size_t)snprintf(path, sizeof(path), "%s", dir) >= sizeof(path)) {
		log_warnx("chroot %s: path too long", dir);
		return -1;
	}
	for (p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(path, 0755) == 0) {
			if (chown(path, 0, 0) == -1 || chmod(path, 0755) == -1) {
				log_warn("chroot %s", path);
				return -1;
			}
		} else if (errno != EEXIST) {
			log_warn("chroot: mkdir %s", path);
			return -1;
		}
		if ((*p = c) == '\0')
			return 0;
	}
}

static int
chroot_empty(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	int		 rc = 0;

	if ((d = opendir(dir)) == NULL) {
		log_warn("chroot %s", dir);
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		log_warnx("chroot %s: not empty (contains %s)", dir, de->d_name);
		rc = -1;
	}
	closedir(d);
	return rc;
}

/* What root needs of the directory it will chroot into. */
static int
chroot_safe(const char *dir, const struct stat *st)
{
	if (st->st_uid != 0) {
		log_warnx("chroot %s: owned by uid %u, not root", dir,
		    (unsigned int)st->st_uid);
		return -1;
	}
	if ((st->st_mode & 07777) != 0755) {
		log_warnx("chroot %s: mode %04o, not 0755", dir,
		    (unsigned int)(st->st_mode & 07777));
		return -1;
	}
	return chroot_empty(dir);
}

int
sandbox_chroot_prepare(const char *dir)
{
	struct stat	st;

	if (dir[0] != '/') {
		log_warnx("chroot %s: not an absolute path", dir);
		return -1;
	}
	if (lstat(dir, &st) == -1) {
		if (errno != ENOENT) {
			log_warn("chroot %s", dir);
			return -1;
		}
		/* Not root: the child will not chroot, nothing to make. */
		if (geteuid() != 0)
			return 0;
		if (chroot_mkdir(dir) == -1)
			return -1;
		if (lstat(dir, &st) == -1) {
			log_warn("chroot %s", dir);
			return -1;
		}
	}
	if (!S_ISDIR(st.st_mode)) {
		log_warnx("chroot %s: not a directory%s", dir,
		    S_ISLNK(st.st_mode) ? " (a symbolic link)" : "");
		return -1;
	}
	return geteuid() == 0 ? chroot_safe(dir, &st) : 0;
}
