/*
 * Set-Cookie lines, cookie splitting and the Cookie header, as
 * oauth2-proxy (Go's net/http) writes and reads them, with the places
 * where oauth2-proxy is loose made strict: names and values outside
 * RFC 6265 are refused instead of quoted or dropped, stale parts are
 * expired, and a domain matches on a label boundary only.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "config.h"
#include "cookie.h"

#define ATTRS_MAX	(COOKIE_PATH_MAX + COOKIE_DOMAIN_MAX + 160)
#define TIME_MAX	253402300799LL	/* 9999-12-31 23:59:59 UTC */
#define PART_DIGITS_MAX	9

enum cookie_mode {
	COOKIE_MODE_SET,
	COOKIE_MODE_EXPIRE,
};

/* RFC 6265 cookie-octet: no controls, space, DQUOTE, comma, ";" or "\". */
static int
octet_ok(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != '"' && c != ',' && c != ';' &&
	    c != '\\';
}

static int
alnum_ok(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

/* RFC 7230 tchar, the cookie-name (token) of RFC 6265. */
static int
tchar_ok(unsigned char c)
{
	return alnum_ok(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static int
name_ok(const char *s)
{
	size_t	i;

	if (s == NULL || s[0] == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (i == COOKIE_NAME_MAX || !tchar_ok((unsigned char)s[i]))
			return 0;
	return 1;
}

static int
value_ok(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (!octet_ok((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Path attribute text: no control and no ";" (which would end it). */
static int
path_ok(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (i == COOKIE_PATH_MAX || (unsigned char)s[i] < 0x20 ||
		    (unsigned char)s[i] >= 0x7f || s[i] == ';')
			return 0;
	return 1;
}

/* A domain name as Go's isCookieDomainName has it; one leading dot. */
static int
domain_ok(const char *s)
{
	size_t	i, len;

	if (s[0] == '.')
		s++;
	len = strlen(s);
	if (len == 0 || len > COOKIE_DOMAIN_MAX || s[0] == '.' ||
	    s[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (s[i - 1] == '.')
				return 0;
		} else if (!alnum_ok((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_')
			return 0;
	}
	return 1;
}

/* The SameSite attribute for cookie_samesite; oauth2-proxy panics on others. */
static const char *
samesite_attr(const char *v)
{
	if (v == NULL || v[0] == '\0')
		return "";
	if (strcmp(v, "lax") == 0)
		return "; SameSite=Lax";
	if (strcmp(v, "strict") == 0)
		return "; SameSite=Strict";
	if (strcmp(v, "none") == 0)
		return "; SameSite=None";
	return NULL;
}

static int
opts_ok(const struct cookie_opts *o)
{
	return o != NULL && name_ok(o->name) &&
	    (o->path == NULL || path_ok(o->path)) &&
	    (o->domain == NULL || domain_ok(o->domain)) &&
	    samesite_attr(o->samesite) != NULL;
}

/*
 * An IMF-fixdate, computed here rather than with gmtime_r: glibc's first
 * gmtime_r reads the time zone file, which the sandbox forbids.  Days to
 * a civil date as in Howard Hinnant's days_from_civil inverse.
 */
static void
http_date(int64_t t, char *buf, size_t len)
{
	static const char *const wday[] = {
		"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"
	};
	static const char *const mon[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
		"Oct", "Nov", "Dec"
	};
	int64_t	days, secs, z, era, doe, yoe, y, doy, mp, d, m;

	if (t < 0)
		t = 0;
	if (t > TIME_MAX)
		t = TIME_MAX;
	days = t / 86400;
	secs = t % 86400;
	z = days + 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = yoe + era * 400 + (m <= 2);
	snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    wday[days % 7], (int)d, mon[m - 1], (int)y, (int)(secs / 3600),
	    (int)(secs / 60 % 60), (int)(secs % 60));
}

/*
 * "; Path=/; Domain=x; Expires=...; Max-Age=N; HttpOnly; Secure;
 * SameSite=Lax", Go's order.  Expires goes with Max-Age for clients that
 * only know Expires; a session cookie (max_age 0) has neither.  An
 * expiring line has both, in the past and 0.  Go writes Domain without a
 * leading dot.  Returns the length, -1 if it does not fit.
 */
static int
attrs_format(const struct cookie_opts *o, enum cookie_mode mode, time_t now,
    char *buf, size_t len)
{
	char		 date[64], age[128];
	const char	*dom;
	int64_t		 t;
	int		 n;

	age[0] = '\0';
	if (mode == COOKIE_MODE_EXPIRE)
		snprintf(age, sizeof(age),
		    "; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0");
	else if (o->max_age > 0) {
		t = (int64_t)now;
		t = o->max_age > TIME_MAX - t ? TIME_MAX : t + o->max_age;
		http_date(t, date, sizeof(date));
		snprintf(age, sizeof(age), "; Expires=%s; Max-Age=%lld", date,
		    (long long)o->max_age);
	}
	dom = o->domain;
	if (dom != NULL && dom[0] == '.')
		dom++;
	n = snprintf(buf, len, "%s%s%s%s%s%s%s%s",
	    o->path != NULL && o->path[0] != '\0' ? "; Path=" : "",
	    o->path != NULL ? o->path : "",
	    dom != NULL ? "; Domain=" : "", dom != NULL ? dom : "", age,
	    o->httponly ? "; HttpOnly" : "", o->secure ? "; Secure" : "",
	    samesite_attr(o->samesite));
	if (n < 0 || (size_t)n >= len)
		return -1;
	return n;
}

/*
 * oauth2-proxy's splitCookieName: "<name>_<i>", the name cut short so
 * that the whole stays within COOKIE_NAME_MAX.
 */
static void
part_name(const char *name, unsigned int i, char *out)
{
	char	sfx[16];
	size_t	nlen, slen;

	slen = (size_t)snprintf(sfx, sizeof(sfx), "_%u", i);
	nlen = strlen(name);
	if (nlen + slen > COOKIE_NAME_MAX)
		nlen = COOKIE_NAME_MAX - slen;
	memcpy(out, name, nlen);
	memcpy(out + nlen, sfx, slen + 1);
}

static int
set_line(struct evbuffer *out, const char *name, const char *value,
    size_t vlen, const char *attrs, size_t alen)
{
	if (evbuffer_add(out, "Set-Cookie: ", 12) == -1 ||
	    evbuffer_add(out, name, strlen(name)) == -1 ||
	    evbuffer_add(out, "=", 1) == -1 ||
	    evbuffer_add(out, value, vlen) == -1 ||
	    evbuffer_add(out, attrs, alen) == -1 ||
	    evbuffer_add(out, "\r\n", 2) == -1)
		return -1;
	return 0;
}

/*
 * The number of parts value needs with these attributes, each part's
 * "name_i=chunk<attrs>" at most COOKIE_SPLIT_SIZE (oauth2-proxy's
 * splitCookie); -1 if more than COOKIE_PARTS_MAX.
 */
static int
parts_count(const char *name, size_t vlen, size_t alen)
{
	char		 pname[COOKIE_NAME_MAX + 1];
	size_t		 off, avail, used;
	unsigned int	 i;

	for (i = 0, off = 0; off < vlen; i++) {
		if (i == COOKIE_PARTS_MAX)
			return -1;
		part_name(name, i, pname);
		used = strlen(pname) + 1 + alen;
		if (used >= COOKIE_SPLIT_SIZE)
			return -1;
		avail = COOKIE_SPLIT_SIZE - used;
		off += vlen - off < avail ? vlen - off : avail;
	}
	return (int)i;
}

static int
set_parts(struct evbuffer *out, const struct cookie_opts *o,
    const char *value, size_t vlen, const char *attrs, size_t alen,
    time_t now)
{
	char		 pname[COOKIE_NAME_MAX + 1], xattrs[ATTRS_MAX];
	size_t		 off, chunk;
	unsigned int	 i;
	int		 nparts, xlen;

	if ((nparts = parts_count(o->name, vlen, alen)) == -1 ||
	    (xlen = attrs_format(o, COOKIE_MODE_EXPIRE, now, xattrs,
	    sizeof(xattrs))) == -1)
		return -1;
	for (i = 0, off = 0; i < (unsigned int)nparts; i++, off += chunk) {
		part_name(o->name, i, pname);
		chunk = COOKIE_SPLIT_SIZE - strlen(pname) - 1 - alen;
		if (chunk > vlen - off)
			chunk = vlen - off;
		if (set_line(out, pname, value + off, chunk, attrs, alen) == -1)
			return -1;
	}
	/*
	 * Reading prefers the unsplit name and joins parts up to the first
	 * gap: a stale unsplit cookie or a stale part nparts (from a larger
	 * earlier value) would otherwise be read instead of, or glued to,
	 * the new parts.  oauth2-proxy leaves both behind.
	 */
	part_name(o->name, (unsigned int)nparts, pname);
	if (set_line(out, o->name, "", 0, xattrs, (size_t)xlen) == -1 ||
	    set_line(out, pname, "", 0, xattrs, (size_t)xlen) == -1)
		return -1;
	return 0;
}

int
cookie_set_at(struct evbuffer *out, const struct cookie_opts *o,
    const char *value, time_t now)
{
	char	attrs[ATTRS_MAX];
	size_t	vlen;
	int	alen;

	if (!opts_ok(o) || value == NULL || o->max_age < 0)
		return -1;
	vlen = strlen(value);
	if (!value_ok(value, vlen))
		return -1;
	if ((alen = attrs_format(o, COOKIE_MODE_SET, now, attrs,
	    sizeof(attrs))) == -1)
		return -1;
	if (strlen(o->name) + 1 + vlen + (size_t)alen <= COOKIE_SPLIT_SIZE)
		return set_line(out, o->name, value, vlen, attrs, (size_t)alen);
	return set_parts(out, o, value, vlen, attrs, (size_t)alen, now);
}

int
cookie_set(struct evbuffer *out, const struct cookie_opts *o,
    const char *value)
{
	return cookie_set_at(out, o, value, time(NULL));
}

/* 1 if cand is "<name>_<i>" as part_name writes it. */
static int
is_part(const char *name, const char *cand)
{
	char		 pname[COOKIE_NAME_MAX + 1];
	const char	*us, *p;
	unsigned int	 i = 0;

	if ((us = strrchr(cand, '_')) == NULL || us[1] == '\0' ||
	    strlen(us + 1) > PART_DIGITS_MAX)
		return 0;
	for (p = us + 1; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		i = i * 10 + (unsigned int)(*p - '0');
	}
	part_name(name, i, pname);
	return strcmp(pname, cand) == 0;
}

/*
 * Like oauth2-proxy's cookie store Clear, which expires the request's
 * cookies named <name> or <name>_<digits>; the unsplit name is expired
 * even when the request lacks it (the sign-in page clears it to stop
 * session fixation, whatever the browser sent).  A name is expired once.
 */
int
cookie_clear(struct evbuffer *out, const struct cookie_opts *o,
    const char *const *present_names, size_t n)
{
	char	attrs[ATTRS_MAX];
	size_t	i, j;
	int	alen;

	if (!opts_ok(o) || (present_names == NULL && n > 0))
		return -1;
	if ((alen = attrs_format(o, COOKIE_MODE_EXPIRE, 0, attrs,
	    sizeof(attrs))) == -1 ||
	    set_line(out, o->name, "", 0, attrs, (size_t)alen) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (present_names[i] == NULL ||
		    !is_part(o->name, present_names[i]))
			continue;
		for (j = 0; j < i; j++)
			if (present_names[j] != NULL &&
			    strcmp(present_names[j], present_names[i]) == 0)
				break;
		if (j == i && set_line(out, present_names[i], "", 0, attrs,
		    (size_t)alen) == -1)
			return -1;
	}
	return 0;
}

static int
ows(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * The first pair called name in the Cookie header values, split at ";"
 * with blanks around pairs, names and values dropped as browsers and Go
 * tolerate them.  A pair without "=" or of another name is skipped
 * whatever it holds: other applications' cookies are not ours to judge.
 * Ours is: a value outside cookie-octets (after one pair of quotes is
 * removed, as RFC 6265 allows) is malformed, never skipped for a later
 * duplicate, so a planted cookie cannot be made to win by breaking the
 * first.  Returns 1 found, 0 absent, -1 malformed.
 */
static int
pair_find(const char *const hdrs[], size_t nh, const char *name,
    const char **val, size_t *vlen)
{
	const char	*p, *s, *e, *eq, *ne, *v;
	size_t		 h, nlen;

	nlen = strlen(name);
	for (h = 0; h < nh; h++) {
		for (p = hdrs[h]; p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
			e = p + strcspn(p, ";");
			for (s = p; s < e && ows(*s); s++)
				continue;
			if ((eq = memchr(s, '=', (size_t)(e - s))) == NULL)
				continue;
			for (ne = eq; ne > s && ows(ne[-1]); ne--)
				continue;
			if ((size_t)(ne - s) != nlen || memcmp(s, name, nlen))
				continue;
			for (v = eq + 1; v < e && ows(*v); v++)
				continue;
			while (e > v && ows(e[-1]))
				e--;
			if (e - v >= 2 && v[0] == '"' && e[-1] == '"') {
				v++;
				e--;
			}
			if (!value_ok(v, (size_t)(e - v)))
				return -1;
			*val = v;
			*vlen = (size_t)(e - v);
			return 1;
		}
	}
	return 0;
}

static int
append(char *out, size_t outlen, size_t *used, const char *v, size_t vlen)
{
	if (vlen >= outlen - *used)
		return -1;
	memcpy(out + *used, v, vlen);
	*used += vlen;
	out[*used] = '\0';
	return 0;
}

/* The value may be a session: nothing of it is left behind on failure. */
static int
get_fail(char *out, size_t used)
{
	explicit_bzero(out, used);
	out[0] = '\0';
	return -1;
}

int
cookie_get(const char *const cookie_header_values[], size_t nheaders,
    const char *name, char *out, size_t outlen)
{
	char		 pname[COOKIE_NAME_MAX + 1];
	const char	*v;
	size_t		 vlen, used = 0;
	unsigned int	 i;
	int		 r;

	if (out == NULL || outlen == 0)
		return -1;
	out[0] = '\0';
	if (outlen > INT_MAX)
		outlen = INT_MAX;
	if (!name_ok(name) || (cookie_header_values == NULL && nheaders > 0))
		return -1;
	if ((r = pair_find(cookie_header_values, nheaders, name, &v,
	    &vlen)) == -1)
		return -1;
	if (r == 1 && vlen > 0)
		return append(out, outlen, &used, v, vlen) == -1 ? -1 :
		    (int)used;
	for (i = 0;; i++) {
		part_name(name, i, pname);
		r = pair_find(cookie_header_values, nheaders, pname, &v, &vlen);
		if (r == -1)
			return get_fail(out, used);
		if (r == 0 || vlen == 0)
			break;
		if (i == COOKIE_PARTS_MAX ||
		    append(out, outlen, &used, v, vlen) == -1)
			return get_fail(out, used);
	}
	return (int)used;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
ascii_caseeq(const char *a, const char *b, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

/*
 * oauth2-proxy takes the longest configured domain that is a plain string
 * suffix of the host, else the shortest one.  Here the suffix must start
 * at a label ("example.com" is no domain of "evilexample.com"), and no
 * match gives NULL: a Domain that is not the host's own is refused by
 * every browser, while a host-only cookie works.
 */
const char *
cookie_domain_pick(const struct conf_list *domains, const char *host)
{
	const char	*h, *d, *best = NULL;
	size_t		 hl, dl, bestlen = 0, i;

	if (domains == NULL || host == NULL)
		return NULL;
	h = host;
	if (h[0] == '[') {
		h++;
		hl = strcspn(h, "]");
	} else
		hl = strcspn(h, ":");
	for (i = 0; i < domains->n; i++) {
		if ((d = domains->v[i]) == NULL)
			continue;
		if (d[0] == '.')
			d++;
		dl = strlen(d);
		if (dl == 0 || dl <= bestlen || dl > hl)
			continue;
		if (dl < hl && h[hl - dl - 1] != '.')
			continue;
		if (ascii_caseeq(h + hl - dl, d, dl)) {
			best = domains->v[i];
			bestlen = dl;
		}
	}
	return best;
}
