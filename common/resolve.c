/*
 * Host name look-ups with libevent's evdns (see resolve.h).  A table of
 * names holds the cached answers and the look-ups in flight; callers wait
 * on a name, and every answer reaches them through one "ready" event, so
 * no callback ever runs inside resolve_host.
 *
 * Two evdns 2.1 details shape this file.  evdns_getaddrinfo answers a
 * hosts entry (and some errors) by calling back before it returns.  And a
 * cancelled look-up still calls back later, from the loop, through code
 * that touches the evdns_base; so resolve_free keeps the base (and this
 * resolver) until every cancelled look-up has called back.  For the same
 * reason the "getaddrinfo-allow-skew" timer is pushed out of reach: when
 * it fires, evdns answers first and cancels the other query afterwards,
 * leaving a callback we could not wait for.  Both queries are bounded by
 * our own timeout anyway.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "log.h"
#include "resolve.h"

#define RESOLVE_CONF		"/etc/resolv.conf"
#define RESOLVE_HOSTS		"/etc/hosts"
#define RESOLVE_ATTEMPTS	2	/* tries of each query */
#define RESOLVE_ATTEMPTS_STR	"2"
#define RESOLVE_NO_SKEW		"3600"	/* seconds: never before our timeout */
#define RESOLVE_LABEL_MAX	63
/* An address list ("a,b"), or an error naming the host. */
#define RESOLVE_TEXT_LEN	(RESOLVE_ADDRS_MAX * INET6_ADDRSTRLEN + 16)

struct resolve_waiter {
	TAILQ_ENTRY(resolve_waiter)	 entry;
	resolve_done_fn			 done;
	void				*arg;
	int				 failed;
	char				 text[RESOLVE_TEXT_LEN];
};
TAILQ_HEAD(resolve_waiters, resolve_waiter);

enum resolve_state {
	RESOLVE_FREE,
	RESOLVE_PENDING,
	RESOLVE_CACHED,
};

struct resolve_name {
	struct resolver				*r;
	enum resolve_state			 state;
	char					 host[RESOLVE_HOST_MAX + 1];
	char					 addrs[RESOLVE_TEXT_LEN];
	int64_t					 started;	/* ms */
	int64_t					 expires;	/* ms */
	struct evdns_getaddrinfo_request	*req;
	struct resolve_waiters			 waiters;
};

struct resolver {
	struct event_base	*base;
	struct evdns_base	*dns;
	struct event		*ready_ev;
	struct resolve_waiters	 ready;
	struct resolve_name	 names[RESOLVE_NAMES_MAX];
	size_t			 ninflight;
	size_t			 nwaiters;
	int64_t			 ttl_ms;
	long			 try_ms;
	int			 dying;
};

static int64_t
resolve_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
resolve_evdns_log(int is_warn, const char *msg)
{
	if (is_warn)
		log_warnx("resolve: evdns: %s", msg);
	else
		log_debug("resolve: evdns: %s", msg);
}

static void
resolve_destroy(struct resolver *r)
{
	if (r->dns != NULL)
		evdns_base_free(r->dns, 0);
	if (r->ready_ev != NULL)
		event_free(r->ready_ev);
	free(r);
}

/* Makes the callbacks queued on r->ready; new ones wait for the next run. */
static void
resolve_ready_cb(evutil_socket_t fd, short what, void *arg)
{
	struct resolver		*r = arg;
	struct resolve_waiters	 q;
	struct resolve_waiter	*w;

	(void)fd;
	(void)what;
	TAILQ_INIT(&q);
	TAILQ_CONCAT(&q, &r->ready, entry);
	while ((w = TAILQ_FIRST(&q)) != NULL) {
		TAILQ_REMOVE(&q, w, entry);
		r->nwaiters--;
		w->done(w->arg, w->failed ? NULL : w->text,
		    w->failed ? w->text : NULL);
		free(w);
	}
}

/* Queues w's callback with addrs, or with error when addrs is NULL. */
static void
resolve_answer(struct resolver *r, struct resolve_waiter *w,
    const char *addrs, const char *error)
{
	w->failed = addrs == NULL;
	snprintf(w->text, sizeof(w->text), "%s", addrs != NULL ? addrs : error);
	TAILQ_INSERT_TAIL(&r->ready, w, entry);
	event_active(r->ready_ev, EV_TIMEOUT, 1);
}

static void
resolve_waiters_free(struct resolve_waiters *q)
{
	struct resolve_waiter	*w;

	while ((w = TAILQ_FIRST(q)) != NULL) {
		TAILQ_REMOVE(q, w, entry);
		free(w);
	}
}

int
resolve_name_ok(const char *host)
{
	size_t	len = strlen(host), i, label = 0;
	int	digits = 1;
	char	c;

	if (len == 0 || len > RESOLVE_HOST_MAX)
		return 0;
	for (i = 0; i <= len; i++) {
		c = host[i];
		if (c == '.' || c == '\0') {
			if (label == 0 || label > RESOLVE_LABEL_MAX ||
			    host[i - 1] == '-')
				return 0;
			if (c == '\0')
				return !digits;
			label = 0;
			digits = 1;
			continue;
		}
		if (c == '-' && label == 0)
			return 0;
		if ((c < '0' || c > '9') && c != '-' &&
		    (c < 'a' || c > 'z') && (c < 'A' || c > 'Z'))
			return 0;
		if (c < '0' || c > '9')
			digits = 0;
		label++;
	}
	return 0;
}

/* 1 with out set when host is an IPv4 or IPv6 literal, else 0. */
static int
resolve_literal(const char *host, char *out, size_t outlen)
{
	struct in6_addr	a6;
	struct in_addr	a4;

	if (inet_pton(AF_INET, host, &a4) == 1)
		return inet_ntop(AF_INET, &a4, out, outlen) != NULL;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return inet_ntop(AF_INET6, &a6, out, outlen) != NULL;
	return 0;
}

static int
resolve_is_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)sa;
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	}
	sin6 = (const struct sockaddr_in6 *)sa;
	return IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
}

/*
 * Writes the addresses of res to out, IPv4 first, without duplicates, at
 * most RESOLVE_ADDRS_MAX; only loopback ones for "localhost".  Returns how
 * many.
 */
static size_t
resolve_format(const char *host, const struct evutil_addrinfo *res,
    char *out, size_t outlen)
{
	const struct evutil_addrinfo	*ai;
	const void			*addr;
	char				 seen[RESOLVE_ADDRS_MAX][INET6_ADDRSTRLEN];
	size_t				 n = 0, i, off = 0;
	int				 pass, af, local, len;

	local = strcasecmp(host, "localhost") == 0;
	*out = '\0';
	for (pass = 0; pass < 2; pass++) {
		af = pass == 0 ? AF_INET : AF_INET6;
		for (ai = res; ai != NULL && n < RESOLVE_ADDRS_MAX;
		    ai = ai->ai_next) {
			if (ai->ai_family != af || ai->ai_addr == NULL ||
			    (local && !resolve_is_loopback(ai->ai_addr)))
				continue;
			if (af == AF_INET)
				addr = &((struct sockaddr_in *)
				    ai->ai_addr)->sin_addr;
			else
				addr = &((struct sockaddr_in6 *)
				    ai->ai_addr)->sin6_addr;
			if (inet_ntop(af, addr, seen[n], sizeof(seen[n])) ==
			    NULL)
				continue;
			for (i = 0; i < n; i++)
				if (strcmp(seen[i], seen[n]) == 0)
					break;
			if (i < n)
				continue;
			len = snprintf(out + off, outlen - off, "%s%s",
			    n ? "," : "", seen[n]);
			if (len < 0 || (size_t)len >= outlen - off)
				return n;	/* cannot happen: sized for it */
			off += (size_t)len;
			n++;
		}
	}
	return n;
}

static void
resolve_error(struct resolver *r, struct resolve_name *n, int result,
    char *buf, size_t len)
{
	const char	*why;

	switch (result) {
	case 0:
		why = "no usable address";
		break;
	case EVUTIL_EAI_NONAME:
		why = "name does not exist (NXDOMAIN)";
		break;
	case EVUTIL_EAI_FAIL:
		/*
		 * evdns folds timeouts, SERVFAIL (retried at once until the
		 * tries are used up), REFUSED and empty answers into one
		 * code; only a timeout takes a whole try.
		 */
		if (resolve_now() - n->started >= r->try_ms)
			why = "no answer from the DNS server (timed out)";
		else
			why = "DNS server failure, refusal or no A/AAAA record";
		break;
	case EVUTIL_EAI_MEMORY:
		why = "out of memory";
		break;
	default:
		why = evutil_gai_strerror(result);
		break;
	}
	snprintf(buf, len, "no address for %s: %s", n->host, why);
}

/* Hands addrs (or error) to everyone waiting on n. */
static void
resolve_finish(struct resolver *r, struct resolve_name *n, const char *addrs,
    const char *error)
{
	struct resolve_waiter	*w;

	while ((w = TAILQ_FIRST(&n->waiters)) != NULL) {
		TAILQ_REMOVE(&n->waiters, w, entry);
		resolve_answer(r, w, addrs, error);
	}
}

/* evdns's answer: from the loop, or from inside evdns_getaddrinfo. */
static void
resolve_gai_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct resolve_name	*n = arg;
	struct resolver		*r = n->r;
	char			 error[RESOLVE_TEXT_LEN];
	size_t			 count = 0;

	n->req = NULL;
	r->ninflight--;
	if (r->dying) {
		n->state = RESOLVE_FREE;
		if (res != NULL)
			evutil_freeaddrinfo(res);
		if (r->ninflight == 0)
			resolve_destroy(r);
		return;
	}
	if (result == 0)
		count = resolve_format(n->host, res, n->addrs,
		    sizeof(n->addrs));
	if (res != NULL)
		evutil_freeaddrinfo(res);
	if (count > 0) {
		n->state = RESOLVE_CACHED;
		n->expires = resolve_now() + r->ttl_ms;
		resolve_finish(r, n, n->addrs, NULL);
		return;
	}
	resolve_error(r, n, result, error, sizeof(error));
	log_debug("resolve: %s", error);
	n->state = RESOLVE_FREE;
	resolve_finish(r, n, NULL, error);
}

static void
resolve_start(struct resolver *r, struct resolve_name *n, const char *host,
    struct resolve_waiter *w)
{
	struct evutil_addrinfo			 hints;
	struct evdns_getaddrinfo_request	*req;

	memcpy(n->host, host, strlen(host) + 1);	/* checked length */
	n->state = RESOLVE_PENDING;
	n->started = resolve_now();
	TAILQ_INSERT_TAIL(&n->waiters, w, entry);
	r->ninflight++;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	req = evdns_getaddrinfo(r->dns, n->host, NULL, &hints, resolve_gai_cb,
	    n);
	/* NULL when resolve_gai_cb has already run (a hosts entry). */
	n->req = req;
}

static struct resolve_name *
resolve_find(struct resolver *r, const char *host)
{
	size_t	i;

	for (i = 0; i < RESOLVE_NAMES_MAX; i++)
		if (r->names[i].state != RESOLVE_FREE &&
		    strcasecmp(r->names[i].host, host) == 0)
			return &r->names[i];
	return NULL;
}

/* A free entry, else the cached answer that expires first. */
static struct resolve_name *
resolve_slot(struct resolver *r)
{
	struct resolve_name	*n, *old = NULL;
	size_t			 i;

	for (i = 0; i < RESOLVE_NAMES_MAX; i++) {
		n = &r->names[i];
		if (n->state == RESOLVE_FREE)
			return n;
		if (n->state == RESOLVE_CACHED &&
		    (old == NULL || n->expires < old->expires))
			old = n;
	}
	return old;
}

static struct resolve_waiter *
resolve_waiter_new(struct resolver *r, resolve_done_fn done, void *arg)
{
	struct resolve_waiter	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warn("resolve");
		return NULL;
	}
	w->done = done;
	w->arg = arg;
	r->nwaiters++;
	return w;
}

int
resolve_host(struct resolver *r, const char *host, resolve_done_fn done,
    void *arg)
{
	struct resolve_waiter	*w;
	struct resolve_name	*n;
	char			 lit[INET6_ADDRSTRLEN];

	if (r->nwaiters >= RESOLVE_WAITERS_MAX) {
		log_warnx("resolve: too many look-ups waiting");
		return -1;
	}
	if (resolve_literal(host, lit, sizeof(lit))) {
		if ((w = resolve_waiter_new(r, done, arg)) == NULL)
			return -1;
		resolve_answer(r, w, lit, NULL);
		return 0;
	}
	if (!resolve_name_ok(host)) {
		log_warnx("resolve: bad host name");
		return -1;
	}
	n = resolve_find(r, host);
	if (n != NULL && (n->state == RESOLVE_PENDING ||
	    resolve_now() < n->expires)) {
		if ((w = resolve_waiter_new(r, done, arg)) == NULL)
			return -1;
		if (n->state == RESOLVE_PENDING)
			TAILQ_INSERT_TAIL(&n->waiters, w, entry);
		else
			resolve_answer(r, w, n->addrs, NULL);
		return 0;
	}
	/* Not known, or an expired answer to refresh. */
	if (r->ninflight >= RESOLVE_INFLIGHT_MAX ||
	    (n == NULL && (n = resolve_slot(r)) == NULL)) {
		log_warnx("resolve: %s: too many look-ups in flight", host);
		return -1;
	}
	if ((w = resolve_waiter_new(r, done, arg)) == NULL)
		return -1;
	resolve_start(r, n, host, w);
	return 0;
}

void
resolve_set_ttl(struct resolver *r, int sec)
{
	r->ttl_ms = sec > 0 ? (int64_t)sec * 1000 : 0;
}

/* resolv.conf, without its hosts file, timeout or attempts. */
static int
resolve_read_conf(struct resolver *r, const char *path, char *err,
    size_t errlen)
{
	char	tv[32];

	switch (evdns_base_resolv_conf_parse(r->dns, DNS_OPTION_NAMESERVERS |
	    DNS_OPTION_SEARCH | DNS_OPTION_MISC, path)) {
	case 0:
		break;
	case 1:
		log_warnx("resolve: %s: cannot open, using nameserver "
		    "127.0.0.1", path);
		break;
	case 6:
		log_warnx("resolve: %s: no nameserver, using 127.0.0.1", path);
		break;
	default:
		snprintf(err, errlen, "resolve: %s: cannot read", path);
		return -1;
	}
	if (evdns_base_count_nameservers(r->dns) == 0) {
		snprintf(err, errlen, "resolve: %s: no usable nameserver",
		    path);
		return -1;
	}
	snprintf(tv, sizeof(tv), "%ld.%03ld", r->try_ms / 1000,
	    r->try_ms % 1000);
	if (evdns_base_set_option(r->dns, "timeout:", tv) == -1 ||
	    evdns_base_set_option(r->dns, "attempts:",
	    RESOLVE_ATTEMPTS_STR) == -1 ||
	    evdns_base_set_option(r->dns, "getaddrinfo-allow-skew:",
	    RESOLVE_NO_SKEW) == -1) {
		snprintf(err, errlen, "resolve: cannot set evdns options");
		return -1;
	}
	return 0;
}

static void
resolve_read_hosts(struct resolver *r, const char *path)
{
	/* A file evdns cannot read still gets localhost entries. */
	if (evdns_base_load_hosts(r->dns, path) == -1) {
		log_info("resolve: %s: cannot read, no host entries but "
		    "localhost", path);
		return;
	}
	/* localhost never goes to DNS, even when the file lacks it. */
	evdns_base_load_hosts(r->dns, NULL);
}

struct resolver *
resolve_init(struct event_base *base, const char *resolv_conf,
    const char *hosts, long timeout_ms, char *err, size_t errlen)
{
	struct resolver	*r;
	size_t		 i;

	if (timeout_ms < RESOLVE_TIMEOUT_MIN_MS ||
	    timeout_ms > RESOLVE_TIMEOUT_MAX_MS) {
		snprintf(err, errlen, "resolve: timeout out of range");
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "resolve: out of memory");
		return NULL;
	}
	r->base = base;
	r->ttl_ms = (int64_t)RESOLVE_TTL_SEC * 1000;
	r->try_ms = timeout_ms / RESOLVE_ATTEMPTS;
	TAILQ_INIT(&r->ready);
	for (i = 0; i < RESOLVE_NAMES_MAX; i++) {
		r->names[i].r = r;
		TAILQ_INIT(&r->names[i].waiters);
	}
	evdns_set_log_fn(resolve_evdns_log);
	if ((r->ready_ev = event_new(base, -1, 0, resolve_ready_cb, r)) ==
	    NULL || (r->dns = evdns_base_new(base, 0)) == NULL) {
		snprintf(err, errlen, "resolve: cannot start evdns");
		resolve_destroy(r);
		return NULL;
	}
	if (resolve_read_conf(r, resolv_conf != NULL ? resolv_conf :
	    RESOLVE_CONF, err, errlen) == -1) {
		resolve_destroy(r);
		return NULL;
	}
	resolve_read_hosts(r, hosts != NULL ? hosts : RESOLVE_HOSTS);
	return r;
}

void
resolve_free(struct resolver *r)
{
	struct resolve_name	*n;
	size_t			 i;

	if (r == NULL)
		return;
	resolve_waiters_free(&r->ready);
	r->nwaiters = 0;
	event_free(r->ready_ev);
	r->ready_ev = NULL;
	/*
	 * Each cancelled look-up calls back once more, from the loop; the
	 * last one destroys r.  The extra count keeps r alive meanwhile.
	 */
	r->dying = 1;
	r->ninflight++;
	for (i = 0; i < RESOLVE_NAMES_MAX; i++) {
		n = &r->names[i];
		resolve_waiters_free(&n->waiters);
		if (n->req != NULL)
			evdns_getaddrinfo_cancel(n->req);
	}
	if (--r->ninflight == 0)
		resolve_destroy(r);
}
