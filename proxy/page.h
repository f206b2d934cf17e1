/*
 * The pages a worker renders itself: the sign-in page, the error page,
 * robots.txt and the files under <proxy_prefix>/static/ they use, with
 * oauth2-proxy's keys banner, footer, custom_sign_in_logo and
 * custom_templates_dir.  Everything a request supplies is escaped;
 * banner and footer are the operator's HTML, as in oauth2-proxy.
 *
 * Custom templates are a subset of oauth2-proxy's Go templates: only
 * {{.Field}} placeholders, with {{- -}} trimming, Go comments and one
 * {{define "<file name>"}}...{{end}} around the whole file.
 * Anything else is refused when the pages are loaded, and so is a
 * placeholder where HTML escaping would not be enough (inside <script>
 * or <style>, an on* or style attribute, an unquoted attribute value,
 * a tag itself, a comment).
 */
#ifndef GH_PAGE_H
#define GH_PAGE_H

#include <stddef.h>

struct evbuffer;
struct pages;
struct page_template;

/* Largest template, robots.txt or logo file read. */
#define PAGE_FILE_MAX		(256 * 1024)

#define PAGE_ROBOTS_TYPE	"text/plain; charset=utf-8"
#define PAGE_HTML_TYPE		"text/html; charset=utf-8"

/*
 * What the pages are made of, all from the configuration; NULL and ""
 * mean the default.  email_domains only makes the default banner: the
 * caller passes none when authenticated_emails_file is set, as
 * oauth2-proxy shows no domain then.
 */
struct page_opts {
	const char		*proxy_prefix;	/* "/oauth2" */
	const char		*provider_name;	/* "OpenID Connect" */
	const char		*banner;	/* HTML; "-": none */
	const char		*footer;	/* HTML; "-": none */
	const char		*logo;		/* file, https URL or "-" */
	const char		*templates_dir;
	const char *const	*email_domains;
	size_t			 nemail_domains;
	const char		*version;	/* GATEHOUSE_VERSION */
};

/* The two templates; their files are named sign_in.html and error.html. */
enum page_kind {
	PAGE_SIGN_IN,
	PAGE_ERROR,
};

/* The placeholders, as oauth2-proxy names its template data. */
enum page_field {
	PF_PROVIDER_NAME,
	PF_SIGN_IN_MESSAGE,	/* HTML */
	PF_CUSTOM_LOGIN,
	PF_REDIRECT,
	PF_PROXY_PREFIX,
	PF_FOOTER,		/* HTML */
	PF_LOGO_DATA,		/* HTML */
	PF_STATUS_CODE,
	PF_VERSION,
	PF_TITLE,
	PF_MESSAGE,
	PF_REQUEST_ID,
	PF_COUNT
};

/*
 * Before the sandbox: reads the logo and the custom templates and
 * checks them.  A file the templates directory lacks is replaced by the
 * built-in page.  NULL with a message in err on any error.
 */
struct pages	*page_load(const struct page_opts *, char *err,
		    size_t errlen);
void		 page_free(struct pages *);

/* The same, with the options of the config's keys (parent and workers). */
struct config;
struct pages	*page_load_config(const struct config *, char *err,
		    size_t errlen);

/*
 * The sign-in page with its form to <proxy_prefix>/start; redirect is
 * the already validated target (NULL: none).  status only fills
 * {{.StatusCode}}.  0, or -1 when the buffer could not grow.
 */
int		 page_sign_in(const struct pages *, struct evbuffer *body,
		    const char *redirect, int status);

/*
 * The error page.  title NULL: the status's reason phrase; message
 * NULL: oauth2-proxy's text for the status; redirect and request_id
 * may be NULL.  0 or -1 as page_sign_in.
 */
int		 page_error(const struct pages *, struct evbuffer *body,
		    int status, const char *title, const char *message,
		    const char *redirect, const char *request_id);

/* robots.txt, built-in or the templates directory's; 0 or -1. */
int		 page_robots(const struct pages *, struct evbuffer *body);

/*
 * A file under <proxy_prefix>/static/, by the name after that prefix
 * ("gatehouse.css"); NULL for any other name.  The files never change
 * while a version runs.
 */
const char	*page_static(const char *name, size_t *len,
		    const char **content_type);

/*
 * The Content-Security-Policy of a rendered page: strict for the
 * built-in pages, which load nothing but the static files; for a custom
 * template only what cannot break it: no framing.
 */
const char	*page_csp(const struct pages *, enum page_kind);

/*
 * For tests and the fuzzer: parses one template (path only names it in
 * errors) and renders it with values[PF_COUNT] (NULL: empty), escaped
 * as the placeholder's place needs.
 */
struct page_template *page_template_parse(enum page_kind, const char *path,
		    const char *buf, size_t len, char *err, size_t errlen);
int		 page_template_render(const struct page_template *,
		    struct evbuffer *, const char *const *values);
void		 page_template_free(struct page_template *);

#endif /* GH_PAGE_H */
