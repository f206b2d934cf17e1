/*
 * The session record's binary codec; the format is in session.h.  One
 * table of fields drives both directions.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

enum field_kind {
	FIELD_STRING,
	FIELD_GROUPS,
	FIELD_TIME,
};

struct field {
	uint8_t		 tag;
	enum field_kind	 kind;
	size_t		 off;		/* offsetof(struct session, field) */
	int		 token;		/* left out by SESSION_MINIMAL */
};

#define STR(t, f, tok)	{ t, FIELD_STRING, offsetof(struct session, f), tok }
#define TIME(t, f)	{ t, FIELD_TIME, offsetof(struct session, f), 0 }

/* In increasing tag order, the order of the encoding. */
static const struct field fields[] = {
	STR(1, user, 0),
	STR(2, email, 0),
	STR(3, preferred_username, 0),
	{ 4, FIELD_GROUPS, offsetof(struct session, groups), 0 },
	STR(5, id_token, 1),
	STR(6, access_token, 1),
	STR(7, refresh_token, 1),
	TIME(16, created_at),
	TIME(17, expires_on),
	TIME(18, refresh_due),
};
#define NFIELDS		(sizeof(fields) / sizeof(fields[0]))

/* A reading or writing position; an error is sticky. */
struct cursor {
	uint8_t		*w;		/* writing */
	const uint8_t	*r;		/* reading */
	size_t		 left;
	int		 err;
};

#define FIELD_PTR(s, f)		((char *)(s) + (f)->off)
#define FIELD_CPTR(s, f)	((const char *)(s) + (f)->off)

/*
 * UTF-8 in its shortest form, no surrogates, nothing above U+10FFFF
 * (RFC 3629), and no NUL.
 */
static int
utf8_ok(const uint8_t *p, size_t n)
{
	size_t	i = 0, k, len;
	uint8_t	lo, hi;

	while (i < n) {
		lo = 0x80;
		hi = 0xbf;
		if (p[i] == 0x00)
			return (0);
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf)
			len = 2;
		else if (p[i] >= 0xe0 && p[i] <= 0xef) {
			len = 3;
			if (p[i] == 0xe0)
				lo = 0xa0;	/* overlong */
			else if (p[i] == 0xed)
				hi = 0x9f;	/* surrogates */
		} else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			len = 4;
			if (p[i] == 0xf0)
				lo = 0x90;	/* overlong */
			else if (p[i] == 0xf4)
				hi = 0x8f;	/* above U+10FFFF */
		} else
			return (0);
		if (n - i < len || p[i + 1] < lo || p[i + 1] > hi)
			return (0);
		for (k = 2; k < len; k++)
			if (p[i + k] < 0x80 || p[i + k] > 0xbf)
				return (0);
		i += len;
	}
	return (1);
}

/* Writing. */

static void
put(struct cursor *c, const void *p, size_t n)
{
	if (c->err || n > c->left) {
		c->err = 1;
		return;
	}
	memcpy(c->w, p, n);
	c->w += n;
	c->left -= n;
}

static void
put_u8(struct cursor *c, uint8_t v)
{
	put(c, &v, 1);
}

static void
put_u32(struct cursor *c, uint32_t v)
{
	uint8_t	b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };

	put(c, b, sizeof(b));
}

static void
put_i64(struct cursor *c, int64_t v)
{
	uint64_t	u = (uint64_t)v;

	put_u32(c, (uint32_t)(u >> 32));
	put_u32(c, (uint32_t)u);
}

/* A string with its length; one that breaks the string rules fails. */
static void
put_string(struct cursor *c, const char *s)
{
	size_t	n = strnlen(s, SESSION_STR_MAX + 1);

	if (n > SESSION_STR_MAX || !utf8_ok((const uint8_t *)s, n)) {
		c->err = 1;
		return;
	}
	put_u32(c, (uint32_t)n);
	put(c, s, n);
}

static void
put_groups(struct cursor *c, char *const *g, size_t n)
{
	size_t	i, len = 0;

	if (n > SESSION_GROUPS_MAX || g == NULL) {
		c->err = 1;
		return;
	}
	for (i = 0; i < n; i++) {
		if (g[i] == NULL) {
			c->err = 1;
			return;
		}
		len += 4 + strnlen(g[i], SESSION_STR_MAX + 1);
	}
	if (len > SESSION_ENC_MAX) {
		c->err = 1;
		return;
	}
	put_u32(c, (uint32_t)len);
	for (i = 0; i < n; i++)
		put_string(c, g[i]);
}

int
session_encode(const struct session *s, int flags, uint8_t *buf, size_t len)
{
	struct cursor		 c = { .w = buf, .left = len };
	const struct field	*f;
	const char		*str;
	size_t			 i;

	if (len > SESSION_ENC_MAX)
		c.left = SESSION_ENC_MAX;
	put_u8(&c, SESSION_VERSION);
	for (i = 0; i < NFIELDS; i++) {
		f = &fields[i];
		if (f->token && (flags & SESSION_MINIMAL))
			continue;
		switch (f->kind) {
		case FIELD_STRING:
			if ((str = *(char *const *)FIELD_CPTR(s, f)) == NULL)
				continue;
			put_u8(&c, f->tag);
			put_string(&c, str);
			break;
		case FIELD_GROUPS:
			if (s->ngroups == 0)
				continue;
			put_u8(&c, f->tag);
			put_groups(&c, s->groups, s->ngroups);
			break;
		case FIELD_TIME:
			put_u8(&c, f->tag);
			put_i64(&c, *(const int64_t *)FIELD_CPTR(s, f));
			break;
		}
	}
	if (c.err)
		return (-1);
	return ((int)(c.w - buf));
}

/* Reading. */

static const uint8_t *
get(struct cursor *c, size_t n)
{
	const uint8_t	*p = c->r;

	if (c->err || n > c->left) {
		c->err = 1;
		return (NULL);
	}
	c->r += n;
	c->left -= n;
	return (p);
}

static uint32_t
get_u32(struct cursor *c)
{
	const uint8_t	*b;

	if ((b = get(c, 4)) == NULL)
		return (0);
	return ((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3]);
}

static int64_t
get_i64(struct cursor *c)
{
	uint64_t	hi, lo;

	hi = get_u32(c);
	lo = get_u32(c);
	return ((int64_t)(hi << 32 | lo));
}

/* A string, copied and NUL-terminated; NULL on any error. */
static char *
get_string(struct cursor *c)
{
	const uint8_t	*p;
	uint32_t	 n;
	char		*s;

	n = get_u32(c);
	if (c->err || n > SESSION_STR_MAX || (p = get(c, n)) == NULL ||
	    !utf8_ok(p, n) || (s = malloc((size_t)n + 1)) == NULL) {
		c->err = 1;
		return (NULL);
	}
	memcpy(s, p, n);
	s[n] = '\0';
	return (s);
}

/* The group list: entries that exactly fill the field's length. */
static void
get_groups(struct cursor *c, struct session *s)
{
	struct cursor	 sub;
	uint32_t	 len;
	char		*g;

	len = get_u32(c);
	if (c->err || len == 0 || (sub.r = get(c, len)) == NULL) {
		c->err = 1;
		return;
	}
	sub.left = len;
	sub.err = 0;
	if ((s->groups = calloc(SESSION_GROUPS_MAX, sizeof(char *))) == NULL) {
		c->err = 1;
		return;
	}
	while (sub.left > 0) {
		if (s->ngroups == SESSION_GROUPS_MAX ||
		    (g = get_string(&sub)) == NULL) {
			c->err = 1;
			return;
		}
		s->groups[s->ngroups++] = g;
	}
}

static const struct field *
field_find(uint8_t tag)
{
	size_t	i;

	for (i = 0; i < NFIELDS; i++)
		if (fields[i].tag == tag)
			return (&fields[i]);
	return (NULL);
}

int
session_decode(const uint8_t *buf, size_t len, struct session *s)
{
	struct cursor		 c = { .r = buf, .left = len };
	const struct field	*f;
	const uint8_t		*t;
	unsigned int		 last = 0;

	memset(s, 0, sizeof(*s));
	if (len > SESSION_ENC_MAX || (t = get(&c, 1)) == NULL ||
	    *t != SESSION_VERSION)
		return (-1);
	while (c.left > 0 && !c.err) {
		t = get(&c, 1);
		if ((f = field_find(*t)) == NULL || *t <= last) {
			c.err = 1;
			break;
		}
		last = *t;
		switch (f->kind) {
		case FIELD_STRING:
			*(char **)FIELD_PTR(s, f) = get_string(&c);
			break;
		case FIELD_GROUPS:
			get_groups(&c, s);
			break;
		case FIELD_TIME:
			*(int64_t *)FIELD_PTR(s, f) = get_i64(&c);
			break;
		}
	}
	if (c.err) {
		session_free(s);
		return (-1);
	}
	return (0);
}

static void
str_free(char *p)
{
	if (p == NULL)
		return;
	explicit_bzero(p, strlen(p));
	free(p);
}

void
session_free(struct session *s)
{
	const struct field	*f;
	size_t			 i;

	for (i = 0; i < NFIELDS; i++) {
		f = &fields[i];
		if (f->kind == FIELD_STRING)
			str_free(*(char **)FIELD_PTR(s, f));
	}
	for (i = 0; i < s->ngroups; i++)
		str_free(s->groups[i]);
	free(s->groups);
	explicit_bzero(s, sizeof(*s));
}
