/*
 * authenticated_emails_file (see emails.h): a sorted array of lowercase
 * addresses, searched with bsearch.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emails.h"

struct email_set {
	char	**v;
	size_t	  n;
};

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
add(struct email_set *es, size_t *cap, const char *s, size_t len)
{
	char	**nv, *e;
	size_t	  i;

	if (es->n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		if ((nv = reallocarray(es->v, *cap, sizeof(*nv))) == NULL)
			return -1;
		es->v = nv;
	}
	if ((e = strndup(s, len)) == NULL)
		return -1;
	for (i = 0; i < len; i++)
		e[i] = (char)tolower((unsigned char)e[i]);
	es->v[es->n++] = e;
	return 0;
}

struct email_set *
emails_load(const char *path, char *err, size_t errlen)
{
	struct email_set	*es;
	FILE			*fp;
	char			 line[EMAILS_LINE_MAX + 2];
	size_t			 cap = 0, len, lineno = 0, total = 0;
	const char		*s;

	if ((fp = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((es = calloc(1, sizeof(*es))) == NULL)
		goto oom;
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		len = strlen(line);
		total += len;
		if (total > EMAILS_FILE_MAX || (len == sizeof(line) - 1 &&
		    line[len - 1] != '\n')) {
			snprintf(err, errlen, "%s:%zu: line or file too long",
			    path, lineno);
			goto fail;
		}
		s = line + strspn(line, " \t");
		len = strcspn(s, "\r\n");
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len > 0 && add(es, &cap, s, len) == -1)
			goto oom;
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: read error", path);
		goto fail;
	}
	fclose(fp);
	qsort(es->v, es->n, sizeof(*es->v), cmp);
	return es;
 oom:
	snprintf(err, errlen, "%s: out of memory", path);
 fail:
	fclose(fp);
	emails_free(es);
	return NULL;
}

void
emails_free(struct email_set *es)
{
	size_t	i;

	if (es == NULL)
		return;
	for (i = 0; i < es->n; i++)
		free(es->v[i]);
	free(es->v);
	free(es);
}

int
emails_contains(const struct email_set *es, const char *email)
{
	char	 low[EMAILS_LINE_MAX + 1], *key = low;
	size_t	 i, n = strlen(email);

	if (es == NULL || n > EMAILS_LINE_MAX)
		return 0;
	for (i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)email[i]);
	return bsearch(&key, es->v, es->n, sizeof(*es->v), cmp) != NULL;
}

size_t
emails_count(const struct email_set *es)
{
	return es != NULL ? es->n : 0;
}
