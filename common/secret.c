#include <string.h>

#include "b64.h"
#include "secret.h"

static int
len_ok(size_t n)
{
	return n == 16 || n == 24 || n == 32;
}

/* Decodes n digits of one alphabet; -1 when anything else is there. */
static int
b64_decode(const char *s, size_t n, int url, unsigned char *out)
{
	unsigned	acc = 0;
	size_t		i, o = 0;
	int		bits = 0, v;

	if (n % 4 == 1 || (n / 4) * 3 + 2 > SECRET_BYTES_MAX + 2)
		return -1;
	for (i = 0; i < n; i++) {
		if ((v = b64_digit((unsigned char)s[i], url)) == -1)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		if ((bits += 6) >= 8) {
			bits -= 8;
			if (o == SECRET_BYTES_MAX)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return (int)o;
}

int
secret_bytes(const char *s, unsigned char out[SECRET_BYTES_MAX])
{
	size_t	n = strlen(s), raw = n;
	int	d;

	while (n > 0 && s[n - 1] == '=')
		n--;
	if (((d = b64_decode(s, n, 1, out)) != -1 && len_ok((size_t)d)) ||
	    ((d = b64_decode(s, n, 0, out)) != -1 && len_ok((size_t)d)))
		return d;
	explicit_bzero(out, SECRET_BYTES_MAX);
	if (!len_ok(raw))
		return -1;
	memcpy(out, s, raw);
	return (int)raw;
}
