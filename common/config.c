/*
 * The config model: defaults, the setters every source goes through, and
 * the textual values of environment and flags (bool, int, duration, list).
 *
 * A string field holds either its key's default, which points into the
 * key table and is never freed, or a string of its own.  Consumers treat
 * every field as read-only.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

static void __attribute__((format(printf, 3, 0)))
conf_report(struct conf_diag *diag, const char *prefix, const char *fmt,
    va_list ap)
{
	char	msg[CONF_MAX_MSG];
	size_t	n;

	if (diag == NULL)
		return;
	n = strlen(prefix);
	memcpy(msg, prefix, n);
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	if (diag->report != NULL)
		diag->report(diag->arg, msg);
}

void
conf_error(struct conf_diag *diag, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	conf_report(diag, "", fmt, ap);
	va_end(ap);
	if (diag != NULL)
		diag->nerrors++;
}

/* A warning goes the same way as an error but does not fail the load. */
void
conf_warn(struct conf_diag *diag, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	conf_report(diag, "warning: ", fmt, ap);
	va_end(ap);
}

static void
conf_str_release(const struct conf_key *k, char **sp)
{
	if (*sp == NULL || *sp == k->defval)
		return;
	if (k->flags & CONF_F_SECRET)
		explicit_bzero(*sp, strlen(*sp));
	free(*sp);
	*sp = NULL;
}

void
conf_list_free(struct conf_list *l, int wipe)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		if (wipe)
			explicit_bzero(l->v[i], strlen(l->v[i]));
		free(l->v[i]);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
conf_list_add(struct conf_list *l, const char *s)
{
	char	**v, *dup;

	if ((dup = strdup(s)) == NULL)
		return (-1);
	if ((v = reallocarray(l->v, l->n + 1, sizeof(*v))) == NULL) {
		free(dup);
		return (-1);
	}
	v[l->n++] = dup;
	l->v = v;
	return (0);
}

int
conf_set_string(struct config *cf, const struct conf_key *k, const char *s)
{
	char	**sp = CONF_STR(cf, k), *dup = NULL;

	if (s != NULL && (dup = strdup(s)) == NULL)
		return (-1);
	conf_str_release(k, sp);
	*sp = dup;
	return (0);
}

/* Bools are stored as int, ints and durations as int64_t. */
void
conf_set_num(struct config *cf, const struct conf_key *k, int64_t v)
{
	if (k->type == CONF_BOOL)
		*CONF_BOOLP(cf, k) = v != 0;
	else
		*CONF_INTP(cf, k) = v;
}

/* Takes over the strings of l, which is left empty. */
void
conf_set_list(struct config *cf, const struct conf_key *k,
    struct conf_list *l)
{
	struct conf_list	*dst = CONF_LISTP(cf, k);

	conf_list_free(dst, k->flags & CONF_F_SECRET);
	*dst = *l;
	l->v = NULL;
	l->n = 0;
}

void
config_init(struct config *cf)
{
	const struct conf_key	*keys, *k;
	size_t			 i, n;
	int64_t			 v;
	int			 b;

	memset(cf, 0, sizeof(*cf));
	keys = config_keys(&n);
	for (i = 0; i < n; i++) {
		k = &keys[i];
		if ((k->flags & CONF_F_UNSUPPORTED) || k->defval == NULL)
			continue;
		if (k->type == CONF_STRING)
			*CONF_STR(cf, k) = (char *)k->defval;
		else if (k->type == CONF_BOOL && conf_parse_bool(k->defval,
		    &b) == 0)
			conf_set_num(cf, k, b);
		else if (k->type == CONF_DURATION &&
		    config_parse_duration(k->defval, &v) == 0)
			conf_set_num(cf, k, v);
		else if (k->type == CONF_INT)
			conf_set_num(cf, k, strtoll(k->defval, NULL, 10));
	}
}

void
config_free(struct config *cf)
{
	const struct conf_key	*keys, *k;
	size_t			 i, n;

	keys = config_keys(&n);
	for (i = 0; i < n; i++) {
		k = &keys[i];
		if (k->flags & CONF_F_UNSUPPORTED)
			continue;
		if (k->type == CONF_STRING)
			conf_str_release(k, CONF_STR(cf, k));
		else if (k->type == CONF_LIST)
			conf_list_free(CONF_LISTP(cf, k),
			    k->flags & CONF_F_SECRET);
	}
}

void
conf_state_init(struct conf_state *st, struct config *cf,
    struct conf_diag *diag)
{
	memset(st, 0, sizeof(*st));
	st->cf = cf;
	st->diag = diag;
}

/*
 * Whether key k may be set at all; where is "file:line: key",
 * "environment VAR" or "flag --name".  Every source asks this before it
 * looks at the value, so that a refused key is named as such.
 */
int
conf_check_key(struct conf_state *st, const struct conf_key *k,
    const char *where)
{
	if (k->flags & CONF_F_UNSUPPORTED) {
		conf_error(st->diag, "%s: not supported yet by gatehouse",
		    where);
		return (-1);
	}
	if (k->flags & CONF_F_DEPRECATED)
		conf_warn(st->diag, "%s: deprecated by oauth2-proxy", where);
	return (0);
}

/*
 * Whether a value from src may be stored: not if a higher source set the
 * key already.  A list from a higher source replaces the list so far;
 * one from the same source (a repeated flag) adds to it.
 */
int
conf_take(struct conf_state *st, const struct conf_key *k, enum conf_src src)
{
	size_t	i = conf_key_index(k);

	if (st->src[i] > src)
		return (0);
	if (st->src[i] < src && k->type == CONF_LIST)
		conf_list_free(CONF_LISTP(st->cf, k), k->flags & CONF_F_SECRET);
	st->src[i] = src;
	return (1);
}

static int
conf_oom(struct conf_diag *diag, const char *where)
{
	conf_error(diag, "%s: out of memory", where);
	return (-1);
}

/* A value already of the key's type: bool, int or duration. */
void
conf_set_typed(struct conf_state *st, const struct conf_key *k,
    enum conf_src src, int64_t v)
{
	if (conf_take(st, k, src))
		conf_set_num(st->cf, k, v);
}

/* As Go's strconv.ParseBool, which oauth2-proxy's flags and env use. */
int
conf_parse_bool(const char *s, int *v)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true",
	    "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false",
	    "False" };
	size_t	i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0)
			return (*v = 1, 0);
		if (strcmp(s, no[i]) == 0)
			return (*v = 0, 0);
	}
	return (-1);
}

static int
conf_parse_int(const char *s, int64_t *v)
{
	char		*end;
	long long	 n;

	if (!(*s == '-' || *s == '+' || (*s >= '0' && *s <= '9')))
		return (-1);
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return (-1);
	*v = n;
	return (0);
}

/* Whether s is a number without unit, which Go refuses as a duration. */
static int
is_bare_number(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	if (*s == '\0')
		return (0);
	return (strspn(s, "0123456789.") == strlen(s));
}

void
conf_duration_error(struct conf_diag *diag, const char *where,
    const char *s)
{
	if (is_bare_number(s))
		conf_error(diag, "%s: \"%.32s\" has no unit; oauth2-proxy "
		    "would read it as %.32s nanoseconds: write \"%.32ss\"",
		    where, s, s, s);
	else
		conf_error(diag, "%s: \"%.64s\" is not a duration such as "
		    "\"30s\", \"1h30m\" or \"300ms\"", where, s);
}

/* Text of a bool, int or duration to its number; errors reported. */
static int
conf_text_num(struct conf_diag *diag, const struct conf_key *k,
    const char *where, const char *s, int64_t *v)
{
	int	b;

	switch (k->type) {
	case CONF_BOOL:
		if (conf_parse_bool(s, &b) == 0)
			return (*v = b, 0);
		conf_error(diag, "%s: expected true or false, got \"%.64s\"",
		    where, s);
		return (-1);
	case CONF_INT:
		if (conf_parse_int(s, v) == 0)
			return (0);
		conf_error(diag, "%s: expected an integer, got \"%.64s\"",
		    where, s);
		return (-1);
	default:
		if (config_parse_duration(s, v) == 0)
			return (0);
		conf_duration_error(diag, where, s);
		return (-1);
	}
}

/*
 * A comma separated list, as oauth2-proxy reads lists from the
 * environment and from its slice flags.  Blanks around items and empty
 * items are dropped, where oauth2-proxy would keep them and fail later.
 */
static int
conf_split(struct conf_list *l, const char *s)
{
	const char	*item, *end;
	char		*buf;
	size_t		 n;
	int		 r = 0;

	for (item = s; r == 0 && item != NULL; item = end ? end + 1 : NULL) {
		end = strchr(item, ',');
		n = end != NULL ? (size_t)(end - item) : strlen(item);
		for (; n > 0 && (*item == ' ' || *item == '\t'); n--)
			item++;
		while (n > 0 && (item[n - 1] == ' ' || item[n - 1] == '\t'))
			n--;
		if (n == 0)
			continue;
		if ((buf = strndup(item, n)) == NULL)
			return (-1);
		r = conf_list_add(l, buf);
		explicit_bzero(buf, n);
		free(buf);
	}
	return (r);
}

/* A value given as text: from the environment, a flag, a TOML string. */
int
conf_set_text(struct conf_state *st, const struct conf_key *k,
    enum conf_src src, const char *where, const char *s)
{
	struct conf_list	 l;
	int64_t			 v;
	int			 r;

	if (conf_check_key(st, k, where) == -1)
		return (-1);
	if (k->type == CONF_BOOL || k->type == CONF_INT ||
	    k->type == CONF_DURATION) {
		if (conf_text_num(st->diag, k, where, s, &v) == -1)
			return (-1);
		conf_set_typed(st, k, src, v);
		return (0);
	}
	if (!conf_take(st, k, src))
		return (0);
	if (k->type == CONF_STRING)
		return (conf_set_string(st->cf, k, s) == -1 ?
		    conf_oom(st->diag, where) : 0);
	l = *CONF_LISTP(st->cf, k);
	r = conf_split(&l, s);
	*CONF_LISTP(st->cf, k) = l;
	return (r == -1 ? conf_oom(st->diag, where) : 0);
}
