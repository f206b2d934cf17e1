/*
 * The subset of TOML that oauth2-proxy's legacy config uses: one
 * "key = value" per line, where a value is a basic or literal string, an
 * integer, true or false, or an array of strings that may span lines.
 * Tables, inline tables, floats, dates, multi-line strings and dotted or
 * quoted keys are refused.  The whole file is checked first (size, line
 * length, UTF-8, control characters), so the parser trusts every byte.
 * A syntax error ends the parse; a bad key or value is reported and the
 * parse goes on, so one run lists them all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

#define UTF8_BOM	"\xef\xbb\xbf"

struct toml {
	struct conf_state	*st;
	const char		*name;
	const char		*p;
	const char		*end;
	unsigned		 line;
};

enum toml_kind {
	TV_STRING,
	TV_INT,
	TV_BOOL,
	TV_ARRAY,
};

struct toml_val {
	enum toml_kind		 kind;
	char			*s;
	int64_t			 i;
	struct conf_list	 a;
};

static int
toml_syntax(struct toml *t, const char *what)
{
	conf_error(t->st->diag, "%.200s:%u: %s", t->name, t->line, what);
	return (-1);
}

/* The length of the UTF-8 sequence at s, or 0 if it is not valid. */
static size_t
utf8_len(const unsigned char *s, size_t left)
{
	static const uint32_t	 min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t		 cp;
	size_t			 n, i;

	if (s[0] < 0x80)
		return (1);
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return (0);
	if (n > left)
		return (0);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return (0);
	return (n);
}

/* What is wrong with the byte at p[i], or NULL; *n is its length. */
static const char *
prescan_char(const unsigned char *p, size_t i, size_t len, size_t *n)
{
	*n = 1;
	if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n')
		return (NULL);
	if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
		return ("control character");
	if ((*n = utf8_len(p + i, len - i)) == 0)
		return ("invalid UTF-8");
	return (NULL);
}

static int
toml_prescan(struct toml *t, size_t len)
{
	const unsigned char	*p = (const unsigned char *)t->p;
	const char		*what;
	size_t			 i, n, linestart = 0;

	for (i = 0; i < len; i += n) {
		n = 1;
		if (p[i] == '\n') {
			t->line++;
			linestart = i + 1;
			continue;
		}
		if (i - linestart >= CONF_MAX_LINE)
			return (toml_syntax(t, "line longer than 64 KiB"));
		if ((what = prescan_char(p, i, len, &n)) != NULL)
			return (toml_syntax(t, what));
	}
	return (0);
}

static void
skip_ws(struct toml *t)
{
	while (t->p < t->end && (*t->p == ' ' || *t->p == '\t'))
		t->p++;
}

/*
 * Consumes blanks, a comment and the end of the line, if that is what
 * follows; 1 if so.  The prescan let a CR through only before a LF.
 */
static int
toml_eol(struct toml *t)
{
	skip_ws(t);
	if (t->p < t->end && *t->p == '#')
		while (t->p < t->end && *t->p != '\n' && *t->p != '\r')
			t->p++;
	if (t->p == t->end)
		return (1);
	if (*t->p != '\n' && *t->p != '\r')
		return (0);
	t->p += *t->p == '\r' ? 2 : 1;
	t->line++;
	return (1);
}

/* Blanks, comments and newlines, as allowed between array items. */
static void
skip_blank(struct toml *t)
{
	for (;;) {
		skip_ws(t);
		if (t->p == t->end ||
		    (*t->p != '#' && *t->p != '\n' && *t->p != '\r'))
			return;
		toml_eol(t);
	}
}

static size_t
utf8_put(char *buf, uint32_t cp)
{
	if (cp < 0x80) {
		buf[0] = cp;
		return (1);
	}
	if (cp < 0x800) {
		buf[0] = 0xc0 | cp >> 6;
		buf[1] = 0x80 | (cp & 0x3f);
		return (2);
	}
	if (cp < 0x10000) {
		buf[0] = 0xe0 | cp >> 12;
		buf[1] = 0x80 | (cp >> 6 & 0x3f);
		buf[2] = 0x80 | (cp & 0x3f);
		return (3);
	}
	buf[0] = 0xf0 | cp >> 18;
	buf[1] = 0x80 | (cp >> 12 & 0x3f);
	buf[2] = 0x80 | (cp >> 6 & 0x3f);
	buf[3] = 0x80 | (cp & 0x3f);
	return (4);
}

/* \uXXXX or \UXXXXXXXX at t->p (the u): a scalar value, but not NUL. */
static int
toml_unicode(struct toml *t, char *buf, size_t *n, int ndigits)
{
	uint32_t	cp = 0;
	int		i;
	char		c;

	for (i = 0, t->p++; i < ndigits; i++, t->p++) {
		c = t->p < t->end ? *t->p : '\0';
		if (c >= '0' && c <= '9')
			cp = cp << 4 | (c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			cp = cp << 4 | ((c | 0x20) - 'a' + 10);
		else
			return (toml_syntax(t, "invalid \\u escape"));
	}
	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return (toml_syntax(t, "invalid \\u escape: not a character, "
		    "or NUL"));
	*n += utf8_put(buf + *n, cp);
	return (0);
}

/* The escape at t->p (the backslash); never longer than its decoding. */
static int
toml_escape(struct toml *t, char *buf, size_t *n)
{
	static const char	 from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
	const char		*e;

	if (++t->p == t->end)
		return (toml_syntax(t, "invalid escape sequence"));
	if (*t->p != '\0' && (e = strchr(from, *t->p)) != NULL) {
		buf[(*n)++] = to[e - from];
		t->p++;
		return (0);
	}
	if (*t->p == 'u' || *t->p == 'U')
		return (toml_unicode(t, buf, n, *t->p == 'u' ? 4 : 8));
	return (toml_syntax(t, "invalid escape sequence"));
}

/*
 * A basic ("...") or literal ('...') string at t->p.  Neither may span
 * lines, so the decoded string fits in what is left of the line.
 */
static int
toml_string(struct toml *t, char **out)
{
	const char	 q = *t->p;
	const char	*eol;
	char		*buf;
	size_t		 n = 0;
	int		 r = 0;

	if (t->end - t->p >= 3 && t->p[1] == q && t->p[2] == q)
		return (toml_syntax(t, "multi-line strings are not supported"));
	t->p++;
	if ((eol = memchr(t->p, '\n', t->end - t->p)) == NULL)
		eol = t->end;
	if ((buf = malloc(eol - t->p + 1)) == NULL)
		return (toml_syntax(t, "out of memory"));
	while (r == 0 && t->p < eol && *t->p != q)
		if (q == '"' && *t->p == '\\')
			r = toml_escape(t, buf, &n);
		else
			buf[n++] = *t->p++;
	if (r == 0 && t->p >= eol)
		r = toml_syntax(t, "unterminated string");
	if (r == -1) {
		explicit_bzero(buf, n);
		free(buf);
		return (-1);
	}
	t->p++;
	buf[n] = '\0';
	*out = buf;
	return (0);
}

static int
toml_array(struct toml *t, struct conf_list *l)
{
	char	*s;
	int	 r;

	for (t->p++;;) {
		skip_blank(t);
		if (t->p == t->end)
			return (toml_syntax(t, "unterminated array"));
		if (*t->p == ']') {
			t->p++;
			return (0);
		}
		if (*t->p != '"' && *t->p != '\'')
			return (toml_syntax(t, "expected a string (arrays may "
			    "only hold strings) or ']'"));
		if (toml_string(t, &s) == -1)
			return (-1);
		r = conf_list_add(l, s);
		explicit_bzero(s, strlen(s));
		free(s);
		if (r == -1)
			return (toml_syntax(t, "out of memory"));
		skip_blank(t);
		if (t->p == t->end)
			return (toml_syntax(t, "unterminated array"));
		if (*t->p == ',')
			t->p++;
		else if (*t->p != ']')
			return (toml_syntax(t, "expected ',' or ']' in the "
			    "array"));
	}
}

/* A TOML decimal integer: sign, no leading zero, '_' between digits. */
static int
toml_int(const char *s, size_t n, int64_t *v)
{
	uint64_t	acc = 0, limit = INT64_MAX;
	size_t		i = 0;
	int		neg = 0, d;

	if (n > 0 && (s[0] == '+' || s[0] == '-'))
		neg = s[i++] == '-';
	if (i == n || s[i] < '0' || s[i] > '9' || (s[i] == '0' && n - i > 1))
		return (-1);
	limit += neg;
	for (; i < n; i++) {
		if (s[i] == '_' && i + 1 < n && s[i - 1] >= '0' &&
		    s[i - 1] <= '9' && s[i + 1] >= '0' && s[i + 1] <= '9')
			continue;
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		d = s[i] - '0';
		if (acc > (limit - d) / 10)
			return (-1);
		acc = acc * 10 + d;
	}
	*v = neg ? -(int64_t)(acc - 1) - 1 : (int64_t)acc;
	return (0);
}

/* true, false or an integer: a run of the characters they can have. */
static int
toml_scalar(struct toml *t, struct toml_val *v)
{
	const char	*s = t->p;
	size_t		 n;

	while (t->p < t->end && (strchr("+-_.:", *t->p) != NULL ||
	    (*t->p >= '0' && *t->p <= '9') ||
	    ((*t->p | 0x20) >= 'a' && (*t->p | 0x20) <= 'z')))
		t->p++;
	n = t->p - s;
	v->kind = TV_BOOL;
	if (n == 4 && memcmp(s, "true", 4) == 0)
		return (v->i = 1, 0);
	if (n == 5 && memcmp(s, "false", 5) == 0)
		return (v->i = 0, 0);
	v->kind = TV_INT;
	if (toml_int(s, n, &v->i) == 0)
		return (0);
	if (n == 0)
		return (toml_syntax(t, "expected a value"));
	return (toml_syntax(t, "expected a string, an integer, true, false "
	    "or an array of strings"));
}

static int
toml_value(struct toml *t, struct toml_val *v)
{
	if (t->p == t->end)
		return (toml_syntax(t, "expected a value"));
	switch (*t->p) {
	case '"':
	case '\'':
		v->kind = TV_STRING;
		return (toml_string(t, &v->s));
	case '[':
		v->kind = TV_ARRAY;
		return (toml_array(t, &v->a));
	default:
		return (toml_scalar(t, v));
	}
}

static void
toml_val_free(struct toml_val *v)
{
	if (v->s != NULL)
		explicit_bzero(v->s, strlen(v->s));
	free(v->s);
	conf_list_free(&v->a, 1);
}

/* A TOML integer where a duration belongs: only 0 has no unit. */
static void
toml_duration_int(struct conf_state *st, const struct conf_key *k,
    const char *where, int64_t v)
{
	char	num[32];

	if (v == 0) {
		conf_set_typed(st, k, CONF_SRC_FILE, 0);
		return;
	}
	snprintf(num, sizeof(num), "%lld", (long long)v);
	conf_duration_error(st->diag, where, num);
}

/*
 * Stores a value as its key's type.  As in oauth2-proxy (viper and its
 * string-to-slice hook), a string where a list belongs is a comma list.
 */
static void
toml_apply(struct conf_state *st, const struct conf_key *k,
    const char *where, struct toml_val *v)
{
	static const char *const expected[] = {
		[CONF_STRING] = "expected a string",
		[CONF_BOOL] = "expected true or false",
		[CONF_INT] = "expected an integer",
		[CONF_DURATION] = "expected a duration string such as \"30s\"",
		[CONF_LIST] = "expected an array of strings",
	};

	if (v->kind == TV_STRING && k->type != CONF_BOOL &&
	    k->type != CONF_INT)
		conf_set_text(st, k, CONF_SRC_FILE, where, v->s);
	else if (conf_check_key(st, k, where) == -1)
		return;
	else if (v->kind == TV_BOOL && k->type == CONF_BOOL)
		conf_set_typed(st, k, CONF_SRC_FILE, v->i);
	else if (v->kind == TV_INT && k->type == CONF_INT)
		conf_set_typed(st, k, CONF_SRC_FILE, v->i);
	else if (v->kind == TV_INT && k->type == CONF_DURATION)
		toml_duration_int(st, k, where, v->i);
	else if (v->kind == TV_ARRAY && k->type == CONF_LIST) {
		if (conf_take(st, k, CONF_SRC_FILE))
			conf_set_list(st->cf, k, &v->a);
	} else
		conf_error(st->diag, "%s: %s", where, expected[k->type]);
}

static void
toml_assign(struct toml *t, const char *key, unsigned line,
    struct toml_val *v)
{
	const struct conf_key	*k, *hint;
	char			 where[CONF_MAX_WHERE];
	size_t			 i;

	snprintf(where, sizeof(where), "%.150s:%u: %.64s", t->name, line, key);
	if ((k = config_key_lookup(key)) == NULL) {
		if ((hint = conf_key_suggest(key)) != NULL)
			conf_error(t->st->diag, "%s: unknown key; did you mean "
			    "%s?", where, hint->name);
		else
			conf_error(t->st->diag, "%s: unknown key", where);
		return;
	}
	i = conf_key_index(k);
	if (t->st->fileline[i] != 0) {
		conf_error(t->st->diag, "%s: duplicate key (first set on line "
		    "%u)", where, t->st->fileline[i]);
		return;
	}
	t->st->fileline[i] = line;
	toml_apply(t->st, k, where, v);
}

/* A bare key: letters, digits, '_' and '-'. */
static int
toml_key(struct toml *t, char *key, size_t size)
{
	const char	*s = t->p;

	while (t->p < t->end && (*t->p == '_' || *t->p == '-' ||
	    (*t->p >= '0' && *t->p <= '9') ||
	    ((*t->p | 0x20) >= 'a' && (*t->p | 0x20) <= 'z')))
		t->p++;
	if (t->p == s)
		return (toml_syntax(t, "expected a key name (letters, digits, "
		    "'_' and '-')"));
	if ((size_t)(t->p - s) >= size)
		return (toml_syntax(t, "key name too long"));
	memcpy(key, s, t->p - s);
	key[t->p - s] = '\0';
	return (0);
}

/* One line, or several for an array; -1 on a syntax error. */
static int
toml_line(struct toml *t)
{
	struct toml_val	v;
	char		key[CONF_MAX_WHERE / 2];
	unsigned	line = t->line;
	int		r;

	if (toml_eol(t))
		return (0);
	if (*t->p == '[')
		return (toml_syntax(t, "tables ([name]) are not supported"));
	if (toml_key(t, key, sizeof(key)) == -1)
		return (-1);
	skip_ws(t);
	if (t->p == t->end || *t->p != '=')
		return (toml_syntax(t, "expected '=' after the key"));
	t->p++;
	skip_ws(t);
	memset(&v, 0, sizeof(v));
	r = toml_value(t, &v);
	if (r == 0 && !toml_eol(t))
		r = toml_syntax(t, "unexpected text after the value");
	if (r == 0)
		toml_assign(t, key, line, &v);
	toml_val_free(&v);
	return (r);
}

int
conf_toml_parse(struct conf_state *st, const char *name, const char *buf,
    size_t len)
{
	struct toml	t = { st, name, buf, buf + len, 1 };
	int		nerrors = st->diag->nerrors;

	if (len > CONF_MAX_FILE) {
		conf_error(st->diag, "%.200s: larger than %d bytes", name,
		    CONF_MAX_FILE);
		return (-1);
	}
	if (toml_prescan(&t, len) == -1)
		return (-1);
	t.line = 1;
	if (len >= 3 && memcmp(buf, UTF8_BOM, 3) == 0)
		t.p += 3;
	while (t.p < t.end && toml_line(&t) == 0)
		;
	return (st->diag->nerrors == nerrors ? 0 : -1);
}

int
config_parse_buffer(struct config *cf, const char *name, const char *buf,
    size_t len, struct conf_diag *diag)
{
	struct conf_state	st;

	conf_state_init(&st, cf, diag);
	return (conf_toml_parse(&st, name, buf, len));
}
