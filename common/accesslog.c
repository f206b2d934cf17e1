/*
 * The request log.  request_logging_format is a Go text/template; what
 * gatehouse takes of it is what the option is used with: literal text
 * and {{.Field}} actions, spaces allowed inside the braces.  Anything
 * else in braces ({{if}}, pipelines, {{- trim markers}}, comments, an
 * unknown field) is refused when the config is loaded, where
 * oauth2-proxy would fail or misprint at the first request.
 *
 * The values are oauth2-proxy's: Timestamp "2006/01/02 15:04:05" in UTC
 * (gatehouse logs in UTC; logging_local_time is not supported),
 * RequestURI and UserAgent quoted as Go's %q, RequestDuration in seconds
 * with three decimals, "-" for no user or no upstream.  With log_format
 * json each value is its own member, unquoted (the JSON encoding escapes
 * it), and the template is not used.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accesslog.h"
#include "log.h"

/*
 * A longer record is cut before the value or escape that does not fit,
 * short of log.c's 4 KiB so that its time, process and level fit too.
 */
#define AL_LINE_MAX	(4096 - 256)
#define AL_SHOW_MAX	64	/* of a bad action, in a diagnostic */

enum al_field {
	AL_CLIENT,
	AL_REQUEST_ID,
	AL_USERNAME,
	AL_TIMESTAMP,
	AL_HOST,
	AL_METHOD,
	AL_UPSTREAM,
	AL_URI,
	AL_PROTOCOL,
	AL_USER_AGENT,
	AL_STATUS,
	AL_SIZE,
	AL_DURATION,
	AL_NFIELDS
};

static const struct {
	const char	*name;		/* in the template */
	const char	*json;		/* member name */
	int		 quoted;	/* Go-quoted in text */
} al_fields[AL_NFIELDS] = {
	[AL_CLIENT] =		{ "Client", "client", 0 },
	[AL_REQUEST_ID] =	{ "RequestID", "request_id", 0 },
	[AL_USERNAME] =		{ "Username", "username", 0 },
	[AL_TIMESTAMP] =	{ "Timestamp", "timestamp", 0 },
	[AL_HOST] =		{ "Host", "host", 0 },
	[AL_METHOD] =		{ "RequestMethod", "method", 0 },
	[AL_UPSTREAM] =		{ "Upstream", "upstream", 0 },
	[AL_URI] =		{ "RequestURI", "uri", 1 },
	[AL_PROTOCOL] =		{ "Protocol", "protocol", 0 },
	[AL_USER_AGENT] =	{ "UserAgent", "user_agent", 1 },
	[AL_STATUS] =		{ "StatusCode", "status", 0 },
	[AL_SIZE] =		{ "ResponseSize", "size", 0 },
	[AL_DURATION] =		{ "RequestDuration", "duration", 0 },
};

/* Literal text (into the format's copy), or a field. */
struct al_seg {
	const char	*text;
	size_t		 len;
	int		 field;		/* -1: literal */
};

struct access_log {
	char		*format;
	struct al_seg	*segs;
	size_t		 nsegs;
};

/* One entry's values as text, for either form. */
struct al_values {
	const char	*v[AL_NFIELDS];
	char		 timestamp[32];
	char		 status[16];
	char		 size[24];
	char		 duration[32];
};

/* A record being rendered: once something does not fit, nothing more. */
struct al_buf {
	char	b[AL_LINE_MAX];
	size_t	off;
	int	full;
};

static int
seg_add(struct access_log *al, const char *text, size_t len, int field)
{
	struct al_seg	*v;

	v = reallocarray(al->segs, al->nsegs + 1, sizeof(*v));
	if (v == NULL)
		return -1;
	al->segs = v;
	v[al->nsegs].text = text;
	v[al->nsegs].len = len;
	v[al->nsegs++].field = field;
	return 0;
}

static int
field_lookup(const char *name, size_t len)
{
	int	f;

	for (f = 0; f < AL_NFIELDS; f++)
		if (strlen(al_fields[f].name) == len &&
		    memcmp(al_fields[f].name, name, len) == 0)
			return f;
	return -1;
}

/* The blanks Go's template lexer skips inside an action. */
static int
isblank_go(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
is_name(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return len > 0;
}

/*
 * The action between "{{" and "}}": blanks, ".Name", blanks.  Returns
 * the field, or -1 after saying what is wrong with it.
 */
static int
action_parse(const char *s, size_t len, struct conf_diag *diag)
{
	size_t	i = 0, end = len;
	int	f;

	while (i < end && isblank_go(s[i]))
		i++;
	while (end > i && isblank_go(s[end - 1]))
		end--;
	if (end - i < 2 || s[i] != '.' || !is_name(s + i + 1, end - i - 1)) {
		conf_error(diag, "request_logging_format: unsupported action "
		    "\"{{%.*s}}\": only {{.Field}} is",
		    (int)(len < AL_SHOW_MAX ? len : AL_SHOW_MAX), s);
		return -1;
	}
	i++;
	if ((f = field_lookup(s + i, end - i)) == -1) {
		conf_error(diag, "request_logging_format: unknown field "
		    "\"%.*s\"", (int)(end - i < AL_SHOW_MAX ? end - i :
		    AL_SHOW_MAX), s + i);
	}
	return f;
}

static int
format_parse(struct access_log *al, struct conf_diag *diag)
{
	const char	*p = al->format, *open, *close;
	int		 f;

	while ((open = strstr(p, "{{")) != NULL) {
		if (open > p && seg_add(al, p, (size_t)(open - p), -1) == -1)
			return -1;
		if ((close = strstr(open + 2, "}}")) == NULL) {
			conf_error(diag,
			    "request_logging_format: unclosed action");
			return -1;
		}
		f = action_parse(open + 2, (size_t)(close - open - 2), diag);
		if (f == -1 || seg_add(al, NULL, 0, f) == -1)
			return -1;
		p = close + 2;
	}
	if (*p != '\0' && seg_add(al, p, strlen(p), -1) == -1)
		return -1;
	return 0;
}

struct access_log *
accesslog_compile(const char *format, struct conf_diag *diag)
{
	struct access_log	*al;
	int			 nerrors = diag->nerrors;

	if ((al = calloc(1, sizeof(*al))) == NULL ||
	    (al->format = strdup(format != NULL ? format : "")) == NULL ||
	    format_parse(al, diag) == -1) {
		if (diag->nerrors == nerrors)
			conf_error(diag, "request_logging_format: out of memory");
		accesslog_free(al);
		return NULL;
	}
	return al;
}

void
accesslog_free(struct access_log *al)
{
	if (al == NULL)
		return;
	free(al->segs);
	free(al->format);
	free(al);
}

static const char *
or_dash(const char *s)
{
	return s != NULL && *s != '\0' ? s : "-";
}

static const char *
or_empty(const char *s)
{
	return s != NULL ? s : "";
}

static void
values_fill(const struct access_entry *e, struct al_values *vals)
{
	struct tm	tm;

	if (gmtime_r(&e->start.tv_sec, &tm) == NULL ||
	    strftime(vals->timestamp, sizeof(vals->timestamp),
	    "%Y/%m/%d %H:%M:%S", &tm) == 0)
		vals->timestamp[0] = '\0';
	snprintf(vals->status, sizeof(vals->status), "%d", e->status);
	snprintf(vals->size, sizeof(vals->size), "%" PRIu64, e->size);
	snprintf(vals->duration, sizeof(vals->duration), "%.3f", e->duration);
	vals->v[AL_CLIENT] = or_empty(e->client);
	vals->v[AL_REQUEST_ID] = or_empty(e->request_id);
	vals->v[AL_USERNAME] = or_dash(e->username);
	vals->v[AL_TIMESTAMP] = vals->timestamp;
	vals->v[AL_HOST] = or_empty(e->host);
	vals->v[AL_METHOD] = or_empty(e->method);
	vals->v[AL_UPSTREAM] = or_dash(e->upstream);
	vals->v[AL_URI] = or_empty(e->uri);
	vals->v[AL_PROTOCOL] = or_empty(e->protocol);
	vals->v[AL_USER_AGENT] = or_empty(e->user_agent);
	vals->v[AL_STATUS] = vals->status;
	vals->v[AL_SIZE] = vals->size;
	vals->v[AL_DURATION] = vals->duration;
}

static void
buf_put(struct al_buf *b, const char *s, size_t len)
{
	if (b->full || b->off + len >= sizeof(b->b)) {
		b->full = 1;
		return;
	}
	memcpy(b->b + b->off, s, len);
	b->off += len;
}

/* The length of the UTF-8 sequence at s and its code point; 0: invalid. */
static size_t
utf8_decode(const unsigned char *s, uint32_t *cp)
{
	uint32_t	min;
	size_t		n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		min = 0x10000;
	} else
		return 0;
	*cp = s[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * Go's unicode.IsPrint for code points above ASCII, without Unicode's
 * tables: controls, spaces other than U+0020, format characters (bidi
 * overrides among them), separators, private use and noncharacters are
 * not printable.  Unassigned code points, which Go also escapes, are
 * printed.
 */
static int
uni_printable(uint32_t cp)
{
	static const struct {
		uint32_t	lo, hi;
	} np[] = {
		{ 0x0080, 0x00a0 }, { 0x00ad, 0x00ad }, { 0x0600, 0x0605 },
		{ 0x061c, 0x061c }, { 0x06dd, 0x06dd }, { 0x070f, 0x070f },
		{ 0x1680, 0x1680 }, { 0x180e, 0x180e }, { 0x2000, 0x200f },
		{ 0x2028, 0x202f }, { 0x205f, 0x206f }, { 0x3000, 0x3000 },
		{ 0xe000, 0xf8ff }, { 0xfeff, 0xfeff }, { 0xfff9, 0xfffb },
		{ 0xfffe, 0xffff }, { 0xe0000, 0xe007f }, { 0xf0000, 0x10ffff },
	};
	size_t	i;

	for (i = 0; i < sizeof(np) / sizeof(np[0]); i++)
		if (cp >= np[i].lo && cp <= np[i].hi)
			return 0;
	return 1;
}

/* One ASCII byte as Go's %q writes it. */
static void
quote_ascii(struct al_buf *b, unsigned char c)
{
	static const char	named[] = "\a\b\f\n\r\t\v";
	static const char	letter[] = "abfnrtv";
	const char		*p;
	char			 esc[8];
	int			 n;

	if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
		buf_put(b, (const char *)&c, 1);
		return;
	}
	if (c == '"' || c == '\\')
		n = snprintf(esc, sizeof(esc), "\\%c", c);
	else if (c != '\0' && (p = strchr(named, c)) != NULL)
		n = snprintf(esc, sizeof(esc), "\\%c", letter[p - named]);
	else
		n = snprintf(esc, sizeof(esc), "\\x%02x", c);
	buf_put(b, esc, (size_t)n);
}

/* s as Go's %q: double quotes, escapes, \xNN for bytes not UTF-8. */
static void
go_quote(struct al_buf *b, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			 esc[16];
	uint32_t		 cp;
	size_t			 n;

	buf_put(b, "\"", 1);
	while (*p != '\0') {
		if (*p < 0x80) {
			quote_ascii(b, *p++);
			continue;
		}
		if ((n = utf8_decode(p, &cp)) == 0)
			n = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", *p++);
		else if (uni_printable(cp)) {
			buf_put(b, (const char *)p, n);
			p += n;
			continue;
		} else {
			p += n;
			n = (size_t)snprintf(esc, sizeof(esc),
			    cp < 0x10000 ? "\\u%04x" : "\\U%08x", (unsigned)cp);
		}
		buf_put(b, esc, n);
	}
	buf_put(b, "\"", 1);
}

static void
render(const struct access_log *al, const struct al_values *vals,
    struct al_buf *b)
{
	const struct al_seg	*s;
	size_t			 i;

	b->off = 0;
	b->full = 0;
	for (i = 0; i < al->nsegs; i++) {
		s = &al->segs[i];
		if (s->field == -1)
			buf_put(b, s->text, s->len);
		else if (al_fields[s->field].quoted)
			go_quote(b, vals->v[s->field]);
		else
			buf_put(b, vals->v[s->field],
			    strlen(vals->v[s->field]));
	}
	b->b[b->off] = '\0';
}

void
accesslog_write(const struct access_log *al, const struct access_entry *e)
{
	struct al_values	 vals;
	struct al_buf		 line;
	const char		*fields[2 * AL_NFIELDS];
	int			 f;

	values_fill(e, &vals);
	for (f = 0; f < AL_NFIELDS; f++) {
		fields[2 * f] = al_fields[f].json;
		fields[2 * f + 1] = vals.v[f];
	}
	if (log_is_json()) {
		log_fields(LOG_LEVEL_INFO, "request", NULL, fields,
		    2 * AL_NFIELDS);
		return;
	}
	render(al, &vals, &line);
	log_fields(LOG_LEVEL_INFO, "request", line.b, fields, 2 * AL_NFIELDS);
}
