/*
 * URLs of the identity provider (issuer, endpoints, JWKS): https://, or
 * http:// to a loopback host.  The parent checks the configured ones for
 * `gatehouse -n`; authd checks those discovery returns.
 */
#include <netinet/in.h>
#include <arpa/inet.h>

#include <string.h>
#include <strings.h>

#include "idp_url.h"

#define HOST_MAX	253		/* DNS name, RFC 1035 */
#define PORT_MAX	65535

static const char	host_chars[] = "abcdefghijklmnopqrstuvwxyz"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._";

/* 127.0.0.0/8, ::1 and "localhost" (host without brackets). */
static int
host_is_loopback(const char *host)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;

	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

/* A port: 1 to 5 digits, 1..65535. */
static int
port_ok(const char *p, size_t n)
{
	unsigned long	v = 0;
	size_t		i;

	if (n == 0 || n > 5)
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v >= 1 && v <= PORT_MAX;
}

/*
 * Checks the authority auth[0..n) and copies its host, brackets removed,
 * to host.  Returns 0 or -1 with *why set.
 */
static int
authority_host(const char *auth, size_t n, char *host, size_t hostlen,
    const char **why)
{
	struct in6_addr	 a6;
	const char	*h, *rest, *end;
	size_t		 hn, rn;
	int		 v6 = 0;

	if (memchr(auth, '@', n) != NULL) {
		*why = "user information in URL";
		return -1;
	}
	if (n > 0 && auth[0] == '[') {
		if ((end = memchr(auth, ']', n)) == NULL) {
			*why = "unterminated IPv6 literal";
			return -1;
		}
		h = auth + 1;
		hn = (size_t)(end - h);
		rest = end + 1;
		v6 = 1;
	} else {
		h = auth;
		end = memchr(auth, ':', n);
		hn = end != NULL ? (size_t)(end - auth) : n;
		rest = auth + hn;
	}
	rn = (size_t)(auth + n - rest);
	if (hn == 0 || hn > HOST_MAX || hn >= hostlen) {
		*why = "empty or too long host";
		return -1;
	}
	memcpy(host, h, hn);
	host[hn] = '\0';
	if (v6 ? inet_pton(AF_INET6, host, &a6) != 1 :
	    strspn(host, host_chars) != hn) {
		*why = "bad host";
		return -1;
	}
	if (rn > 0 && (rest[0] != ':' || !port_ok(rest + 1, rn - 1))) {
		*why = "bad port";
		return -1;
	}
	return 0;
}

int
idp_url_ok(const char *url, const char **why)
{
	char		 host[HOST_MAX + 1];
	const char	*auth;
	size_t		 i, len, n;
	int		 tls;

	len = strlen(url);
	if (len == 0 || len > IDP_URL_MAX) {
		*why = "empty or too long";
		return 0;
	}
	for (i = 0; i < len; i++) {
		if (url[i] <= 0x20 || url[i] >= 0x7f || url[i] == '\\') {
			*why = "space, control, backslash or non-ASCII "
			    "character";
			return 0;
		}
	}
	if (strncasecmp(url, "https://", 8) == 0) {
		tls = 1;
		auth = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		tls = 0;
		auth = url + 7;
	} else {
		*why = "not an https:// URL";
		return 0;
	}
	n = strcspn(auth, "/?#");
	if (authority_host(auth, n, host, sizeof(host), why) == -1)
		return 0;
	if (!tls && !host_is_loopback(host)) {
		*why = "http:// is allowed only to a loopback host";
		return 0;
	}
	return 1;
}
