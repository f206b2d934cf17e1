/*
 * The start-up and parent protocol shared by gatehouse-proxy,
 * gatehouse-authd and gatehouse-sessiond.
 */
#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "sandbox.h"

static int	child_add_peer(struct child *, struct imsg_in *, int *);

static void
child_apply_logging(const struct config *cf)
{
	enum log_target	t;
	enum log_format	f;
	enum log_level	lv;

	if (log_target_parse(cf->log_target, &t) == -1 ||
	    log_format_parse(cf->log_format, &f) == -1 ||
	    log_level_parse(cf->log_level, &lv) == -1)
		fatalx("config: bad logging settings from parent");
	log_set(t, f, lv);
}

/*
 * IMSG_CONF_START body: u32 instance, u32 number of listening fds n, then
 * n u32: 1 where that listener speaks TLS, else 0.
 */
static void
recv_start(struct child *c, struct imsg_in *in)
{
	uint32_t	i;

	if (in->hdr.type != IMSG_CONF_START ||
	    imsg_get_u32(in, &c->instance) == -1 ||
	    imsg_get_u32(in, &c->nlisten) == -1 ||
	    c->nlisten > PROXY_MAX_LISTENERS)
		fatalx("config: expected IMSG_CONF_START, got %s",
		    imsg_type_name(in->hdr.type));
	for (i = 0; i < c->nlisten; i++)
		if (imsg_get_u32(in, &c->listen_tls[i]) == -1)
			fatalx("config: malformed IMSG_CONF_START");
	if (imsg_end(in) == -1)
		fatalx("config: malformed IMSG_CONF_START");
}

/* Blocking: nothing else can happen before the child knows its config. */
static void
recv_config(struct child *c)
{
	static uint8_t	buf[IMSG_MAX_SIZE];
	struct imsg_in	in;
	int		n, started = 0;

	for (;;) {
		if ((n = chan_recv_blocking(FD_PARENT, buf, sizeof(buf),
		    NULL)) <= 0)
			fatal("config: parent channel closed");
		if (imsg_parse(&in, buf, (size_t)n) == -1)
			fatalx("config: malformed message from parent");
		if (!started) {
			recv_start(c, &in);
			started = 1;
		} else if (in.hdr.type == IMSG_CONF_KEY) {
			if (config_recv_key(&c->cf, &in) == -1)
				fatalx("config: malformed key from parent");
		} else if (in.hdr.type == IMSG_CONF_DONE &&
		    imsg_end(&in) == 0) {
			/* The slice may have carried secrets: none stays here. */
			explicit_bzero(buf, sizeof(buf));
			return;
		}
		else
			fatalx("config: unexpected %s from parent",
			    imsg_type_name(in.hdr.type));
	}
}

static void
child_sigterm(evutil_socket_t sig, short ev, void *arg)
{
	struct child	*c = arg;

	(void)sig;
	(void)ev;
	/* Stopping is the parent's call (IMSG_DRAIN); a stray TERM ends us. */
	log_info("terminated by signal");
	event_base_loopexit(c->base, NULL);
}

#ifdef GH_TEST_HOOKS
/* Test builds only: SIGUSR2 makes a syscall no allowlist has. */
static void
test_sandbox(evutil_socket_t sig, short ev, void *arg)
{
	(void)sig;
	(void)ev;
	(void)arg;
	log_info("test hook: calling mkdir, which the sandbox refuses");
	(void)mkdir("/gatehouse-sandbox-test", 0700);
	log_warnx("test hook: mkdir was not refused");
}

/* Test builds only: SIGWINCH makes a worker send its peers garbage. */
static void
test_garbage(evutil_socket_t sig, short ev, void *arg)
{
	struct child	*c = arg;
	size_t		 i;

	(void)sig;
	(void)ev;
	log_info("test hook: sending a parent's message to every peer");
	for (i = 0; i < CHILD_MAX_PEERS; i++)
		if (c->peers[i].chan != NULL)
			chan_sendv(c->peers[i].chan, IMSG_CONF_DONE, 0);
}
#endif

void
child_init(struct child *c, enum gh_role role, int argc, char **argv)
{
	(void)argv;
	memset(c, 0, sizeof(*c));
	c->role = role;
	log_init(LOG_TARGET_STDERR, LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	log_procinit(role_name(role));
	if (argc != 1)
		fatalx("started with arguments: %s is started by gatehouse(8)",
		    role_name(role));
	/* A broken peer must not kill us with SIGPIPE mid-write. */
	signal(SIGPIPE, SIG_IGN);
	config_init(&c->cf);
	recv_config(c);
	child_apply_logging(&c->cf);
	if ((c->base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	c->ev_sigterm = evsignal_new(c->base, SIGTERM, child_sigterm, c);
	if (c->ev_sigterm == NULL || evsignal_add(c->ev_sigterm, NULL) == -1)
		fatalx("signal set-up failed");
#ifdef GH_TEST_HOOKS
	if (event_add(evsignal_new(c->base, SIGUSR2, test_sandbox, NULL),
	    NULL) == -1 || (role == ROLE_PROXY && event_add(evsignal_new(
	    c->base, SIGWINCH, test_garbage, c), NULL) == -1))
		fatalx("test hook set-up failed");
#endif
}

static const char *
role_user(const struct config *cf, enum gh_role role)
{
	switch (role) {
	case ROLE_PROXY:
		return cf->proxy_user;
	case ROLE_AUTHD:
		return cf->authd_user;
	case ROLE_SESSIOND:
		return cf->sessiond_user;
	default:
		fatalx("no user for role %s", role_name(role));
	}
}

void
child_sandbox(struct child *c)
{
	struct sandbox_opts	opts;

	opts.role = c->role;
	opts.user = role_user(&c->cf, c->role);
	opts.chroot_dir = c->cf.chroot_dir;
	opts.debug = c->cf.sandbox_debug;
	opts.ro_dirs = c->ro_dirs;
	opts.nro_dirs = c->nro_dirs;
	sandbox_enter(&opts);
}

static void
parent_closed(struct chan *ch, void *arg)
{
	(void)ch;
	(void)arg;
	/* Without the parent nobody supervises us: stop at once. */
	fatalx("parent channel closed");
}

static int	child_dispatch_parent(struct chan *, struct imsg_in *, int *,
		    void *);

void
child_ready(struct child *c, chan_dispatch_fn peer)
{
	struct imsg_out	m;

	c->dispatch_peer = peer;
	c->parent = chan_new(c->base, FD_PARENT, "parent", 1,
	    child_dispatch_parent, parent_closed, c);
	if (c->parent == NULL)
		fatalx("parent channel set-up failed");
	imsg_compose(&m, IMSG_CONF_ACK, 0);
	if (chan_send(c->parent, &m) == -1)
		fatalx("cannot acknowledge config");
	log_debug("ready, instance %u", c->instance);
}

static int
reopen_log(int *fd)
{
	if (*fd == -1)
		return -1;
	if (dup2(*fd, FD_LOG) == -1)
		log_warn("log reopen");
	return 0;
}


/* Anything else from the parent is a protocol error, and fatal. */
static int
child_dispatch_parent(struct chan *ch, struct imsg_in *in, int *fd, void *arg)
{
	struct child	*c = arg;

	(void)ch;
	switch (in->hdr.type) {
	case IMSG_LOG_REOPEN:
		if (imsg_end(in) == -1 || reopen_log(fd) == -1)
			return -1;
		return 0;
	case IMSG_CHAN_PEER:
		return child_add_peer(c, in, fd);
	case IMSG_DRAIN:
		if (imsg_end(in) == -1)
			return -1;
		if (c->drain != NULL)
			c->drain(c);
		else
			event_base_loopexit(c->base, NULL);
		return 0;
	default:
		return -1;
	}
}

int
child_dispatch_ping(struct chan *ch, struct imsg_in *in, int *fd, void *arg)
{
	(void)fd;
	(void)arg;
	if (in->hdr.type != IMSG_PING)
		return -1;
	return child_answer_ping(ch, in);
}

int
child_answer_ping(struct chan *ch, struct imsg_in *in)
{
	if (imsg_end(in) == -1)
		return -1;
	return chan_sendv(ch, IMSG_PONG, in->hdr.id) == -1 ? -1 : 0;
}

/* Who talks to whom (ARCHITECTURE.md): every other child role but our own. */
static int
peer_allowed(const struct child *c, uint32_t role, uint32_t instance)
{
	if (role == (uint32_t)c->role || !(role & ROLE_CHILDREN))
		return 0;
	if (role == ROLE_PROXY)
		return instance < PROXY_MAX_WORKERS;
	return instance == 0;
}

static size_t
peer_slot(uint32_t role, uint32_t instance)
{
	if (role == ROLE_PROXY)
		return instance;
	return role == ROLE_AUTHD ? PROXY_MAX_WORKERS : PROXY_MAX_WORKERS + 1;
}

/*
 * A worker that sent garbage is not to be trusted with a new channel:
 * the parent replaces it.  IMSG_PEER_BAD body: u32 worker instance, u32
 * its serial, so a late report cannot hit the worker's successor.
 */
static void
peer_closed(struct chan *ch, void *arg)
{
	struct peer	*p = arg;
	struct imsg_out	 m;

	log_debug("channel to %s closed", ch->peer);
	if (ch->proto_error && p->role == ROLE_PROXY &&
	    p->child->parent != NULL) {
		imsg_compose(&m, IMSG_PEER_BAD, 0);
		imsg_add_u32(&m, p->instance);
		imsg_add_u32(&m, p->serial);
		if (chan_send(p->child->parent, &m) == -1)
			log_warnx("cannot ask for %s to be replaced", ch->peer);
	}
	chan_free(ch);
	p->chan = NULL;
}

static const char *
peer_title(uint32_t role)
{
	switch (role) {
	case ROLE_PROXY:
		return "proxy";
	case ROLE_AUTHD:
		return "authd";
	default:
		return "sessiond";
	}
}

/*
 * IMSG_CHAN_PEER body: u32 role of the peer, u32 its instance, u32 which
 * start of that instance it is; fd attached.
 */
static int
child_add_peer(struct child *c, struct imsg_in *in, int *fd)
{
	struct peer	*p;
	uint32_t	 role, inst, serial;
	size_t		 slot;

	if (*fd == -1 || imsg_get_u32(in, &role) == -1 ||
	    imsg_get_u32(in, &inst) == -1 || imsg_get_u32(in, &serial) == -1 ||
	    imsg_end(in) == -1 || !peer_allowed(c, role, inst))
		return -1;
	slot = peer_slot(role, inst);
	p = &c->peers[slot];
	chan_free(p->chan);
	p->role = role;
	p->instance = inst;
	p->serial = serial;
	p->child = c;
	snprintf(c->peer_names[slot], sizeof(c->peer_names[slot]), "%s %u",
	    peer_title(role), inst);
	p->chan = chan_new(c->base, *fd, c->peer_names[slot], 0,
	    c->dispatch_peer, peer_closed, p);
	if (p->chan == NULL)
		return -1;
	*fd = -1;
	log_debug("channel to %s connected", c->peer_names[slot]);
	return 0;
}

struct chan *
child_peer(struct child *c, enum gh_role role, uint32_t instance)
{
	return c->peers[peer_slot(role, instance)].chan;
}
