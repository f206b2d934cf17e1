/*
 * One connection to one Redis server on sessiond's loop (see
 * redis_conn.h), and the environment connections share.
 *
 * A connection is a small state machine: CLOSED (a timer, retry_ev,
 * starts the next attempt), RESOLVING, CONNECTING (a non-blocking
 * connect), TLS (libevent_openssl's handshake), HANDSHAKE (AUTH, SELECT
 * and PING sent, answers awaited) and READY.  One timer bounds a whole
 * attempt; another the oldest command; a third closes an idle
 * connection.  Commands taken while not READY are formatted into "held"
 * and sent once READY; their callbacks wait in the same FIFO as those of
 * sent commands, behind the handshake's.
 *
 * hiredis is used for its formatter and its reply reader only.  Its
 * 0.14 reader has no bound of its own (maxbuf is only the size above
 * which an empty buffer is freed), so the unparsed input is capped here,
 * and array replies are capped through the reader's createArray hook
 * (0.14 would calloc 2^31 pointers for "*2000000000").
 *
 * Every callback into the owner may free this connection: libevent
 * callbacks run between conn_enter and conn_leave, a free inside them
 * only marks the connection dead, and conn_leave destroys it; loops that
 * call the owner check "dead" and the connection's generation (bumped at
 * each close) after each call.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "redis_conn.h"
#include "resolve.h"
#include "tls.h"
#include "unixsock.h"

#define SYSTEM_CA_FALLBACK	"/etc/ssl/certs/ca-certificates.crt"
#define CONN_ADDR_MAX		(REDIS_HOST_MAX + 8)	/* "[host]:port" */
#define CONN_ROLE_MAX		16
#define CONN_TIMEOUT_MIN_MS	10
#define CONN_TIMEOUT_MAX_MS	600000
#define CONN_HANDSHAKE_MAX	3	/* AUTH, SELECT, PING */

struct redis_lookup {
	TAILQ_ENTRY(redis_lookup)	 entry;
	struct redis_env		*env;
	struct redis_conn		*conn;	/* NULL once it is freed */
};
TAILQ_HEAD(redis_lookups, redis_lookup);

struct redis_env {
	struct event_base	*base;
	struct resolver		*resolver;
	SSL_CTX			*tls;
	struct redis_lookups	 lookups;	/* in flight */
};

struct redis_cmd {
	TAILQ_ENTRY(redis_cmd)	 entry;
	redis_reply_fn		 done;
	void			*arg;
	int64_t			 deadline;	/* ms; 0 for the handshake's */
	const char		*handshake;	/* "AUTH"...; NULL: a user's */
	int			 sent;
};
TAILQ_HEAD(redis_cmds, redis_cmd);

enum conn_state {
	CONN_CLOSED,
	CONN_RESOLVING,
	CONN_CONNECTING,
	CONN_TLS,
	CONN_HANDSHAKE,
	CONN_READY,
};

struct redis_conn {
	struct redis_env	*env;
	char			 host[REDIS_HOST_MAX + 1];
	char			 addr[CONN_ADDR_MAX];
	char			 role[CONN_ROLE_MAX];
	int			 port, local, tls, db;
	struct unix_target	 usock;		/* local: the socket */
	char			*username, *password;
	int			 command_ms, connect_ms, idle_ms;
	redis_state_fn		 state_fn;
	redis_push_fn		 push_fn;
	void			*arg;

	enum conn_state		 state;
	int			 up;
	unsigned int		 gen;
	int			 busy, dead;
	int			 fd;		/* while CONNECTING */
	struct bufferevent	*bev;
	redisReader		*reader;
	struct redis_lookup	*lookup;
	char			 addrs[RESOLVE_ADDRS_MAX][INET6_ADDRSTRLEN];
	size_t			 naddrs, next_addr;
	int			 backoff_ms;
	int64_t			 ready_at;
	int			 too_big;	/* an array over the cap */

	struct event		*retry_ev, *attempt_ev, *connect_ev;
	struct event		*deadline_ev, *idle_ev, *failed_ev;
	struct redis_cmds	 pending;	/* sent or held, in order */
	struct redis_cmds	 failed;	/* their callbacks to make */
	size_t			 npending, nfailed;
	struct evbuffer		*held;		/* formatted, not yet sent */
	char			 error[REDIS_ERROR_MAX];
	char			 logged[REDIS_ERROR_MAX];
};

static redisReplyObjectFunctions	  conn_reply_fns;
static void				*(*conn_default_array)(
					    const redisReadTask *, int);

static void	conn_fail(struct redis_conn *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	conn_try(struct redis_conn *, int);
static void	conn_destroy(struct redis_conn *);

int64_t
redis_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
redis_timer(struct event *ev, int64_t ms)
{
	struct timeval	tv;

	if (ms < 0)
		ms = 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

static void
conn_wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* --- the environment --------------------------------------------------- */

/*
 * The system bundle as one file (never the hashed directory, which
 * OpenSSL reads lazily, in the sandbox), then the CA file: oauth2-proxy
 * appends redis_ca_path to the system pool.
 */
static SSL_CTX *
env_tls(const struct redis_env_opts *o, char *err, size_t errlen)
{
	SSL_CTX		*ctx;
	const char	*sys = X509_get_default_cert_file();
	int		 ok;

	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		snprintf(err, errlen, "TLS: %s",
		    ERR_reason_error_string(ERR_get_error()));
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, o->insecure_skip_verify ? SSL_VERIFY_NONE :
	    SSL_VERIFY_PEER, NULL);
	if (access(sys, R_OK) == -1)
		sys = SYSTEM_CA_FALLBACK;
	ok = o->insecure_skip_verify || SSL_CTX_load_verify_file(ctx, sys) ==
	    1 || o->ca_path != NULL;
	ERR_clear_error();
	if (!ok)
		snprintf(err, errlen, "TLS: cannot read the system CA bundle "
		    "%s; set redis_ca_path", sys);
	else if (o->ca_path != NULL &&
	    SSL_CTX_load_verify_file(ctx, o->ca_path) != 1) {
		snprintf(err, errlen, "redis_ca_path: %s: %s", o->ca_path,
		    ERR_reason_error_string(ERR_peek_last_error()));
		ok = 0;
	}
	ERR_clear_error();
	if (!ok) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

struct redis_env *
redis_env_new(struct event_base *base, const struct redis_env_opts *o,
    char *err, size_t errlen)
{
	struct redis_env	*env;
	long			 ms = o->resolve_timeout_ms;

	if ((env = calloc(1, sizeof(*env))) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	env->base = base;
	TAILQ_INIT(&env->lookups);
	if (ms < RESOLVE_TIMEOUT_MIN_MS)
		ms = RESOLVE_TIMEOUT_MIN_MS;
	if (ms > RESOLVE_TIMEOUT_MAX_MS)
		ms = RESOLVE_TIMEOUT_MAX_MS;
	if ((o->resolver && (env->resolver = resolve_init(base,
	    o->resolv_conf, o->hosts, ms, err, errlen)) == NULL) ||
	    (o->tls && (env->tls = env_tls(o, err, errlen)) == NULL)) {
		redis_env_free(env);
		return NULL;
	}
	return env;
}

/* The resolver calls no callback once freed: orphans are freed here. */
void
redis_env_free(struct redis_env *env)
{
	struct redis_lookup	*l;

	if (env == NULL)
		return;
	if (env->resolver != NULL)
		resolve_free(env->resolver);
	while ((l = TAILQ_FIRST(&env->lookups)) != NULL) {
		TAILQ_REMOVE(&env->lookups, l, entry);
		free(l);
	}
	SSL_CTX_free(env->tls);
	free(env);
}

/* --- callbacks into the owner ------------------------------------------- */

static void
conn_enter(struct redis_conn *c)
{
	c->busy++;
}

static void
conn_leave(struct redis_conn *c)
{
	if (--c->busy == 0 && c->dead)
		conn_destroy(c);
}

static void
conn_set_up(struct redis_conn *c, int up)
{
	if (c->up == up)
		return;
	c->up = up;
	if (c->state_fn != NULL)
		c->state_fn(c->arg, up);
}

/* Fails the commands of q with why; stops calling once c is dead. */
static void
conn_fail_cmds(struct redis_conn *c, struct redis_cmds *q, const char *why)
{
	struct redis_cmd	*cmd;

	while ((cmd = TAILQ_FIRST(q)) != NULL) {
		TAILQ_REMOVE(q, cmd, entry);
		if (cmd->handshake == NULL && !c->dead)
			cmd->done(cmd->arg, NULL, why);
		free(cmd);
	}
}

static void
conn_free_cmds(struct redis_cmds *q)
{
	struct redis_cmd	*cmd;

	while ((cmd = TAILQ_FIRST(q)) != NULL) {
		TAILQ_REMOVE(q, cmd, entry);
		free(cmd);
	}
}

/* The callbacks of commands refused while down, made from the loop. */
static void
conn_failed_cb(evutil_socket_t fd, short what, void *arg)
{
	struct redis_conn	*c = arg;
	struct redis_cmds	 q;

	(void)fd;
	(void)what;
	TAILQ_INIT(&q);
	TAILQ_CONCAT(&q, &c->failed, entry);
	c->nfailed = 0;
	conn_enter(c);
	conn_fail_cmds(c, &q, "not connected");
	conn_leave(c);
}

/* --- closing, failing, retrying ----------------------------------------- */

/* Back to CLOSED: the socket, the reader and the attempt's timers go. */
static void
conn_close(struct redis_conn *c)
{
	c->gen++;
	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	if (c->connect_ev != NULL) {
		event_free(c->connect_ev);
		c->connect_ev = NULL;
	}
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
	if (c->reader != NULL) {
		redisReaderFree(c->reader);
		c->reader = NULL;
	}
	if (c->lookup != NULL) {
		c->lookup->conn = NULL;
		c->lookup = NULL;
	}
	evtimer_del(c->attempt_ev);
	evtimer_del(c->deadline_ev);
	evtimer_del(c->idle_ev);
	c->state = CONN_CLOSED;
}

/* 100 ms doubling to 5 s, each delay drawn from its upper half. */
static void
conn_backoff(struct redis_conn *c)
{
	int	half;

	if (c->backoff_ms == 0)
		c->backoff_ms = REDIS_BACKOFF_MIN_MS;
	else if ((c->backoff_ms *= 2) > REDIS_BACKOFF_MAX_MS)
		c->backoff_ms = REDIS_BACKOFF_MAX_MS;
	half = c->backoff_ms / 2;
	redis_timer(c->retry_ev, half + (int)arc4random_uniform(half + 1));
}

/* A failure is logged once, until it changes or the connection is up. */
static void
conn_log_failure(struct redis_conn *c, const char *why)
{
	if (strcmp(c->logged, why) == 0) {
		log_debug("%s: %s: %s", c->role, c->addr, why);
		return;
	}
	log_warnx("%s: %s: %s", c->role, c->addr, why);
	snprintf(c->logged, sizeof(c->logged), "%s", why);
}

/*
 * The connection is lost or an attempt failed: every pending command
 * fails with why, and the connection is down until the next attempt
 * succeeds.
 */
static void
conn_fail(struct redis_conn *c, const char *fmt, ...)
{
	struct redis_cmds	 q;
	char			 why[REDIS_ERROR_MAX];
	va_list			 ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	conn_close(c);
	snprintf(c->error, sizeof(c->error), "%s", why);
	conn_log_failure(c, why);
	conn_backoff(c);
	evbuffer_drain(c->held, evbuffer_get_length(c->held));
	TAILQ_INIT(&q);
	TAILQ_CONCAT(&q, &c->pending, entry);
	c->npending = 0;
	conn_fail_cmds(c, &q, why);
	if (!c->dead)
		conn_set_up(c, 0);
}

/*
 * The server closed the connection, or reset it.  A quiet loss, of a
 * connection up a while with nothing pending (Redis's idle "timeout"),
 * reconnects at once and stays up; any other fails as conn_fail.
 */
static void
conn_lost(struct redis_conn *c, const char *why)
{
	if (c->state != CONN_READY || !TAILQ_EMPTY(&c->pending) ||
	    c->push_fn != NULL || redis_now_ms() - c->ready_at <
	    REDIS_CONN_STABLE_MS) {
		conn_fail(c, "%s", why);
		return;
	}
	conn_close(c);
	log_info("%s: %s: %s; reconnecting", c->role, c->addr, why);
	redis_timer(c->retry_ev, 0);
}

/* Bounds an attempt, from the look-up to the PING's answer. */
static void
conn_attempt_cb(evutil_socket_t fd, short what, void *arg)
{
	struct redis_conn	*c = arg;

	(void)fd;
	(void)what;
	conn_enter(c);
	conn_fail(c, "timed out connecting (%d ms)", c->connect_ms);
	conn_leave(c);
}

static const struct redis_cmd *
conn_first_deadline(const struct redis_conn *c)
{
	const struct redis_cmd	*cmd;

	TAILQ_FOREACH(cmd, &c->pending, entry)
		if (cmd->deadline != 0)
			return cmd;
	return NULL;
}

static void
conn_arm_deadline(struct redis_conn *c)
{
	const struct redis_cmd	*cmd;

	if ((cmd = conn_first_deadline(c)) == NULL)
		evtimer_del(c->deadline_ev);
	else
		redis_timer(c->deadline_ev, cmd->deadline - redis_now_ms());
}

static void
conn_arm_idle(struct redis_conn *c)
{
	if (c->idle_ms > 0 && c->push_fn == NULL && c->state == CONN_READY &&
	    TAILQ_EMPTY(&c->pending))
		redis_timer(c->idle_ev, c->idle_ms);
}

/*
 * The oldest command is late: it fails with "timeout", and so do the
 * others, since their replies could no longer be matched.
 */
static void
conn_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct redis_conn	*c = arg;
	const struct redis_cmd	*cmd;

	(void)fd;
	(void)what;
	conn_enter(c);
	if ((cmd = conn_first_deadline(c)) != NULL) {
		if (cmd->deadline <= redis_now_ms())
			conn_fail(c, "timeout: no answer within %d ms",
			    c->command_ms);
		else
			conn_arm_deadline(c);
	}
	conn_leave(c);
}

/* Closed for idleness: still up, reconnected by the next command. */
static void
conn_idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct redis_conn	*c = arg;

	(void)fd;
	(void)what;
	if (c->state != CONN_READY || !TAILQ_EMPTY(&c->pending))
		return;
	log_debug("%s: %s: idle for %d s, closed", c->role, c->addr,
	    c->idle_ms / 1000);
	conn_close(c);
}

/* --- replies ------------------------------------------------------------ */

static void *
conn_create_array(const redisReadTask *task, int elements)
{
	struct redis_conn	*c = task->privdata;

	if (elements < 0 || elements > REDIS_CONN_ARRAY_MAX) {
		c->too_big = 1;
		return NULL;
	}
	return conn_default_array(task, elements);
}

static redisReader *
conn_reader_new(struct redis_conn *c)
{
	redisReader	*r;

	if ((r = redisReaderCreate()) == NULL)
		return NULL;
	if (conn_default_array == NULL) {
		conn_reply_fns = *r->fn;
		conn_default_array = conn_reply_fns.createArray;
		conn_reply_fns.createArray = conn_create_array;
	}
	r->fn = &conn_reply_fns;
	r->privdata = c;
	return r;
}

static void
conn_ready(struct redis_conn *c)
{
	struct redis_cmd	*cmd;

	evtimer_del(c->attempt_ev);
	c->state = CONN_READY;
	c->backoff_ms = 0;
	c->ready_at = redis_now_ms();
	TAILQ_FOREACH(cmd, &c->pending, entry)
		cmd->sent = 1;
	if (bufferevent_write_buffer(c->bev, c->held) == -1) {
		conn_fail(c, "out of memory");
		return;
	}
	if (!c->up || c->logged[0] != '\0')
		log_info("%s: %s: connected", c->role, c->addr);
	c->logged[0] = '\0';
	c->error[0] = '\0';
	conn_arm_idle(c);
	conn_set_up(c, 1);
}

static void
conn_handshake_reply(struct redis_conn *c, const struct redis_cmd *cmd,
    const redisReply *r)
{
	if (r->type == REDIS_REPLY_ERROR) {
		conn_fail(c, "%s: %.*s", cmd->handshake,
		    (int)(r->len > 200 ? 200 : r->len), r->str);
		return;
	}
	if (strcmp(cmd->handshake, "PING") == 0)
		conn_ready(c);
}

static int
conn_is_message(const redisReply *r)
{
	const redisReply	*kind;

	if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 ||
	    (kind = r->element[0])->type != REDIS_REPLY_STRING)
		return 0;
	return (r->elements == 3 && kind->len == 7 &&
	    memcmp(kind->str, "message", 7) == 0) || (r->elements == 4 &&
	    kind->len == 8 && memcmp(kind->str, "pmessage", 8) == 0);
}

static void
conn_reply(struct redis_conn *c, const redisReply *r)
{
	struct redis_cmd	*cmd;

	if (c->push_fn != NULL && conn_is_message(r)) {
		c->push_fn(c->arg, r);
		return;
	}
	if ((cmd = TAILQ_FIRST(&c->pending)) == NULL || !cmd->sent) {
		conn_fail(c, "protocol error: a reply to no command");
		return;
	}
	TAILQ_REMOVE(&c->pending, cmd, entry);
	if (cmd->handshake != NULL)
		conn_handshake_reply(c, cmd, r);
	else {
		c->npending--;
		cmd->done(cmd->arg, r, NULL);
	}
	free(cmd);
}

/* Every whole reply in the reader, while the connection lasts. */
static void
conn_replies(struct redis_conn *c, unsigned int gen)
{
	void	*r;

	while (gen == c->gen && !c->dead) {
		if (redisReaderGetReply(c->reader, &r) != REDIS_OK) {
			conn_fail(c, "protocol error: %s", c->too_big ?
			    "array reply too large" : c->reader->errstr);
			return;
		}
		if (r == NULL)
			break;
		conn_reply(c, r);
		freeReplyObject(r);
	}
	if (gen == c->gen && !c->dead) {
		conn_arm_deadline(c);
		conn_arm_idle(c);
	}
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct redis_conn	*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct evbuffer_iovec	 v;
	unsigned int		 gen = c->gen;

	conn_enter(c);
	/* evbuffer_peek counts every chain, and fills the first one. */
	while (gen == c->gen && !c->dead && evbuffer_peek(in, -1, NULL, &v,
	    1) >= 1 && v.iov_len > 0) {
		if (c->reader->len - c->reader->pos + v.iov_len >
		    REDIS_CONN_INPUT_MAX) {
			conn_fail(c, "protocol error: reply too large");
			break;
		}
		if (redisReaderFeed(c->reader, v.iov_base, v.iov_len) !=
		    REDIS_OK) {
			conn_fail(c, "out of memory");
			break;
		}
		evbuffer_drain(in, v.iov_len);
		conn_replies(c, gen);
	}
	conn_leave(c);
}

/* --- connecting --------------------------------------------------------- */

/* AUTH, SELECT and PING, ahead of the commands held meanwhile. */
static void
conn_handshake(struct redis_conn *c)
{
	const char		*argv[3];
	char			 db[16], *buf;
	struct redis_cmd	*cmd, *prev = NULL;
	int			 argc, len, i;

	c->state = CONN_HANDSHAKE;
	for (i = 0; i < CONN_HANDSHAKE_MAX; i++) {
		argc = 0;
		if (i == 0 && c->password != NULL) {
			argv[argc++] = "AUTH";
			if (c->username != NULL)
				argv[argc++] = c->username;
			argv[argc++] = c->password;
		} else if (i == 1 && c->db != 0) {
			snprintf(db, sizeof(db), "%d", c->db);
			argv[argc++] = "SELECT";
			argv[argc++] = db;
		} else if (i == 2)
			argv[argc++] = "PING";
		if (argc == 0)
			continue;
		if ((cmd = calloc(1, sizeof(*cmd))) == NULL ||
		    (len = redisFormatCommandArgv(&buf, argc, argv,
		    NULL)) < 0) {
			free(cmd);
			conn_fail(c, "out of memory");
			return;
		}
		cmd->handshake = argv[0];
		cmd->sent = 1;
		if (prev == NULL)
			TAILQ_INSERT_HEAD(&c->pending, cmd, entry);
		else
			TAILQ_INSERT_AFTER(&c->pending, prev, cmd, entry);
		prev = cmd;
		if (bufferevent_write(c->bev, buf, (size_t)len) == -1) {
			explicit_bzero(buf, (size_t)len);
			free(buf);
			conn_fail(c, "out of memory");
			return;
		}
		explicit_bzero(buf, (size_t)len);
		free(buf);
	}
}

/* Why the TLS handshake failed: the certificate's check first. */
static void
conn_tls_error(struct redis_conn *c, char *buf, size_t len)
{
	SSL		*ssl = bufferevent_openssl_get_ssl(c->bev);
	unsigned long	 e, first = 0;
	long		 v;

	while ((e = bufferevent_get_openssl_error(c->bev)) != 0)
		if (first == 0)
			first = e;
	if (ssl != NULL && (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) &&
	    (v = SSL_get_verify_result(ssl)) != X509_V_OK)
		snprintf(buf, len, "TLS: certificate verify failed: %s",
		    X509_verify_cert_error_string(v));
	else if (first != 0)
		snprintf(buf, len, "TLS: %s", ERR_reason_error_string(first) ?
		    ERR_reason_error_string(first) : "handshake failed");
	else
		snprintf(buf, len, "TLS: handshake failed: %s", errno != 0 ?
		    strerror(errno) : "connection closed");
	ERR_clear_error();
}

/* An error on a connection that was set up. */
static void
conn_lost_reason(struct redis_conn *c, int saved, char *buf, size_t len)
{
	unsigned long	e, first = 0;

	while (c->tls && (e = bufferevent_get_openssl_error(c->bev)) != 0)
		if (first == 0)
			first = e;
	if (first != 0 && ERR_reason_error_string(first) != NULL)
		snprintf(buf, len, "connection lost: TLS: %s",
		    ERR_reason_error_string(first));
	else
		snprintf(buf, len, "connection lost: %s", saved != 0 ?
		    strerror(saved) : "reset");
	ERR_clear_error();
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct redis_conn	*c = arg;
	char			 why[REDIS_ERROR_MAX];
	int			 saved = EVUTIL_SOCKET_ERROR();

	(void)bev;
	conn_enter(c);
	if (what & BEV_EVENT_CONNECTED) {
		if (c->state == CONN_TLS)
			conn_handshake(c);
	} else if ((what & BEV_EVENT_EOF) && c->state != CONN_TLS)
		conn_lost(c, "connection closed by the server");
	else if (c->state == CONN_TLS) {
		errno = (what & BEV_EVENT_EOF) ? 0 : saved;
		conn_tls_error(c, why, sizeof(why));
		conn_fail(c, "%s", why);
	} else {
		conn_lost_reason(c, saved, why, sizeof(why));
		conn_lost(c, why);
	}
	conn_leave(c);
}

/* fd is connected: over TLS, the handshake comes first. */
static void
conn_connected(struct redis_conn *c, int fd)
{
	SSL	*ssl = NULL;
	int	 opts = BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS;

	if ((c->reader = conn_reader_new(c)) == NULL) {
		close(fd);
		conn_fail(c, "out of memory");
		return;
	}
	if (c->tls) {
		if ((ssl = tls_client_new(c->env->tls, c->host)) == NULL) {
			close(fd);
			conn_fail(c, "TLS: cannot set up a connection");
			return;
		}
		/*
		 * On failure fd stays ours; libevent 2.1 frees ssl on some
		 * paths only, so out of memory may leak it.
		 */
		c->bev = bufferevent_openssl_socket_new(c->env->base, fd, ssl,
		    BUFFEREVENT_SSL_CONNECTING, opts);
	} else
		c->bev = bufferevent_socket_new(c->env->base, fd, opts);
	if (c->bev == NULL) {
		close(fd);
		conn_fail(c, "out of memory");
		return;
	}
	if (c->tls)
		bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	bufferevent_setcb(c->bev, conn_read_cb, NULL, conn_event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (c->tls)
		c->state = CONN_TLS;
	else
		conn_handshake(c);
}

static void
conn_connect_cb(evutil_socket_t fd, short what, void *arg)
{
	struct redis_conn	*c = arg;
	socklen_t		 len = sizeof(int);
	int			 error = 0;

	(void)what;
	conn_enter(c);
	event_free(c->connect_ev);
	c->connect_ev = NULL;
	c->fd = -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == -1)
		error = errno;
	if (error == 0)
		conn_connected(c, fd);
	else {
		close(fd);
		conn_try(c, error);
	}
	conn_leave(c);
}

static int
conn_sockaddr(const struct redis_conn *c, const char *a,
    struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_un	*sun = (struct sockaddr_un *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (c->local) {
		/* Only its family: unix_target_connect names it. */
		(void)a;
		sun->sun_family = AF_UNIX;
		*len = sizeof(*sun);
	} else if (inet_pton(AF_INET, a, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)c->port);
		*len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, a, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)c->port);
		*len = sizeof(*sin6);
	} else
		return -1;
	return 0;
}

/* Starts a connect to a; -1 with errno set when it failed at once. */
static int
conn_connect(struct redis_conn *c, const char *a)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	int			fd, on = 1;

	if (conn_sockaddr(c, a, &ss, &len) == -1) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	/* Small pipelined commands must not wait for Nagle. */
	if (!c->local)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	/* Its path is not in the chroot: by name from its directory. */
	if (c->local && unix_target_connect(&c->usock, fd) == 0) {
		conn_connected(c, fd);
		return 0;
	}
	if (!c->local && connect(fd, (struct sockaddr *)&ss, len) == 0) {
		conn_connected(c, fd);
		return 0;
	}
	if (errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	if ((c->connect_ev = event_new(c->env->base, fd, EV_WRITE,
	    conn_connect_cb, c)) == NULL || event_add(c->connect_ev, NULL)) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	c->fd = fd;
	c->state = CONN_CONNECTING;
	return 0;
}

static void
conn_try(struct redis_conn *c, int saved)
{
	while (c->next_addr < c->naddrs) {
		if (conn_connect(c, c->addrs[c->next_addr++]) == 0)
			return;
		saved = errno;
	}
	conn_fail(c, "connect: %s", saved != 0 ? strerror(saved) :
	    "no address");
}

/* "a,b" from the resolver. */
static void
conn_resolved(void *arg, const char *addrs, const char *error)
{
	struct redis_lookup	*l = arg;
	struct redis_conn	*c = l->conn;
	const char		*p;
	size_t			 n;

	TAILQ_REMOVE(&l->env->lookups, l, entry);
	free(l);
	if (c == NULL)
		return;
	c->lookup = NULL;
	conn_enter(c);
	for (p = addrs; p != NULL && *p != '\0' && c->naddrs <
	    RESOLVE_ADDRS_MAX; p += n + (p[n] == ',')) {
		n = strcspn(p, ",");
		if (n > 0 && n < INET6_ADDRSTRLEN)
			snprintf(c->addrs[c->naddrs++], INET6_ADDRSTRLEN,
			    "%.*s", (int)n, p);
	}
	if (c->naddrs == 0)
		conn_fail(c, "%s", error != NULL ? error : "no address");
	else
		conn_try(c, 0);
	conn_leave(c);
}

static void
conn_attempt(struct redis_conn *c)
{
	struct in6_addr		 a6;
	struct redis_lookup	*l;

	c->naddrs = c->next_addr = 0;
	c->too_big = 0;
	redis_timer(c->attempt_ev, c->connect_ms);
	if (c->local || inet_pton(AF_INET, c->host, &a6) == 1 ||
	    inet_pton(AF_INET6, c->host, &a6) == 1) {
		if (conn_connect(c, c->host) == -1)
			conn_fail(c, "connect: %s", strerror(errno));
		return;
	}
	if (c->env->resolver == NULL || (l = calloc(1, sizeof(*l))) == NULL) {
		conn_fail(c, "cannot look up the host name");
		return;
	}
	l->env = c->env;
	l->conn = c;
	TAILQ_INSERT_TAIL(&c->env->lookups, l, entry);
	c->lookup = l;
	c->state = CONN_RESOLVING;
	if (resolve_host(c->env->resolver, c->host, conn_resolved, l) == -1) {
		TAILQ_REMOVE(&c->env->lookups, l, entry);
		free(l);
		c->lookup = NULL;
		conn_fail(c, "cannot look up the host name");
	}
}

static void
conn_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct redis_conn	*c = arg;

	(void)fd;
	(void)what;
	conn_enter(c);
	if (c->state == CONN_CLOSED)
		conn_attempt(c);
	conn_leave(c);
}

/* --- the API ------------------------------------------------------------ */

static int
conn_opts_ok(const struct redis_env *env, const struct redis_conn_opts *o,
    char *err, size_t errlen)
{
	const char	*bad = NULL;

	if (o->host == NULL || *o->host == '\0' || strlen(o->host) >
	    (o->local ? REDIS_PATH_MAX : REDIS_HOST_MAX))
		bad = "bad host";
	else if (!o->local && (o->port < 1 || o->port > 65535))
		bad = "bad port";
	else if (o->db < 0)
		bad = "bad database number";
	else if (o->tls && (o->local || env->tls == NULL))
		bad = "TLS needs a TCP connection and a TLS context";
	else if (o->command_timeout_ms < CONN_TIMEOUT_MIN_MS ||
	    o->command_timeout_ms > CONN_TIMEOUT_MAX_MS ||
	    o->connect_timeout_ms < CONN_TIMEOUT_MIN_MS ||
	    o->connect_timeout_ms > CONN_TIMEOUT_MAX_MS)
		bad = "timeout out of range";
	else if (o->idle_timeout_sec < 0 ||
	    o->idle_timeout_sec > REDIS_IDLE_MAX_SEC)
		bad = "idle timeout out of range";
	if (bad != NULL)
		snprintf(err, errlen, "%s", bad);
	return bad == NULL;
}

static int
conn_events_new(struct redis_conn *c)
{
	struct event_base	*b = c->env->base;

	c->retry_ev = evtimer_new(b, conn_retry_cb, c);
	c->attempt_ev = evtimer_new(b, conn_attempt_cb, c);
	c->deadline_ev = evtimer_new(b, conn_deadline_cb, c);
	c->idle_ev = evtimer_new(b, conn_idle_cb, c);
	c->failed_ev = event_new(b, -1, 0, conn_failed_cb, c);
	c->held = evbuffer_new();
	return c->retry_ev != NULL && c->attempt_ev != NULL &&
	    c->deadline_ev != NULL && c->idle_ev != NULL &&
	    c->failed_ev != NULL && c->held != NULL ? 0 : -1;
}

static void
conn_name(struct redis_conn *c, const struct redis_conn_opts *o)
{
	snprintf(c->role, sizeof(c->role), "%s", o->role != NULL ? o->role :
	    "redis");
	if (o->local)
		snprintf(c->addr, sizeof(c->addr), "%s", o->host);
	else if (strchr(o->host, ':') != NULL)
		snprintf(c->addr, sizeof(c->addr), "[%s]:%d", o->host, o->port);
	else
		snprintf(c->addr, sizeof(c->addr), "%s:%d", o->host, o->port);
}

struct redis_conn *
redis_conn_new(struct redis_env *env, const struct redis_conn_opts *o,
    char *err, size_t errlen)
{
	struct redis_conn	*c;

	if (!conn_opts_ok(env, o, err, errlen))
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto nomem;
	c->env = env;
	c->fd = -1;
	c->usock.dirfd = c->usock.backfd = -1;
	TAILQ_INIT(&c->pending);
	TAILQ_INIT(&c->failed);
	snprintf(c->host, sizeof(c->host), "%s", o->host);
	conn_name(c, o);
	c->port = o->port;
	c->local = o->local;
	if (c->local && unix_target_open(&c->usock, o->host, err, errlen) ==
	    -1) {
		conn_destroy(c);
		return NULL;
	}
	c->tls = o->tls;
	c->db = o->db;
	c->command_ms = o->command_timeout_ms;
	c->connect_ms = o->connect_timeout_ms;
	c->idle_ms = o->idle_timeout_sec * 1000;
	c->state_fn = o->state;
	c->push_fn = o->push;
	c->arg = o->arg;
	if ((o->password != NULL && *o->password != '\0' &&
	    (c->password = strdup(o->password)) == NULL) ||
	    (c->password != NULL && o->username != NULL &&
	    *o->username != '\0' && (c->username = strdup(o->username)) ==
	    NULL) || conn_events_new(c) == -1)
		goto nomem;
	redis_timer(c->retry_ev, 0);
	return c;
nomem:
	if (c != NULL)
		conn_destroy(c);
	snprintf(err, errlen, "out of memory");
	return NULL;
}

static void
conn_destroy(struct redis_conn *c)
{
	conn_close(c);
	conn_free_cmds(&c->pending);
	conn_free_cmds(&c->failed);
	if (c->retry_ev != NULL)
		event_free(c->retry_ev);
	if (c->attempt_ev != NULL)
		event_free(c->attempt_ev);
	if (c->deadline_ev != NULL)
		event_free(c->deadline_ev);
	if (c->idle_ev != NULL)
		event_free(c->idle_ev);
	if (c->failed_ev != NULL)
		event_free(c->failed_ev);
	if (c->held != NULL)
		evbuffer_free(c->held);
	conn_wipe_free(c->password);
	conn_wipe_free(c->username);
	unix_target_close(&c->usock);
	free(c);
}

void
redis_conn_free(struct redis_conn *c)
{
	if (c == NULL)
		return;
	if (c->busy == 0) {
		conn_destroy(c);
		return;
	}
	/* Inside one of its callbacks: conn_leave destroys it. */
	c->dead = 1;
	conn_close(c);
	conn_free_cmds(&c->pending);
	conn_free_cmds(&c->failed);
	c->npending = c->nfailed = 0;
	evtimer_del(c->retry_ev);
	event_del(c->failed_ev);
}

/*
 * The arguments' length, checked before hiredis 0.14 formats them: it
 * returns the length of the command as an int.
 */
static size_t
conn_args_size(int argc, const char **argv, const size_t *argvlen)
{
	size_t	total = 0, len;
	int	i;

	for (i = 0; i < argc; i++) {
		len = argvlen != NULL ? argvlen[i] : strlen(argv[i]);
		if (len > REDIS_CONN_OUTPUT_MAX)
			return SIZE_MAX;
		total += len;
		if (total > REDIS_CONN_OUTPUT_MAX)
			return SIZE_MAX;
	}
	return total;
}

/* Refused while down: the callback comes from the loop. */
static int
conn_refuse(struct redis_conn *c, redis_reply_fn done, void *arg)
{
	struct redis_cmd	*cmd;

	if ((cmd = calloc(1, sizeof(*cmd))) == NULL)
		return -1;
	cmd->done = done;
	cmd->arg = arg;
	TAILQ_INSERT_TAIL(&c->failed, cmd, entry);
	c->nfailed++;
	event_active(c->failed_ev, 0, 0);
	return 0;
}

int
redis_conn_command(struct redis_conn *c, redis_reply_fn done, void *arg,
    int argc, const char **argv, const size_t *argvlen)
{
	struct redis_cmd	*cmd;
	struct evbuffer		*out;
	char			*buf;
	int			 len;

	if (c->dead || argc < 1 || argv == NULL || done == NULL ||
	    c->npending + c->nfailed >= REDIS_CONN_PENDING_MAX ||
	    conn_args_size(argc, argv, argvlen) > REDIS_CONN_OUTPUT_MAX)
		return -1;
	if (!c->up)
		return conn_refuse(c, done, arg);
	out = c->state == CONN_READY ? bufferevent_get_output(c->bev) :
	    c->held;
	if ((len = redisFormatCommandArgv(&buf, argc, argv, argvlen)) < 0)
		return -1;
	if (evbuffer_get_length(out) + (size_t)len > REDIS_CONN_OUTPUT_MAX ||
	    (cmd = calloc(1, sizeof(*cmd))) == NULL) {
		redisFreeCommand(buf);
		return -1;
	}
	if (evbuffer_add(out, buf, (size_t)len) == -1) {
		free(cmd);
		redisFreeCommand(buf);
		return -1;
	}
	explicit_bzero(buf, (size_t)len);
	redisFreeCommand(buf);
	cmd->done = done;
	cmd->arg = arg;
	cmd->deadline = redis_now_ms() + c->command_ms;
	cmd->sent = c->state == CONN_READY;
	TAILQ_INSERT_TAIL(&c->pending, cmd, entry);
	c->npending++;
	evtimer_del(c->idle_ev);
	if (conn_first_deadline(c) == cmd)
		conn_arm_deadline(c);
	/* Closed for idleness, or quietly lost: connect again now. */
	if (c->state == CONN_CLOSED && !evtimer_pending(c->retry_ev, NULL))
		redis_timer(c->retry_ev, 0);
	return 0;
}

int
redis_conn_up(const struct redis_conn *c)
{
	return c->up;
}

const char *
redis_conn_error(const struct redis_conn *c)
{
	return c->error;
}

const char *
redis_conn_addr(const struct redis_conn *c)
{
	return c->addr;
}

void
redis_conn_opts_url(struct redis_conn_opts *o, const struct redis_url *u,
    const char *username, const char *password)
{
	memset(o, 0, sizeof(*o));
	o->host = u->host;
	o->port = u->port;
	o->local = u->local;
	o->tls = u->tls;
	o->db = u->db;
	o->username = username != NULL && *username != '\0' ? username :
	    u->username;
	o->password = password != NULL && *password != '\0' ? password :
	    u->password;
}
