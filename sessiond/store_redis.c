/*
 * Sessions in Redis.
 *
 * The cookie holds a ticket, sealed like every cookie (purpose
 * SEAL_TICKET): a version byte, a random 16-byte id and a random 32-byte
 * secret.  Redis holds the session under <prefix>s:<hex id>, sealed by
 * seal_store with a key derived from the cookie key and the secret, bound
 * to that Redis key, with the session's lifetime as TTL.  Neither what
 * Redis holds nor a cookie alone opens a session, and Redis holds no
 * token, email or user name in the clear.
 *
 * <prefix>u:<blinded user> is the set of a user's session ids (sign-out
 * everywhere); <prefix>l:<hex id> the refresh lock (SET NX PX), so that
 * among all instances sharing Redis one refreshes a session at a time.
 *
 * Redis unreachable: every operation answers STORE_UNAVAILABLE at once;
 * nothing is ever let through.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "config.h"
#include "log.h"
#include "redis.h"
#include "seal.h"
#include "session.h"
#include "sessiond.h"
#include "store_redis.h"

#define TICKET_VERSION		1
#define TICKET_ID_LEN		16
#define TICKET_LEN		(1 + TICKET_ID_LEN + SEAL_STORE_SECRET_LEN)
#define PREFIX_MAX		128
#define KEY_MAX			(PREFIX_MAX + 2 + 2 * 32 + 1)
#define LOCK_MS			"5000"	/* longest refresh, IdP timeout included */
#define COMMAND_TIMEOUT_MS	2000

struct ticket {
	uint8_t		id[TICKET_ID_LEN];
	uint8_t		secret[SEAL_STORE_SECRET_LEN];
	char		key[KEY_MAX];		/* <prefix>s:<hex id> */
};

struct op {
	struct ticket	 t;
	store_open_fn	 open_done;
	store_save_fn	 save_done;
	store_done_fn	 done;
	void		*arg;
	char		*cookie;	/* save: the ticket cookie to answer */
	char		 index[KEY_MAX];	/* the user's set of ids */
	int64_t		 ttl_ms;
	int		 pending;	/* revoke all: DELs not answered */
	int		 failed;
};

static struct {
	struct redis	*redis;
	char		 prefix[PREFIX_MAX + 1];
} rs;

static void
redis_state(void *arg, int up)
{
	(void)arg;
	if (up)
		log_info("redis: connected");
	else
		log_warnx("redis: unavailable; sessions are refused until it "
		    "is back");
}

void
store_redis_privinit(struct config *cf, struct event_base *base)
{
	struct redis_opts	 o;
	char			 err[512];

	if (strlen(cf->redis_key_prefix) > PREFIX_MAX)
		fatalx("redis_key_prefix: longer than %d", PREFIX_MAX);
	memcpy(rs.prefix, cf->redis_key_prefix, strlen(cf->redis_key_prefix) +
	    1);
	memset(&o, 0, sizeof(o));
	o.mode = cf->redis_use_sentinel ? REDIS_SENTINEL :
	    cf->redis_use_cluster ? REDIS_CLUSTER : REDIS_STANDALONE;
	o.url = cf->redis_connection_url;
	o.sentinel_urls = (const char *const *)cf->redis_sentinel_connection_urls.v;
	o.nsentinel_urls = cf->redis_sentinel_connection_urls.n;
	o.master_name = cf->redis_sentinel_master_name;
	o.sentinel_password = cf->redis_sentinel_password;
	o.cluster_urls = (const char *const *)cf->redis_cluster_connection_urls.v;
	o.ncluster_urls = cf->redis_cluster_connection_urls.n;
	o.username = cf->redis_username;
	o.password = cf->redis_password;
	o.ca_path = cf->redis_ca_path;
	o.insecure_skip_verify = cf->redis_insecure_skip_tls_verify;
	o.idle_timeout_sec = (int)cf->redis_connection_idle_timeout;
	o.command_timeout_ms = COMMAND_TIMEOUT_MS;
	if ((rs.redis = redis_new(base, &o, redis_state, NULL, err,
	    sizeof(err))) == NULL)
		fatalx("redis: %s", err);
}

int
store_redis_ready(void)
{
	return rs.redis != NULL && redis_up(rs.redis);
}

/* --- tickets ---------------------------------------------------------- */

static void
ticket_key(struct ticket *t)
{
	char	hex[2 * TICKET_ID_LEN + 1];

	sodium_bin2hex(hex, sizeof(hex), t->id, sizeof(t->id));
	snprintf(t->key, sizeof(t->key), "%ss:%s", rs.prefix, hex);
}

static void
ticket_new(struct ticket *t)
{
	randombytes_buf(t->id, sizeof(t->id));
	randombytes_buf(t->secret, sizeof(t->secret));
	ticket_key(t);
}

/* The ticket a cookie holds; a SEAL_* result. */
static int
ticket_open(const char *cookie, struct ticket *t)
{
	uint8_t	pt[TICKET_LEN];
	size_t	len = 0;
	int	r;

	r = store_unseal_cookie(SEAL_TICKET, cookie, pt, sizeof(pt), &len);
	if (r == SEAL_OK && (len != TICKET_LEN || pt[0] != TICKET_VERSION))
		r = SEAL_MALFORMED;
	if (r == SEAL_OK) {
		memcpy(t->id, pt + 1, sizeof(t->id));
		memcpy(t->secret, pt + 1 + sizeof(t->id), sizeof(t->secret));
		ticket_key(t);
	}
	sodium_memzero(pt, sizeof(pt));
	return r;
}

static char *
ticket_cookie(const struct ticket *t, int64_t expires)
{
	uint8_t	 pt[TICKET_LEN];
	char	*v;

	pt[0] = TICKET_VERSION;
	memcpy(pt + 1, t->id, sizeof(t->id));
	memcpy(pt + 1 + sizeof(t->id), t->secret, sizeof(t->secret));
	v = store_seal_cookie(SEAL_TICKET, expires, pt, sizeof(pt));
	sodium_memzero(pt, sizeof(pt));
	return v;
}

static struct op *
op_new(void *arg)
{
	struct op	*op;

	if ((op = calloc(1, sizeof(*op))) != NULL)
		op->arg = arg;
	return op;
}

static void
op_free(struct op *op)
{
	sodium_memzero(&op->t, sizeof(op->t));
	free(op->cookie);
	free(op);
}

/* One command about key; strings are NUL-terminated but for data. */
static int
command(const char *key, redis_reply_fn done, void *arg, int argc,
    const char **argv, const size_t *argvlen)
{
	size_t	len[8];
	int	i;

	for (i = 0; i < argc && i < 8; i++)
		len[i] = argvlen != NULL && argvlen[i] != 0 ? argvlen[i] :
		    strlen(argv[i]);
	return redis_command(rs.redis, key, strlen(key), done, arg, argc, argv,
	    len);
}

/* --- open ------------------------------------------------------------- */

static void
open_reply(void *arg, const redisReply *rep, const char *error)
{
	static uint8_t	 pt[SESSION_ENC_MAX];
	struct op	*op = arg;
	int		 n;

	if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
		log_warnx("redis: GET: %s", rep != NULL ? rep->str : error);
		op->open_done(op->arg, STORE_UNAVAILABLE, NULL, 0);
	} else if (rep->type != REDIS_REPLY_STRING) {
		/* Signed out, or expired: the ticket names nothing. */
		op->open_done(op->arg, SEAL_BAD, NULL, 0);
	} else if ((n = unseal_store(sessiond_keys(), op->t.secret, op->t.key,
	    strlen(op->t.key), (const uint8_t *)rep->str, rep->len, pt,
	    sizeof(pt))) < 0) {
		log_warnx("redis: %s does not open with its ticket", op->t.key);
		op->open_done(op->arg, SEAL_BAD, NULL, 0);
	} else {
		op->open_done(op->arg, SEAL_OK, pt, (size_t)n);
		sodium_memzero(pt, (size_t)n);
	}
	op_free(op);
}

void
store_redis_open(const char *cookie, store_open_fn done, void *arg)
{
	struct op	*op;
	const char	*argv[2];
	int		 r;

	if ((op = op_new(arg)) == NULL) {
		done(arg, SEAL_ERROR, NULL, 0);
		return;
	}
	op->open_done = done;
	if ((r = ticket_open(cookie, &op->t)) != SEAL_OK) {
		done(arg, r, NULL, 0);
		op_free(op);
		return;
	}
	argv[0] = "GET";
	argv[1] = op->t.key;
	if (command(op->t.key, open_reply, op, 2, argv, NULL) == -1) {
		done(arg, STORE_UNAVAILABLE, NULL, 0);
		op_free(op);
	}
}

/* --- save ------------------------------------------------------------- */

/* The user's index: their session ids, for sign-out everywhere. */
static void
index_reply(void *arg, const redisReply *rep, const char *error)
{
	(void)arg;
	if (rep == NULL || rep->type == REDIS_REPLY_ERROR)
		log_warnx("redis: user index: %s", rep != NULL ? rep->str :
		    error);
}

static void
index_add(struct op *op)
{
	char		 hex[2 * TICKET_ID_LEN + 1], ttl[24];
	const char	*argv[3];

	sodium_bin2hex(hex, sizeof(hex), op->t.id, sizeof(op->t.id));
	argv[0] = "SADD";
	argv[1] = op->index;
	argv[2] = hex;
	command(op->index, index_reply, NULL, 3, argv, NULL);
	snprintf(ttl, sizeof(ttl), "%lld", (long long)op->ttl_ms);
	argv[0] = "PEXPIRE";
	argv[2] = ttl;
	command(op->index, index_reply, NULL, 3, argv, NULL);
}

static void
save_reply(void *arg, const redisReply *rep, const char *error)
{
	struct op	*op = arg;

	if (rep == NULL || rep->type != REDIS_REPLY_STATUS) {
		log_warnx("redis: SET: %s", rep != NULL && rep->str != NULL ?
		    rep->str : error != NULL ? error : "unexpected reply");
		op->save_done(op->arg, STORE_UNAVAILABLE, NULL);
	} else {
		if (op->index[0] != '\0')
			index_add(op);
		op->save_done(op->arg, SEAL_OK, op->cookie);
	}
	op_free(op);
}

/* The blinded name of the session's user, or "" without one. */
static void
user_index(const uint8_t *pt, size_t len, char *out, size_t outlen)
{
	struct session	s;
	char		blind[65];

	out[0] = '\0';
	if (session_decode(pt, len, &s) == -1)
		return;
	if (s.user != NULL) {
		seal_blind_name(sessiond_keys(), s.user, strlen(s.user), blind);
		snprintf(out, outlen, "%su:%s", rs.prefix, blind);
	}
	session_free(&s);
}

void
store_redis_save(const uint8_t *pt, size_t len, int64_t expires,
    const char *replace, store_save_fn done, void *arg)
{
	static uint8_t	 val[SESSION_ENC_MAX + SEAL_OVERHEAD];
	struct op	*op;
	const char	*argv[5];
	size_t		 argvlen[5] = { 0 };
	char		 ttl[24];
	int		 n;

	if ((op = op_new(arg)) == NULL) {
		done(arg, SEAL_ERROR, NULL);
		return;
	}
	op->save_done = done;
	/* A refresh keeps its ticket, so every copy of the cookie works. */
	if (replace == NULL || ticket_open(replace, &op->t) != SEAL_OK)
		ticket_new(&op->t);
	op->ttl_ms = (expires - (int64_t)time(NULL)) * 1000;
	user_index(pt, len, op->index, sizeof(op->index));
	if (op->ttl_ms <= 0 || (op->cookie = ticket_cookie(&op->t,
	    expires)) == NULL || (n = seal_store(sessiond_keys(), op->t.secret,
	    op->t.key, strlen(op->t.key), pt, len, val, sizeof(val))) < 0) {
		done(arg, SEAL_ERROR, NULL);
		op_free(op);
		return;
	}
	snprintf(ttl, sizeof(ttl), "%lld", (long long)op->ttl_ms);
	argv[0] = "SET";
	argv[1] = op->t.key;
	argv[2] = (const char *)val;
	argvlen[2] = (size_t)n;
	argv[3] = "PX";
	argv[4] = ttl;
	if (command(op->t.key, save_reply, op, 5, argv, argvlen) == -1) {
		done(arg, STORE_UNAVAILABLE, NULL);
		op_free(op);
	}
	sodium_memzero(val, (size_t)n);
}

/* --- revoke ----------------------------------------------------------- */

/* One step of a revoke done; the last answers.  pending counts steps. */
static void
revoke_step(struct op *op)
{
	if (--op->pending > 0)
		return;
	op->done(op->arg, op->failed ? STORE_UNAVAILABLE : SEAL_OK);
	op_free(op);
}

static void
del_reply(void *arg, const redisReply *rep, const char *error)
{
	struct op	*op = arg;

	if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
		log_warnx("redis: DEL: %s", rep != NULL ? rep->str : error);
		op->failed = 1;
	}
	revoke_step(op);
}

static void
del(struct op *op, const char *key)
{
	const char	*argv[2] = { "DEL", key };

	op->pending++;
	if (command(key, del_reply, op, 2, argv, NULL) == -1) {
		op->failed = 1;
		op->pending--;
	}
}

/* Every session id in the user's index, then the index. */
static void
members_reply(void *arg, const redisReply *rep, const char *error)
{
	struct op	*op = arg;
	char		 key[KEY_MAX];
	size_t		 i;

	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY) {
		log_warnx("redis: SMEMBERS: %s", rep != NULL && rep->str !=
		    NULL ? rep->str : error != NULL ? error : "not a set");
		op->failed = 1;
	} else {
		for (i = 0; i < rep->elements; i++) {
			if (rep->element[i]->type != REDIS_REPLY_STRING ||
			    rep->element[i]->len != 2 * TICKET_ID_LEN)
				continue;
			snprintf(key, sizeof(key), "%ss:%.*s", rs.prefix,
			    (int)rep->element[i]->len, rep->element[i]->str);
			del(op, key);
		}
		del(op, op->index);
	}
	revoke_step(op);
}

/* For "all": the session names its user, whose index names the rest. */
static void
revoke_all_open(void *arg, int result, const uint8_t *pt, size_t len)
{
	struct op	*op = arg;
	const char	*argv[2];

	op->pending = 1;	/* this step */
	if (result == SEAL_OK)
		user_index(pt, len, op->index, sizeof(op->index));
	del(op, op->t.key);
	if (op->index[0] != '\0') {
		argv[0] = "SMEMBERS";
		argv[1] = op->index;
		op->pending++;
		if (command(op->index, members_reply, op, 2, argv, NULL) ==
		    -1) {
			op->pending--;
			op->failed = 1;
		}
	}
	revoke_step(op);
}

void
store_redis_revoke(const char *cookie, int all, store_done_fn done, void *arg)
{
	struct op	*op;
	int		 r;

	if ((op = op_new(arg)) == NULL) {
		done(arg, SEAL_ERROR);
		return;
	}
	op->done = done;
	if ((r = ticket_open(cookie, &op->t)) != SEAL_OK) {
		done(arg, r);
		op_free(op);
		return;
	}
	if (all) {
		store_redis_open(cookie, revoke_all_open, op);
		return;
	}
	op->pending = 1;
	del(op, op->t.key);
	revoke_step(op);
}

/* --- the refresh lock --------------------------------------------------- */

static void
lock_reply(void *arg, const redisReply *rep, const char *error)
{
	struct op	*op = arg;

	if (rep != NULL && rep->type == REDIS_REPLY_STATUS)
		op->done(op->arg, SEAL_OK);
	else if (rep != NULL && rep->type == REDIS_REPLY_NIL)
		op->done(op->arg, STORE_BUSY);
	else {
		log_warnx("redis: lock: %s", rep != NULL && rep->str != NULL ?
		    rep->str : error != NULL ? error : "unexpected reply");
		op->done(op->arg, STORE_UNAVAILABLE);
	}
	op_free(op);
}

void
store_redis_lock(const char *cookie, store_done_fn done, void *arg)
{
	struct op	*op;
	char		 key[KEY_MAX], hex[2 * TICKET_ID_LEN + 1];
	const char	*argv[6];
	int		 r;

	if ((op = op_new(arg)) == NULL) {
		done(arg, SEAL_ERROR);
		return;
	}
	op->done = done;
	if ((r = ticket_open(cookie, &op->t)) != SEAL_OK) {
		done(arg, r);
		op_free(op);
		return;
	}
	sodium_bin2hex(hex, sizeof(hex), op->t.id, sizeof(op->t.id));
	snprintf(key, sizeof(key), "%sl:%s", rs.prefix, hex);
	argv[0] = "SET";
	argv[1] = key;
	argv[2] = "1";
	argv[3] = "NX";
	argv[4] = "PX";
	argv[5] = LOCK_MS;
	if (command(key, lock_reply, op, 6, argv, NULL) == -1) {
		done(arg, STORE_UNAVAILABLE);
		op_free(op);
	}
}
