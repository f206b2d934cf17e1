#include <string.h>

#include <event2/buffer.h>

#include "pct.h"

int
pct_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void
pct_encode(struct evbuffer *out, const char *s)
{
	static const char	hex[] = "0123456789ABCDEF";
	unsigned char		c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			evbuffer_add(out, s, 1);
		else
			evbuffer_add_printf(out, "%%%c%c", hex[c >> 4],
			    hex[c & 15]);
	}
}

int
pct_query_value(const char *v, size_t n, char *out, size_t len)
{
	size_t	i, o = 0;
	int	hi, lo;

	for (i = 0; i < n; i++) {
		if (o + 1 >= len)
			return -1;
		if (v[i] == '+')
			out[o++] = ' ';
		else if (v[i] == '%' && i + 2 < n &&
		    (hi = pct_hexval(v[i + 1])) >= 0 &&
		    (lo = pct_hexval(v[i + 2])) >= 0) {
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (v[i] == '%')
			return -1;
		else
			out[o++] = v[i];
	}
	out[o] = '\0';
	return 0;
}

int
pct_query_get(const char *query, const char *name, char *out, size_t len)
{
	const char	*p, *amp, *eq;
	size_t		 n = strlen(name);

	for (p = query; p != NULL && *p != '\0'; p = amp != NULL ? amp + 1 :
	    NULL) {
		amp = strchr(p, '&');
		eq = strchr(p, '=');
		if (eq == NULL || (amp != NULL && eq > amp) ||
		    (size_t)(eq - p) != n || strncmp(p, name, n) != 0)
			continue;
		return pct_query_value(eq + 1, amp != NULL ?
		    (size_t)(amp - eq - 1) : strlen(eq + 1), out, len) == -1 ?
		    -1 : 1;
	}
	return 0;
}
