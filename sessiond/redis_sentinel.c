/*
 * Redis through Sentinel (see redis_modes.h): the master of one name,
 * found by asking the sentinels and followed across failovers.
 *
 * Discovery asks one sentinel at a time, in the order of the URLs (from
 * the last one that answered), SENTINEL get-master-addr-by-name: a
 * sentinel that cannot be reached or does not answer within two command
 * timeouts, or answers an error or nil, is left for the next one.  When
 * every sentinel of a round has failed, the next round starts after a
 * backoff (SENTINEL_ROUND_MIN_MS doubling to SENTINEL_ROUND_MAX_MS).
 * The sentinel that answered keeps two connections: "ask" for the
 * questions, and "sub", opened once it has answered, subscribed to
 * +switch-master (RESP2: a subscribed connection takes no other
 * command).
 *
 * The master gets a connection of its own, with the data nodes' user
 * and password.  It counts as up (and the client with it) only once
 * ROLE, or INFO replication when ROLE is refused, says "master".  A
 * +switch-master for our name, or a discovery that names another
 * address, moves to the new master: the old connection is freed and the
 * commands it had pending fail.  The sentinels are asked again when the
 * master connection goes down, when a command is answered READONLY,
 * LOADING or MASTERDOWN, when the subscription is lost, and every
 * SENTINEL_POLL_MS while no master is confirmed (a node that says it is
 * a replica waits for that poll).
 *
 * While no master is confirmed every command fails at once (from the
 * loop), nothing is queued: sessions fail closed during a failover.
 */
#include <sys/queue.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "log.h"
#include "redis_modes.h"

#define SENTINEL_POLL_MS	1000	/* asking again while no master */
#define SENTINEL_ROUND_MIN_MS	100	/* between two rounds, doubling */
#define SENTINEL_ROUND_MAX_MS	5000
#define SENTINEL_TICK_MS	50	/* looks at a sentinel being asked */
#define SENTINEL_NAME_MAX	256	/* a master's name */
#define SENTINEL_MESSAGE_MAX	1024	/* a +switch-master payload */
#define SENTINEL_CHANNEL	"+switch-master"
/* An address and a connection's error. */
#define SENTINEL_ERROR_MAX	(REDIS_HOST_MAX + REDIS_ERROR_MAX + 64)

struct sentinel_addr {
	char	host[REDIS_HOST_MAX + 1];
	int	port;
};

/* A command sent to the master, or refused and waiting for its callback. */
struct sreq {
	TAILQ_ENTRY(sreq)	 entry;
	struct redis_sentinel	*s;
	redis_reply_fn		 done;
	void			*arg;
	const char		*why;		/* refused: why */
};
TAILQ_HEAD(sreqs, sreq);

struct redis_sentinel {
	struct event_base	*base;
	struct redis_env	*env;
	struct sentinel_addr	*addrs;
	size_t			 naddrs, cur;	/* the sentinel asked */
	char			 name[SENTINEL_NAME_MAX + 1];
	char			*sentinel_password;
	char			*username, *password;
	int			 tls, command_ms, idle_sec;
	redis_state_fn		 state_fn;
	void			*arg;

	struct redis_conn	*ask, *sub;	/* to addrs[cur] */
	int			 asking;	/* a question unanswered */
	int			 discovering, waiting;
	size_t			 round_left;
	int			 round_ms;
	int64_t			 attempt_end;
	int			 subscribed;	/* sub was up before */

	struct redis_conn	*master;
	char			 master_host[REDIS_HOST_MAX + 1];
	int			 master_port;
	int			 master_ok;	/* ROLE said master */
	int			 verifying;
	int			 up;		/* as reported */

	struct event		*attempt_ev;	/* one sentinel, or a round */
	struct event		*poll_ev, *failed_ev;
	struct sreqs		 sent, failed;
	size_t			 nsent, nfailed;
	char			 error[SENTINEL_ERROR_MAX];
};

static void	sentinel_discover(struct redis_sentinel *);
static void	sentinel_attempt(struct redis_sentinel *);
static void	sentinel_master_at(struct redis_sentinel *, const char *,
		    int);
static struct redis_conn *sentinel_conn(struct redis_sentinel *,
		    redis_state_fn, redis_push_fn);
static void	sentinel_sub_state(void *, int);
static void	sentinel_push(void *, const redisReply *);

/* A copy of a secret, or NULL for none; -1 when out of memory. */
static int
sentinel_secret(const char *in, char **out)
{
	*out = NULL;
	if (in == NULL || *in == '\0')
		return 0;
	return (*out = strdup(in)) == NULL ? -1 : 0;
}

static void
sentinel_wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static const char *
sentinel_addr_name(const struct sentinel_addr *a, char *buf, size_t len)
{
	if (strchr(a->host, ':') != NULL)
		snprintf(buf, len, "[%s]:%d", a->host, a->port);
	else
		snprintf(buf, len, "%s:%d", a->host, a->port);
	return buf;
}

static int
reply_is(const redisReply *r, const char *s)
{
	size_t	len = strlen(s);

	return r != NULL && (r->type == REDIS_REPLY_STRING ||
	    r->type == REDIS_REPLY_STATUS) && r->len == len &&
	    memcmp(r->str, s, len) == 0;
}

/* An error reply that says the node is not (or not yet) a usable master. */
static int
reply_not_master(const redisReply *r)
{
	static const char *const codes[] = { "READONLY", "LOADING",
	    "MASTERDOWN" };
	size_t	i, len;

	if (r == NULL || r->type != REDIS_REPLY_ERROR)
		return 0;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		len = strlen(codes[i]);
		if (r->len >= len && memcmp(r->str, codes[i], len) == 0 &&
		    (r->len == len || r->str[len] == ' '))
			return 1;
	}
	return 0;
}

/* --- the client's state ------------------------------------------------- */

static void
sentinel_report(struct redis_sentinel *s)
{
	int	up = s->master != NULL && s->master_ok &&
		    redis_conn_up(s->master);

	if (up == s->up)
		return;
	s->up = up;
	if (s->state_fn != NULL)
		s->state_fn(s->arg, up);
}

/* --- commands ----------------------------------------------------------- */

static void
sentinel_failed_cb(evutil_socket_t fd, short what, void *arg)
{
	struct redis_sentinel	*s = arg;
	struct sreqs		 q;
	struct sreq		*r;

	(void)fd;
	(void)what;
	TAILQ_INIT(&q);
	TAILQ_CONCAT(&q, &s->failed, entry);
	s->nfailed = 0;
	while ((r = TAILQ_FIRST(&q)) != NULL) {
		TAILQ_REMOVE(&q, r, entry);
		r->done(r->arg, NULL, r->why);
		free(r);
	}
}

/* Refused now, called back from the loop. */
static int
sentinel_refuse(struct redis_sentinel *s, redis_reply_fn done, void *arg,
    const char *why)
{
	struct sreq	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -1;
	r->done = done;
	r->arg = arg;
	r->why = why;
	TAILQ_INSERT_TAIL(&s->failed, r, entry);
	s->nfailed++;
	event_active(s->failed_ev, 0, 0);
	return 0;
}

static void
sentinel_reply(void *arg, const redisReply *reply, const char *error)
{
	struct sreq		*r = arg;
	struct redis_sentinel	*s = r->s;

	TAILQ_REMOVE(&s->sent, r, entry);
	s->nsent--;
	if (reply_not_master(reply)) {
		log_warnx("redis: sentinel: master %s:%d answers %.*s; asking "
		    "the sentinels", s->master_host, s->master_port,
		    (int)(reply->len > 100 ? 100 : reply->len), reply->str);
		s->master_ok = 0;
		sentinel_report(s);
		sentinel_discover(s);
	}
	r->done(r->arg, reply, error);
	free(r);
}

int
redis_sentinel_command(struct redis_sentinel *s, redis_reply_fn done,
    void *arg, int argc, const char **argv, const size_t *argvlen)
{
	struct sreq	*r;

	if (argc < 1 || argv == NULL || done == NULL ||
	    s->nsent + s->nfailed >= REDIS_CONN_PENDING_MAX)
		return -1;
	if (s->master == NULL || !s->master_ok)
		return sentinel_refuse(s, done, arg, s->master == NULL ?
		    "not connected: no master known" :
		    "not connected: the master is not confirmed");
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -1;
	r->s = s;
	r->done = done;
	r->arg = arg;
	if (redis_conn_command(s->master, sentinel_reply, r, argc, argv,
	    argvlen) == -1) {
		free(r);
		return -1;
	}
	TAILQ_INSERT_TAIL(&s->sent, r, entry);
	s->nsent++;
	return 0;
}

/* --- the master --------------------------------------------------------- */

static void
sentinel_master_confirmed(struct redis_sentinel *s, const char *how)
{
	s->master_ok = 1;
	log_info("redis: sentinel: master %s is %s:%d (%s)", s->name,
	    s->master_host, s->master_port, how);
	sentinel_report(s);
}

/* Logged once while it lasts: the poll finds it again every second. */
static void
sentinel_not_master(struct redis_sentinel *s, const char *role, size_t len)
{
	char	why[SENTINEL_ERROR_MAX];

	snprintf(why, sizeof(why), "%s:%d is not a master (%.*s)",
	    s->master_host, s->master_port, (int)(len > 32 ? 32 : len), role);
	if (strcmp(why, s->error) != 0)
		log_warnx("redis: sentinel: %s", why);
	memcpy(s->error, why, sizeof(s->error));
	s->master_ok = 0;
	sentinel_report(s);
	/* The poll asks again: not at once, lest we loop with them. */
}

/* INFO replication, when ROLE is refused (an ACL, a renamed command). */
static void
sentinel_info_reply(void *arg, const redisReply *reply, const char *error)
{
	struct redis_sentinel	*s = arg;
	const char		*p;

	(void)error;
	s->verifying = 0;
	if (reply == NULL)
		return;		/* down: the state callback asks again */
	if (reply->type != REDIS_REPLY_STRING) {
		log_warnx("redis: sentinel: neither ROLE nor INFO: cannot "
		    "check that %s:%d is a master; trusting the sentinels",
		    s->master_host, s->master_port);
		sentinel_master_confirmed(s, "unchecked");
		return;
	}
	if ((p = strstr(reply->str, "role:")) == NULL)
		sentinel_not_master(s, "no role", 7);
	else if (strncmp(p + 5, "master", 6) == 0)
		sentinel_master_confirmed(s, "INFO");
	else
		sentinel_not_master(s, p + 5, strcspn(p + 5, "\r\n"));
}

static void
sentinel_role_reply(void *arg, const redisReply *reply, const char *error)
{
	struct redis_sentinel	*s = arg;
	const char		*argv[] = { "INFO", "replication" };
	const redisReply	*role;

	(void)error;
	if (reply == NULL) {
		s->verifying = 0;
		return;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		if (redis_conn_command(s->master, sentinel_info_reply, s, 2,
		    argv, NULL) == -1)
			s->verifying = 0;
		return;
	}
	s->verifying = 0;
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
	    (role = reply->element[0])->type != REDIS_REPLY_STRING)
		sentinel_not_master(s, "bad ROLE reply", 14);
	else if (reply_is(role, "master"))
		sentinel_master_confirmed(s, "ROLE");
	else
		sentinel_not_master(s, role->str, role->len);
}

static void
sentinel_verify(struct redis_sentinel *s)
{
	const char	*argv[] = { "ROLE" };

	if (s->verifying || s->master == NULL)
		return;
	if (redis_conn_command(s->master, sentinel_role_reply, s, 1, argv,
	    NULL) == 0)
		s->verifying = 1;
}

static void
sentinel_master_state(void *arg, int up)
{
	struct redis_sentinel	*s = arg;

	if (up) {
		sentinel_verify(s);
		return;
	}
	s->master_ok = 0;
	snprintf(s->error, sizeof(s->error), "master %s:%d: %s",
	    s->master_host, s->master_port, redis_conn_error(s->master));
	sentinel_report(s);
	sentinel_discover(s);
}

/*
 * The old master's connection is freed, which drops the callbacks of its
 * commands: they fail here.  Commands sent from these callbacks are
 * refused, since there is no master meanwhile.
 */
static void
sentinel_master_drop(struct redis_sentinel *s, const char *why)
{
	struct sreqs	 q;
	struct sreq	*r;

	redis_conn_free(s->master);
	s->master = NULL;
	s->master_ok = s->verifying = 0;
	TAILQ_INIT(&q);
	TAILQ_CONCAT(&q, &s->sent, entry);
	s->nsent = 0;
	sentinel_report(s);
	while ((r = TAILQ_FIRST(&q)) != NULL) {
		TAILQ_REMOVE(&q, r, entry);
		r->done(r->arg, NULL, why);
		free(r);
	}
}

static void
sentinel_master_at(struct redis_sentinel *s, const char *host, int port)
{
	struct redis_conn_opts	co;
	char			err[REDIS_ERROR_MAX];

	if (s->master != NULL && port == s->master_port &&
	    strcmp(host, s->master_host) == 0) {
		/* Not confirmed yet: perhaps promoted since ROLE answered. */
		if (!s->master_ok && redis_conn_up(s->master))
			sentinel_verify(s);
		return;
	}
	if (s->master != NULL)
		log_info("redis: sentinel: master %s moves from %s:%d to %s:%d",
		    s->name, s->master_host, s->master_port, host, port);
	sentinel_master_drop(s, "connection closed: the master changed");
	snprintf(s->master_host, sizeof(s->master_host), "%s", host);
	s->master_port = port;
	memset(&co, 0, sizeof(co));
	co.host = host;
	co.port = port;
	co.tls = s->tls;
	co.username = s->username;
	co.password = s->password;
	co.command_timeout_ms = co.connect_timeout_ms = s->command_ms;
	co.idle_timeout_sec = s->idle_sec;
	co.role = "redis";
	co.state = sentinel_master_state;
	co.arg = s;
	if ((s->master = redis_conn_new(s->env, &co, err, sizeof(err))) ==
	    NULL) {
		snprintf(s->error, sizeof(s->error), "master %s:%d: %s", host,
		    port, err);
		log_warnx("redis: sentinel: %s", s->error);
	}
}

/* --- the sentinels ------------------------------------------------------ */

static void
sentinel_drop(struct redis_sentinel *s)
{
	redis_conn_free(s->ask);
	redis_conn_free(s->sub);
	s->ask = s->sub = NULL;
	s->asking = s->subscribed = 0;
}

/* This sentinel failed: the next one, within the round. */
static void
sentinel_next(struct redis_sentinel *s, const char *why)
{
	char	name[REDIS_HOST_MAX + 8];

	snprintf(s->error, sizeof(s->error), "sentinel %s: %s",
	    sentinel_addr_name(&s->addrs[s->cur], name, sizeof(name)), why);
	log_debug("redis: %s", s->error);
	evtimer_del(s->attempt_ev);
	sentinel_drop(s);
	s->cur = (s->cur + 1) % s->naddrs;
	sentinel_attempt(s);
}

/* [ip, port]: the master's address. */
static void
sentinel_ask_reply(void *arg, const redisReply *reply, const char *error)
{
	struct redis_sentinel	*s = arg;
	const redisReply	*h, *p;
	char			 host[REDIS_HOST_MAX + 1], *end;
	long			 port = 0;

	s->asking = 0;
	if (reply == NULL) {
		sentinel_next(s, error);
		return;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		snprintf(host, sizeof(host), "%.*s", (int)(reply->len > 200 ?
		    200 : reply->len), reply->str);
		sentinel_next(s, host);
		return;
	}
	if (reply->type == REDIS_REPLY_NIL) {
		sentinel_next(s, "does not know the master's name");
		return;
	}
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    (h = reply->element[0])->type != REDIS_REPLY_STRING ||
	    (p = reply->element[1])->type != REDIS_REPLY_STRING ||
	    h->len == 0 || h->len > REDIS_HOST_MAX || p->len == 0 ||
	    p->len > 5 || memchr(h->str, '\0', h->len) != NULL ||
	    (port = strtol(p->str, &end, 10)) < 1 || port > 65535 ||
	    *end != '\0') {
		sentinel_next(s, "bad reply to get-master-addr-by-name");
		return;
	}
	memcpy(host, h->str, h->len);
	host[h->len] = '\0';
	evtimer_del(s->attempt_ev);
	s->discovering = s->waiting = 0;
	s->round_ms = 0;
	if (s->sub == NULL)
		s->sub = sentinel_conn(s, sentinel_sub_state, sentinel_push);
	sentinel_master_at(s, host, (int)port);
}

static void
sentinel_ask(struct redis_sentinel *s)
{
	const char	*argv[] = { "SENTINEL", "get-master-addr-by-name",
			    s->name };

	if (redis_conn_command(s->ask, sentinel_ask_reply, s, 3, argv,
	    NULL) == 0)
		s->asking = 1;
	else
		sentinel_next(s, "cannot send");
}

static void
sentinel_ask_state(void *arg, int up)
{
	struct redis_sentinel	*s = arg;

	if (up && s->discovering && !s->waiting && !s->asking)
		sentinel_ask(s);
}

/* "<name> <old ip> <old port> <new ip> <new port>" */
static void
sentinel_push(void *arg, const redisReply *r)
{
	struct redis_sentinel	*s = arg;
	const redisReply	*ch = r->element[r->elements - 2];
	const redisReply	*msg = r->element[r->elements - 1];
	char			 buf[SENTINEL_MESSAGE_MAX + 1], *f[6], *sp;
	char			*end;
	long			 port;
	int			 n = 0;

	if (!reply_is(ch, SENTINEL_CHANNEL) || msg->type !=
	    REDIS_REPLY_STRING || msg->len > SENTINEL_MESSAGE_MAX)
		return;
	memcpy(buf, msg->str, msg->len);
	buf[msg->len] = '\0';
	for (f[n] = strtok_r(buf, " ", &sp); f[n] != NULL && n < 5;
	    f[n] = strtok_r(NULL, " ", &sp))
		n++;
	if (n != 5 || f[5] != NULL || strcmp(f[0], s->name) != 0)
		return;
	port = strtol(f[4], &end, 10);
	if (*end != '\0' || port < 1 || port > 65535 || strlen(f[3]) >
	    REDIS_HOST_MAX) {
		log_warnx("redis: sentinel: bad %s message", SENTINEL_CHANNEL);
		return;
	}
	log_info("redis: sentinel: %s: %s is now at %s:%s", SENTINEL_CHANNEL,
	    s->name, f[3], f[4]);
	sentinel_master_at(s, f[3], (int)port);
}

static void
sentinel_sub_reply(void *arg, const redisReply *reply, const char *error)
{
	struct redis_sentinel	*s = arg;

	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
		log_warnx("redis: sentinel: SUBSCRIBE %s: %s",
		    SENTINEL_CHANNEL, reply == NULL ? error : reply->type ==
		    REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
		return;
	}
	/* Subscribed again: a switch may have been missed meanwhile. */
	if (s->subscribed)
		sentinel_discover(s);
	s->subscribed = 1;
}

static void
sentinel_sub_state(void *arg, int up)
{
	struct redis_sentinel	*s = arg;
	const char		*argv[] = { "SUBSCRIBE", SENTINEL_CHANNEL };

	if (!up) {
		sentinel_discover(s);
		return;
	}
	if (redis_conn_command(s->sub, sentinel_sub_reply, s, 2, argv,
	    NULL) == -1)
		log_warnx("redis: sentinel: cannot subscribe");
}

static struct redis_conn *
sentinel_conn(struct redis_sentinel *s, redis_state_fn state,
    redis_push_fn push)
{
	const struct sentinel_addr	*a = &s->addrs[s->cur];
	struct redis_conn_opts		 co;
	struct redis_conn		*c;
	char				 err[REDIS_ERROR_MAX];

	memset(&co, 0, sizeof(co));
	co.host = a->host;
	co.port = a->port;
	co.tls = s->tls;
	co.password = s->sentinel_password;
	co.command_timeout_ms = co.connect_timeout_ms = s->command_ms;
	co.role = "sentinel";
	co.state = state;
	co.push = push;
	co.arg = s;
	if ((c = redis_conn_new(s->env, &co, err, sizeof(err))) == NULL)
		snprintf(s->error, sizeof(s->error), "sentinel: %s", err);
	return c;
}

/*
 * Asks the sentinel addrs[cur], within two command timeouts (connecting,
 * then answering); the round's end waits for the backoff.  A first
 * attempt to connect that fails is no state change for redis_conn: the
 * attempt's timer ticks to see its error.
 */
static void
sentinel_attempt(struct redis_sentinel *s)
{
	if (s->round_left == 0) {
		if (s->round_ms == 0)
			s->round_ms = SENTINEL_ROUND_MIN_MS;
		else if ((s->round_ms *= 2) > SENTINEL_ROUND_MAX_MS)
			s->round_ms = SENTINEL_ROUND_MAX_MS;
		log_warnx("redis: sentinel: no sentinel answered (%s); "
		    "asking again in %d ms", s->error, s->round_ms);
		s->waiting = 1;
		redis_timer(s->attempt_ev, s->round_ms);
		return;
	}
	s->round_left--;
	s->waiting = 0;
	if (s->ask == NULL)
		s->ask = sentinel_conn(s, sentinel_ask_state, NULL);
	s->attempt_end = redis_now_ms() + 2 * s->command_ms;
	redis_timer(s->attempt_ev, SENTINEL_TICK_MS);
	if (s->ask != NULL && redis_conn_up(s->ask) && !s->asking)
		sentinel_ask(s);
}

static void
sentinel_attempt_cb(evutil_socket_t fd, short what, void *arg)
{
	struct redis_sentinel	*s = arg;

	(void)fd;
	(void)what;
	if (s->waiting) {
		s->round_left = s->naddrs;
		sentinel_attempt(s);
	} else if (s->ask == NULL)
		sentinel_next(s, "cannot connect");
	else if (!redis_conn_up(s->ask) && *redis_conn_error(s->ask) != '\0')
		sentinel_next(s, redis_conn_error(s->ask));
	else if (redis_now_ms() >= s->attempt_end)
		sentinel_next(s, "no answer in time");
	else
		redis_timer(s->attempt_ev, SENTINEL_TICK_MS);
}

/* A round of questions, unless one is going on. */
static void
sentinel_discover(struct redis_sentinel *s)
{
	if (s->discovering)
		return;
	s->discovering = 1;
	s->round_left = s->naddrs;
	sentinel_attempt(s);
}

static void
sentinel_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct redis_sentinel	*s = arg;

	(void)fd;
	(void)what;
	if (!s->master_ok)
		sentinel_discover(s);
}

/* --- the API ------------------------------------------------------------ */

static int
sentinel_copy(struct redis_sentinel *s, const struct redis_mode_opts *o,
    char *err, size_t errlen)
{
	size_t	i;

	if (strlen(o->master_name) > SENTINEL_NAME_MAX ||
	    strchr(o->master_name, ' ') != NULL) {
		snprintf(err, errlen, "redis_sentinel_master_name: longer "
		    "than %d characters, or with a space", SENTINEL_NAME_MAX);
		return -1;
	}
	snprintf(s->name, sizeof(s->name), "%s", o->master_name);
	if ((s->addrs = calloc(o->nurls, sizeof(*s->addrs))) == NULL)
		return -1;
	s->naddrs = o->nurls;
	for (i = 0; i < o->nurls; i++) {
		snprintf(s->addrs[i].host, sizeof(s->addrs[i].host), "%s",
		    o->urls[i].host);
		s->addrs[i].port = o->urls[i].port;
	}
	if (sentinel_secret(o->sentinel_password, &s->sentinel_password) ==
	    -1 || sentinel_secret(o->username, &s->username) == -1 ||
	    sentinel_secret(o->password, &s->password) == -1)
		return -1;
	return 0;
}

struct redis_sentinel *
redis_sentinel_new(const struct redis_mode_opts *o, char *err, size_t errlen)
{
	struct redis_sentinel	*s;
	struct timeval		 tv;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->base = o->base;
	s->env = o->env;
	s->tls = o->tls;
	s->command_ms = o->command_timeout_ms;
	s->idle_sec = o->idle_timeout_sec;
	s->state_fn = o->state;
	s->arg = o->arg;
	TAILQ_INIT(&s->sent);
	TAILQ_INIT(&s->failed);
	snprintf(err, errlen, "out of memory");
	if (sentinel_copy(s, o, err, errlen) == -1 ||
	    (s->attempt_ev = evtimer_new(s->base, sentinel_attempt_cb, s)) ==
	    NULL || (s->poll_ev = event_new(s->base, -1, EV_PERSIST,
	    sentinel_poll_cb, s)) == NULL || (s->failed_ev = event_new(s->base,
	    -1, 0, sentinel_failed_cb, s)) == NULL) {
		redis_sentinel_free(s);
		return NULL;
	}
	tv.tv_sec = SENTINEL_POLL_MS / 1000;
	tv.tv_usec = (SENTINEL_POLL_MS % 1000) * 1000;
	event_add(s->poll_ev, &tv);
	sentinel_discover(s);
	return s;
}

static void
sentinel_free_reqs(struct sreqs *q)
{
	struct sreq	*r;

	while ((r = TAILQ_FIRST(q)) != NULL) {
		TAILQ_REMOVE(q, r, entry);
		free(r);
	}
}

void
redis_sentinel_free(struct redis_sentinel *s)
{
	if (s == NULL)
		return;
	sentinel_drop(s);
	redis_conn_free(s->master);
	sentinel_free_reqs(&s->sent);
	sentinel_free_reqs(&s->failed);
	if (s->attempt_ev != NULL)
		event_free(s->attempt_ev);
	if (s->poll_ev != NULL)
		event_free(s->poll_ev);
	if (s->failed_ev != NULL)
		event_free(s->failed_ev);
	sentinel_wipe_free(s->sentinel_password);
	sentinel_wipe_free(s->username);
	sentinel_wipe_free(s->password);
	free(s->addrs);
	free(s);
}

int
redis_sentinel_up(const struct redis_sentinel *s)
{
	return s->up;
}

const char *
redis_sentinel_error(const struct redis_sentinel *s)
{
	if (s->master != NULL && *redis_conn_error(s->master) != '\0')
		return redis_conn_error(s->master);
	return s->error;
}
