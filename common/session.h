/*
 * The session record and its binary encoding, the plaintext that
 * sessiond seals into a session cookie or stores in Redis.
 *
 * Encoding, version 1 (integers big-endian):
 *
 *	version		1 byte, 1
 *	fields		each tag at most once, tags in increasing order:
 *
 *	tag  field			body
 *	  1  user			string
 *	  2  email			string
 *	  3  preferred_username		string
 *	  4  groups			u32 length L, then L bytes holding
 *					1 to 256 entries of u32 length n and
 *					n bytes (string rules)
 *	  5  id_token			string	} left out by
 *	  6  access_token		string	} SESSION_MINIMAL
 *	  7  refresh_token		string	}
 *	 16  created_at			int64 (8 bytes, two's complement)
 *	 17  expires_on			int64
 *	 18  refresh_due		int64
 *
 *	string		u32 length n <= SESSION_STR_MAX, then n bytes of
 *			UTF-8 (shortest forms, no surrogates) without NUL
 *
 * A string field that is absent decodes as NULL; a time that is absent
 * as 0.  The encoder leaves out NULL strings and an empty group list and
 * always writes the three times.  Anything else is refused: another
 * version, an unknown, repeated or out-of-order tag, a length past the
 * end or over a limit, bad UTF-8, a NUL, trailing bytes, and an encoding
 * longer than SESSION_ENC_MAX.
 */
#ifndef GH_SESSION_H
#define GH_SESSION_H

#include <stddef.h>
#include <stdint.h>

#define SESSION_VERSION		1
#define SESSION_STR_MAX		(16 * 1024)	/* bytes of one string */
#define SESSION_GROUPS_MAX	256
#define SESSION_ENC_MAX		(64 * 1024)	/* bytes of an encoding */

#define SESSION_MINIMAL		0x01	/* session_encode: no tokens */

struct session {
	char		 *user;
	char		 *email;
	char		 *preferred_username;
	char		**groups;
	size_t		  ngroups;
	char		 *id_token;
	char		 *access_token;
	char		 *refresh_token;
	int64_t		  created_at;	/* Unix seconds */
	int64_t		  expires_on;	/* access token expiry */
	int64_t		  refresh_due;
};

/*
 * Encodes s into buf; flags is 0 or SESSION_MINIMAL.  Returns the
 * length, or -1 when s breaks a limit or a string rule or buf is too
 * small (SESSION_ENC_MAX is always enough).
 */
int	session_encode(const struct session *s, int flags, uint8_t *buf,
	    size_t len);

/*
 * Decodes buf into *s (every string malloc'd; free with session_free).
 * 0, or -1 with *s zeroed and nothing left allocated.
 */
int	session_decode(const uint8_t *buf, size_t len, struct session *s);

/* Wipes and frees every string of s, and zeroes s. */
void	session_free(struct session *s);

#endif /* GH_SESSION_H */
