/*
 * Base64 digits, for the few places that must check base64 text before
 * anything decodes it (cookie secrets, JOSE members).
 */
#ifndef GH_B64_H
#define GH_B64_H

/* The value of c as a digit of the URL alphabet (url) or the standard one. */
int	b64_digit(int c, int url);

#endif /* GH_B64_H */
