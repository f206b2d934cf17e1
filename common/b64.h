/*
 * Base64 for the places that must check it strictly, or fast, before
 * anything else reads it: cookie secrets, sealed cookies, JOSE members.
 * The text is not secret anywhere it is used, so no constant time.
 */
#ifndef GH_B64_H
#define GH_B64_H

#include <stddef.h>
#include <sys/types.h>

/* The value of c as a digit of the URL alphabet (url) or the standard one. */
int	b64_digit(int c, int url);

/*
 * Decodes n digits of one alphabet, without padding.  strict: stray bits
 * in the last digit are an error, so each value has one spelling; else
 * they are ignored, as Go does.  Returns the length, or -1 (bad digit,
 * impossible length, or more than outmax bytes).
 */
ssize_t	b64_decode(const char *s, size_t n, int url, int strict,
	    unsigned char *out, size_t outmax);

/* Characters of n bytes in base64url without padding. */
#define B64URL_LEN(n)	((n) / 3 * 4 + ((n) % 3 == 0 ? 0 : (n) % 3 + 1))

/*
 * Encodes n bytes as base64url without padding, and a NUL.  Returns the
 * length, or 0 when outlen is below B64URL_LEN(n) + 1.
 */
size_t	b64url_encode(const unsigned char *in, size_t n, char *out,
	    size_t outlen);

#endif /* GH_B64_H */
