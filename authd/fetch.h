/*
 * HTTP(S) requests to the identity provider, asynchronous on authd's
 * libevent loop: libcurl's multi interface in its "multi_socket" form
 * (curl_multi_socket_action), one struct event per socket curl asks us to
 * watch and one timer, so a slow or dead IdP never blocks other logins.
 *
 * Every transfer: http and https only, no redirects followed (a 302 is
 * returned as 302), TLS verification always on, CA certificates only from
 * a blob in memory (no CA file or directory is ever opened after
 * fetch_init), no cookies, no proxy (the environment is ignored), no
 * .netrc, a User-Agent "gatehouse/<version>", a total and a connect
 * timeout, and a cap on the answer's body: a larger answer is cut off and
 * reported as the error "answer too large".
 *
 * Name resolution and the sandbox.  Debian's libcurl (7.88, OpenSSL) is
 * built with the threaded resolver (curl_version_info() features has
 * CURL_VERSION_ASYNCHDNS, and it is not c-ares): each look-up starts a
 * thread, which authd's seccomp filter forbids (no clone), and
 * getaddrinfo would want /etc/resolv.conf and nsswitch inside the chroot
 * anyway.  So curl never resolves a name in authd:
 *  - IP literals in URLs need no look-up (curl parses them itself);
 *  - every host name is pinned with fetch_pin(), which becomes a
 *    CURLOPT_RESOLVE entry ("host:port:addr,addr") on every transfer.
 *    Such entries are permanent in curl's DNS cache and a new pin for the
 *    same host and port replaces the old addresses, so curl's own cache
 *    timeout (CURLOPT_DNS_CACHE_TIMEOUT, set to 0: nothing curl resolves
 *    by itself is kept) never touches them;
 *  - after fetch_require_pins(ctx, 1), a URL whose host is neither an IP
 *    literal nor pinned is refused by fetch_get/fetch_post_form before
 *    curl sees it, so a forgotten pin is an error message, not a SIGSYS.
 * authd resolves names on its own loop with evdns (authd/resolve.h) and
 * pins what it found before each request (authd/idp.c).
 *
 * Callbacks: done is called exactly once for every transfer that
 * fetch_get/fetch_post_form accepted (returned 0), from the event loop,
 * never from inside those functions.  A done callback may start new
 * transfers but must not call fetch_free.  fetch_free cancels what is in
 * flight without calling done.
 */
#ifndef GH_FETCH_H
#define GH_FETCH_H

#include <stddef.h>

#include "resolve.h"

struct event_base;
struct fetch_ctx;

#define FETCH_CA_MAX		(8 * 1024 * 1024)	/* a CA bundle */
#define FETCH_INFLIGHT_MAX	256	/* concurrent transfers */
#define FETCH_PINS_MAX		64	/* pinned host:port pairs */
#define FETCH_ADDRS_MAX		RESOLVE_ADDRS_MAX	/* for one pin */

/*
 * status: the HTTP status, or -1 when there was no complete answer;
 * then error says why (curl's message, or "answer too large").  body is
 * NUL-terminated (body[len] == '\0'), may be empty, and is freed when the
 * callback returns.  error is NULL when status is not -1.
 */
typedef void	(*fetch_done_fn)(void *arg, int status, const char *body,
		    size_t len, const char *error);

/*
 * ca_pem: PEM text of the CA certificates to trust (provider_ca_file, read
 * before the sandbox), copied; NULL reads libcurl's default bundle file
 * now.  max_body caps every answer; timeout_ms bounds every transfer
 * (connecting included).  Returns NULL on error (logged).
 */
struct fetch_ctx	*fetch_init(struct event_base *, const char *ca_pem,
			    size_t max_body, long timeout_ms);
void			 fetch_free(struct fetch_ctx *);

/*
 * Pins host:port to addrs, a comma-separated list of IPv4 and IPv6
 * addresses ("192.0.2.1,2001:db8::1"), replacing an earlier pin; NULL or
 * "" removes the pin.  Applies to transfers started afterwards.
 * Returns 0, or -1 on a bad host, port or address.
 */
int	fetch_pin(struct fetch_ctx *, const char *host, int port,
	    const char *addrs);

/* With on set, refuse URLs whose host is not an IP literal or pinned. */
void	fetch_require_pins(struct fetch_ctx *, int on);

/* Returns 0 when started (done will be called), -1 otherwise (logged). */
int	fetch_get(struct fetch_ctx *, const char *url, fetch_done_fn,
	    void *arg);
/* The same with "Authorization: Bearer <token>" (userinfo). */
int	fetch_get_bearer(struct fetch_ctx *, const char *url,
	    const char *token, fetch_done_fn, void *arg);

/*
 * POSTs form_body (already application/x-www-form-urlencoded) to url.
 * basic_user and basic_pass, when not NULL, are sent as an Authorization:
 * Basic header (client_secret_basic); the caller form-encodes them first
 * as RFC 6749, section 2.3.1 asks.  Returns as fetch_get.
 */
int	fetch_post_form(struct fetch_ctx *, const char *url,
	    const char *form_body, const char *basic_user,
	    const char *basic_pass, fetch_done_fn, void *arg);

#endif /* GH_FETCH_H */
