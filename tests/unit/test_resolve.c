/*
 * authd's evdns look-ups on a real libevent loop, against a tiny DNS
 * server run by the test on the same loop (UDP, 127.0.0.1, a port of the
 * kernel's choice) that counts the questions it gets: an answer with A and
 * AAAA, an A only, more addresses than a pin holds, NXDOMAIN, SERVFAIL, an
 * empty answer, silence (a timeout), an A answered and its AAAA never, and
 * a search domain.  Hosts file entries and localhost are answered without
 * a question to the server; IP literals too.  Cached answers and
 * concurrent look-ups share one query; bad names and the limits are
 * refused; resolve_free with look-ups in flight calls no callback and
 * leaks nothing (run under ASan by `make asan`).  Every loop is bounded.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "resolve.h"

#define TIMEOUT_MS	600	/* two tries of 300 ms */
#define WAIT_MS		3000	/* bound on any wait for an answer */
#define FLUSH_MS	30
#define QLOG_MAX	1024
#define MANY_A		20
#define MANY_AAAA	10
#define HOSTS_NAMES	(RESOLVE_NAMES_MAX + 6)

#define TYPE_A		1
#define TYPE_AAAA	28
#define RCODE_SERVFAIL	2
#define RCODE_NXDOMAIN	3
#define SILENT		-1

struct dns_server {
	int		 fd;
	int		 port;
	struct event	*ev;
	int		 total;
	char		 qlog[QLOG_MAX][256];
};

struct fixture {
	struct event_base	*base;
	struct dns_server	 srv;
	struct resolver		*r;
	char			 dir[64];
	char			 conf[128];
	char			 hosts[128];
};

struct result {
	int	 called;
	char	*addrs;
	char	*error;
};

/* --- the DNS server -------------------------------------------------- */

/*
 * The canned answer for name and qtype: fills addrs (network order) and
 * returns the rcode, or SILENT.
 */
static int
canned(const char *name, int qtype, unsigned char addrs[][16], int *n)
{
	const char	*v4 = NULL, *v6 = NULL;
	int		 i;

	*n = 0;
	if (strcmp(name, "idp.test") == 0) {
		v4 = "192.0.2.10";
		v6 = "2001:db8::10";
	} else if (strcmp(name, "v4.test") == 0 ||
	    strcmp(name, "half.test") == 0) {
		if (qtype == TYPE_AAAA && name[0] == 'h')
			return SILENT;
		v4 = name[0] == 'h' ? "192.0.2.30" : "192.0.2.11";
	} else if (strcmp(name, "idp.corp.test") == 0)
		v4 = "192.0.2.20";
	else if (strcmp(name, "localhost") == 0 ||
	    strcmp(name, "hosted.test") == 0)
		v4 = "203.0.113.1";	/* wrong: must come from hosts */
	else if (strcmp(name, "many.test") == 0) {
		for (i = 0; qtype == TYPE_A && i < MANY_A; i++) {
			inet_pton(AF_INET, "192.0.2.100", addrs[i]);
			addrs[i][3] += i;
			*n = i + 1;
		}
		for (i = 0; qtype == TYPE_AAAA && i < MANY_AAAA; i++) {
			inet_pton(AF_INET6, "2001:db8::100", addrs[i]);
			addrs[i][15] += i;
			*n = i + 1;
		}
		return 0;
	} else if (strncmp(name, "nodata.test", 11) == 0 ||
	    strcmp(name, "nodata-nx.test") == 0)
		return 0;	/* no records; the search domain too */
	else if (strcmp(name, "servfail.test") == 0)
		return RCODE_SERVFAIL;
	else if (strcmp(name, "silent.test") == 0 ||
	    strstr(name, ".silent.test") != NULL)
		return SILENT;
	else
		return RCODE_NXDOMAIN;
	if (qtype == TYPE_A && v4 != NULL && inet_pton(AF_INET, v4, addrs[0]))
		*n = 1;
	if (qtype == TYPE_AAAA && v6 != NULL &&
	    inet_pton(AF_INET6, v6, addrs[0]))
		*n = 1;
	return 0;
}

static void
put16(unsigned char *p, int v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* Reads the question's name (lower-cased); returns the offset after it. */
static size_t
parse_qname(const unsigned char *q, size_t len, char *name, size_t namelen)
{
	size_t	off = 12, out = 0, l, i;

	while (off < len && q[off] != 0) {
		l = q[off++];
		if (l > 63 || off + l > len || out + l + 1 >= namelen)
			return 0;
		if (out > 0)
			name[out++] = '.';
		for (i = 0; i < l; i++) {
			name[out] = (char)q[off + i];
			if (name[out] >= 'A' && name[out] <= 'Z')
				name[out] += 'a' - 'A';
			out++;
		}
		off += l;
	}
	name[out] = '\0';
	return off < len ? off + 1 : 0;
}

static void
dns_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_server	*s = arg;
	struct sockaddr_storage	 from;
	socklen_t		 flen = sizeof(from);
	unsigned char		 q[512], a[1500], addrs[MANY_A][16];
	char			 name[256];
	ssize_t			 n;
	size_t			 qend, off;
	int			 qtype, rcode, naddrs, i, alen;

	(void)what;
	if ((n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from,
	    &flen)) < 12)
		return;
	if ((qend = parse_qname(q, (size_t)n, name, sizeof(name))) == 0 ||
	    qend + 4 > (size_t)n)
		return;
	qtype = q[qend] << 8 | q[qend + 1];
	qend += 4;
	if (s->total < QLOG_MAX)
		snprintf(s->qlog[s->total], sizeof(s->qlog[0]), "%s", name);
	s->total++;
	if ((rcode = canned(name, qtype, addrs, &naddrs)) == SILENT)
		return;
	/* Header: same id, QR RD RA and the rcode, the question echoed. */
	memcpy(a, q, qend);
	a[2] = 0x81;
	a[3] = (unsigned char)(0x80 | rcode);
	put16(a + 6, naddrs);
	put16(a + 8, 0);
	put16(a + 10, 0);
	off = qend;
	alen = qtype == TYPE_A ? 4 : 16;
	for (i = 0; i < naddrs; i++) {
		a[off] = 0xc0;			/* pointer to the question */
		a[off + 1] = 12;
		put16(a + off + 2, qtype);
		put16(a + off + 4, 1);		/* IN */
		put16(a + off + 6, 0);
		put16(a + off + 8, 60);		/* TTL */
		put16(a + off + 10, alen);
		memcpy(a + off + 12, addrs[i], (size_t)alen);
		off += 12 + (size_t)alen;
	}
	sendto(fd, a, off, 0, (struct sockaddr *)&from, flen);
}

static int
dns_start(struct dns_server *s, struct event_base *base)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);

	memset(s, 0, sizeof(*s));
	if ((s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(s->fd, (struct sockaddr *)&sin, &len) == -1)
		return -1;
	s->port = ntohs(sin.sin_port);
	s->ev = event_new(base, s->fd, EV_READ | EV_PERSIST, dns_read_cb, s);
	return s->ev == NULL ? -1 : event_add(s->ev, NULL);
}

static void
dns_stop(struct dns_server *s)
{
	event_free(s->ev);
	close(s->fd);
}

/* Questions the server got for name. */
static int
dns_count(struct dns_server *s, const char *name)
{
	int	i, n = 0;

	for (i = 0; i < s->total && i < QLOG_MAX; i++)
		if (strcmp(s->qlog[i], name) == 0)
			n++;
	return n;
}

/* --- the loop ------------------------------------------------------- */

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

/* Runs the loop until *called reaches want or ms have passed. */
static void
run_until(struct event_base *base, const int *called, int want, long ms)
{
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };
	struct event	*t;
	int		 expired = 0, none = 0;

	if (called == NULL)
		called = &none;
	assert_non_null(t = evtimer_new(base, deadline_cb, &expired));
	evtimer_add(t, &tv);
	while (*called < want && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(t);
}

static void
run_for(struct event_base *base, long ms)
{
	run_until(base, NULL, 1, ms);
}

static long
elapsed_ms(const struct timespec *t0)
{
	struct timespec	t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* --- fixtures ------------------------------------------------------- */

static void
done_cb(void *arg, const char *addrs, const char *error)
{
	struct result	*res = arg;

	res->called++;
	free(res->addrs);
	free(res->error);
	res->addrs = addrs ? strdup(addrs) : NULL;
	res->error = error ? strdup(error) : NULL;
	/* Exactly one of them. */
	assert_true((addrs == NULL) != (error == NULL));
}

static void
result_clear(struct result *res)
{
	free(res->addrs);
	free(res->error);
	memset(res, 0, sizeof(*res));
}

static void
write_file(const char *path, const char *text)
{
	FILE	*fp;

	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
}

static void
write_hosts(const char *path)
{
	FILE	*fp;
	int	 i;

	assert_non_null(fp = fopen(path, "w"));
	fputs("# a comment\n127.0.0.1\tlocalhost\n"
	    "::1     localhost ip6-localhost ip6-loopback\n"
	    "192.0.2.50 hosted.test hosted # trailing comment\n"
	    "192.0.2.50 hosted.test\n"		/* a duplicate */
	    "2001:db8::50 hosted.test\n"
	    "not-an-address broken.test\n", fp);
	for (i = 0; i < HOSTS_NAMES; i++)
		fprintf(fp, "198.51.100.%d h%d.test\n", i, i);
	fclose(fp);
}

static int
setup(void **state)
{
	struct fixture	*f;
	char		 conf[256], err[256];

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_resolve.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->conf, sizeof(f->conf), "%s/resolv.conf", f->dir);
	snprintf(f->hosts, sizeof(f->hosts), "%s/hosts", f->dir);
	if ((f->base = event_base_new()) == NULL ||
	    dns_start(&f->srv, f->base) == -1)
		return -1;
	/* evdns's "address:port" syntax, and options it must override. */
	snprintf(conf, sizeof(conf), "nameserver 127.0.0.1:%d\n"
	    "search corp.test\noptions ndots:1 timeout:30 attempts:5\n",
	    f->srv.port);
	write_file(f->conf, conf);
	write_hosts(f->hosts);
	f->r = resolve_init(f->base, f->conf, f->hosts, TIMEOUT_MS, err,
	    sizeof(err));
	if (f->r == NULL) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	resolve_free(f->r);
	run_for(f->base, FLUSH_MS);	/* cancelled look-ups call back */
	dns_stop(&f->srv);
	event_base_free(f->base);
	unlink(f->conf);
	unlink(f->hosts);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Looks host up and runs the loop until the answer. */
static void
lookup(struct fixture *f, const char *host, struct result *res)
{
	memset(res, 0, sizeof(*res));
	assert_int_equal(resolve_host(f->r, host, done_cb, res), 0);
	assert_int_equal(res->called, 0);	/* never synchronously */
	run_until(f->base, &res->called, 1, WAIT_MS);
	assert_int_equal(res->called, 1);
}

static void
expect_addrs(struct fixture *f, const char *host, const char *addrs)
{
	struct result	res;

	lookup(f, host, &res);
	assert_null(res.error);
	assert_string_equal(res.addrs, addrs);
	result_clear(&res);
}

static void
expect_error(struct fixture *f, const char *host, const char *what)
{
	struct result	res;

	lookup(f, host, &res);
	assert_null(res.addrs);
	assert_non_null(res.error);
	if (strstr(res.error, what) == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", host, res.error, what);
	assert_non_null(strstr(res.error, host));
	result_clear(&res);
}

/* --- tests ---------------------------------------------------------- */

static void
test_literals(void **state)
{
	struct fixture	*f = *state;

	expect_addrs(f, "192.0.2.1", "192.0.2.1");
	expect_addrs(f, "2001:DB8:0::1", "2001:db8::1");
	expect_addrs(f, "::1", "::1");
	assert_int_equal(f->srv.total, 0);
}

static void
test_hosts_file(void **state)
{
	struct fixture	*f = *state;

	expect_addrs(f, "localhost", "127.0.0.1,::1");
	expect_addrs(f, "LocalHost", "127.0.0.1,::1");
	expect_addrs(f, "hosted.test", "192.0.2.50,2001:db8::50");
	expect_addrs(f, "hosted", "192.0.2.50");	/* an alias */
	expect_addrs(f, "h3.test", "198.51.100.3");
	/* Not one question reached the DNS server. */
	assert_int_equal(f->srv.total, 0);
}

/* A hosts file without localhost, or with a remote address for it. */
static void
test_localhost_fallback(void **state)
{
	struct fixture	*f = *state;
	char		 err[256];

	resolve_free(f->r);
	write_file(f->hosts, "192.0.2.99 localhost\n192.0.2.50 other.test\n");
	assert_non_null(f->r = resolve_init(f->base, f->conf, f->hosts,
	    TIMEOUT_MS, err, sizeof(err)));
	expect_addrs(f, "localhost", "127.0.0.1,::1");
	resolve_free(f->r);

	/* No hosts file at all. */
	unlink(f->hosts);
	assert_non_null(f->r = resolve_init(f->base, f->conf, f->hosts,
	    TIMEOUT_MS, err, sizeof(err)));
	expect_addrs(f, "localhost", "127.0.0.1,::1");
	assert_int_equal(f->srv.total, 0);
}

static void
test_dns_answer(void **state)
{
	struct fixture	*f = *state;

	expect_addrs(f, "idp.test", "192.0.2.10,2001:db8::10");
	assert_int_equal(dns_count(&f->srv, "idp.test"), 2);	/* A, AAAA */
	expect_addrs(f, "v4.test", "192.0.2.11");
}

static void
test_many_addresses(void **state)
{
	struct fixture	*f = *state;
	struct result	 res;
	const char	*p;
	int		 n = 1;

	lookup(f, "many.test", &res);
	assert_non_null(res.addrs);
	for (p = res.addrs; (p = strchr(p, ',')) != NULL; p++)
		n++;
	assert_int_equal(n, 16);
	/* IPv4 first: all sixteen are the A records. */
	assert_null(strchr(res.addrs, ':'));
	assert_true(strncmp(res.addrs, "192.0.2.100,192.0.2.101,", 24) == 0);
	result_clear(&res);
}

static void
test_cache(void **state)
{
	struct fixture	*f = *state;

	expect_addrs(f, "idp.test", "192.0.2.10,2001:db8::10");
	expect_addrs(f, "IDP.test", "192.0.2.10,2001:db8::10");
	expect_addrs(f, "idp.test", "192.0.2.10,2001:db8::10");
	assert_int_equal(dns_count(&f->srv, "idp.test"), 2);

	/* Expired answers are asked for again. */
	resolve_set_ttl(f->r, 0);
	expect_addrs(f, "v4.test", "192.0.2.11");
	expect_addrs(f, "v4.test", "192.0.2.11");
	assert_int_equal(dns_count(&f->srv, "v4.test"), 4);
}

static void
test_coalesce(void **state)
{
	struct fixture	*f = *state;
	struct result	 res[3];
	int		 i, total = 0;

	memset(res, 0, sizeof(res));
	for (i = 0; i < 3; i++)
		assert_int_equal(resolve_host(f->r, "idp.test", done_cb,
		    &res[i]), 0);
	for (i = 0; i < 3; i++) {
		run_until(f->base, &res[i].called, 1, WAIT_MS);
		total += res[i].called;
		assert_string_equal(res[i].addrs, "192.0.2.10,2001:db8::10");
		result_clear(&res[i]);
	}
	assert_int_equal(total, 3);
	assert_int_equal(dns_count(&f->srv, "idp.test"), 2);
}

static void
test_nxdomain(void **state)
{
	struct fixture	*f = *state;

	expect_error(f, "nx.test", "does not exist");
	/* After the name itself, the search domain was tried. */
	assert_int_equal(dns_count(&f->srv, "nx.test"), 2);
	assert_int_equal(dns_count(&f->srv, "nx.test.corp.test"), 2);
	/* Failures are not cached. */
	expect_error(f, "nx.test", "does not exist");
	assert_int_equal(dns_count(&f->srv, "nx.test"), 4);
}

static void
test_search_domain(void **state)
{
	struct fixture	*f = *state;

	expect_addrs(f, "idp", "192.0.2.20");
	assert_int_equal(dns_count(&f->srv, "idp.corp.test"), 2);
}

static void
test_timeout(void **state)
{
	struct fixture	*f = *state;
	struct timespec	 t0;
	long		 ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_error(f, "silent.test", "timed out");
	ms = elapsed_ms(&t0);
	/* Two tries of 300 ms, not resolv.conf's 5 of 30 s. */
	assert_true(ms >= TIMEOUT_MS - 50 && ms < 2 * TIMEOUT_MS);
	assert_int_equal(dns_count(&f->srv, "silent.test"), 4);
}

static void
test_server_failure(void **state)
{
	struct fixture	*f = *state;
	struct timespec	 t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_error(f, "servfail.test", "DNS server failure");
	expect_error(f, "nodata.test", "no A/AAAA record");
	assert_true(elapsed_ms(&t0) < TIMEOUT_MS / 2);
	/*
	 * evdns reports the last name it tried: no records for the name,
	 * then NXDOMAIN with the search domain, is NXDOMAIN.
	 */
	expect_error(f, "nodata-nx.test", "does not exist");
	assert_int_equal(dns_count(&f->srv, "nodata-nx.test.corp.test"), 2);
}

/* The A is answered, the AAAA never: the A is the answer, in time. */
static void
test_half_answer(void **state)
{
	struct fixture	*f = *state;
	struct timespec	 t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_addrs(f, "half.test", "192.0.2.30");
	assert_true(elapsed_ms(&t0) < 2 * TIMEOUT_MS);
}

static void
test_bad_names(void **state)
{
	static const char *const bad[] = {
		"", ".", "a..b", ".a.test", "a.test.", "-a.test", "a-.test",
		"a_b.test", "a b.test", "a\n.test", "idp.test:443", "[::1]",
		"127.1", "1.2.3.4.5", "0x7f.1", "host.123", "\xc3\xa9.test",
	};
	struct fixture	*f = *state;
	struct result	 res;
	char		 name[300];
	size_t		 i;

	memset(&res, 0, sizeof(res));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (resolve_host(f->r, bad[i], done_cb, &res) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
	/* A 64-character label; a 254-character name. */
	memset(name, 'a', 64);
	strcpy(name + 64, ".test");
	assert_int_equal(resolve_host(f->r, name, done_cb, &res), -1);
	memset(name, 'a', sizeof(name));
	for (i = 63; i < 254; i += 64)
		name[i] = '.';
	name[254] = '\0';
	assert_int_equal(resolve_host(f->r, name, done_cb, &res), -1);
	/* 253 is fine (answered NXDOMAIN). */
	name[253] = '\0';
	expect_error(f, name, "does not exist");
	expect_error(f, "a-b.x1.test", "does not exist");

	run_for(f->base, FLUSH_MS);
	assert_int_equal(res.called, 0);
	assert_int_equal(dns_count(&f->srv, "a-b.x1.test"), 2);
}

static void
test_limits(void **state)
{
	struct fixture	*f = *state;
	struct result	 res;
	char		 name[64];
	int		 i;

	memset(&res, 0, sizeof(res));
	for (i = 0; i < RESOLVE_INFLIGHT_MAX; i++) {
		snprintf(name, sizeof(name), "n%d.silent.test", i);
		assert_int_equal(resolve_host(f->r, name, done_cb, &res), 0);
	}
	assert_int_equal(resolve_host(f->r, "one-more.test", done_cb, &res),
	    -1);
	/* Cached names and literals need no look-up. */
	assert_int_equal(resolve_host(f->r, "192.0.2.1", done_cb, &res), 0);
	/* Waiting on names already in flight, up to the cap. */
	for (i = RESOLVE_INFLIGHT_MAX + 1; i < RESOLVE_WAITERS_MAX; i++)
		assert_int_equal(resolve_host(f->r, "n0.silent.test", done_cb,
		    &res), 0);
	assert_int_equal(resolve_host(f->r, "n0.silent.test", done_cb, &res),
	    -1);
	assert_int_equal(resolve_host(f->r, "192.0.2.1", done_cb, &res), -1);
	run_until(f->base, &res.called, RESOLVE_WAITERS_MAX, WAIT_MS);
	assert_int_equal(res.called, RESOLVE_WAITERS_MAX);
	result_clear(&res);
	/* All answered: room again. */
	expect_addrs(f, "idp.test", "192.0.2.10,2001:db8::10");
}

/* More names than the cache holds, one after the other. */
static void
test_eviction(void **state)
{
	struct fixture	*f = *state;
	char		 name[32], addr[32];
	int		 i;

	for (i = 0; i < HOSTS_NAMES; i++) {
		snprintf(name, sizeof(name), "h%d.test", i);
		snprintf(addr, sizeof(addr), "198.51.100.%d", i);
		expect_addrs(f, name, addr);
	}
	expect_addrs(f, "h0.test", "198.51.100.0");
	assert_int_equal(f->srv.total, 0);
}

static void
test_free_in_flight(void **state)
{
	struct fixture	*f = *state;
	struct result	 res;

	memset(&res, 0, sizeof(res));
	/* In flight, answered but not yet called back, and half answered. */
	assert_int_equal(resolve_host(f->r, "half.test", done_cb, &res), 0);
	run_until(f->base, &f->srv.total, 2, WAIT_MS);
	run_for(f->base, FLUSH_MS);
	assert_int_equal(res.called, 0);
	assert_int_equal(resolve_host(f->r, "silent.test", done_cb, &res), 0);
	assert_int_equal(resolve_host(f->r, "idp.test", done_cb, &res), 0);
	assert_int_equal(resolve_host(f->r, "localhost", done_cb, &res), 0);
	assert_int_equal(resolve_host(f->r, "192.0.2.1", done_cb, &res), 0);
	resolve_free(f->r);
	f->r = NULL;
	run_for(f->base, TIMEOUT_MS + 100);
	assert_int_equal(res.called, 0);

	/* Nothing in flight: freed at once. */
	resolve_free(NULL);
}

static void
test_init_errors(void **state)
{
	struct fixture	*f = *state;
	struct resolver	*r;
	char		 err[256];

	err[0] = '\0';
	assert_null(resolve_init(f->base, f->conf, f->hosts, 0, err,
	    sizeof(err)));
	assert_non_null(strstr(err, "timeout"));
	/* A directory cannot be read as resolv.conf. */
	err[0] = '\0';
	assert_null(resolve_init(f->base, f->dir, f->hosts, TIMEOUT_MS, err,
	    sizeof(err)));
	assert_non_null(strstr(err, f->dir));
	/* No nameserver line, or no file: 127.0.0.1 (not asked here). */
	write_file(f->conf, "search example.test\n");
	assert_non_null(r = resolve_init(f->base, f->conf, f->hosts,
	    TIMEOUT_MS, err, sizeof(err)));
	resolve_free(r);
	unlink(f->conf);
	assert_non_null(r = resolve_init(f->base, f->conf, f->hosts,
	    TIMEOUT_MS, err, sizeof(err)));
	resolve_free(r);
}

#define T(t)	cmocka_unit_test_setup_teardown(t, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_literals),
		T(test_hosts_file),
		T(test_localhost_fallback),
		T(test_dns_answer),
		T(test_many_addresses),
		T(test_cache),
		T(test_coalesce),
		T(test_nxdomain),
		T(test_search_domain),
		T(test_timeout),
		T(test_server_failure),
		T(test_half_answer),
		T(test_bad_names),
		T(test_limits),
		T(test_eviction),
		T(test_free_in_flight),
		T(test_init_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
