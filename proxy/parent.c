/*
 * gatehouse: the parent.  It reads and validates the config, opens the
 * listening sockets and log files, starts every child with its slice of
 * the config, supervises them, and reloads, reopens and stops on signals.
 * It holds every secret only long enough to hand each to its one child.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "cookie.h"
#include "emails.h"
#include "log.h"
#include "page.h"
#include "redirect.h"
#include "redis_url.h"
#include "parent.h"
#include "route.h"
#include "sandbox.h"
#include "tls.h"
#include "upstream.h"

#define CRASH_LIMIT		5	/* deaths of authd or sessiond ... */
#define CRASH_WINDOW_SEC	60	/* ... within this long stop us */
#define SHUTDOWN_GRACE_SEC	5	/* past shutdown_timeout: SIGKILL */

extern char	**environ;

static struct {
	struct event_base	*base;
	int			 argc;
	char			**argv;
	struct conf_cli		 cli;
	char			 libexec[PATH_MAX];
	TAILQ_HEAD(gen_list, gen) gens;
	unsigned		 next_gen;
	int			 stopping;
	int			 exit_code;
	time_t			 crashes[CRASH_LIMIT];
	size_t			 ncrashes;
	struct event		*ev_kill;
} parent;

struct event_base *
parent_base(void)
{
	return parent.base;
}

const char *
parent_libexec(void)
{
	return parent.libexec;
}

static struct gen *
gen_current(void)
{
	return TAILQ_LAST(&parent.gens, gen_list);
}

/* sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET. */
void
parent_notify(const char *state)
{
	struct sockaddr_un	 sun;
	const char		*path = getenv("NOTIFY_SOCKET");
	size_t			 len;
	int			 fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    (len = strlen(path)) >= sizeof(sun.sun_path))
		return;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) == -1)
		log_warn("sd_notify %s", state);
	close(fd);
}

int
parent_log_open(const struct config *cf, enum gh_role role)
{
	char		 path[PATH_MAX];
	const char	*pct = strstr(cf->log_file, "%s");
	int		 fd;

	/* config_validate made sure the pattern has exactly one %s. */
	snprintf(path, sizeof(path), "%.*s%s%s", (int)(pct - cf->log_file),
	    cf->log_file, role_name(role), pct + 2);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0640);
	if (fd == -1)
		log_warn("log file %s", path);
	return fd;
}

static void
apply_logging(const struct config *cf)
{
	enum log_target	t;
	enum log_format	f;
	enum log_level	lv;
	int		fd;

	(void)log_target_parse(cf->log_target, &t);
	(void)log_format_parse(cf->log_format, &f);
	(void)log_level_parse(cf->log_level, &lv);
	if (t == LOG_TARGET_FILE) {
		if ((fd = parent_log_open(cf, ROLE_PARENT)) == -1)
			fatalx("cannot open the log file");
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	log_set(t, f, lv);
}

static void
diag_stderr(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "gatehouse: %s\n", msg);
}

void
parent_diag_log(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("config: %s", msg);
}

/*
 * The TLS contexts a worker would build: the server's when a certificate
 * is set, the upstreams' when an upstream speaks https or CA files are
 * given.  Built to see that every file loads, then freed.
 */
static void
check_tls(const struct config *cf, const struct upstream_set *ups,
    struct conf_diag *diag)
{
	SSL_CTX	*ctx;
	size_t	 i;
	int	 https = cf->upstream_ca_files.n > 0;

	if (cf->tls_cert_file != NULL && cf->tls_cert_file[0] != '\0' &&
	    (ctx = tls_server_ctx(cf, diag)) != NULL)
		SSL_CTX_free(ctx);
	for (i = 0; i < ups->n; i++)
		if (ups->u[i].type == UPSTREAM_HTTPS)
			https = 1;
	if (https && (ctx = tls_client_ctx(cf, diag)) != NULL)
		SSL_CTX_free(ctx);
}

/*
 * The cookie attributes the workers will write: cookie_name, cookie_path
 * and each of cookie_domains, by writing a cookie with them.
 */
static void
check_cookies(const struct config *cf, struct conf_diag *diag)
{
	struct cookie_opts	 o;
	struct evbuffer		*b;
	size_t			 i = 0;

	if ((b = evbuffer_new()) == NULL)
		return;
	memset(&o, 0, sizeof(o));
	o.name = cf->cookie_name;
	o.path = cf->cookie_path;
	o.samesite = cf->cookie_samesite;
	do {
		o.domain = cf->cookie_domains.n > 0 ?
		    cf->cookie_domains.v[i] : NULL;
		if (cookie_set(b, &o, "x") == -1)
			conf_error(diag, "cookie_domains, cookie_path: "
			    "\"%s\" and \"%s\" cannot be a cookie's Domain "
			    "and Path", o.domain != NULL ? o.domain : "",
			    o.path != NULL ? o.path : "");
	} while (++i < cf->cookie_domains.n);
	evbuffer_free(b);
	for (i = 0; i < cf->whitelist_domains.n; i++)
		if (!redirect_whitelist_entry_ok(cf->whitelist_domains.v[i]))
			conf_error(diag, "whitelist_domains: \"%s\" is not "
			    "[.]host[:port]", cf->whitelist_domains.v[i]);
}

/* provider_ca_files: authd reads them when it starts; read them now. */
static void
check_provider_cas(const struct config *cf, struct conf_diag *diag)
{
	char	 buf[4096];
	FILE	*fp;
	size_t	 i, n;

	for (i = 0; i < cf->provider_ca_files.n; i++) {
		if ((fp = fopen(cf->provider_ca_files.v[i], "re")) == NULL) {
			conf_error(diag, "provider_ca_files: %s: %s",
			    cf->provider_ca_files.v[i], strerror(errno));
			continue;
		}
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		buf[n] = '\0';
		fclose(fp);
		if (strstr(buf, "-----BEGIN CERTIFICATE-----") == NULL)
			conf_error(diag, "provider_ca_files: %s: no PEM "
			    "certificate at its start", cf->provider_ca_files.v[i]);
	}
}

/* The Redis URLs, with sessiond's parser. */
static void
check_redis_urls(const struct config *cf, struct conf_diag *diag)
{
	const struct conf_list	*lists[2] = {
		&cf->redis_sentinel_connection_urls,
		&cf->redis_cluster_connection_urls,
	};
	const char		*keys[2] = { "redis_sentinel_connection_urls",
				    "redis_cluster_connection_urls" };
	struct redis_url	 u;
	char			 err[256];
	size_t			 i, j;

	if (cf->session_store_type == NULL ||
	    strcmp(cf->session_store_type, "redis") != 0)
		return;
	if (cf->redis_connection_url != NULL &&
	    *cf->redis_connection_url != '\0') {
		if (redis_url_parse(cf->redis_connection_url, &u, err,
		    sizeof(err)) == -1)
			conf_error(diag, "redis_connection_url: %s", err);
		redis_url_clear(&u);
	}
	for (i = 0; i < 2; i++)
		for (j = 0; j < lists[i]->n; j++) {
			if (redis_url_parse(lists[i]->v[j], &u, err,
			    sizeof(err)) == -1)
				conf_error(diag, "%s: %s", keys[i], err);
			redis_url_clear(&u);
		}
}

/* Regexes, CIDRs and the request log format, with the workers' code. */
static void
check_policy(const struct config *cf, struct conf_diag *diag)
{
	struct route_set	*rs;
	struct cidr_set		*cs;
	struct access_log	*al;
	struct pages		*pg;
	struct email_set	*es;
	char			 err[512];

	if ((rs = route_compile(cf, diag)) != NULL)
		route_free(rs);
	if ((rs = route_compile_list(&cf->api_routes, "api_routes", diag)) !=
	    NULL)
		route_free(rs);
	if ((cs = cidr_parse(&cf->trusted_ips, "trusted_ips", diag)) != NULL)
		cidr_free(cs);
	if ((cs = cidr_parse(&cf->trusted_proxy_ips, "trusted_proxy_ips",
	    diag)) != NULL)
		cidr_free(cs);
	if ((al = accesslog_compile(cf->request_logging_format,
	    diag)) != NULL)
		accesslog_free(al);
	if ((pg = page_load_config(cf, err, sizeof(err))) == NULL)
		conf_error(diag, "%s", err);
	page_free(pg);
	check_cookies(cf, diag);
	check_provider_cas(cf, diag);
	check_redis_urls(cf, diag);
	if (cf->authenticated_emails_file != NULL &&
	    *cf->authenticated_emails_file != '\0') {
		if ((es = emails_load(cf->authenticated_emails_file, err,
		    sizeof(err))) == NULL)
			conf_error(diag, "authenticated_emails_file: %s", err);
		emails_free(es);
	}
}

/*
 * What config_load cannot check without the libraries and the system:
 * the listeners, the upstreams, TLS files, regexes, CIDRs, the request
 * log format, the users.  Every problem is reported through diag.
 */
static int
check_runtime(const struct config *cf, struct conf_diag *diag)
{
	struct upstream_set	ups;
	int			nerrors = diag->nerrors;

	listen_check(cf, diag);
	/* A bad list is reported and left empty: TLS is checked still. */
	upstream_parse_all(cf, &ups, diag);
	check_tls(cf, &ups, diag);
	upstream_free_all(&ups);
	check_policy(cf, diag);
	if (strcmp(cf->proxy_user, cf->authd_user) == 0 ||
	    strcmp(cf->proxy_user, cf->sessiond_user) == 0 ||
	    strcmp(cf->authd_user, cf->sessiond_user) == 0)
		conf_error(diag, "proxy_user, authd_user and sessiond_user "
		    "must be three different users");
	return diag->nerrors == nerrors ? 0 : -1;
}

static int
load_config(struct config *cf, struct conf_diag *diag)
{
	config_init(cf);
	if (config_load(cf, &parent.cli, parent.argc, parent.argv, environ,
	    diag) == -1 || check_runtime(cf, diag) == -1) {
		config_free(cf);
		return -1;
	}
	return 0;
}

static void
start_gen(struct config *cf)
{
	struct gen	*g;

	if ((g = gen_new(cf, ++parent.next_gen)) == NULL)
		fatal("generation");
	TAILQ_INSERT_TAIL(&parent.gens, g, entry);
	if (gen_start(g) == -1) {
		TAILQ_REMOVE(&parent.gens, g, entry);
		gen_kill(g);
		gen_free(g);
		if (parent.next_gen == 1)
			fatalx("start failed");
		log_audit("config_reload_failed", "reason",
		    "cannot open sockets or log files", NULL);
		parent_notify("READY=1");
	}
}

/*
 * The unix socket that a generation other than except listens on at
 * path, if any: a reload keeps it, so that no connection waiting in it
 * is lost, and a reload that fails leaves it to the old generation.
 */
struct listener *
parent_unix_listener(const char *path, const struct gen *except)
{
	struct gen	*g;
	size_t		 i;

	TAILQ_FOREACH(g, &parent.gens, entry) {
		for (i = 0; g != except && i < g->nlisteners; i++)
			if (g->listeners[i].addr.local &&
			    g->listeners[i].shared_fd != -1 &&
			    strcmp(g->listeners[i].addr.path, path) == 0)
				return &g->listeners[i];
	}
	return NULL;
}

/* Every child of g acknowledged its config: g serves, older ones drain. */
void
parent_gen_up(struct gen *g)
{
	struct gen	*old;
	char		 id[16];

	TAILQ_FOREACH(old, &parent.gens, entry)
		if (old != g && !old->draining)
			gen_drain(old);
	snprintf(id, sizeof(id), "%u", g->id);
	if (g->id == 1)
		log_info("started: %zu processes", g->nprocs);
	else
		log_audit("config_reload", "generation", id, NULL);
	parent_notify("READY=1");
}

void
parent_gen_gone(struct gen *g)
{
	log_debug("generation %u: all children gone", g->id);
	TAILQ_REMOVE(&parent.gens, g, entry);
	gen_free(g);
	if (parent.stopping && TAILQ_EMPTY(&parent.gens))
		event_base_loopexit(parent.base, NULL);
}

/* authd or sessiond died: too often, and we stop rather than limp. */
void
parent_crash_loop(const struct proc *p)
{
	time_t	now = time(NULL);
	size_t	i, recent = 0;

	parent.crashes[parent.ncrashes++ % CRASH_LIMIT] = now;
	for (i = 0; i < CRASH_LIMIT && i < parent.ncrashes; i++)
		if (now - parent.crashes[i] < CRASH_WINDOW_SEC)
			recent++;
	if (recent < CRASH_LIMIT)
		return;
	log_audit("crash_loop", "role", role_name(p->kind->role), NULL);
	log_warnx("%s died %d times in %d s: stopping", p->name, CRASH_LIMIT,
	    CRASH_WINDOW_SEC);
	parent.exit_code = 1;
	raise(SIGTERM);
}

static void
on_sigchld(evutil_socket_t s, short ev, void *arg)
{
	struct gen	*g, *next;
	pid_t		 pid;
	int		 status;

	(void)s;
	(void)ev;
	(void)arg;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (g = TAILQ_FIRST(&parent.gens); g != NULL; g = next) {
			next = TAILQ_NEXT(g, entry);
			if (proc_reap(pid, status, g))
				break;
		}
	}
}

static void
on_kill_timeout(evutil_socket_t s, short ev, void *arg)
{
	struct gen	*g;

	(void)s;
	(void)ev;
	(void)arg;
	log_warnx("shutdown: children still running, killing them");
	TAILQ_FOREACH(g, &parent.gens, entry)
		gen_kill(g);
	event_base_loopexit(parent.base, NULL);
}

static void
on_sigterm(evutil_socket_t s, short ev, void *arg)
{
	struct timeval	 tv = { SHUTDOWN_GRACE_SEC, 0 };
	struct gen	*g, *next;

	(void)s;
	(void)ev;
	(void)arg;
	if (parent.stopping)
		return;
	parent.stopping = 1;
	parent_notify("STOPPING=1");
	log_info("stopping");
	if ((g = gen_current()) != NULL)
		tv.tv_sec += g->cf.shutdown_timeout / 1000000000;
	parent.ev_kill = evtimer_new(parent.base, on_kill_timeout, NULL);
	evtimer_add(parent.ev_kill, &tv);
	for (g = TAILQ_FIRST(&parent.gens); g != NULL; g = next) {
		next = TAILQ_NEXT(g, entry);
		gen_drain(g);
	}
}

static void
on_sighup(evutil_socket_t s, short ev, void *arg)
{
	struct conf_diag	diag = { parent_diag_log, NULL, 0 };
	struct config		cf;
	struct gen		*g = gen_current();

	(void)s;
	(void)ev;
	(void)arg;
	if (parent.stopping)
		return;
	if (g != NULL && !g->up) {
		log_warnx("reload: the previous reload is not done yet");
		return;
	}
	parent_notify("RELOADING=1");
	log_info("reload: reading the config");
	if (load_config(&cf, &diag) == -1) {
		log_audit("config_reload_failed", "reason",
		    "invalid config, keeping the running one", NULL);
		parent_notify("READY=1");
		return;
	}
	start_gen(&cf);
}

static void
on_sigusr1(evutil_socket_t s, short ev, void *arg)
{
	struct gen	*g;

	(void)s;
	(void)ev;
	(void)arg;
	g = gen_current();
	if (g == NULL || strcmp(g->cf.log_target, "file") != 0)
		return;
	apply_logging(&g->cf);
	TAILQ_FOREACH(g, &parent.gens, entry)
		if (gen_reopen_logs(g) == -1)
			log_warnx("log reopen failed");
	log_info("log files reopened");
}

static void
signals_init(void)
{
	static const struct {
		int	sig;
		void	(*cb)(evutil_socket_t, short, void *);
	} sigs[] = {
		{ SIGCHLD, on_sigchld }, { SIGTERM, on_sigterm },
		{ SIGINT, on_sigterm }, { SIGHUP, on_sighup },
		{ SIGUSR1, on_sigusr1 },
	};
	struct event	*ev;
	size_t		 i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		ev = evsignal_new(parent.base, sigs[i].sig, sigs[i].cb, NULL);
		if (ev == NULL || evsignal_add(ev, NULL) == -1)
			fatalx("signal set-up failed");
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: gatehouse [-hnV] [-c file] [--libexec-dir dir] "
	    "[--key=value ...]\n");
}

static void
set_libexec(void)
{
	const char	*dir = parent.cli.libexec_dir;

	if (dir == NULL)
		dir = GH_LIBEXECDIR;
	if (realpath(dir, parent.libexec) == NULL)
		fatal("libexec directory %s", dir);
	if (proc_check_helpers(parent.libexec) == -1)
		fatalx("helpers missing or unsafe in %s", parent.libexec);
}

int
main(int argc, char **argv)
{
	struct conf_diag	diag = { diag_stderr, NULL, 0 };
	struct config		cf;

	log_init(LOG_TARGET_STDERR, LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	log_procinit("gatehouse");
	parent.argc = argc;
	parent.argv = argv;
	TAILQ_INIT(&parent.gens);
	if (load_config(&cf, &diag) == -1 && !parent.cli.help &&
	    !parent.cli.version) {
		fprintf(stderr, "gatehouse: config has %d error%s\n",
		    diag.nerrors, diag.nerrors == 1 ? "" : "s");
		return 1;
	}
	if (parent.cli.help) {
		usage();
		return 0;
	}
	if (parent.cli.version) {
		printf("gatehouse %s\n", GATEHOUSE_VERSION);
		return 0;
	}
	if (parent.cli.test) {
		fprintf(stderr, "gatehouse: configuration is valid\n");
		config_free(&cf);
		return 0;
	}
	set_libexec();
	if (geteuid() == 0 && sandbox_chroot_prepare(cf.chroot_dir) == -1)
		fatalx("chroot directory %s is unsafe", cf.chroot_dir);
	apply_logging(&cf);
	if ((parent.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	signals_init();
	start_gen(&cf);
	event_base_dispatch(parent.base);
	log_info("stopped");
	return parent.exit_code;
}
