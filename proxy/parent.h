/*
 * gatehouse, the parent: internal to proxy/parent*.c.
 */
#ifndef GH_PARENT_H
#define GH_PARENT_H

#include <sys/queue.h>
#include <sys/types.h>
#include <sys/un.h>

#include <time.h>

#include "chan.h"
#include "config.h"
#include "gatehouse.h"

#define GEN_MAX_PROCS	(PROXY_MAX_WORKERS + 2)
#define LISTEN_HOST_MAX	256
#define LISTEN_PORT_MAX	8

struct gen;

/* A listening address of the config, parsed. */
struct listen_addr {
	const char	*key;		/* "http_address", "https_address" */
	const char	*text;		/* as configured */
	int		 tls;		/* the https_address listener */
	int		 local;		/* AF_UNIX: one socket for all workers */
	char		 host[LISTEN_HOST_MAX];	/* TCP; "": every address */
	char		 port[LISTEN_PORT_MAX];
	char		 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int		 mode;		/* unix: its file mode; -1: umask's */
};

/* A listener of a generation, and the unix socket it shares, if any. */
struct listener {
	struct listen_addr	 addr;
	int			 shared_fd;	/* unix: -1 until opened */
	dev_t			 dev;		/* unix: the file we bound */
	ino_t			 ino;
};

/* One child process slot: it keeps its identity across restarts. */
struct proc {
	const struct proc_kind	*kind;
	uint32_t		 instance;
	pid_t			 pid;		/* 0: not running */
	uint32_t		 serial;	/* starts so far */
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
	struct listener		 listeners[PROXY_MAX_LISTENERS];
	size_t			 nlisteners;	/* http first, then https */
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
void			 parent_diag_log(void *, const char *);
struct listener		*parent_unix_listener(const char *,
			    const struct gen *);

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
int	listen_config(const struct config *, struct listen_addr *, size_t *,
	    struct conf_diag *);
int	listen_check(const struct config *, struct conf_diag *);
int	listen_adopt(struct listener *, const struct listener *);
int	listen_open(struct listener *, int *fd);
void	listen_close(struct listener *, int keep_file);

#endif /* GH_PARENT_H */
