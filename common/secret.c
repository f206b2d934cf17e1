#include <string.h>

#include "b64.h"
#include "secret.h"

static int
len_ok(size_t n)
{
	return n == 16 || n == 24 || n == 32;
}

int
secret_bytes(const char *s, unsigned char out[SECRET_BYTES_MAX])
{
	size_t	n = strlen(s), raw = n;
	ssize_t	d;

	while (n > 0 && s[n - 1] == '=')
		n--;
	if (((d = b64_decode(s, n, 1, 0, out, SECRET_BYTES_MAX)) != -1 &&
	    len_ok((size_t)d)) || ((d = b64_decode(s, n, 0, 0, out,
	    SECRET_BYTES_MAX)) != -1 && len_ok((size_t)d)))
		return (int)d;
	explicit_bzero(out, SECRET_BYTES_MAX);
	if (!len_ok(raw))
		return -1;
	memcpy(out, s, raw);
	return (int)raw;
}
