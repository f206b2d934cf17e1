/*
 * Redis Cluster (see redis_modes.h): a slot map, a connection per node,
 * each command routed by the slot of its key.
 *
 * The map comes from CLUSTER SLOTS (Redis 3.0 and later; 7.0 deprecates
 * it for CLUSTER SHARDS but answers it the same), asked of any node that
 * is up: first the seeds of redis_cluster_connection_urls, then the nodes
 * of the map in turn.  Only masters get slots and connections.  The map
 * is asked again every CLUSTER_REFRESH_MS (CLUSTER_REFRESH_DOWN_MS while
 * the client is down), soon after a node is up, a MOVED, a lost
 * connection or CLUSTERDOWN (never twice within CLUSTER_REFRESH_MIN_MS).
 * A node that owns no slot, is no seed and has not been used for a
 * while is dropped with its connection; one that appears gets a
 * connection.
 *
 * A command goes to the owner of CRC16(key) & 16383, the key's hash tag
 * ("{...}", the first '{' and the first '}' after it, not empty) taking
 * the key's place.  MOVED sets the slot's owner and asks for the map;
 * ASK sends ASKING and the command to the named node, the map unchanged;
 * both re-send the command, at most CLUSTER_REDIRECTS_MAX times.  A node
 * whose connection was never up (just named by the map, a MOVED or an
 * ASK) is waited for within the command timeout; one that was up and is
 * down refuses at once, as does a slot without an owner.
 *
 * Up: every slot has an owner and every owner's connection is up.  A
 * master down is the cluster down until Redis fails it over, which is
 * also how Redis itself answers with its default
 * cluster-require-full-coverage; commands for the other nodes' slots
 * still go through meanwhile.
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

#define CLUSTER_SLOTS		16384
#define CLUSTER_NODES_MAX	1024	/* node addresses known at once */
#define CLUSTER_REDIRECTS_MAX	5	/* MOVED and ASK for one command */
#define CLUSTER_REFRESH_MS	10000
#define CLUSTER_REFRESH_DOWN_MS	1000	/* while not up */
#define CLUSTER_REFRESH_MIN_MS	200
/* An address and a connection's error. */
#define CLUSTER_ERROR_MAX	(REDIS_HOST_MAX + REDIS_ERROR_MAX + 64)

struct creq;
TAILQ_HEAD(creqs, creq);

struct cnode {
	TAILQ_ENTRY(cnode)	 entry;
	struct redis_cluster	*c;
	char			 host[REDIS_HOST_MAX + 1];
	int			 port;
	struct redis_conn	*conn;
	int			 seed, ever_up;
	size_t			 owns;		/* slots */
	size_t			 sent;		/* commands unanswered */
	int64_t			 used;		/* last sent to */
	struct creqs		 waiting;	/* for its first "up" */
};
TAILQ_HEAD(cnodes, cnode);

/* A command: its arguments kept for a redirection. */
struct creq {
	TAILQ_ENTRY(creq)	 entry;		/* waiting or failed */
	TAILQ_ENTRY(creq)	 all;
	struct redis_cluster	*c;
	struct cnode		*node;		/* sent to or waiting for */
	redis_reply_fn		 done;
	void			*arg;
	int			 argc;
	const char		**argv;
	size_t			*lens;
	size_t			 size;		/* of the copy */
	int			 redirects, asking;
	int64_t			 deadline;
	struct event		*wait_ev;
	const char		*why;		/* refused: why */
};

struct redis_cluster {
	struct event_base	*base;
	struct redis_env	*env;
	char			*username, *password;
	int			 tls, command_ms, idle_sec;
	redis_state_fn		 state_fn;
	void			*arg;

	struct cnodes		 nodes;
	size_t			 nnodes;
	struct cnode		*slot[CLUSTER_SLOTS];
	struct cnode		*next[CLUSTER_SLOTS];	/* being parsed */
	size_t			 covered;
	int			 up;

	struct cnode		*asked;		/* CLUSTER SLOTS sent to */
	int			 again;		/* refresh once it answers */
	int64_t			 last_refresh, refresh_at;
	struct event		*refresh_ev, *failed_ev;

	struct creqs		 all, failed;
	size_t			 nreqs;
	char			 error[CLUSTER_ERROR_MAX];
};

static void	cluster_refresh_soon(struct redis_cluster *);
static int	creq_send(struct creq *);

/* --- slots -------------------------------------------------------------- */

/* CRC16-CCITT (XMODEM), as Redis Cluster has it. */
static uint16_t
cluster_crc16(const unsigned char *p, size_t len)
{
	uint16_t	crc = 0;
	int		i;

	while (len-- > 0) {
		crc ^= (uint16_t)(*p++ << 8);
		for (i = 0; i < 8; i++)
			crc = crc & 0x8000 ? (uint16_t)((crc << 1) ^ 0x1021) :
			    (uint16_t)(crc << 1);
	}
	return crc;
}

unsigned int
redis_cluster_slot(const char *key, size_t len)
{
	const char	*open, *close;

	if (key == NULL)
		return 0;
	if ((open = memchr(key, '{', len)) != NULL &&
	    (close = memchr(open + 1, '}', len - (size_t)(open + 1 - key))) !=
	    NULL && close > open + 1) {
		key = open + 1;
		len = (size_t)(close - key);
	}
	return cluster_crc16((const unsigned char *)key, len) &
	    (CLUSTER_SLOTS - 1);
}

/* --- the client's state ------------------------------------------------- */

static int
cluster_is_up(const struct redis_cluster *c)
{
	const struct cnode	*n;

	if (c->covered != CLUSTER_SLOTS)
		return 0;
	TAILQ_FOREACH(n, &c->nodes, entry)
		if (n->owns > 0 && (n->conn == NULL || !redis_conn_up(n->conn)))
			return 0;
	return 1;
}

static void
cluster_report(struct redis_cluster *c)
{
	int	up = cluster_is_up(c);

	if (up == c->up)
		return;
	c->up = up;
	if (up)
		log_info("redis: cluster: every slot is served");
	if (c->state_fn != NULL)
		c->state_fn(c->arg, up);
}

/* --- nodes -------------------------------------------------------------- */

static const char *
cnode_name(const struct cnode *n, char *buf, size_t len)
{
	if (strchr(n->host, ':') != NULL)
		snprintf(buf, len, "[%s]:%d", n->host, n->port);
	else
		snprintf(buf, len, "%s:%d", n->host, n->port);
	return buf;
}

static void
creq_free(struct creq *q)
{
	struct redis_cluster	*c = q->c;

	TAILQ_REMOVE(&c->all, q, all);
	c->nreqs--;
	if (q->wait_ev != NULL)
		event_free(q->wait_ev);
	explicit_bzero(q->argv, q->size);
	free(q->argv);
	free(q);
}

static void
creq_finish(struct creq *q, const redisReply *reply, const char *error)
{
	q->done(q->arg, reply, error);
	creq_free(q);
}

/* The node is up for the first time: what waited for it is sent. */
static void
cnode_flush(struct cnode *n)
{
	struct creqs	 q;
	struct creq	*r;

	TAILQ_INIT(&q);
	TAILQ_CONCAT(&q, &n->waiting, entry);
	while ((r = TAILQ_FIRST(&q)) != NULL) {
		TAILQ_REMOVE(&q, r, entry);
		evtimer_del(r->wait_ev);
		if (creq_send(r) == -1)
			creq_finish(r, NULL, "cannot queue the command");
	}
}

static void
cnode_state(void *arg, int up)
{
	struct cnode		*n = arg;
	struct redis_cluster	*c = n->c;
	char			 name[REDIS_HOST_MAX + 8];

	if (up) {
		n->ever_up = 1;
		cnode_flush(n);
		cluster_refresh_soon(c);
	} else {
		snprintf(c->error, sizeof(c->error), "%s: %s",
		    cnode_name(n, name, sizeof(name)),
		    redis_conn_error(n->conn));
		if (n->owns > 0)
			cluster_refresh_soon(c);
	}
	cluster_report(c);
}

static struct cnode *
cnode_find(struct redis_cluster *c, const char *host, int port)
{
	struct cnode	*n;

	TAILQ_FOREACH(n, &c->nodes, entry)
		if (n->port == port && strcmp(n->host, host) == 0)
			return n;
	return NULL;
}

/* The node at host:port, with a connection; NULL when none can be made. */
static struct cnode *
cnode_get(struct redis_cluster *c, const char *host, int port)
{
	struct redis_conn_opts	 co;
	struct cnode		*n;
	char			 err[REDIS_ERROR_MAX];

	if ((n = cnode_find(c, host, port)) != NULL)
		return n;
	if (c->nnodes >= CLUSTER_NODES_MAX || strlen(host) > REDIS_HOST_MAX ||
	    (n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->c = c;
	snprintf(n->host, sizeof(n->host), "%s", host);
	n->port = port;
	TAILQ_INIT(&n->waiting);
	n->used = redis_now_ms();
	memset(&co, 0, sizeof(co));
	co.host = host;
	co.port = port;
	co.tls = c->tls;
	co.username = c->username;
	co.password = c->password;
	co.command_timeout_ms = co.connect_timeout_ms = c->command_ms;
	co.idle_timeout_sec = c->idle_sec;
	co.role = "redis";
	co.state = cnode_state;
	co.arg = n;
	if ((n->conn = redis_conn_new(c->env, &co, err, sizeof(err))) ==
	    NULL) {
		snprintf(c->error, sizeof(c->error), "%s:%d: %s", host, port,
		    err);
		free(n);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&c->nodes, n, entry);
	c->nnodes++;
	return n;
}

static void
cnode_free(struct redis_cluster *c, struct cnode *n)
{
	TAILQ_REMOVE(&c->nodes, n, entry);
	c->nnodes--;
	redis_conn_free(n->conn);
	free(n);
}

/*
 * Counts each node's slots, and drops those with none that nothing
 * needs: not a seed, no command sent or waiting, not being asked, not
 * sent to for CLUSTER_REFRESH_MS (the target of ASK during a migration).
 */
static void
cluster_gc(struct redis_cluster *c)
{
	struct cnode	*n, *tmp;
	char		 name[REDIS_HOST_MAX + 8];
	size_t		 i;

	TAILQ_FOREACH(n, &c->nodes, entry)
		n->owns = 0;
	c->covered = 0;
	for (i = 0; i < CLUSTER_SLOTS; i++)
		if (c->slot[i] != NULL) {
			c->slot[i]->owns++;
			c->covered++;
		}
	for (n = TAILQ_FIRST(&c->nodes); n != NULL; n = tmp) {
		tmp = TAILQ_NEXT(n, entry);
		if (n->owns > 0 || n->seed || n->sent > 0 ||
		    !TAILQ_EMPTY(&n->waiting) || n == c->asked ||
		    redis_now_ms() - n->used < CLUSTER_REFRESH_MS)
			continue;
		log_info("redis: cluster: %s serves no slot; closed",
		    cnode_name(n, name, sizeof(name)));
		cnode_free(c, n);
	}
}

/* --- the slot map ------------------------------------------------------- */

/*
 * One range, [start, end, [host, port, id...], replicas...]: its slots
 * go to the master in next[].  A master without a known address ("?")
 * leaves its slots without an owner; a NULL or empty host is the one
 * that was asked.
 */
static int
cluster_range(struct redis_cluster *c, const redisReply *r,
    const struct cnode *asked)
{
	const redisReply	*m, *h;
	struct cnode		*n;
	char			 host[REDIS_HOST_MAX + 1];
	long long		 i;

	if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER ||
	    r->element[1]->type != REDIS_REPLY_INTEGER ||
	    r->element[0]->integer < 0 || r->element[1]->integer >=
	    CLUSTER_SLOTS || r->element[0]->integer > r->element[1]->integer ||
	    (m = r->element[2])->type != REDIS_REPLY_ARRAY || m->elements < 2 ||
	    m->element[1]->type != REDIS_REPLY_INTEGER ||
	    m->element[1]->integer < 1 || m->element[1]->integer > 65535)
		return -1;
	h = m->element[0];
	if (h->type == REDIS_REPLY_NIL || (h->type == REDIS_REPLY_STRING &&
	    h->len == 0))
		snprintf(host, sizeof(host), "%s", asked->host);
	else if (h->type != REDIS_REPLY_STRING || h->len > REDIS_HOST_MAX ||
	    memchr(h->str, '\0', h->len) != NULL)
		return -1;
	else if (h->len == 1 && h->str[0] == '?')
		return 0;
	else
		snprintf(host, sizeof(host), "%.*s", (int)h->len, h->str);
	if ((n = cnode_get(c, host, (int)m->element[1]->integer)) == NULL)
		return -1;
	for (i = r->element[0]->integer; i <= r->element[1]->integer; i++)
		c->next[i] = n;
	return 0;
}

/* Why a CLUSTER SLOTS reply is not used. */
static void
cluster_slots_failed(struct redis_cluster *c, const struct cnode *asked,
    const redisReply *reply, const char *error)
{
	char	name[REDIS_HOST_MAX + 8];

	if (reply == NULL)
		snprintf(c->error, sizeof(c->error), "%s: CLUSTER SLOTS: %s",
		    cnode_name(asked, name, sizeof(name)), error);
	else if (reply->type == REDIS_REPLY_ERROR)
		snprintf(c->error, sizeof(c->error), "%s: CLUSTER SLOTS: %.*s",
		    cnode_name(asked, name, sizeof(name)), (int)(reply->len >
		    200 ? 200 : reply->len), reply->str);
	else
		snprintf(c->error, sizeof(c->error), "%s: CLUSTER SLOTS: %s",
		    cnode_name(asked, name, sizeof(name)), reply->type ==
		    REDIS_REPLY_ARRAY && reply->elements == 0 ?
		    "no slot assigned" : "bad reply");
	log_warnx("redis: cluster: %s", c->error);
}

/*
 * A map replaces the old one whole; an error, a bad reply or an empty
 * map leaves it as it was, and another node is asked soon.
 */
static void
cluster_slots_reply(void *arg, const redisReply *reply, const char *error)
{
	struct redis_cluster	*c = arg;
	struct cnode		*asked = c->asked;
	size_t			 i, before = c->covered;
	int			 ok;

	asked->sent--;
	ok = reply != NULL && reply->type == REDIS_REPLY_ARRAY &&
	    reply->elements > 0;
	memset(c->next, 0, sizeof(c->next));
	for (i = 0; ok && i < reply->elements; i++)
		if (cluster_range(c, reply->element[i], asked) == -1)
			ok = 0;
	if (ok)
		memcpy(c->slot, c->next, sizeof(c->slot));
	else
		cluster_slots_failed(c, asked, reply, error);
	/* The next map is asked of another node. */
	TAILQ_REMOVE(&c->nodes, asked, entry);
	TAILQ_INSERT_TAIL(&c->nodes, asked, entry);
	c->asked = NULL;
	cluster_gc(c);
	if (ok && c->covered != before)
		log_info("redis: cluster: %zu of %d slots have a master",
		    c->covered, CLUSTER_SLOTS);
	cluster_report(c);
	if (!ok || c->again) {
		c->again = 0;
		cluster_refresh_soon(c);
	}
}

/* CLUSTER SLOTS to the first node that is up. */
static void
cluster_refresh(struct redis_cluster *c)
{
	const char	*argv[] = { "CLUSTER", "SLOTS" };
	struct cnode	*n;

	if (c->asked != NULL)
		return;
	TAILQ_FOREACH(n, &c->nodes, entry)
		if (redis_conn_up(n->conn))
			break;
	if (n == NULL)
		return;		/* cnode_state calls again */
	if (redis_conn_command(n->conn, cluster_slots_reply, c, 2, argv,
	    NULL) == -1)
		return;
	c->asked = n;
	n->sent++;
	c->last_refresh = redis_now_ms();
}

static void
cluster_schedule(struct redis_cluster *c, int64_t ms)
{
	int64_t	at = redis_now_ms() + ms;

	if (evtimer_pending(c->refresh_ev, NULL) && c->refresh_at <= at)
		return;
	c->refresh_at = at;
	redis_timer(c->refresh_ev, ms);
}

static void
cluster_refresh_soon(struct redis_cluster *c)
{
	if (c->asked != NULL) {
		c->again = 1;
		return;
	}
	cluster_schedule(c, c->last_refresh + CLUSTER_REFRESH_MIN_MS -
	    redis_now_ms());
}

static void
cluster_refresh_cb(evutil_socket_t fd, short what, void *arg)
{
	struct redis_cluster	*c = arg;

	(void)fd;
	(void)what;
	cluster_refresh(c);
	cluster_schedule(c, c->up ? CLUSTER_REFRESH_MS :
	    CLUSTER_REFRESH_DOWN_MS);
}

/* --- commands ----------------------------------------------------------- */

static void
cluster_failed_cb(evutil_socket_t fd, short what, void *arg)
{
	struct redis_cluster	*c = arg;
	struct creqs		 q;
	struct creq		*r;

	(void)fd;
	(void)what;
	TAILQ_INIT(&q);
	TAILQ_CONCAT(&q, &c->failed, entry);
	while ((r = TAILQ_FIRST(&q)) != NULL) {
		TAILQ_REMOVE(&q, r, entry);
		creq_finish(r, NULL, r->why);
	}
}

static void
creq_refuse(struct creq *q, const char *why)
{
	struct redis_cluster	*c = q->c;

	q->why = why;
	TAILQ_INSERT_TAIL(&c->failed, q, entry);
	event_active(c->failed_ev, 0, 0);
}

static void
creq_wait_cb(evutil_socket_t fd, short what, void *arg)
{
	struct creq	*q = arg;

	(void)fd;
	(void)what;
	TAILQ_REMOVE(&q->node->waiting, q, entry);
	creq_finish(q, NULL, "timeout: the node is not connected");
}

static void
cluster_asking_reply(void *arg, const redisReply *reply, const char *error)
{
	(void)arg;
	(void)reply;
	(void)error;
}

static void	creq_reply(void *, const redisReply *, const char *);

/* To q->node, or waiting for its first connection. */
static int
creq_send(struct creq *q)
{
	struct cnode	*n = q->node;
	const char	*asking[] = { "ASKING" };

	if (!n->ever_up && !redis_conn_up(n->conn)) {
		if (q->wait_ev == NULL && (q->wait_ev = evtimer_new(q->c->base,
		    creq_wait_cb, q)) == NULL)
			return -1;
		TAILQ_INSERT_TAIL(&n->waiting, q, entry);
		redis_timer(q->wait_ev, q->deadline - redis_now_ms());
		return 0;
	}
	if (q->asking && redis_conn_command(n->conn, cluster_asking_reply,
	    NULL, 1, asking, NULL) == -1)
		return -1;
	if (redis_conn_command(n->conn, creq_reply, q, q->argc, q->argv,
	    q->lens) == -1)
		return -1;
	n->sent++;
	n->used = redis_now_ms();
	return 0;
}

/* "MOVED 3999 127.0.0.1:6381": the slot and the node. */
static struct cnode *
creq_target(struct creq *q, const redisReply *r, const char *code,
    long *slot)
{
	char		 buf[REDIS_HOST_MAX + 32], *p, *colon, *end;
	const char	*host;
	long		 port;
	size_t		 len = strlen(code);

	if (r->len <= len + 1 || r->len >= sizeof(buf) ||
	    memcmp(r->str, code, len) != 0 || r->str[len] != ' ')
		return NULL;
	memcpy(buf, r->str + len + 1, r->len - len - 1);
	buf[r->len - len - 1] = '\0';
	*slot = strtol(buf, &p, 10);
	if (p == buf || *p != ' ' || *slot < 0 || *slot >= CLUSTER_SLOTS ||
	    (colon = strrchr(++p, ':')) == NULL)
		return NULL;
	*colon = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535)
		return NULL;
	/* An empty host: the node that answered, on that port. */
	host = *p == '\0' ? q->node->host : p;
	if (*host == '[' && host[strlen(host) - 1] == ']') {
		host++;
		p[strlen(p) - 1] = '\0';
	}
	return cnode_get(q->c, host, (int)port);
}

/* MOVED or ASK: sent again, to the node named.  1 when it was. */
static int
creq_redirect(struct creq *q, const redisReply *r)
{
	struct redis_cluster	*c = q->c;
	struct cnode		*n;
	long			 slot;
	int			 ask;

	if ((n = creq_target(q, r, "MOVED", &slot)) != NULL)
		ask = 0;
	else if ((n = creq_target(q, r, "ASK", &slot)) != NULL)
		ask = 1;
	else
		return 0;
	if (!ask) {
		c->slot[slot] = n;
		cluster_refresh_soon(c);
	}
	if (++q->redirects > CLUSTER_REDIRECTS_MAX) {
		creq_finish(q, NULL, "too many redirections (MOVED, ASK)");
		return 1;
	}
	q->node = n;
	q->asking = ask;
	q->deadline = redis_now_ms() + c->command_ms;
	if (creq_send(q) == -1)
		creq_finish(q, NULL, "cannot queue the command");
	return 1;
}

static int
reply_code(const redisReply *r, const char *code)
{
	size_t	len = strlen(code);

	return r->len >= len && memcmp(r->str, code, len) == 0 &&
	    (r->len == len || r->str[len] == ' ');
}

static void
creq_reply(void *arg, const redisReply *reply, const char *error)
{
	struct creq		*q = arg;
	struct redis_cluster	*c = q->c;

	q->node->sent--;
	if (reply == NULL)
		cluster_refresh_soon(c);
	else if (reply->type == REDIS_REPLY_ERROR) {
		if ((reply_code(reply, "MOVED") || reply_code(reply, "ASK")) &&
		    creq_redirect(q, reply))
			return;
		if (reply_code(reply, "CLUSTERDOWN"))
			cluster_refresh_soon(c);
	}
	creq_finish(q, reply, error);
}

/* A command and a copy of its arguments, in one allocation. */
static struct creq *
creq_new(struct redis_cluster *c, redis_reply_fn done, void *arg, int argc,
    const char **argv, const size_t *argvlen)
{
	struct creq	*q;
	char		*p;
	size_t		 len, total = 0;
	int		 i;

	for (i = 0; i < argc; i++) {
		len = argvlen != NULL ? argvlen[i] : strlen(argv[i]);
		if (len > REDIS_CONN_OUTPUT_MAX || (total += len) >
		    REDIS_CONN_OUTPUT_MAX)
			return NULL;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->size = (size_t)argc * (sizeof(char *) + sizeof(size_t)) + total;
	if ((q->argv = malloc(q->size)) == NULL) {
		free(q);
		return NULL;
	}
	q->lens = (size_t *)(q->argv + argc);
	p = (char *)(q->lens + argc);
	for (i = 0; i < argc; i++) {
		q->lens[i] = argvlen != NULL ? argvlen[i] : strlen(argv[i]);
		memcpy(p, argv[i], q->lens[i]);
		q->argv[i] = p;
		p += q->lens[i];
	}
	q->c = c;
	q->argc = argc;
	q->done = done;
	q->arg = arg;
	q->deadline = redis_now_ms() + c->command_ms;
	TAILQ_INSERT_TAIL(&c->all, q, all);
	c->nreqs++;
	return q;
}

int
redis_cluster_command(struct redis_cluster *c, const char *key,
    size_t keylen, redis_reply_fn done, void *arg, int argc,
    const char **argv, const size_t *argvlen)
{
	struct creq	*q;

	if (argc < 1 || argv == NULL || done == NULL ||
	    c->nreqs >= REDIS_CONN_PENDING_MAX ||
	    (q = creq_new(c, done, arg, argc, argv, argvlen)) == NULL)
		return -1;
	if ((q->node = c->slot[redis_cluster_slot(key, keylen)]) == NULL) {
		cluster_refresh_soon(c);
		creq_refuse(q, c->covered == 0 ? "not connected: no slot map "
		    "yet" : "not connected: no master serves the slot");
		return 0;
	}
	if (creq_send(q) == -1) {
		creq_free(q);
		return -1;
	}
	return 0;
}

/* --- the API ------------------------------------------------------------ */

static int
cluster_secret(const char *in, char **out)
{
	*out = NULL;
	if (in == NULL || *in == '\0')
		return 0;
	return (*out = strdup(in)) == NULL ? -1 : 0;
}

static int
cluster_seeds(struct redis_cluster *c, const struct redis_mode_opts *o,
    char *err, size_t errlen)
{
	struct cnode	*n;
	size_t		 i;

	for (i = 0; i < o->nurls; i++) {
		if ((n = cnode_get(c, o->urls[i].host, o->urls[i].port)) ==
		    NULL) {
			snprintf(err, errlen, "redis_cluster_connection_urls: "
			    "%s", c->error[0] != '\0' ? c->error :
			    "out of memory");
			return -1;
		}
		n->seed = 1;
	}
	return 0;
}

struct redis_cluster *
redis_cluster_new(const struct redis_mode_opts *o, char *err, size_t errlen)
{
	struct redis_cluster	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->base = o->base;
	c->env = o->env;
	c->tls = o->tls;
	c->command_ms = o->command_timeout_ms;
	c->idle_sec = o->idle_timeout_sec;
	c->state_fn = o->state;
	c->arg = o->arg;
	TAILQ_INIT(&c->nodes);
	TAILQ_INIT(&c->all);
	TAILQ_INIT(&c->failed);
	snprintf(err, errlen, "out of memory");
	if (cluster_secret(o->username, &c->username) == -1 ||
	    cluster_secret(o->password, &c->password) == -1 ||
	    (c->refresh_ev = evtimer_new(c->base, cluster_refresh_cb, c)) ==
	    NULL || (c->failed_ev = event_new(c->base, -1, 0,
	    cluster_failed_cb, c)) == NULL || cluster_seeds(c, o, err,
	    errlen) == -1) {
		redis_cluster_free(c);
		return NULL;
	}
	cluster_schedule(c, CLUSTER_REFRESH_MS);
	return c;
}

static void
cluster_wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void
redis_cluster_free(struct redis_cluster *c)
{
	struct cnode	*n;
	struct creq	*q;

	if (c == NULL)
		return;
	while ((n = TAILQ_FIRST(&c->nodes)) != NULL)
		cnode_free(c, n);
	while ((q = TAILQ_FIRST(&c->all)) != NULL)
		creq_free(q);
	if (c->refresh_ev != NULL)
		event_free(c->refresh_ev);
	if (c->failed_ev != NULL)
		event_free(c->failed_ev);
	cluster_wipe_free(c->username);
	cluster_wipe_free(c->password);
	free(c);
}

int
redis_cluster_up(const struct redis_cluster *c)
{
	return c->up;
}

/* The last failure, else why a node (a seed, at first) cannot connect. */
const char *
redis_cluster_error(const struct redis_cluster *c)
{
	const struct cnode	*n;

	if (c->error[0] != '\0')
		return c->error;
	TAILQ_FOREACH(n, &c->nodes, entry)
		if (*redis_conn_error(n->conn) != '\0')
			return redis_conn_error(n->conn);
	return "";
}
