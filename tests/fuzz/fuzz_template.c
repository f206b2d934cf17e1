/*
 * libFuzzer target of the custom template parser: the bytes after the
 * first as a sign_in.html or error.html (the first byte's low bit
 * chooses), parsed and, when accepted, rendered with hostile values.
 * Escaping must hold wherever the parser let a placeholder stand: the
 * "<script>" every plain value carries never comes out more often than
 * in the template's own text (rendered without values, as trimming may
 * join two pieces), and that text is no longer than the template.
 */
#define _GNU_SOURCE		/* memmem */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "page.h"

#define ERR_MAX		512
#define MARK		"<script>"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* No value starts with a suffix of MARK, so none can complete one. */
static const char *const hostile[] = {
	"zz" MARK "\"'&javascript:alert(1)zz",
	"zz\xc0\xbc" MARK "\xed\xa0\x80\xf4\x90\x80\x80\xe2",
	" JAVASCRIPT:" MARK "zz",
};

static size_t
count(const char *hay, size_t n, const char *needle)
{
	size_t		 k = strlen(needle), c = 0;
	const char	*p = hay, *end = hay + n;

	while ((p = memmem(p, (size_t)(end - p), needle, k)) != NULL) {
		c++;
		p += k;
	}
	return c;
}

/* The template rendered without values: its literal text, trimmed. */
static struct evbuffer *
literals(const struct page_template *t, size_t len)
{
	struct evbuffer	*b;

	if ((b = evbuffer_new()) == NULL)
		return NULL;
	if (page_template_render(t, b, NULL) == -1 ||
	    evbuffer_get_length(b) > len) {
		if (evbuffer_get_length(b) > len)
			__builtin_trap();
		evbuffer_free(b);
		return NULL;
	}
	return b;
}

static void
check(const struct page_template *t, struct evbuffer *lit, const char *plain)
{
	const char	*v[PF_COUNT];
	struct evbuffer	*b;
	const char	*out, *base;
	size_t		 i, n, nbase;

	for (i = 0; i < PF_COUNT; i++)
		v[i] = plain;
	/* The HTML fields are the operator's, without the marker. */
	v[PF_SIGN_IN_MESSAGE] = "<b>banner</b>";
	v[PF_FOOTER] = "<i>footer</i>";
	v[PF_LOGO_DATA] = "<img src=\"data:image/png;base64,AA==\" alt=\"\">";
	if ((b = evbuffer_new()) == NULL)
		return;
	if (page_template_render(t, b, v) == 0) {
		n = evbuffer_get_length(b);
		out = (const char *)evbuffer_pullup(b, -1);
		nbase = evbuffer_get_length(lit);
		base = (const char *)evbuffer_pullup(lit, -1);
		if (n > 0 && count(out, n, MARK) >
		    (nbase > 0 ? count(base, nbase, MARK) : 0))
			__builtin_trap();
	}
	evbuffer_free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct page_template	*t;
	struct evbuffer		*lit;
	char			 err[ERR_MAX];
	enum page_kind		 k;
	size_t			 i;

	if (size == 0 || size - 1 > PAGE_FILE_MAX)
		return 0;
	k = (data[0] & 1) ? PAGE_ERROR : PAGE_SIGN_IN;
	err[0] = '\0';
	t = page_template_parse(k, "fuzz.html", (const char *)data + 1,
	    size - 1, err, sizeof(err));
	if (t == NULL) {
		if (err[0] == '\0' || strlen(err) >= sizeof(err))
			__builtin_trap();
		return 0;
	}
	if ((lit = literals(t, size - 1)) != NULL) {
		for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
			check(t, lit, hostile[i]);
		evbuffer_free(lit);
	}
	page_template_free(t);
	return 0;
}
