/*
 * gatehouse, the parent: internal to proxy/parent*.c.
 */
#ifndef GH_PARENT_H
#define GH_PARENT_H

#include <sys/queue.h>
#include <sys/types.h>

#include <time.h>

#include "chan.h"
#include "config.h"
#include "gatehouse.h"

#define GEN_MAX_PROCS	(PROXY_MAX_WORKERS + 2)

struct gen;

/* One child process slot: it keeps its identity across restarts. */
struct proc {
	const struct proc_kind	*kind;
	uint32_t		 instance;
	pid_t			 pid;		/* 0: not running */
	struct chan		*chan;
	struct gen		*gen;
	int			 acked;
	int			 drained;	/* told to drain */
	time_t			 started;
	unsigned		 backoff;	/* quick deaths in a row */
	struct event		*ev_restart;
	int			 listen_fds[PROXY_MAX_LISTENERS];
	int			 listen_tls[PROXY_MAX_LISTENERS];
	size_t			 nlisten;
	char			 name[40];
};

/* A generation: the children started from one config (start or reload). */
struct gen {
	TAILQ_ENTRY(gen)	 entry;
	unsigned		 id;
	struct config		 cf;
	struct proc		 procs[GEN_MAX_PROCS];
	size_t			 nprocs;
	int			 up;		/* every child acknowledged */
	int			 draining;
	int			 log_fds[4];	/* per role, when log_target is file */
};

/* The process table: everything the parent starts is described here. */
struct proc_kind {
	enum gh_role	 role;
	const char	*binary;
	int		 listens;	/* gets listening sockets */
	int		 fail_stop;	/* crash loop stops the daemon */
};

extern const struct proc_kind	proc_kinds[];
extern const size_t		proc_nkinds;

/* parent.c */
struct event_base	*parent_base(void);
const char		*parent_libexec(void);
void			 parent_gen_up(struct gen *);
void			 parent_gen_gone(struct gen *);
void			 parent_crash_loop(const struct proc *);
void			 parent_notify(const char *);
int			 parent_log_open(const struct config *, enum gh_role);

/* parent_proc.c */
struct gen	*gen_new(struct config *, unsigned id);
int		 gen_start(struct gen *);
void		 gen_drain(struct gen *);
void		 gen_kill(struct gen *);
void		 gen_free(struct gen *);
int		 gen_reopen_logs(struct gen *);
int		 proc_reap(pid_t, int status, struct gen *);
int		 proc_check_helpers(const char *dir);

/* parent_listen.c */
int	listen_check(const char *address);
int	listen_open(const char *address, int *fd);

#endif /* GH_PARENT_H */
