/*
 * Host name look-ups for authd and sessiond, asynchronous on their
 * libevent loop with libevent's evdns: UDP to the nameservers of
 * resolv.conf from sockets opened at resolve_init, no threads, no files
 * read afterwards, so it works in the chroot and under the seccomp
 * filter.  authd turns the answers into fetch_pin() address lists (see
 * authd/fetch.h for why curl never resolves).
 *
 * What it reads, before the sandbox: resolv.conf ("nameserver", also
 * "127.0.0.1:5353" or "[::1]:5353"; "search", "domain", "options ndots:")
 * and a hosts file.  The timeout and attempts options of resolv.conf are
 * overridden: every look-up is bounded by the timeout_ms given here (two
 * tries of half of it each).  A missing resolv.conf means nameserver
 * 127.0.0.1 and the search domain taken from the host name, as glibc
 * does.  There is no nsswitch: the hosts file is consulted first, then
 * DNS.  "localhost" is always answered from the hosts table (evdns adds
 * 127.0.0.1 and ::1 for it), never from DNS, and only with loopback
 * addresses, since idp_url_ok lets http:// go to it.
 *
 * A look-up asks for A and AAAA in parallel; the answer is at most
 * RESOLVE_ADDRS_MAX addresses, IPv4 first, without duplicates, as
 * "192.0.2.1,2001:db8::1".  Answers are cached for a fixed time (DNS TTLs
 * are not passed on by evdns_getaddrinfo), failures are not cached;
 * concurrent look-ups of one name share one query.  IP literals are
 * answered as they are (normalised); other names must be LDH labels, at
 * most RESOLVE_HOST_MAX long, not ending in an all-numeric label ("127.1"
 * is refused rather than sent to DNS), and without a trailing dot.
 *
 * Callbacks: done is called exactly once for every look-up that
 * resolve_host accepted (returned 0), always from the event loop, never
 * from inside resolve_host, even for a cached answer, a hosts entry or an
 * IP literal.  done may start new look-ups but must not call resolve_free.
 * error is a phrase for a log line ("no address for idp.example: name
 * does not exist (NXDOMAIN)").
 *
 * resolve_free cancels what is in flight without calling done.  libevent
 * 2.1 delivers evdns cancellations from the loop, so when look-ups were
 * in flight the last of the memory (and the evdns sockets) is released
 * during the loop's next iteration, not inside resolve_free: free the
 * event base only after running the loop once more (or at exit).
 */
#ifndef GH_RESOLVE_H
#define GH_RESOLVE_H

#include <stddef.h>

struct event_base;
struct resolver;

#define RESOLVE_ADDRS_MAX	16	/* addresses in one answer */
#define RESOLVE_TTL_SEC		60	/* how long an answer is reused */
#define RESOLVE_NAMES_MAX	64	/* names cached or being looked up */
#define RESOLVE_INFLIGHT_MAX	16	/* names being looked up at once */
#define RESOLVE_WAITERS_MAX	256	/* callbacks not yet made */
#define RESOLVE_HOST_MAX	253
#define RESOLVE_TIMEOUT_MIN_MS	10
#define RESOLVE_TIMEOUT_MAX_MS	60000

/*
 * addrs: "a,b" as fetch_pin wants, or NULL on failure; then error says
 * why (and is NULL on success).  Both are freed when the callback returns.
 */
typedef void	(*resolve_done_fn)(void *arg, const char *addrs,
		    const char *error);

/*
 * Before the sandbox: reads resolv_conf (NULL: /etc/resolv.conf) and
 * hosts (NULL: /etc/hosts) now and opens a UDP socket per nameserver.  A
 * missing resolv.conf or hosts file is not an error (logged).  timeout_ms
 * bounds each look-up.  Returns NULL with err set on failure.
 */
struct resolver	*resolve_init(struct event_base *, const char *resolv_conf,
		    const char *hosts, long timeout_ms, char *err,
		    size_t errlen);
void		 resolve_free(struct resolver *);

/*
 * How long answers received from now on are reused: RESOLVE_TTL_SEC
 * unless changed; 0 never reuses one.
 */
void		 resolve_set_ttl(struct resolver *, int sec);

/*
 * Whether host is a name resolve_host takes: LDH labels of 1 to 63
 * characters, the last one not all digits, at most RESOLVE_HOST_MAX.
 */
int		 resolve_name_ok(const char *host);

/*
 * Looks host up.  Returns 0 when done will be called, -1 (logged) for a
 * bad host name or when a limit above is reached.
 */
int		 resolve_host(struct resolver *, const char *host,
		    resolve_done_fn, void *arg);

#endif /* GH_RESOLVE_H */
