/*
 * Privilege drop and sandbox of a child, after its privileged set-up:
 * chroot, setgroups/setresgid/setresuid (checked), PR_SET_DUMPABLE 0,
 * PR_SET_NO_NEW_PRIVS, Landlock (no filesystem access), then the role's
 * seccomp allowlist.  Every step but Landlock is fatal when it fails.
 */
#ifndef GH_SANDBOX_H
#define GH_SANDBOX_H

#include "gatehouse.h"

/*
 * Exit status of a child whose sandbox refused a syscall in debug mode:
 * what a shell reports for a SIGSYS death, so the parent can report both
 * the same way.
 */
#define SANDBOX_EXIT_TRAP	(128 + 31)	/* 128 + SIGSYS */

struct sandbox_opts {
	enum gh_role	 role;
	const char	*user;		/* ignored when not started as root */
	const char	*chroot_dir;	/* likewise */
	int		 debug;		/* trap and name the syscall, not kill */
	const int	*ro_dirs;	/* directory fds Landlock lets it read */
	size_t		 nro_dirs;	/* beneath (file:// upstreams) */
};

void	sandbox_enter(const struct sandbox_opts *);

/* Parent: create the chroot directory if missing; check root, 0755, empty. */
int	sandbox_chroot_prepare(const char *dir);

#endif /* GH_SANDBOX_H */
