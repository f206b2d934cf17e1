/*
 * The parent's process table and supervision: spawning each child with
 * its fd contract, sending its config slice, wiring the channels between
 * peers, restarting the dead with backoff, draining old generations.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "parent.h"
#include "sandbox.h"

#define BACKOFF_FIRST_MS	250
#define BACKOFF_MAX_MS		30000
#define BACKOFF_RESET_SEC	30	/* a child up this long starts afresh */
#define FD_HIGH			64	/* above every fd of the contract */

/* Started in this order, so each child's peers already exist. */
const struct proc_kind proc_kinds[] = {
	{ ROLE_SESSIOND,	"gatehouse-sessiond",	0, 1 },
	{ ROLE_AUTHD,		"gatehouse-authd",	0, 1 },
	{ ROLE_PROXY,		"gatehouse-proxy",	1, 0 },
};
const size_t proc_nkinds = sizeof(proc_kinds) / sizeof(proc_kinds[0]);

static void	proc_spawn(struct proc *);

static size_t
kind_count(const struct proc_kind *k, const struct config *cf)
{
	long	n;

	if (k->role != ROLE_PROXY)
		return 1;
	if (cf->workers > 0)
		return (size_t)cf->workers;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > PROXY_MAX_WORKERS ? PROXY_MAX_WORKERS : (size_t)n;
}

static int
role_index(enum gh_role role)
{
	return __builtin_ctz((unsigned)role);
}

struct gen *
gen_new(struct config *cf, unsigned id)
{
	struct gen	*g;
	struct proc	*p;
	size_t		 k, i, n;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	g->id = id;
	g->cf = *cf;
	memset(cf, 0, sizeof(*cf));	/* the generation owns it now */
	for (i = 0; i < 4; i++)
		g->log_fds[i] = -1;
	for (i = 0; i < PROXY_MAX_LISTENERS; i++)
		g->listeners[i].shared_fd = -1;
	for (k = 0; k < proc_nkinds; k++) {
		n = kind_count(&proc_kinds[k], &g->cf);
		for (i = 0; i < n; i++) {
			p = &g->procs[g->nprocs++];
			p->kind = &proc_kinds[k];
			p->instance = (uint32_t)i;
			p->gen = g;
			snprintf(p->name, sizeof(p->name), "%s %zu",
			    proc_kinds[k].binary, i);
		}
	}
	return g;
}

/* A worker's sockets, in the order of g->listeners. */
static int
proc_open_fds(struct proc *p)
{
	struct gen	*g = p->gen;
	size_t		 i;
	int		 r;

	for (i = 0; p->kind->listens && p->nlisten == 0 &&
	    i < g->nlisteners; i++) {
		if (listen_open(&g->listeners[i], &p->listen_fds[i]) == -1)
			return -1;
		p->listen_tls[i] = g->listeners[i].addr.tls;
		p->nlisten = i + 1;
	}
	r = role_index(p->kind->role);
	if (strcmp(g->cf.log_target, "file") == 0 && g->log_fds[r] == -1 &&
	    (g->log_fds[r] = parent_log_open(&g->cf, p->kind->role)) == -1)
		return -1;
	return 0;
}

/*
 * The listeners of g->cf, which check_runtime has parsed already; a unix
 * socket that a running generation has is taken over, not made anew.
 */
static int
gen_listeners(struct gen *g)
{
	struct conf_diag	 diag = { parent_diag_log, NULL, 0 };
	struct listen_addr	 addrs[PROXY_MAX_LISTENERS];
	struct listener		*l, *old;
	size_t			 i, n;

	if (listen_config(&g->cf, addrs, &n, &diag) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		l = &g->listeners[i];
		l->addr = addrs[i];
		l->shared_fd = -1;
		g->nlisteners = i + 1;
		if (l->addr.local && (old = parent_unix_listener(l->addr.path,
		    g)) != NULL && listen_adopt(l, old) == -1)
			return -1;
	}
	return 0;
}

int
gen_start(struct gen *g)
{
	size_t	i;

	if (gen_listeners(g) == -1)
		return -1;
	for (i = 0; i < g->nprocs; i++)
		if (proc_open_fds(&g->procs[i]) == -1)
			return -1;
	for (i = 0; i < g->nprocs; i++)
		proc_spawn(&g->procs[i]);
	return 0;
}

/* Moves fd above the contract's numbers, so dup2 into place cannot clash. */
static int
fd_high(int fd)
{
	int	nfd;

	if ((nfd = fcntl(fd, F_DUPFD_CLOEXEC, FD_HIGH)) == -1)
		_exit(127);
	return nfd;
}

/* In the forked child: lay out the fd contract, then exec. */
static void __attribute__((noreturn))
proc_exec(struct proc *p, int chanfd)
{
	char		 path[PATH_MAX];
	char		*argv[] = { (char *)p->kind->binary, NULL };
	int		 logfd, nullfd, fds[PROXY_MAX_LISTENERS];
	size_t		 i;
	sigset_t	 none;

	logfd = p->gen->log_fds[role_index(p->kind->role)];
	logfd = fd_high(logfd == -1 ? STDERR_FILENO : logfd);
	chanfd = fd_high(chanfd);
	for (i = 0; i < p->nlisten; i++)
		fds[i] = fd_high(p->listen_fds[i]);
	if ((nullfd = open("/dev/null", O_RDWR)) == -1 ||
	    dup2(nullfd, STDIN_FILENO) == -1 ||
	    dup2(nullfd, STDOUT_FILENO) == -1 ||
	    dup2(logfd, FD_LOG) == -1 || dup2(chanfd, FD_PARENT) == -1)
		_exit(127);
	for (i = 0; i < p->nlisten; i++)
		if (dup2(fds[i], FD_LISTEN_FIRST + (int)i) == -1)
			_exit(127);
	closefrom(FD_LISTEN_FIRST + (int)p->nlisten);
	snprintf(path, sizeof(path), "%s/%s", parent_libexec(),
	    p->kind->binary);
	/* libevent's signal handling must not leak into the child. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execv(path, argv);
	_exit(127);
}

/*
 * The config slice: IMSG_CONF_START (u32 instance, u32 listening fds, a
 * u32 TLS flag for each),
 * one IMSG_CONF_KEY per key this role receives, IMSG_CONF_DONE.
 */
static int
proc_send_config(struct proc *p)
{
	const struct conf_key	*keys;
	struct imsg_out		 m;
	size_t			 n, i;

	imsg_compose(&m, IMSG_CONF_START, 0);
	imsg_add_u32(&m, p->instance);
	imsg_add_u32(&m, (uint32_t)p->nlisten);
	for (i = 0; i < p->nlisten; i++)
		imsg_add_u32(&m, (uint32_t)p->listen_tls[i]);
	if (chan_send(p->chan, &m) == -1)
		return -1;
	keys = config_keys(&n);
	for (i = 0; i < n; i++) {
		if (!(keys[i].roles & p->kind->role) ||
		    (keys[i].flags & CONF_F_UNSUPPORTED))
			continue;
		if (config_compose_key(&p->gen->cf, &keys[i], &m) == -1 ||
		    chan_send(p->chan, &m) == -1)
			return -1;
	}
	explicit_bzero(&m, sizeof(m));
	return chan_sendv(p->chan, IMSG_CONF_DONE, 0);
}

/* Each channel end tells its holder who is at the other end. */
static int
send_peer_end(struct proc *to, const struct proc *other, int fd)
{
	struct imsg_out	m;

	imsg_compose(&m, IMSG_CHAN_PEER, 0);
	imsg_add_u32(&m, other->kind->role);
	imsg_add_u32(&m, other->instance);
	imsg_add_u32(&m, other->serial);
	return chan_send_fd(to->chan, &m, fd);
}

/* Workers talk to authd and sessiond, and authd to sessiond. */
static int
talks_to(const struct proc *a, const struct proc *b)
{
	return a->kind->role != b->kind->role &&
	    (a->kind->role != ROLE_PROXY || b->kind->role != ROLE_PROXY);
}

static void
proc_wire(struct proc *p)
{
	struct gen	*g = p->gen;
	struct proc	*q;
	size_t		 i;
	int		 sv[2];

	for (i = 0; i < g->nprocs; i++) {
		q = &g->procs[i];
		if (q == p || q->pid == 0 || q->chan == NULL ||
		    !talks_to(p, q))
			continue;
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
		    sv) == -1) {
			log_warn("socketpair for %s and %s", p->name, q->name);
			continue;
		}
		if (send_peer_end(p, q, sv[0]) == -1)
			close(sv[1]);
		else
			send_peer_end(q, p, sv[1]);
	}
}

/* authd or sessiond closed a worker's channel for what it sent: replace it. */
static int
replace_worker(struct proc *from, struct imsg_in *in)
{
	struct gen	*g = from->gen;
	struct proc	*w;
	uint32_t	 inst, serial;
	size_t		 i;
	char		 s[16];

	if (from->kind->role == ROLE_PROXY || imsg_get_u32(in, &inst) == -1 ||
	    imsg_get_u32(in, &serial) == -1 || imsg_end(in) == -1)
		return -1;
	for (i = 0; i < g->nprocs; i++) {
		w = &g->procs[i];
		if (w->kind->role != ROLE_PROXY || w->instance != inst ||
		    w->serial != serial || w->pid == 0)
			continue;
		snprintf(s, sizeof(s), "%u", inst);
		log_audit("worker_replaced", "instance", s, "reported_by",
		    role_name(from->kind->role), NULL);
		kill(w->pid, SIGKILL);
	}
	return 0;
}

static int
parent_dispatch_child(struct chan *ch, struct imsg_in *in, int *fd, void *arg)
{
	struct proc	*p = arg;
	struct gen	*g = p->gen;
	size_t		 i;

	(void)ch;
	(void)fd;
	if (in->hdr.type == IMSG_PEER_BAD)
		return replace_worker(p, in);
	if (in->hdr.type != IMSG_CONF_ACK || imsg_end(in) == -1 || p->acked)
		return -1;
	p->acked = 1;
	log_debug("%s: pid %ld ready", p->name, (long)p->pid);
	for (i = 0; i < g->nprocs; i++)
		if (!g->procs[i].acked)
			return 0;
	if (!g->up) {
		g->up = 1;
		parent_gen_up(g);
	}
	return 0;
}

/* A child that sent garbage or closed its channel is replaced. */
static void
parent_child_closed(struct chan *ch, void *arg)
{
	struct proc	*p = arg;

	(void)ch;
	chan_free(p->chan);
	p->chan = NULL;
	if (p->pid != 0)
		kill(p->pid, SIGKILL);
}

static void
proc_spawn(struct proc *p)
{
	int	sv[2];
	pid_t	pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		fatal("socketpair");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		close(sv[0]);
		proc_exec(p, sv[1]);
	}
	close(sv[1]);
	p->pid = pid;
	p->serial++;
	p->acked = 0;
	p->started = time(NULL);
	p->chan = chan_new(parent_base(), sv[0], p->name, 0,
	    parent_dispatch_child, parent_child_closed, p);
	if (p->chan == NULL)
		fatalx("channel for %s", p->name);
	if (proc_send_config(p) == -1) {
		log_warnx("%s: cannot send config", p->name);
		kill(pid, SIGKILL);
		return;
	}
	proc_wire(p);
	log_debug("%s: started, pid %ld", p->name, (long)pid);
}

static void
proc_restart(evutil_socket_t s, short ev, void *arg)
{
	struct proc	*p = arg;

	(void)s;
	(void)ev;
	if (!p->gen->draining)
		proc_spawn(p);
}

static void
proc_schedule_restart(struct proc *p)
{
	struct timeval	tv;
	unsigned	ms = BACKOFF_FIRST_MS;
	unsigned	i;

	if (time(NULL) - p->started >= BACKOFF_RESET_SEC)
		p->backoff = 0;
	for (i = 0; i < p->backoff && ms < BACKOFF_MAX_MS; i++)
		ms *= 2;
	if (ms > BACKOFF_MAX_MS)
		ms = BACKOFF_MAX_MS;
	p->backoff++;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (p->ev_restart == NULL)
		p->ev_restart = evtimer_new(parent_base(), proc_restart, p);
	if (p->ev_restart == NULL || evtimer_add(p->ev_restart, &tv) == -1)
		fatalx("restart timer for %s", p->name);
	log_info("%s: restarting in %u ms", p->name, ms);
}

static void
audit_exit(const struct proc *p, pid_t pid, int status)
{
	char	inst[16], spid[16], how[32];
	int	violation;

	snprintf(inst, sizeof(inst), "%u", p->instance);
	snprintf(spid, sizeof(spid), "%ld", (long)pid);
	violation = (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) ||
	    (WIFEXITED(status) && WEXITSTATUS(status) == SANDBOX_EXIT_TRAP);
	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "signal %d", WTERMSIG(status));
	else
		snprintf(how, sizeof(how), "exit %d", WEXITSTATUS(status));
	if (violation)
		log_audit("sandbox_violation", "role", role_name(p->kind->role),
		    "instance", inst, "pid", spid, "status", how, NULL);
	log_audit("child_exit", "role", role_name(p->kind->role),
	    "instance", inst, "pid", spid, "status", how, NULL);
}

static int
gen_all_gone(const struct gen *g, enum gh_role roles)
{
	size_t	i;

	for (i = 0; i < g->nprocs; i++)
		if ((g->procs[i].kind->role & roles) && g->procs[i].pid != 0)
			return 0;
	return 1;
}

/* Returns 1 when pid was a child of generation g. */
int
proc_reap(pid_t pid, int status, struct gen *g)
{
	struct proc	*p = NULL;
	size_t		 i;

	for (i = 0; i < g->nprocs && p == NULL; i++)
		if (g->procs[i].pid == pid)
			p = &g->procs[i];
	if (p == NULL)
		return 0;
	audit_exit(p, pid, status);
	p->pid = 0;
	p->acked = 0;
	chan_free(p->chan);
	p->chan = NULL;
	if (g->draining) {
		gen_drain(g);
		return 1;
	}
	if (p->kind->fail_stop)
		parent_crash_loop(p);
	proc_schedule_restart(p);
	return 1;
}

static void
proc_drain(struct proc *p)
{
	if (p->pid == 0 || p->drained || p->chan == NULL)
		return;
	p->drained = 1;
	chan_sendv(p->chan, IMSG_DRAIN, 0);
}

/*
 * Workers first, so their in-flight requests can still reach authd and
 * sessiond; those two once the last worker is gone.
 */
void
gen_drain(struct gen *g)
{
	size_t	i;

	g->draining = 1;
	for (i = 0; i < g->nprocs; i++) {
		if (g->procs[i].ev_restart != NULL)
			evtimer_del(g->procs[i].ev_restart);
		if (g->procs[i].kind->role == ROLE_PROXY)
			proc_drain(&g->procs[i]);
	}
	if (!gen_all_gone(g, ROLE_PROXY))
		return;
	for (i = 0; i < g->nprocs; i++)
		proc_drain(&g->procs[i]);
	if (gen_all_gone(g, ROLE_CHILDREN))
		parent_gen_gone(g);
}

void
gen_kill(struct gen *g)
{
	size_t	i;

	for (i = 0; i < g->nprocs; i++)
		if (g->procs[i].pid != 0)
			kill(g->procs[i].pid, SIGKILL);
}

void
gen_free(struct gen *g)
{
	struct proc	*p;
	size_t		 i, j;

	for (i = 0; i < g->nprocs; i++) {
		p = &g->procs[i];
		chan_free(p->chan);
		if (p->ev_restart != NULL)
			event_free(p->ev_restart);
		for (j = 0; j < p->nlisten; j++)
			close(p->listen_fds[j]);
	}
	/* A socket file another generation still uses stays. */
	for (i = 0; i < g->nlisteners; i++)
		listen_close(&g->listeners[i], g->listeners[i].addr.local &&
		    parent_unix_listener(g->listeners[i].addr.path, g) != NULL);
	for (i = 0; i < 4; i++)
		if (g->log_fds[i] != -1)
			close(g->log_fds[i]);
	config_free(&g->cf);
	free(g);
}

/* SIGUSR1: every role's log file anew; each child gets its new fd. */
int
gen_reopen_logs(struct gen *g)
{
	struct imsg_out	 m;
	struct proc	*p;
	size_t		 i;
	int		 r, fd;

	if (strcmp(g->cf.log_target, "file") != 0)
		return 0;
	for (i = 0; i < g->nprocs; i++) {
		p = &g->procs[i];
		r = role_index(p->kind->role);
		if (p->instance == 0) {
			if ((fd = parent_log_open(&g->cf, p->kind->role)) == -1)
				return -1;
			close(g->log_fds[r]);
			g->log_fds[r] = fd;
		}
		if (p->chan == NULL ||
		    (fd = fcntl(g->log_fds[r], F_DUPFD_CLOEXEC, 0)) == -1)
			continue;
		imsg_compose(&m, IMSG_LOG_REOPEN, 0);
		chan_send_fd(p->chan, &m, fd);
	}
	return 0;
}

/*
 * A helper must be a regular executable file; when we run as root, owned
 * by root and writable by nobody else, or anyone could run code as root.
 */
int
proc_check_helpers(const char *dir)
{
	char		path[PATH_MAX];
	struct stat	st;
	size_t		k;
	int		bad = 0;

	for (k = 0; k < proc_nkinds; k++) {
		snprintf(path, sizeof(path), "%s/%s", dir, proc_kinds[k].binary);
		if (stat(path, &st) == -1) {
			log_warn("helper %s", path);
			bad = 1;
		} else if (!S_ISREG(st.st_mode) || access(path, X_OK) == -1) {
			log_warnx("helper %s: not an executable file", path);
			bad = 1;
		} else if (geteuid() == 0 && (st.st_uid != 0 ||
		    (st.st_mode & (S_IWGRP | S_IWOTH)))) {
			log_warnx("helper %s: must be owned by root and writable "
			    "only by root", path);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}
