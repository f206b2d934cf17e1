/*
 * The message codec of every gatehouse channel.
 *
 * One SOCK_SEQPACKET datagram is one message: a fixed header followed by
 * a body of typed fields.  Integers are in host byte order (both ends are
 * on the same machine).  Field encodings:
 *	u32, u64	4 or 8 bytes
 *	string		u32 length n (counting the NUL), then n bytes, the
 *			last one NUL and no NUL before it
 *	data		u32 length n, then n bytes
 */
#ifndef GH_IMSG_H
#define GH_IMSG_H

#include <stddef.h>
#include <stdint.h>

struct imsg_hdr {
	uint32_t	type;
	uint32_t	len;	/* header included */
	uint64_t	id;	/* request id; 0 when not a request */
};

#define IMSG_HDR_SIZE	((size_t)sizeof(struct imsg_hdr))
#define IMSG_MAX_SIZE	(64 * 1024)
#define IMSG_MAX_BODY	(IMSG_MAX_SIZE - IMSG_HDR_SIZE)

enum imsg_type {
	IMSG_NONE = 0,
	/* parent -> child: config slice, and the child's answer */
	IMSG_CONF_START,
	IMSG_CONF_KEY,
	IMSG_CONF_DONE,
	IMSG_CONF_ACK,		/* child -> parent: slice applied, sandboxed */
	/* parent -> child: a channel to a peer (fd attached) */
	IMSG_CHAN_PEER,
	/* parent -> child: a reopened log file (fd attached) */
	IMSG_LOG_REOPEN,
	/* parent -> child: stop taking new work, finish, exit */
	IMSG_DRAIN,
	/* any -> peer: liveness round trip */
	IMSG_PING,
	IMSG_PONG,
	/* authd/sessiond -> parent: a worker sent garbage, replace it */
	IMSG_PEER_BAD,
	/* worker -> sessiond: open a session cookie (common/claims.h) */
	IMSG_SESSION_OPEN,
	/* sessiond -> worker: what the session says, or why not */
	IMSG_SESSION_CLAIMS,
	/* authd -> worker: the answer to a PING while authd cannot sign in */
	IMSG_NOT_READY,
	/* worker <-> authd: sign-in and refresh (common/login.h) */
	IMSG_LOGIN_START,
	IMSG_LOGIN_URL,
	IMSG_LOGIN_FINISH,
	IMSG_SESSION_REFRESH,
	IMSG_LOGIN_DONE,
	IMSG_LOGOUT,
	IMSG_LOGOUT_DONE,
	IMSG_BEARER,		/* worker -> authd: a bearer JWT to verify */
	/* authd <-> sessiond: seal and open cookie values (common/login.h) */
	IMSG_SEAL,
	IMSG_SEALED,
	IMSG_UNSEAL,
	IMSG_UNSEALED,
	IMSG_STORE_REVOKE,	/* authd -> sessiond: end a session (Redis) */
	IMSG_STORE_LOCK,	/* authd -> sessiond: the refresh lock */
	IMSG_STORE_DONE,	/* sessiond -> authd: u32 result */
	IMSG_TYPE_MAX
};

const char	*imsg_type_name(uint32_t);

/* Composing.  An overflow is sticky and makes imsg_close() fail. */
struct imsg_out {
	uint8_t		buf[IMSG_MAX_SIZE];
	size_t		len;
	int		overflow;
};

void	imsg_compose(struct imsg_out *, uint32_t type, uint64_t id);
void	imsg_add_u32(struct imsg_out *, uint32_t);
void	imsg_add_u64(struct imsg_out *, uint64_t);
void	imsg_add_string(struct imsg_out *, const char *);
void	imsg_add_data(struct imsg_out *, const void *, size_t);
int	imsg_close(struct imsg_out *);	/* 0, or -1 on overflow */

/*
 * Reading.  imsg_parse checks the header against the datagram; each get
 * checks its field against what is left and fails (-1) without moving on
 * a short or malformed field; imsg_end fails on trailing bytes.  The first
 * failure is sticky in err, so a reader may check once at the end.
 */
struct imsg_in {
	struct imsg_hdr	 hdr;
	const uint8_t	*p;
	size_t		 left;
	int		 err;
};

int	imsg_parse(struct imsg_in *, const void *buf, size_t len);
int	imsg_get_u32(struct imsg_in *, uint32_t *);
int	imsg_get_u64(struct imsg_in *, uint64_t *);
int	imsg_get_string(struct imsg_in *, const char **);
int	imsg_get_data(struct imsg_in *, const void **, size_t *);
int	imsg_end(struct imsg_in *);

#endif /* GH_IMSG_H */
