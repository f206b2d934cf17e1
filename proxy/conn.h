/*
 * A client connection, as the engine's parts (http.c, router.c, proxy.c)
 * share it.  Internal to gatehouse-proxy; static.c sees only http.h.
 */
#ifndef GH_CONN_H
#define GH_CONN_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <llhttp.h>

#include "child.h"
#include "auth.h"
#include "head.h"
#include "http.h"
#include "io.h"
#include "upstream.h"

struct fwd;
struct tunnel;

enum conn_state {
	CONN_IDLE,	/* between requests: idle timeout */
	CONN_HEAD,	/* reading a request head: header timeout */
	CONN_BUSY,	/* the request is being answered */
	CONN_TUNNEL,	/* a websocket relay */
};

/* Where the body of the current request goes. */
enum body_sink {
	BODY_NONE,	/* no body, or not read: the connection closes */
	BODY_FORWARD,	/* to the upstream, through proxy.c */
};

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	struct io		*io;
	int			 tls;
	int			 trusted;	/* its X-Forwarded-* count */
	struct sockaddr_storage	 peer_sa;
	char			 peer[INET6_ADDRSTRLEN];
	enum conn_state		 state;
	llhttp_t		 parser;
	struct event		*timer;
	struct event		*ev_next;	/* after an answer is out */

	/* The current request head, in a per-request arena. */
	struct http_request	 req;
	char			*arena;
	struct head		 head;
	int			 refuse_status;	/* set by a callback: 414, 431 */

	/* The request body and the answer. */
	enum body_sink		 sink;
	int			 body_done;	/* whole request body parsed */
	int			 paused;	/* parser stopped at a boundary */
	int			 body_held;	/* stopped after the head */
	int			 blocked;	/* reading stopped: backpressure */
	int			 closing;	/* close once the answer is out */
	int			 answered;	/* the answer is complete */
	int			 status;
	uint64_t		 sent;		/* answer body bytes */
	const char		*upstream_id;
	struct fwd		*fwd;
	struct tunnel		*tunnel;
	int			 auth;		/* enum auth_state */
	auth_done_fn		 auth_done;	/* once the session is known */
	int			 waiting;	/* authd or sessiond has it */
	struct identity		*identity;	/* the session's, if any */
	struct evbuffer		*set_cookie;	/* Set-Cookie lines to add */
	struct http_stream	 stream;
	int			 streaming;
};

/* http.c */
void	http_answer_done(struct conn *);
void	http_refuse(struct conn *, int status, const char *why);
void	http_timer(struct conn *, int64_t ns);
void	http_resume(struct conn *);
void	http_close(struct conn *);
void	http_read_pause(struct conn *, int pause);
int	http_out_full(const struct conn *);
void	http_write_head(struct conn *, int status, const char *ctype,
	    const char *extra, int64_t length);

/* http_parse.c */
void	http_parse_init(llhttp_settings_t *);
void	http_parse_error(struct conn *, llhttp_errno_t);

/* router.c */
void	router_init(struct child *);
void	router_dispatch(struct conn *);
void	router_log(struct conn *);

/* proxy.c */
int	proxy_init(const struct config *, const struct upstream_set *);
void	proxy_start(struct conn *, const struct upstream *);
int	proxy_body(struct conn *, const char *, size_t);
void	proxy_body_done(struct conn *);
void	proxy_client_drained(struct conn *);
void	proxy_abort(struct conn *);

/* proxy_tunnel.c: takes over the client and the upstream connection. */
void	tunnel_start(struct conn *, struct io *up);
void	tunnel_abort(struct conn *);

/* http_parse.c, used by headers.c too */
int	header_token_has(const char *list, const char *token);

#endif /* GH_CONN_H */
