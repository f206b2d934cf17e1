/*
 * The bytes of a cookie secret, decided once for the parent (validation)
 * and sessiond (keys) alike.
 */
#ifndef GH_SECRET_H
#define GH_SECRET_H

#define SECRET_BYTES_MAX	32
#define SECRET_KEYS_MAX		16	/* a cookie that fails tries them all */

/*
 * oauth2-proxy's rule: trailing '=' dropped, the rest decoded as base64
 * (URL alphabet as oauth2-proxy; the standard one too, but never a mix);
 * when that gives 16, 24 or 32 bytes they are the secret, otherwise the
 * text itself must be 16, 24 or 32 bytes long.  Returns the length, or -1.
 * Leftover bits of the last character are ignored, as Go does.
 */
int	secret_bytes(const char *, unsigned char out[SECRET_BYTES_MAX]);

#endif /* GH_SECRET_H */
