/*
 * Message heads into a bounded arena: the header table first, then each
 * name and value with a NUL after it.
 */
#include <string.h>

#include "head.h"

size_t
head_size(size_t max_bytes, size_t max_headers, size_t extra)
{
	return max_headers * sizeof(struct http_header) + max_bytes +
	    2 * max_headers + extra + 16;
}

/* The buffer being parsed is the caller's to set, and stays. */
void
head_init(struct head *hd, void *mem, size_t max_bytes, size_t max_headers)
{
	hd->used = 0;
	hd->bytes = 0;
	hd->nh = 0;
	hd->in_field = 0;
	hd->value_split = 0;
	hd->h = mem;
	hd->arena = mem;
	hd->used = max_headers * sizeof(struct http_header);
	hd->max_bytes = max_bytes;
	hd->max_headers = max_headers;
}

int
head_add(struct head *hd, const char *at, size_t len)
{
	hd->bytes += len;
	if (hd->bytes > hd->max_bytes)
		return 431;
	memcpy(hd->arena + hd->used, at, len);
	hd->used += len;
	return 0;
}

int
head_end(struct head *hd)
{
	hd->arena[hd->used++] = '\0';
	return 0;
}

int
head_field(struct head *hd, const char *at, size_t len)
{
	if (!hd->in_field) {
		if (hd->nh >= hd->max_headers)
			return 431;
		hd->h[hd->nh].name = hd->arena + hd->used;
		hd->in_field = 1;
	}
	return head_add(hd, at, len);
}

/* RFC 9110 token characters: all a header name may hold. */
static int
is_token(const char *s)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~0123456789"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

	return *s != '\0' && strspn(s, tchar) == strlen(s);
}

int
head_field_complete(struct head *hd)
{
	int	started = hd->in_field;

	head_end(hd);
	hd->in_field = 0;
	/* llhttp 8 lets a space in a name, or an empty name, through. */
	if (!started || !is_token(hd->h[hd->nh].name))
		return 400;
	hd->h[hd->nh].value = hd->arena + hd->used;
	return 0;
}

/*
 * llhttp accepts obs-fold and hands the value over in pieces.  Within one
 * buffer it splits a value only there, so a second piece after one that
 * did not end the buffer is a folded line; and a value that starts on a
 * line of its own is one too.  Both are refused.
 */
int
head_value(struct head *hd, const char *at, size_t len)
{
	const char	*b = at;

	while (b > hd->buf_start && (b[-1] == ' ' || b[-1] == '\t'))
		b--;
	if (hd->value_split || (b > hd->buf_start && b[-1] == '\n'))
		return 400;
	hd->value_split = at + len < hd->buf_end;
	return head_add(hd, at, len);
}

int
head_value_complete(struct head *hd)
{
	head_end(hd);
	hd->value_split = 0;
	hd->nh++;
	return 0;
}
