#include "b64.h"

int
b64_digit(int c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

ssize_t
b64_decode(const char *s, size_t n, int url, int strict, unsigned char *out,
    size_t outmax)
{
	unsigned	acc = 0;
	size_t		i, o = 0;
	int		bits = 0, v;

	if (n % 4 == 1 || n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0) > outmax)
		return -1;
	for (i = 0; i < n; i++) {
		if ((v = b64_digit((unsigned char)s[i], url)) == -1)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	if (strict && (acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (ssize_t)o;
}
