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

size_t
b64url_encode(const unsigned char *in, size_t n, char *out, size_t outlen)
{
	static const char	 digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned		 acc = 0;
	size_t			 i, o = 0;
	int			 bits = 0;

	if (outlen < B64URL_LEN(n) + 1)
		return 0;
	for (i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		for (bits += 8; bits >= 6; bits -= 6)
			out[o++] = digits[(acc >> (bits - 6)) & 63];
	}
	if (bits > 0)
		out[o++] = digits[(acc << (6 - bits)) & 63];
	out[o] = '\0';
	return o;
}
