/*
 * Redirect targets after sign-in and sign-out.  An open redirect on a
 * sign-in proxy hands a freshly signed-in user to a page of the
 * attacker's choosing (phishing, token theft through a later
 * {id_token} substitution), so every rule here refuses a shape that some
 * browser, proxy or application reads as "another host".
 *
 * Stricter than oauth2-proxy, never looser: what is accepted here is
 * accepted there too, except that whitelist hosts compare without case
 * (browsers fold host names, so this admits no other host).
 */
#include <stddef.h>
#include <string.h>

#include "config.h"
#include "pct.h"
#include "redirect.h"

/* Percent-decoding rounds looked through; a path still encoded is refused. */
#define DECODE_ROUNDS	4
#define HOST_MAX	253
#define PORT_MAX	65535L
#define PORT_NONE	(-1L)
#define PORT_ANY	(-2L)

/* Lower case, IPv6 without brackets; an IP literal only matches exactly. */
struct hostport {
	char	host[HOST_MAX + 1];
	int	ip;
	long	port;		/* PORT_NONE, PORT_ANY or 1-65535 */
};

/*
 * Multi-byte sequences that a decoder, a Unicode normaliser (NFKC) or an
 * old overlong-UTF-8 decoder turns into a blank or a slash: fullwidth
 * and small solidus, division and fraction slash, overlong "/" and "\",
 * no-break and other Unicode spaces, zero-width and bidi marks.
 */
static const struct {
	const char	*seq;
	int		 slash;
} lookalikes[] = {
	{ "\xef\xbc\x8f", 1 }, { "\xef\xbc\xbc", 1 }, { "\xef\xb9\xa8", 1 },
	{ "\xe2\x88\x95", 1 }, { "\xe2\x81\x84", 1 }, { "\xe2\xa7\xb5", 1 },
	{ "\xe2\xa7\xb8", 1 }, { "\xc0\xaf", 1 }, { "\xc1\x9c", 1 },
	{ "\xe0\x80\xaf", 1 }, { "\xe0\x81\x9c", 1 },
	{ "\xc2\x85", 0 }, { "\xc2\xa0", 0 }, { "\xe1\x9a\x80", 0 },
	{ "\xe1\xa0\x8e", 0 }, { "\xe2\x81\x9f", 0 }, { "\xe2\x81\xa0", 0 },
	{ "\xe3\x80\x80", 0 }, { "\xef\xbb\xbf", 0 },
};

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alnum(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
to_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Length of a lookalike of the wanted kind at s, or 0. */
static size_t
lookalike(const unsigned char *s, size_t len, int slash)
{
	size_t	i, n;

	if (len >= 3 && s[0] == 0xe2 && s[1] == 0x80 &&
	    ((s[2] >= 0x80 && s[2] <= 0x8f) || (s[2] >= 0xa8 && s[2] <= 0xaf)))
		return slash ? 0 : 3;	/* U+2000-200F, U+2028-202F */
	for (i = 0; i < sizeof(lookalikes) / sizeof(lookalikes[0]); i++) {
		n = strlen(lookalikes[i].seq);
		if (lookalikes[i].slash == slash && n <= len &&
		    memcmp(s, lookalikes[i].seq, n) == 0)
			return n;
	}
	return 0;
}

/*
 * Skips what a URL parser strips (tab, CR, LF anywhere; controls and
 * space at the ends) or a later step may drop.
 */
static size_t
skip_blank(const unsigned char *s, size_t len, size_t i)
{
	size_t	n;

	while (i < len) {
		if (s[i] <= 0x20 || s[i] == 0x7f)
			i++;
		else if ((n = lookalike(s + i, len - i, 0)) > 0)
			i += n;
		else
			break;
	}
	return i;
}

/* Length of a slash at i: browsers read "\" as "/" in http(s) URLs. */
static size_t
slash_at(const unsigned char *s, size_t len, size_t i)
{
	if (i >= len)
		return 0;
	if (s[i] == '/' || s[i] == '\\')
		return 1;
	return lookalike(s + i, len - i, 1);
}

/*
 * oauth2-proxy's rule, widened to Unicode blanks and slashes: nowhere a
 * slash, then blanks or one or two dots, then a slash.  At the start this
 * is "//host" or "/\host" (a host to every browser); further in, "//",
 * "/./" and "/../" let an application that normalises or re-redirects the
 * path turn it into "//host".
 */
static int
shape_ok(const unsigned char *s, size_t len)
{
	size_t	i, j, n;

	for (i = 0; i < len; i++) {
		if ((n = slash_at(s, len, i)) == 0)
			continue;
		j = i + n;
		if (slash_at(s, len, skip_blank(s, len, j)) > 0)
			return 0;
		if (j < len && s[j] == '.') {
			j++;
			if (j < len && s[j] == '.')
				j++;
			if (slash_at(s, len, j) > 0)
				return 0;
		}
	}
	return 1;
}

/* One round of percent-decoding; a broken escape stays as it is. */
static size_t
pct_decode(const unsigned char *s, size_t len, unsigned char *out)
{
	size_t	i, n;
	int	hi, lo;

	for (i = n = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len &&
		    (hi = pct_hexval((char)s[i + 1])) != -1 &&
		    (lo = pct_hexval((char)s[i + 2])) != -1) {
			out[n++] = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else
			out[n++] = s[i];
	}
	return n;
}

/*
 * A path target.  The raw text gets oauth2-proxy's check over all of it
 * (query included, as there).  The path part is then decoded again and
 * again, because the target passes through the state parameter, the
 * application and maybe other proxies, any of which may decode once more:
 * "/%2fhost", "/%5chost", "/%09/host", "/%252fhost" must not become
 * "//host" there.  A decoded control (CR LF: header splitting, NUL:
 * truncation) is refused too.
 */
static int
relative_ok(const char *rd, size_t len)
{
	unsigned char	 a[REDIRECT_MAX_LEN], b[REDIRECT_MAX_LEN];
	unsigned char	*cur = a, *next = b, *t;
	size_t		 n, i, round;

	if (!shape_ok((const unsigned char *)rd, len))
		return 0;
	n = strcspn(rd, "?#");
	memcpy(cur, rd, n);
	for (round = 0;; round++) {
		i = pct_decode(cur, n, next);
		if (i == n)
			return 1;
		if (round == DECODE_ROUNDS)
			return 0;
		n = i;
		for (i = 0; i < n; i++)
			if (next[i] < 0x20 || next[i] == 0x7f)
				return 0;
		if (!shape_ok(next, n))
			return 0;
		t = cur;
		cur = next;
		next = t;
	}
}

/*
 * A registered name: letters, digits, "-", "_", labels never empty.  No
 * "%" (browsers decode it in hosts), no trailing dot ("example.com." is a
 * different origin with the same address).
 */
static int
regname_ok(const char *h, size_t len)
{
	size_t	i;

	if (len == 0 || len > HOST_MAX || h[0] == '.' || h[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		if (h[i] == '.') {
			if (h[i - 1] == '.')
				return 0;
		} else if (!is_alnum((unsigned char)h[i]) && h[i] != '-' &&
		    h[i] != '_')
			return 0;
	}
	return 1;
}

/* An IPv6 literal's characters; no zone id. */
static int
ipv6_ok(const char *h, size_t len)
{
	size_t	i;
	int	colons = 0;

	if (len < 2 || len > HOST_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		if (h[i] == ':')
			colons++;
		else if (pct_hexval(h[i]) == -1 && h[i] != '.')
			return 0;
	}
	return colons > 0;
}

/*
 * Browsers read a host whose last label is a number ("10.1", "0x7f.1",
 * "2130706433") as an IPv4 address: such a host never matches a
 * subdomain rule.
 */
static int
ends_in_number(const char *h, size_t len)
{
	const char	*l;
	size_t		 i, n;

	for (l = h + len; l > h && l[-1] != '.'; l--)
		continue;
	n = (size_t)(h + len - l);
	if (n >= 2 && l[0] == '0' && (l[1] == 'x' || l[1] == 'X')) {
		for (i = 2; i < n; i++)
			if (pct_hexval(l[i]) == -1)
				return 0;
		return 1;
	}
	for (i = 0; i < n; i++)
		if (!is_digit((unsigned char)l[i]))
			return 0;
	return n > 0;
}

/* A port: 1 to 5 digits, 1-65535 (an empty port is a weird form). */
static int
port_parse(const char *s, size_t len, int any_ok, long *port)
{
	size_t	i;
	long	v = 0;

	if (any_ok && len == 1 && s[0] == '*') {
		*port = PORT_ANY;
		return 0;
	}
	if (len == 0 || len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > PORT_MAX)
		return -1;
	*port = v;
	return 0;
}

/*
 * host[:port] of a URL's authority, or of a whitelist entry (entry set):
 * there "*" is a port, and an unbracketed host with two colons is an
 * IPv6 address without a port.
 */
static int
hostport_parse(const char *s, size_t len, int entry, struct hostport *hp)
{
	const char	*h, *colon, *end;
	size_t		 hlen, i;

	hp->port = PORT_NONE;
	colon = NULL;
	if (len > 0 && s[0] == '[') {
		if ((end = memchr(s, ']', len)) == NULL)
			return -1;
		h = s + 1;
		hlen = (size_t)(end - h);
		if (!ipv6_ok(h, hlen))
			return -1;
		hp->ip = 1;
		if (end + 1 < s + len) {
			if (end[1] != ':')
				return -1;
			colon = end + 1;
		}
	} else {
		h = s;
		colon = memchr(s, ':', len);
		if (entry && colon != NULL &&
		    memchr(colon + 1, ':', (size_t)(s + len - colon - 1))) {
			colon = NULL;
			hlen = len;
			if (!ipv6_ok(h, hlen))
				return -1;
			hp->ip = 1;
		} else {
			hlen = colon != NULL ? (size_t)(colon - s) : len;
			if (!regname_ok(h, hlen))
				return -1;
			hp->ip = ends_in_number(h, hlen);
		}
	}
	if (colon != NULL && port_parse(colon + 1,
	    (size_t)(s + len - colon - 1), entry, &hp->port) == -1)
		return -1;
	for (i = 0; i < hlen; i++)
		hp->host[i] = (char)to_lower((unsigned char)h[i]);
	hp->host[hlen] = '\0';
	return 0;
}

/*
 * A whitelist_domains entry: "example.com" is that host only;
 * ".example.com" and "*.example.com" are example.com and every name
 * beneath it (a label boundary, so never "evilexample.com"); ":N" must
 * be the URL's port, ":*" is any port, and without a port the URL may
 * name none (oauth2-proxy's rule: "https://example.com:443/" needs
 * "example.com:443").
 */
/* The entry's host and port, and whether it covers subdomains. */
static int
entry_parse(const char *entry, struct hostport *ent, int *wild)
{
	*wild = 0;
	if (entry == NULL)
		return -1;
	if (entry[0] == '.') {
		*wild = 1;
		entry++;
	} else if (entry[0] == '*' && entry[1] == '.') {
		*wild = 1;
		entry += 2;
	}
	return hostport_parse(entry, strlen(entry), 1, ent);
}

int
redirect_whitelist_entry_ok(const char *entry)
{
	struct hostport	ent;
	int		wild;

	return entry_parse(entry, &ent, &wild) == 0;
}

static int
entry_matches(const char *entry, const struct hostport *url)
{
	struct hostport	 ent;
	size_t		 ul, el;
	int		 wild;

	if (entry_parse(entry, &ent, &wild) == -1)
		return 0;
	if (ent.port != PORT_ANY && ent.port != url->port)
		return 0;
	if (strcmp(url->host, ent.host) == 0)
		return 1;
	if (!wild || url->ip || ent.ip)
		return 0;
	ul = strlen(url->host);
	el = strlen(ent.host);
	return ul > el && url->host[ul - el - 1] == '.' &&
	    strcmp(url->host + ul - el, ent.host) == 0;
}

/*
 * An absolute URL: "http://" or "https://" exactly (as oauth2-proxy; no
 * "HTTPS://", "https:/host", "https:\\host", "javascript:", "data:").
 * The authority ends where browsers end it ("\" was refused before), it
 * has no userinfo ("https://example.com@evil.com" goes to evil.com), and
 * its host and port must match a whitelist entry.
 */
static int
absolute_ok(const char *rd, const struct conf_list *wl)
{
	struct hostport	 url;
	const char	*p;
	size_t		 alen, i;

	if (strncmp(rd, "https://", 8) == 0)
		p = rd + 8;
	else if (strncmp(rd, "http://", 7) == 0)
		p = rd + 7;
	else
		return 0;
	alen = strcspn(p, "/?#");
	if (memchr(p, '@', alen) != NULL)
		return 0;
	if (hostport_parse(p, alen, 0, &url) == -1 || wl == NULL)
		return 0;
	for (i = 0; i < wl->n; i++)
		if (entry_matches(wl->v[i], &url))
			return 1;
	return 0;
}

/*
 * The whole target must be visible ASCII: a browser drops tab, CR and LF
 * anywhere in a URL ("/\t/evil.com" is "//evil.com"), CR LF in a
 * Location header splits the response, a space or non-ASCII byte is not
 * part of a URL (a client percent-encodes it), and a backslash is a
 * slash to browsers but not to every server-side parser.
 */
int
redirect_valid(const char *rd, const struct conf_list *whitelist)
{
	size_t	len, i;

	if (rd == NULL)
		return 0;
	len = strnlen(rd, REDIRECT_MAX_LEN + 1);
	if (len == 0 || len > REDIRECT_MAX_LEN)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)rd[i] <= 0x20 ||
		    (unsigned char)rd[i] >= 0x7f || rd[i] == '\\')
			return 0;
	if (rd[0] == '/')
		return relative_ok(rd, len);
	return absolute_ok(rd, whitelist);
}

static int
nonempty(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/*
 * oauth2-proxy's order (reference 2.9), each candidate validated, an
 * invalid one skipped.  Its third candidate, an absolute URL built from
 * X-Forwarded-Proto and -Host when they differ from Host, is not made:
 * it could only ever pass as a whitelisted absolute URL, and the rd
 * parameter (nginx's "rd=$scheme://$host$request_uri") covers that case.
 */
const char *
redirect_pick(const char *rd_param, const char *x_auth_request_redirect,
    const char *x_forwarded_uri, const char *request_uri,
    const struct conf_list *whitelist)
{
	const char	*self;

	if (nonempty(rd_param) && redirect_valid(rd_param, whitelist))
		return rd_param;
	if (nonempty(x_auth_request_redirect) &&
	    redirect_valid(x_auth_request_redirect, whitelist))
		return x_auth_request_redirect;
	self = nonempty(x_forwarded_uri) ? x_forwarded_uri : request_uri;
	if (nonempty(self) && redirect_valid(self, whitelist))
		return self;
	return "/";
}

int
redirect_under_prefix(const char *uri, const char *prefix)
{
	size_t	n;

	if (uri == NULL || prefix == NULL)
		return 0;
	n = strlen(prefix);
	while (n > 0 && prefix[n - 1] == '/')
		n--;
	return strncmp(uri, prefix, n) == 0 && uri[n] == '/';
}
