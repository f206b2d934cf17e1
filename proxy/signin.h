/*
 * Signing in and out, as the worker's side of it: the /oauth2 endpoints
 * that involve authd, the sign-in and error pages, the CSRF and session
 * cookies.  Internal to gatehouse-proxy.
 */
#ifndef GH_SIGNIN_H
#define GH_SIGNIN_H

struct child;
struct conn;

/* Before the sandbox: the pages (templates and logo are files). */
void	signin_init(struct child *);

/* The endpoints under proxy_prefix; rest is the path after it. */
int	signin_endpoint(struct conn *, const char *rest);

/* /robots.txt */
void	signin_robots(struct conn *);

/*
 * A protected request without a session: 401 JSON for API clients, the
 * IdP for skip_provider_button, else the sign-in page with 403.
 */
void	signin_needed(struct conn *);

/* An error page (message NULL: the status's own text). */
void	signin_error(struct conn *, int status, const char *message);

/* Set-Cookie lines on the current answer for the session cookie. */
int	signin_set_session_cookie(struct conn *, const char *value);
void	signin_clear_session_cookie(struct conn *);

#endif /* GH_SIGNIN_H */
