/*
 * Requests that need no session (skip_auth_routes, skip_auth_regex,
 * skip_auth_preflight), the path they are matched against, and the
 * address sets of trusted_ips and trusted_proxy_ips.
 *
 * oauth2-proxy's regexes are RE2 on Go strings.  These are PCRE2, with
 * the options that make the syntax both share behave the same:
 *  - PCRE2_UTF: "." and classes take characters, as RE2 does.  The path
 *    is percent-decoded, so it may be any bytes: it is checked (no
 *    PCRE2_NO_UTF_CHECK), and a path that is not valid UTF-8 is granted
 *    nothing by any rule (RE2 would read U+FFFD): it needs a session.
 *  - no PCRE2_UCP: \d, \w, \s and \b are ASCII, as in RE2.
 *  - PCRE2_DOLLAR_ENDONLY: "$" is the end of the path only, as in RE2;
 *    otherwise "/public%0a" would satisfy "^/public$".
 *  - PCRE2_NEVER_BACKSLASH_C: \C could split a character.
 * Never JIT: the worker has no executable memory.  A match that hits the
 * match or depth limit (a hostile path against a backtracking pattern)
 * also grants nothing, negated rule or not: fail closed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH	8
#include <pcre2.h>

#include "route.h"
#include "pct.h"

/*
 * Backtracking allowed per start position (PCRE2 counts afresh at each):
 * a fraction of a millisecond.  The worst hostile path, one that stays
 * just under the limit at every start, costs about 0.1 s per rule for an
 * 8 KiB path; 100000 would allow ten times that.
 */
#define ROUTE_MATCH_LIMIT	10000
#define ROUTE_DEPTH_LIMIT	10000
#define ROUTE_RE_OPTIONS	(PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | \
				 PCRE2_NEVER_BACKSLASH_C)
#define ROUTE_MSG_MAX		512

struct route_rule {
	char		*method;	/* upper case; NULL: every method */
	int		 negate;	/* skip when it does not match */
	pcre2_code	*re;
};

struct route_set {
	struct route_rule	*rules;
	size_t			 n;
	int			 preflight;
	pcre2_match_context	*mctx;
	pcre2_match_data	*md;	/* one match at a time */
};

/* One network: address and mask, 4 bytes (IPv4) or 16 (IPv6). */
struct cidr {
	unsigned char	addr[16];
	unsigned char	mask[16];
	size_t		len;
};

struct cidr_set {
	struct cidr	*v;
	size_t		 n;
};

/*
 * oauth2-proxy's split: at the first "=" or "!=" into method and regex;
 * negated when the entry contains "!=" anywhere, even inside the regex
 * (its own quirk, kept so a config means the same).  Returns the regex,
 * NULL when out of memory.
 */
static const char *
rule_split(struct route_rule *r, const char *entry)
{
	const char	*eq;
	size_t		 mlen, i;

	if ((eq = strchr(entry, '=')) == NULL)
		return entry;
	r->negate = strstr(entry, "!=") != NULL;
	mlen = (size_t)(eq - entry);
	if (mlen > 0 && entry[mlen - 1] == '!')
		mlen--;
	if (mlen == 0)
		return eq + 1;
	if ((r->method = strndup(entry, mlen)) == NULL)
		return NULL;
	for (i = 0; i < mlen; i++)
		r->method[i] = (char)toupper((unsigned char)r->method[i]);
	return eq + 1;
}

static int
rule_compile(struct route_rule *r, const char *key, size_t idx,
    const char *entry, int with_method, struct conf_diag *diag)
{
	PCRE2_UCHAR	 msg[ROUTE_MSG_MAX / 2];
	PCRE2_SIZE	 off;
	const char	*re = entry;
	int		 err;

	if (with_method && (re = rule_split(r, entry)) == NULL) {
		conf_error(diag, "%s: out of memory", key);
		return -1;
	}
	r->re = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
	    ROUTE_RE_OPTIONS, &err, &off, NULL);
	if (r->re != NULL)
		return 0;
	pcre2_get_error_message(err, msg, sizeof(msg));
	conf_error(diag, "%s: entry %zu \"%s\": %s at offset %zu", key,
	    idx + 1, entry, (const char *)msg, (size_t)off);
	return -1;
}

static struct route_set *
route_alloc(size_t n)
{
	struct route_set	*rs;

	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		return NULL;
	if ((rs->rules = calloc(n > 0 ? n : 1, sizeof(*rs->rules))) == NULL ||
	    (rs->mctx = pcre2_match_context_create(NULL)) == NULL ||
	    (rs->md = pcre2_match_data_create(1, NULL)) == NULL) {
		route_free(rs);
		return NULL;
	}
	pcre2_set_match_limit(rs->mctx, ROUTE_MATCH_LIMIT);
	pcre2_set_depth_limit(rs->mctx, ROUTE_DEPTH_LIMIT);
	return rs;
}

/* Compiles every entry, so that each bad one is reported. */
struct route_set *
route_compile(const struct config *cf, struct conf_diag *diag)
{
	const struct conf_list	*routes = &cf->skip_auth_routes;
	const struct conf_list	*regex = &cf->skip_auth_regex;
	struct route_set	*rs;
	size_t			 i;
	int			 bad = 0;

	if ((rs = route_alloc(routes->n + regex->n)) == NULL) {
		conf_error(diag, "skip_auth_routes: out of memory");
		return NULL;
	}
	rs->preflight = cf->skip_auth_preflight;
	for (i = 0; i < routes->n; i++)
		bad |= rule_compile(&rs->rules[rs->n++], "skip_auth_routes", i,
		    routes->v[i], 1, diag);
	for (i = 0; i < regex->n; i++)
		bad |= rule_compile(&rs->rules[rs->n++], "skip_auth_regex", i,
		    regex->v[i], 0, diag);
	if (bad) {
		route_free(rs);
		return NULL;
	}
	return rs;
}

/* Plain regexes, as api_routes: any match counts. */
struct route_set *
route_compile_list(const struct conf_list *list, const char *key,
    struct conf_diag *diag)
{
	struct route_set	*rs;
	size_t			 i;
	int			 bad = 0;

	if ((rs = route_alloc(list->n)) == NULL) {
		conf_error(diag, "%s: out of memory", key);
		return NULL;
	}
	for (i = 0; i < list->n; i++)
		bad |= rule_compile(&rs->rules[rs->n++], key, i, list->v[i], 0,
		    diag);
	if (bad) {
		route_free(rs);
		return NULL;
	}
	return rs;
}

void
route_free(struct route_set *rs)
{
	size_t	i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->n; i++) {
		free(rs->rules[i].method);
		pcre2_code_free(rs->rules[i].re);
	}
	free(rs->rules);
	pcre2_match_data_free(rs->md);
	pcre2_match_context_free(rs->mctx);
	free(rs);
}

/* 1 when the rule lets the request through; never on a match error. */
static int
rule_skips(const struct route_set *rs, const struct route_rule *r,
    const char *method, const char *path)
{
	int	rc;

	if (r->method != NULL && strcmp(r->method, method) != 0)
		return 0;
	rc = pcre2_match(r->re, (PCRE2_SPTR)path, strlen(path), 0, 0, rs->md,
	    rs->mctx);
	if (rc == PCRE2_ERROR_NOMATCH)
		return r->negate;
	if (rc < 0)
		return 0;
	return !r->negate;
}

int
route_skip_auth(const struct route_set *rs, const char *method,
    const char *path)
{
	size_t	i;

	if (rs->preflight && strcmp(method, "OPTIONS") == 0)
		return 1;
	for (i = 0; i < rs->n; i++)
		if (rule_skips(rs, &rs->rules[i], method, path))
			return 1;
	return 0;
}

/*
 * As Go's url.Parse on a request URI: a control character anywhere
 * before the fragment, or a bad escape anywhere in the path, is an
 * error; and since the result is a C string, so is a decoded NUL.
 */
int
route_normalise_path(const char *target, char *out, size_t outlen)
{
	const char	*p, *end;
	size_t		 o = 0;
	int		 hi, lo, c;

	if (target[0] != '/' || outlen == 0)
		return -1;
	end = target + strcspn(target, "#");
	for (p = target; p < end; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -1;
	end = target + strcspn(target, "#?");
	for (p = target; p < end; p++) {
		c = (unsigned char)*p;
		if (c == '%') {
			if ((hi = pct_hexval(p[1])) < 0 || (lo = pct_hexval(p[2])) < 0)
				return -1;
			c = hi << 4 | lo;
			p += 2;
		}
		if (c == '\0' || o + 1 >= outlen)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	out[strcspn(out, "#")] = '\0';
	return 0;
}

/* --- trusted_ips, trusted_proxy_ips ---------------------------------- */

static const unsigned char v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/*
 * IPv4 as 4 bytes, IPv6 as 16; 0 when not an address.  inet_pton, like
 * Go's parser, refuses IPv4 octets with a leading zero and IPv6 zones.
 */
static size_t
addr_parse(const char *s, unsigned char out[16])
{
	if (inet_pton(AF_INET, s, out) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, out) == 1)
		return 16;
	return 0;
}

static void
mask_make(unsigned char *mask, size_t len, unsigned bits)
{
	size_t	i;

	for (i = 0; i < len; i++, bits = bits > 8 ? bits - 8 : 0)
		mask[i] = bits >= 8 ? 0xff : (unsigned char)(0xff00 >> bits);
}

/* IPv4-mapped IPv6 becomes IPv4, as in Go's IPNet.Contains. */
static void
cidr_unmap(struct cidr *c)
{
	if (c->len != 16 || memcmp(c->addr, v4mapped, 12) != 0)
		return;
	memmove(c->addr, c->addr + 12, 4);
	memmove(c->mask, c->mask + 12, 4);
	c->len = 4;
}

/* The prefix length after '/': decimal digits, leading zeros allowed (Go). */
static int
prefix_parse(const char *s, unsigned max, unsigned *bits)
{
	size_t	n = strspn(s, "0123456789");

	if (n == 0 || s[n] != '\0')
		return -1;
	while (n > 1 && *s == '0') {
		s++;
		n--;
	}
	if (n > 3)
		return -1;
	*bits = (unsigned)atoi(s);
	return *bits <= max ? 0 : -1;
}

/*
 * As oauth2-proxy's ip.ParseIPNet: a bare address is a /32 or /128, a
 * block with host bits set is an error.
 */
static const char *
cidr_parse_one(const char *entry, struct cidr *c)
{
	char		 buf[INET6_ADDRSTRLEN + 8];
	char		*slash;
	unsigned	 bits;
	size_t		 i;

	if (strlen(entry) >= sizeof(buf))
		return "not an IP address or CIDR block";
	memcpy(buf, entry, strlen(entry) + 1);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if ((c->len = addr_parse(buf, c->addr)) == 0)
		return "not an IP address or CIDR block";
	bits = (unsigned)c->len * 8;
	if (slash != NULL && prefix_parse(slash, bits, &bits) == -1)
		return "bad prefix length";
	mask_make(c->mask, c->len, bits);
	for (i = 0; i < c->len; i++)
		if ((c->addr[i] & ~c->mask[i]) != 0)
			return "host bits set";
	cidr_unmap(c);
	return NULL;
}

struct cidr_set *
cidr_parse(const struct conf_list *l, const char *key,
    struct conf_diag *diag)
{
	struct cidr_set	*cs;
	const char	*why;
	size_t		 i;
	int		 bad = 0;

	if ((cs = calloc(1, sizeof(*cs))) == NULL ||
	    (cs->v = calloc(l->n > 0 ? l->n : 1, sizeof(*cs->v))) == NULL) {
		free(cs);
		conf_error(diag, "%s: out of memory", key);
		return NULL;
	}
	for (i = 0; i < l->n; i++) {
		if ((why = cidr_parse_one(l->v[i], &cs->v[cs->n])) == NULL) {
			cs->n++;
			continue;
		}
		conf_error(diag, "%s: entry %zu \"%s\": %s", key, i + 1,
		    l->v[i], why);
		bad = 1;
	}
	if (bad) {
		cidr_free(cs);
		return NULL;
	}
	return cs;
}

void
cidr_free(struct cidr_set *cs)
{
	if (cs == NULL)
		return;
	free(cs->v);
	free(cs);
}

static int
cidr_contains(const struct cidr_set *cs, const unsigned char *addr,
    size_t len)
{
	size_t	i, j;

	if (len == 16 && memcmp(addr, v4mapped, 12) == 0) {
		addr += 12;
		len = 4;
	}
	for (i = 0; i < cs->n; i++) {
		if (cs->v[i].len != len)
			continue;
		for (j = 0; j < len; j++)
			if ((addr[j] & cs->v[i].mask[j]) != cs->v[i].addr[j])
				break;
		if (j == len)
			return 1;
	}
	return 0;
}

/* Unix-socket peers, and any family but IP, match nothing. */
int
cidr_match(const struct cidr_set *cs, const struct sockaddr *sa)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)sa;
		return cidr_contains(cs,
		    (const unsigned char *)&sin->sin_addr, 4);
	}
	if (sa->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)sa;
		return cidr_contains(cs, sin6->sin6_addr.s6_addr, 16);
	}
	return 0;
}

/*
 * The address of "ip", "ip:port", "[ipv6]" or "[ipv6]:port", as a
 * real-IP header or a peer may give it (Go's SplitHostPort, then
 * ParseIP); 0 when it is none of these.
 */
static size_t
hostport_parse(const char *s, unsigned char addr[16])
{
	char		 buf[INET6_ADDRSTRLEN + 2];
	const char	*end, *port;
	size_t		 n;

	if (s[0] == '[') {
		s++;
		if ((end = strchr(s, ']')) == NULL)
			return 0;
		port = end[1] == ':' ? end + 2 : end + 1;
	} else if ((end = strchr(s, ':')) == NULL || strchr(end + 1, ':'))
		return addr_parse(s, addr);
	else
		port = end + 1;
	n = (size_t)(end - s);
	if (n >= sizeof(buf) || port[strspn(port, "0123456789")] != '\0')
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return addr_parse(buf, addr);
}

int
cidr_match_text(const struct cidr_set *cs, const char *ip)
{
	unsigned char	addr[16];
	size_t		len;

	if ((len = hostport_parse(ip, addr)) == 0)
		return 0;
	return cidr_contains(cs, addr, len);
}
