/*
 * IdP HTTP(S) client: libcurl's multi_socket API on a libevent loop.
 * curl tells us which sockets to watch (socket callback) and when to call
 * it back (timer callback); each transfer collects its body in memory up
 * to a cap and is handed to its done callback when curl reports it done.
 */
#include <sys/queue.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "gatehouse.h"
#include "log.h"
#include "fetch.h"

#define FETCH_USER_AGENT	"gatehouse/" GATEHOUSE_VERSION
#define FETCH_DEFAULT_CA	"/etc/ssl/certs/ca-certificates.crt"
#define FETCH_HOST_MAX		253
#define FETCH_BODY_CHUNK	4096

struct fetch_pin {
	char	*host;
	int	 port;
	char	*entry;			/* "host:port:addr,addr" */
};

struct fetch_sock {
	struct fetch_ctx	*ctx;
	struct event		*ev;
	curl_socket_t		 fd;
};

struct fetch_xfer {
	TAILQ_ENTRY(fetch_xfer)	 entry;
	struct fetch_ctx	*ctx;
	CURL			*easy;
	struct curl_slist	*resolve;
	struct curl_slist	*headers;
	char			*post;		/* may hold secrets */
	size_t			 postlen;
	fetch_done_fn		 done;
	void			*arg;
	char			*body;
	size_t			 len;
	size_t			 cap;
	int			 too_large;
	char			 errbuf[CURL_ERROR_SIZE];
};

struct fetch_ctx {
	struct event_base	*base;
	CURLM			*multi;
	struct event		*timer;
	char			*ca;
	size_t			 calen;
	size_t			 max_body;
	long			 timeout_ms;
	int			 require_pins;
	struct fetch_pin	 pins[FETCH_PINS_MAX];
	size_t			 npins;
	size_t			 ninflight;
	TAILQ_HEAD(, fetch_xfer) xfers;
};

static void	fetch_check_done(struct fetch_ctx *);

/* Reads a whole file of at most FETCH_CA_MAX bytes; NULL on error. */
static char *
fetch_read_file(const char *path, size_t *lenp)
{
	struct stat	 st;
	char		*buf;
	ssize_t		 n;
	size_t		 off = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("fetch: %s", path);
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > FETCH_CA_MAX) {
		log_warnx("fetch: %s: not a regular file of at most %d bytes",
		    path, FETCH_CA_MAX);
		close(fd);
		return NULL;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	while (off < (size_t)st.st_size) {
		n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	buf[off] = '\0';
	*lenp = off;
	return buf;
}

/* The CA bundle: the caller's text, or libcurl's default file read now. */
static int
fetch_load_ca(struct fetch_ctx *ctx, const char *ca_pem)
{
	const curl_version_info_data	*vi;
	const char			*path = FETCH_DEFAULT_CA;

	if (ca_pem != NULL) {
		ctx->calen = strlen(ca_pem);
		if (ctx->calen > FETCH_CA_MAX) {
			log_warnx("fetch: CA bundle too large");
			return -1;
		}
		if ((ctx->ca = strdup(ca_pem)) == NULL)
			return -1;
		return 0;
	}
	vi = curl_version_info(CURLVERSION_NOW);
	if (vi->age >= CURLVERSION_NINTH && vi->cainfo != NULL)
		path = vi->cainfo;
	if ((ctx->ca = fetch_read_file(path, &ctx->calen)) == NULL)
		return -1;
	return 0;
}

static void
fetch_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fetch_ctx	*ctx = arg;
	int			 running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(ctx->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	fetch_check_done(ctx);
}

/* curl's CURLMOPT_TIMERFUNCTION: -1 stops the timer, 0 means soon. */
static int
fetch_timer_set(CURLM *multi, long timeout_ms, void *arg)
{
	struct fetch_ctx	*ctx = arg;
	struct timeval		 tv;

	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(ctx->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(ctx->timer, &tv) == -1 ? -1 : 0;
}

static void
fetch_sock_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fetch_sock	*s = arg;
	struct fetch_ctx	*ctx = s->ctx;
	int			 flags = 0, running;

	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(ctx->multi, fd, flags, &running);
	fetch_check_done(ctx);
}

/* curl's CURLMOPT_SOCKETFUNCTION: watch fd as curl says, or stop. */
static int
fetch_sock_set(CURL *easy, curl_socket_t fd, int what, void *arg,
    void *sockp)
{
	struct fetch_ctx	*ctx = arg;
	struct fetch_sock	*s = sockp;
	short			 ev = EV_PERSIST;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			event_free(s->ev);
			free(s);
		}
		return 0;
	}
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return -1;
		s->ctx = ctx;
		s->fd = fd;
		curl_multi_assign(ctx->multi, fd, s);
	} else {
		event_free(s->ev);
		s->ev = NULL;
	}
	if (what & CURL_POLL_IN)
		ev |= EV_READ;
	if (what & CURL_POLL_OUT)
		ev |= EV_WRITE;
	if ((s->ev = event_new(ctx->base, fd, ev, fetch_sock_cb, s)) == NULL ||
	    event_add(s->ev, NULL) == -1) {
		log_warnx("fetch: cannot watch a socket");
		return -1;
	}
	return 0;
}

/* Appends to the body; past max_body, stops the transfer. */
static size_t
fetch_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct fetch_xfer	*x = arg;
	size_t			 n = size * nmemb, ncap;
	char			*p;

	if (n > x->ctx->max_body - x->len) {
		x->too_large = 1;
		return 0;
	}
	if (x->len + n + 1 > x->cap) {
		ncap = x->cap ? x->cap : FETCH_BODY_CHUNK;
		while (ncap < x->len + n + 1)
			ncap *= 2;
		if (ncap > x->ctx->max_body + 1)
			ncap = x->ctx->max_body + 1;
		if ((p = realloc(x->body, ncap)) == NULL)
			return 0;
		x->body = p;
		x->cap = ncap;
	}
	memcpy(x->body + x->len, data, n);
	x->len += n;
	x->body[x->len] = '\0';
	return n;
}

static void
fetch_xfer_free(struct fetch_xfer *x)
{
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->resolve);
	curl_slist_free_all(x->headers);
	if (x->post != NULL) {
		explicit_bzero(x->post, x->postlen);
		free(x->post);
	}
	free(x->body);
	free(x);
}

/* Hands every finished transfer to its done callback. */
static void
fetch_check_done(struct fetch_ctx *ctx)
{
	struct fetch_xfer	*x;
	CURLMsg			*msg;
	const char		*error = NULL;
	long			 code = 0;
	int			 left, status;

	while ((msg = curl_multi_info_read(ctx->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &x);
		status = -1;
		if (x->too_large || msg->data.result == CURLE_FILESIZE_EXCEEDED)
			error = "answer too large";
		else if (msg->data.result != CURLE_OK)
			error = x->errbuf[0] != '\0' ? x->errbuf :
			    curl_easy_strerror(msg->data.result);
		else if (curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE,
		    &code) != CURLE_OK || code < 100 || code > 999)
			error = "no HTTP status";
		else {
			status = (int)code;
			error = NULL;
		}
		curl_multi_remove_handle(ctx->multi, x->easy);
		TAILQ_REMOVE(&ctx->xfers, x, entry);
		ctx->ninflight--;
		x->done(x->arg, status, status == -1 || x->body == NULL ? "" :
		    x->body, status == -1 ? 0 : x->len, error);
		fetch_xfer_free(x);
	}
}

struct fetch_ctx *
fetch_init(struct event_base *base, const char *ca_pem, size_t max_body,
    long timeout_ms)
{
	struct fetch_ctx	*ctx;

	if (max_body == 0 || max_body >= SIZE_MAX / 2 || timeout_ms <= 0) {
		log_warnx("fetch: bad limits");
		return NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warnx("fetch: curl_global_init failed");
		return NULL;
	}
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL) {
		curl_global_cleanup();
		return NULL;
	}
	ctx->base = base;
	ctx->max_body = max_body;
	ctx->timeout_ms = timeout_ms;
	TAILQ_INIT(&ctx->xfers);
	if (fetch_load_ca(ctx, ca_pem) == -1 ||
	    (ctx->multi = curl_multi_init()) == NULL ||
	    (ctx->timer = evtimer_new(base, fetch_timer_cb, ctx)) == NULL) {
		fetch_free(ctx);
		return NULL;
	}
	curl_multi_setopt(ctx->multi, CURLMOPT_SOCKETFUNCTION, fetch_sock_set);
	curl_multi_setopt(ctx->multi, CURLMOPT_SOCKETDATA, ctx);
	curl_multi_setopt(ctx->multi, CURLMOPT_TIMERFUNCTION, fetch_timer_set);
	curl_multi_setopt(ctx->multi, CURLMOPT_TIMERDATA, ctx);
	return ctx;
}

void
fetch_free(struct fetch_ctx *ctx)
{
	struct fetch_xfer	*x;
	size_t			 i;

	if (ctx == NULL)
		return;
	while ((x = TAILQ_FIRST(&ctx->xfers)) != NULL) {
		TAILQ_REMOVE(&ctx->xfers, x, entry);
		curl_multi_remove_handle(ctx->multi, x->easy);
		fetch_xfer_free(x);
	}
	/* Closes cached connections, which calls the socket callback. */
	if (ctx->multi != NULL)
		curl_multi_cleanup(ctx->multi);
	if (ctx->timer != NULL)
		event_free(ctx->timer);
	for (i = 0; i < ctx->npins; i++) {
		free(ctx->pins[i].host);
		free(ctx->pins[i].entry);
	}
	free(ctx->ca);
	free(ctx);
	curl_global_cleanup();
}

/* Whether host is a name curl may use: letters, digits, '-', '.'. */
static int
fetch_host_ok(const char *host)
{
	size_t	len = strlen(host);

	return len > 0 && len <= FETCH_HOST_MAX &&
	    strspn(host, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") == len;
}

/* Builds "host:port:a,[b]" from "a,b", each address checked. */
static char *
fetch_pin_entry(const char *host, int port, const char *addrs)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;
	char		*list, *p, *tok, *out = NULL;
	char		 buf[FETCH_HOST_MAX + 16 +
			    FETCH_ADDRS_MAX * (INET6_ADDRSTRLEN + 3)];
	size_t		 n = 0, off;
	int		 len;

	if ((list = strdup(addrs)) == NULL)
		return NULL;
	len = snprintf(buf, sizeof(buf), "%s:%d:", host, port);
	off = (size_t)len;
	for (p = list; (tok = strsep(&p, ",")) != NULL; n++) {
		if (n == FETCH_ADDRS_MAX || strlen(tok) >= INET6_ADDRSTRLEN)
			goto done;
		if (inet_pton(AF_INET, tok, &a4) == 1)
			len = snprintf(buf + off, sizeof(buf) - off, "%s%s",
			    n ? "," : "", tok);
		else if (inet_pton(AF_INET6, tok, &a6) == 1)
			len = snprintf(buf + off, sizeof(buf) - off, "%s[%s]",
			    n ? "," : "", tok);
		else
			goto done;
		if (len < 0 || (size_t)len >= sizeof(buf) - off)
			goto done;
		off += (size_t)len;
	}
	out = strdup(buf);
 done:
	free(list);
	return out;
}

static struct fetch_pin *
fetch_pin_find(struct fetch_ctx *ctx, const char *host, int port)
{
	size_t	i;

	for (i = 0; i < ctx->npins; i++)
		if (ctx->pins[i].port == port &&
		    strcasecmp(ctx->pins[i].host, host) == 0)
			return &ctx->pins[i];
	return NULL;
}

int
fetch_pin(struct fetch_ctx *ctx, const char *host, int port,
    const char *addrs)
{
	struct fetch_pin	*pin;
	char			*entry = NULL;

	if (!fetch_host_ok(host) || port < 1 || port > 65535) {
		log_warnx("fetch_pin: bad host or port");
		return -1;
	}
	if (addrs != NULL && *addrs != '\0' &&
	    (entry = fetch_pin_entry(host, port, addrs)) == NULL) {
		log_warnx("fetch_pin: %s: bad address list", host);
		return -1;
	}
	if ((pin = fetch_pin_find(ctx, host, port)) != NULL) {
		free(pin->entry);
		pin->entry = entry;
		if (entry == NULL) {
			free(pin->host);
			*pin = ctx->pins[--ctx->npins];
		}
		return 0;
	}
	if (entry == NULL)
		return 0;
	if (ctx->npins == FETCH_PINS_MAX ||
	    (ctx->pins[ctx->npins].host = strdup(host)) == NULL) {
		log_warnx("fetch_pin: %s: too many pins", host);
		free(entry);
		return -1;
	}
	ctx->pins[ctx->npins].port = port;
	ctx->pins[ctx->npins++].entry = entry;
	return 0;
}

void
fetch_require_pins(struct fetch_ctx *ctx, int on)
{
	ctx->require_pins = on;
}

/* Whether url's host needs no look-up by curl: an IP literal, or pinned. */
static int
fetch_url_resolvable(struct fetch_ctx *ctx, const char *url)
{
	CURLU		*u;
	struct in6_addr	 a6;
	struct in_addr	 a4;
	char		*host = NULL, *port = NULL, *h;
	size_t		 len;
	int		 ok = 0;

	if ((u = curl_url()) == NULL)
		return 0;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK)
		goto done;
	h = host;
	len = strlen(h);
	if (len > 2 && h[0] == '[' && h[len - 1] == ']') {
		h[len - 1] = '\0';
		h++;
	}
	if (inet_pton(AF_INET, h, &a4) == 1 || inet_pton(AF_INET6, h, &a6) == 1)
		ok = 1;
	else
		ok = fetch_pin_find(ctx, h, atoi(port)) != NULL;
 done:
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return ok;
}

static struct curl_slist *
fetch_pins_slist(struct fetch_ctx *ctx, int *error)
{
	struct curl_slist	*list = NULL, *n;
	size_t			 i;

	*error = 0;
	for (i = 0; i < ctx->npins; i++) {
		if ((n = curl_slist_append(list, ctx->pins[i].entry)) == NULL) {
			curl_slist_free_all(list);
			*error = 1;
			return NULL;
		}
		list = n;
	}
	return list;
}

/* The options every transfer has; 0 when all were accepted. */
static int
fetch_setopts(struct fetch_xfer *x, const char *url)
{
	struct fetch_ctx	*ctx = x->ctx;
	struct curl_blob	 ca;
	CURL			*e = x->easy;
	int			 rc = 0;

	ca.data = ctx->ca;
	ca.len = ctx->calen;
	ca.flags = CURL_BLOB_NOCOPY;
	rc |= curl_easy_setopt(e, CURLOPT_URL, url);
	rc |= curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, fetch_write_cb);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	rc |= curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	rc |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	/* The blob only: no default file or directory opened later. */
	rc |= curl_easy_setopt(e, CURLOPT_CAINFO, NULL);
	rc |= curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	rc |= curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &ca);
	rc |= curl_easy_setopt(e, CURLOPT_PROXY, "");
	rc |= curl_easy_setopt(e, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	rc |= curl_easy_setopt(e, CURLOPT_USERAGENT, FETCH_USER_AGENT);
	rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ctx->timeout_ms);
	rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ctx->timeout_ms);
	rc |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)ctx->max_body);
	rc |= curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
	if (x->resolve != NULL)
		rc |= curl_easy_setopt(e, CURLOPT_RESOLVE, x->resolve);
	return rc;
}

/* A transfer for url, set up but not started; NULL on error (logged). */
static struct fetch_xfer *
fetch_xfer_new(struct fetch_ctx *ctx, const char *url, fetch_done_fn done,
    void *arg)
{
	struct fetch_xfer	*x;
	int			 error;

	if (ctx->ninflight >= FETCH_INFLIGHT_MAX) {
		log_warnx("fetch: too many transfers in flight");
		return NULL;
	}
	if (ctx->require_pins && !fetch_url_resolvable(ctx, url)) {
		log_warnx("fetch: %s: host neither pinned nor an address", url);
		return NULL;
	}
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	x->ctx = ctx;
	x->done = done;
	x->arg = arg;
	x->resolve = fetch_pins_slist(ctx, &error);
	if (error || (x->easy = curl_easy_init()) == NULL ||
	    fetch_setopts(x, url) != 0) {
		log_warnx("fetch: %s: cannot set up the transfer", url);
		fetch_xfer_free(x);
		return NULL;
	}
	return x;
}

static int
fetch_start(struct fetch_xfer *x)
{
	struct fetch_ctx	*ctx = x->ctx;

	if (curl_multi_add_handle(ctx->multi, x->easy) != CURLM_OK) {
		log_warnx("fetch: cannot start a transfer");
		fetch_xfer_free(x);
		return -1;
	}
	TAILQ_INSERT_TAIL(&ctx->xfers, x, entry);
	ctx->ninflight++;
	return 0;
}

int
fetch_get(struct fetch_ctx *ctx, const char *url, fetch_done_fn done,
    void *arg)
{
	return fetch_get_bearer(ctx, url, NULL, done, arg);
}

int
fetch_get_bearer(struct fetch_ctx *ctx, const char *url, const char *token,
    fetch_done_fn done, void *arg)
{
	struct fetch_xfer	*x;
	int			 rc;

	if ((x = fetch_xfer_new(ctx, url, done, arg)) == NULL)
		return -1;
	rc = curl_easy_setopt(x->easy, CURLOPT_HTTPGET, 1L);
	if (token != NULL) {
		rc |= curl_easy_setopt(x->easy, CURLOPT_HTTPAUTH,
		    (long)CURLAUTH_BEARER);
		rc |= curl_easy_setopt(x->easy, CURLOPT_XOAUTH2_BEARER, token);
	}
	if (rc != CURLE_OK) {
		fetch_xfer_free(x);
		return -1;
	}
	return fetch_start(x);
}

int
fetch_post_form(struct fetch_ctx *ctx, const char *url, const char *form_body,
    const char *basic_user, const char *basic_pass, fetch_done_fn done,
    void *arg)
{
	struct fetch_xfer	*x;
	CURL			*e;
	int			 rc = 0;

	if ((x = fetch_xfer_new(ctx, url, done, arg)) == NULL)
		return -1;
	e = x->easy;
	x->headers = curl_slist_append(NULL,
	    "Content-Type: application/x-www-form-urlencoded");
	rc |= x->headers == NULL;
	rc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
	/* Our own copy, wiped when the transfer is freed. */
	x->postlen = strlen(form_body);
	rc |= (x->post = strdup(form_body)) == NULL;
	rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)x->postlen);
	rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->post);
	if (basic_user != NULL && basic_pass != NULL) {
		rc |= curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		rc |= curl_easy_setopt(e, CURLOPT_USERNAME, basic_user);
		rc |= curl_easy_setopt(e, CURLOPT_PASSWORD, basic_pass);
	}
	if (rc != 0) {
		log_warnx("fetch: %s: cannot set up the POST", url);
		fetch_xfer_free(x);
		return -1;
	}
	return fetch_start(x);
}
