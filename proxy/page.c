/*
 * The worker's own pages: sign-in, error, robots.txt and their static
 * files, built in or from oauth2-proxy's custom_templates_dir.
 *
 * Custom templates cannot run as Go templates here, so they are read
 * once, before the sandbox, into literal and placeholder pieces.  While
 * parsing, an HTML tokenizer (a subset of the WHATWG one, erring on the
 * side of refusing) follows where each placeholder falls, because
 * escaping is only right for some places: text, and quoted values of
 * plain or URL attributes.  A URL value that starts with a placeholder
 * gets Go's filter (a scheme other than http, https or mailto becomes
 * "#ZgotmplZ") and its normalisation, so that a template written for
 * oauth2-proxy renders the same here.  Anything else is refused at
 * startup: a page rendered wrong is worse than no start.
 */
#define _GNU_SOURCE		/* memmem, asprintf */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "config.h"
#include "gatehouse.h"
#include "page.h"
#include "pct.h"

#define PREFIX_DEFAULT		"/oauth2"
#define PROVIDER_DEFAULT	"OpenID Connect"
#define LOGO_URL_MAX		2048
#define TAG_NAME_MAX		15
#define ATTR_NAME_MAX		63
#define TAIL_MAX		16
#define SNIPPET_MAX		48
/* A file's name in errors, and what the errors add to it. */
#define SHOWN_MAX		(PATH_MAX + 64)
#define URL_REFUSED		"#ZgotmplZ"	/* Go's html/template's */
#define UTF8_REPLACEMENT	"\xef\xbf\xbd"

/*
 * No form-action: Chrome applies it to the redirects that follow a form
 * submission, and the sign-in form's answer redirects to the IdP.
 */
#define CSP_BUILTIN	"default-src 'none'; script-src 'self'; " \
			"style-src 'self'; img-src 'self' data: https:; " \
			"base-uri 'none'; frame-ancestors 'none'"
#define CSP_CUSTOM	"frame-ancestors 'none'"

#define ROBOTS_DEFAULT	"User-agent: *\nDisallow: /\n"

/* --- static files ------------------------------------------------------ */

static const char static_css[] =
	":root{color-scheme:light dark;--bg:#f3f4f6;--card:#fff;"
	"--fg:#1f2328;--muted:#636c76;--accent:#2563eb;--accent-fg:#fff;"
	"--border:#d8dee4}\n"
	"@media (prefers-color-scheme:dark){:root{--bg:#0d1117;"
	"--card:#161b22;--fg:#e6edf3;--muted:#8d96a0;--accent:#3b82f6;"
	"--border:#30363d}}\n"
	"*{box-sizing:border-box}\n"
	"html,body{margin:0}\n"
	"body{display:flex;flex-direction:column;align-items:center;"
	"justify-content:center;min-height:100vh;padding:1.5rem;"
	"background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,"
	"-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,"
	"sans-serif}\n"
	".card{width:100%;max-width:24rem;padding:2rem;"
	"background:var(--card);border:1px solid var(--border);"
	"border-radius:12px;box-shadow:0 4px 24px rgba(0,0,0,.08);"
	"text-align:center;overflow-wrap:anywhere}\n"
	".logo{margin:0 0 1.5rem}\n"
	".logo img{max-width:12rem;max-height:6rem}\n"
	".banner{margin:0 0 1.25rem}\n"
	"form{margin:0}\n"
	"button,.button{display:block;width:100%;padding:.75rem 1rem;"
	"border:0;border-radius:8px;background:var(--accent);"
	"color:var(--accent-fg);font:inherit;font-weight:600;"
	"text-decoration:none;cursor:pointer}\n"
	"button:hover,.button:hover{filter:brightness(1.1)}\n"
	"button:focus-visible,a:focus-visible{outline:3px solid "
	"var(--accent);outline-offset:2px}\n"
	".status{margin:0;font-size:4rem;font-weight:700;line-height:1;"
	"color:var(--muted)}\n"
	"h1{margin:.5rem 0 1rem;font-size:1.5rem}\n"
	".message{margin:0 0 1rem}\n"
	".request-id{margin:0 0 1rem;font-size:.85rem;color:var(--muted)}\n"
	".actions{display:flex;flex-direction:column;gap:.75rem;"
	"margin:1.5rem 0 0}\n"
	".back{color:var(--accent)}\n"
	"footer{margin-top:1.5rem;font-size:.8rem;color:var(--muted);"
	"text-align:center}\n"
	"footer a{color:inherit}\n";

/* Browsers never send the fragment: carry it in rd, as oauth2-proxy. */
static const char static_js[] =
	"\"use strict\";\n"
	"(function () {\n"
	"\tvar hash = window.location.hash, inputs, i, v, k;\n"
	"\n"
	"\tif (!hash)\n"
	"\t\treturn;\n"
	"\tinputs = document.getElementsByName(\"rd\");\n"
	"\tfor (i = 0; i < inputs.length; i++) {\n"
	"\t\tv = inputs[i].value;\n"
	"\t\tif ((k = v.indexOf(\"#\")) >= 0)\n"
	"\t\t\tv = v.substring(0, k);\n"
	"\t\tinputs[i].value = v + hash;\n"
	"\t}\n"
	"})();\n";

static const char static_logo[] =
	"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\" "
	"width=\"64\" height=\"64\"><path fill=\"#2563eb\" d=\"M8 58V22l8-6"
	"v-8h8v6l8-6 8 6V8h8v8l8 6v36H38V42a6 6 0 0 0-12 0v16z\"/></svg>\n";

static const struct {
	const char	*name;
	const char	*type;
	const char	*data;
	size_t		 len;
} static_files[] = {
	{ "gatehouse.css", "text/css; charset=utf-8", static_css,
	    sizeof(static_css) - 1 },
	{ "sign_in.js", "text/javascript; charset=utf-8", static_js,
	    sizeof(static_js) - 1 },
	{ "logo.svg", "image/svg+xml", static_logo, sizeof(static_logo) - 1 },
};

/* --- tables ------------------------------------------------------------ */

static const char *const tpl_file[] = {
	[PAGE_SIGN_IN] = "sign_in.html",
	[PAGE_ERROR] = "error.html",
};

#define K_SIGN_IN	(1 << PAGE_SIGN_IN)
#define K_ERROR		(1 << PAGE_ERROR)

/* The fields of oauth2-proxy's template data; html: template.HTML. */
static const struct {
	const char	*name;
	int		 kinds;
	int		 html;
} fields[PF_COUNT] = {
	[PF_PROVIDER_NAME] = { "ProviderName", K_SIGN_IN, 0 },
	[PF_SIGN_IN_MESSAGE] = { "SignInMessage", K_SIGN_IN, 1 },
	[PF_CUSTOM_LOGIN] = { "CustomLogin", K_SIGN_IN, 0 },
	[PF_REDIRECT] = { "Redirect", K_SIGN_IN | K_ERROR, 0 },
	[PF_PROXY_PREFIX] = { "ProxyPrefix", K_SIGN_IN | K_ERROR, 0 },
	[PF_FOOTER] = { "Footer", K_SIGN_IN | K_ERROR, 1 },
	[PF_LOGO_DATA] = { "LogoData", K_SIGN_IN, 1 },
	[PF_STATUS_CODE] = { "StatusCode", K_SIGN_IN | K_ERROR, 0 },
	[PF_VERSION] = { "Version", K_SIGN_IN | K_ERROR, 0 },
	[PF_TITLE] = { "Title", K_ERROR, 0 },
	[PF_MESSAGE] = { "Message", K_ERROR, 0 },
	[PF_REQUEST_ID] = { "RequestID", K_ERROR, 0 },
};

/* Reason phrases, and oauth2-proxy's messages where it has one. */
static const struct {
	int		 code;
	const char	*title;
	const char	*message;
} statuses[] = {
	{ 400, "Bad Request", NULL },
	{ 401, "Unauthorized",
	    "You need to be logged in to access this resource." },
	{ 403, "Forbidden",
	    "You do not have permission to access this resource." },
	{ 404, "Not Found",
	    "We could not find the resource you were looking for." },
	{ 405, "Method Not Allowed", NULL },
	{ 408, "Request Timeout", NULL },
	{ 413, "Request Entity Too Large", NULL },
	{ 429, "Too Many Requests", NULL },
	{ 500, "Internal Server Error", "Oops! Something went wrong. For more "
	    "information contact your server administrator." },
	{ 501, "Not Implemented", NULL },
	{ 502, "Bad Gateway", NULL },
	{ 503, "Service Unavailable", NULL },
	{ 504, "Gateway Timeout", NULL },
};

/* Elements whose text is not markup: raw text, and RCDATA (escaped). */
static const char *const raw_elements[] = {
	"script", "style", "xmp", "iframe", "noembed", "noframes",
	"noscript", "plaintext",
};
static const char *const rcdata_elements[] = { "title", "textarea" };

/* Attributes holding a URL, as Go's html/template lists them. */
static const char *const url_attrs[] = {
	"action", "archive", "background", "cite", "classid", "codebase",
	"data", "formaction", "href", "icon", "longdesc", "manifest",
	"poster", "profile", "src", "usemap", "xmlns",
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* --- pieces and pages -------------------------------------------------- */

enum ctx {
	CTX_TEXT,
	CTX_RCDATA,
	CTX_ATTR,
	CTX_URL_START,		/* a URL attribute, scheme still open */
	CTX_URL,
};

struct piece {
	const char	*text;		/* NULL: a placeholder */
	size_t		 len;
	enum page_field	 field;
	enum ctx	 ctx;
};

struct page_template {
	char		*src;
	struct piece	*piece;
	size_t		 npiece;
	size_t		 cap;
};

struct pages {
	char			*prefix;
	char			*sign_in_path;
	char			*provider;
	char			*version;
	char			*banner;	/* HTML */
	char			*footer;	/* HTML */
	char			*logo;		/* HTML */
	char			*robots;	/* NULL: the default */
	size_t			 robots_len;
	struct page_template	*tpl[2];	/* NULL: built in */
};

/* Output that remembers a failure, so that callers check once. */
struct out {
	struct evbuffer	*b;
	int		 failed;
};

/* --- output and escaping ----------------------------------------------- */

static void
out_add(struct out *o, const void *p, size_t n)
{
	if (n > 0 && evbuffer_add(o->b, p, n) == -1)
		o->failed = 1;
}

static void
out_str(struct out *o, const char *s)
{
	out_add(o, s, strlen(s));
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_alnum(int c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

static int
to_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629), or 0. */
static size_t
utf8_len(const unsigned char *p)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;		/* overlong */
		else if (p[0] == 0xed)
			hi = 0x9f;		/* surrogates */
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		if (p[0] == 0xf0)
			lo = 0x90;		/* overlong */
		else if (p[0] == 0xf4)
			hi = 0x8f;		/* above U+10FFFF */
	} else
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/*
 * HTML-escaped, as Go's html/template writes text and attribute values
 * ("+" too, against UTF-7); a byte that is not well-formed UTF-8 becomes
 * U+FFFD.
 */
static void
out_esc(struct out *o, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s, *run = p;
	const char		*rep;
	size_t			 n;

	while (*p != '\0') {
		rep = NULL;
		n = 1;
		if (*p == '&')
			rep = "&amp;";
		else if (*p == '<')
			rep = "&lt;";
		else if (*p == '>')
			rep = "&gt;";
		else if (*p == '"')
			rep = "&#34;";
		else if (*p == '\'')
			rep = "&#39;";
		else if (*p == '+')
			rep = "&#43;";
		else if (*p >= 0x80 && (n = utf8_len(p)) == 0) {
			rep = UTF8_REPLACEMENT;
			n = 1;
		}
		if (rep == NULL) {
			p += n;
			continue;
		}
		out_add(o, run, (size_t)(p - run));
		out_str(o, rep);
		p += n;
		run = p;
	}
	out_add(o, run, (size_t)(p - run));
}

static void
out_pct(struct out *o, unsigned char c)
{
	static const char	hex[] = "0123456789ABCDEF";
	char			e[3] = { '%', hex[c >> 4], hex[c & 15] };

	out_add(o, e, sizeof(e));
}

/*
 * A URL in an attribute value, normalised as Go's html/template does:
 * reserved and unreserved characters but "'", "(" and ")" stay, and so
 * does a valid escape; the rest is percent-encoded; then "&" and "+"
 * are escaped for HTML.
 */
static void
out_url(struct out *o, const char *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '&')
			out_str(o, "&amp;");
		else if (*p == '+')
			out_str(o, "&#43;");
		else if (is_alnum(*p) || strchr("-._~!#$*,/:;=?@[]", *p) ||
		    (*p == '%' && pct_hexval((char)p[1]) != -1 &&
		    pct_hexval((char)p[2]) != -1))
			out_add(o, p, 1);
		else
			out_pct(o, *p);
	}
}

/* A query parameter's value: all but unreserved and "/" encoded. */
static void
out_query(struct out *o, const char *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (is_alnum(*p) || strchr("-._~/", *p))
			out_add(o, p, 1);
		else
			out_pct(o, *p);
	}
}

/* Go's urlFilter: 0 for a scheme other than http, https or mailto. */
static int
url_scheme_ok(const char *s)
{
	size_t	i = strcspn(s, ":");

	if (s[i] == '\0' || memchr(s, '/', i) != NULL)
		return 1;
	return (i == 4 && strncasecmp(s, "http", 4) == 0) ||
	    (i == 5 && strncasecmp(s, "https", 5) == 0) ||
	    (i == 6 && strncasecmp(s, "mailto", 6) == 0);
}

/* A copy of what b holds, NUL-terminated; b is emptied. */
static char *
buf_take(struct evbuffer *b)
{
	size_t	 n = evbuffer_get_length(b);
	char	*s;

	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	if (evbuffer_remove(b, s, n) != (int)n) {
		free(s);
		return NULL;
	}
	s[n] = '\0';
	return s;
}

/* --- the HTML context of a placeholder --------------------------------- */

enum hstate {
	H_TEXT,
	H_LT,			/* "<" */
	H_LT_SLASH,		/* "</" */
	H_TAG_NAME,
	H_BEFORE_ATTR,
	H_ATTR_NAME,
	H_AFTER_ATTR_NAME,
	H_BEFORE_VALUE,
	H_VALUE_DQ,
	H_VALUE_SQ,
	H_VALUE_UQ,
	H_BANG,			/* "<!" */
	H_BANG_DASH,		/* "<!-" */
	H_COMMENT,
	H_BOGUS,		/* "<?", "<!x": until ">" */
	H_RAW,			/* script, style and alike */
	H_RCDATA,		/* title, textarea */
};

enum attr_kind {
	ATTR_PLAIN,
	ATTR_URL,
	ATTR_UNSAFE,		/* script, style, srcset, srcdoc, long */
};

struct html {
	enum hstate	 st;
	int		 end_tag;
	char		 tag[TAG_NAME_MAX + 1];
	size_t		 taglen;
	char		 attr[ATTR_NAME_MAX + 1];
	size_t		 attrlen;
	int		 url_open;	/* value so far has no ":/?#" */
	int		 dashes;	/* comment: "-" just before */
	/* In H_RAW and H_RCDATA: the element, its last bytes in lower case. */
	char		 raw[TAG_NAME_MAX + 1];
	char		 tail[TAIL_MAX];
	size_t		 taillen;
	int		 escaped;	/* in <script>, after "<!--" */
};

static int
is_html_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static void
name_add(char *name, size_t *len, size_t max, int c)
{
	if (*len < max)
		name[*len] = (char)to_lower(c);
	(*len)++;
	name[*len < max ? *len : max] = '\0';
}

static void
tag_begin(struct html *h, int end_tag, int c)
{
	h->st = H_TAG_NAME;
	h->end_tag = end_tag;
	h->taglen = 0;
	name_add(h->tag, &h->taglen, TAG_NAME_MAX, c);
}

static int
in_list(const char *s, const char *const *list, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

static void
tag_end(struct html *h)
{
	h->st = H_TEXT;
	if (h->end_tag || h->taglen > TAG_NAME_MAX)
		return;
	if (in_list(h->tag, raw_elements, NELEM(raw_elements)))
		h->st = H_RAW;
	else if (in_list(h->tag, rcdata_elements, NELEM(rcdata_elements)))
		h->st = H_RCDATA;
	else
		return;
	memcpy(h->raw, h->tag, sizeof(h->raw));
	h->taillen = 0;
	h->escaped = 0;
}

static void
attr_begin(struct html *h, int c)
{
	h->st = H_ATTR_NAME;
	h->attrlen = 0;
	name_add(h->attr, &h->attrlen, ATTR_NAME_MAX, c);
}

static void
value_begin(struct html *h, enum hstate st)
{
	h->st = st;
	h->url_open = 1;
}

static void
value_add(struct html *h, int c)
{
	if (c != '\0' && strchr(":/?#", c) != NULL)
		h->url_open = 0;
}

static int
tail_ends(const struct html *h, const char *s)
{
	size_t	n = strlen(s);

	return n <= h->taillen && memcmp(h->tail + h->taillen - n, s, n) == 0;
}

/* Raw text ends at "</name" and a blank, "/" or ">". */
static void
raw_step(struct html *h, int c)
{
	char	end[TAG_NAME_MAX + 3];

	if ((is_html_space(c) || c == '/' || c == '>') && !h->escaped &&
	    strcmp(h->raw, "plaintext") != 0) {
		snprintf(end, sizeof(end), "</%s", h->raw);
		if (tail_ends(h, end)) {
			h->end_tag = 1;
			h->st = c == '>' ? H_TEXT : H_BEFORE_ATTR;
			return;
		}
	}
	if (h->taillen == TAIL_MAX) {
		memmove(h->tail, h->tail + 1, TAIL_MAX - 1);
		h->taillen--;
	}
	h->tail[h->taillen++] = (char)to_lower(c);
	/* Where "</script>" may not end it; staying longer only refuses. */
	if (h->st == H_RAW && strcmp(h->raw, "script") == 0) {
		if (tail_ends(h, "<!--"))
			h->escaped = 1;
		else if (tail_ends(h, "-->"))
			h->escaped = 0;
	}
}

static void
tag_step(struct html *h, int c)
{
	switch (h->st) {
	case H_TAG_NAME:
		if (is_html_space(c) || c == '/')
			h->st = H_BEFORE_ATTR;
		else if (c == '>')
			tag_end(h);
		else
			name_add(h->tag, &h->taglen, TAG_NAME_MAX, c);
		break;
	case H_BEFORE_ATTR:
		if (c == '>')
			tag_end(h);
		else if (!is_html_space(c) && c != '/')
			attr_begin(h, c);
		break;
	case H_ATTR_NAME:
	case H_AFTER_ATTR_NAME:
		if (c == '>')
			tag_end(h);
		else if (c == '=')
			h->st = H_BEFORE_VALUE;
		else if (c == '/')
			h->st = H_BEFORE_ATTR;
		else if (is_html_space(c))
			h->st = H_AFTER_ATTR_NAME;
		else if (h->st == H_ATTR_NAME)
			name_add(h->attr, &h->attrlen, ATTR_NAME_MAX, c);
		else
			attr_begin(h, c);
		break;
	case H_BEFORE_VALUE:
		if (c == '"')
			value_begin(h, H_VALUE_DQ);
		else if (c == '\'')
			value_begin(h, H_VALUE_SQ);
		else if (c == '>')
			tag_end(h);
		else if (!is_html_space(c)) {
			value_begin(h, H_VALUE_UQ);
			value_add(h, c);
		}
		break;
	case H_VALUE_DQ:
	case H_VALUE_SQ:
		if (c == (h->st == H_VALUE_DQ ? '"' : '\''))
			h->st = H_BEFORE_ATTR;
		else
			value_add(h, c);
		break;
	case H_VALUE_UQ:
		if (is_html_space(c))
			h->st = H_BEFORE_ATTR;
		else if (c == '>')
			tag_end(h);
		else
			value_add(h, c);
		break;
	default:
		break;
	}
}

static void
markup_step(struct html *h, int c)
{
	switch (h->st) {
	case H_LT:
		if (is_alpha(c))
			tag_begin(h, 0, c);
		else if (c == '/')
			h->st = H_LT_SLASH;
		else if (c == '!')
			h->st = H_BANG;
		else if (c == '?')
			h->st = H_BOGUS;
		else
			h->st = c == '<' ? H_LT : H_TEXT;
		break;
	case H_LT_SLASH:
		if (is_alpha(c))
			tag_begin(h, 1, c);
		else
			h->st = c == '>' ? H_TEXT : H_BOGUS;
		break;
	case H_BANG:
		h->st = c == '-' ? H_BANG_DASH : c == '>' ? H_TEXT : H_BOGUS;
		break;
	case H_BANG_DASH:
		h->dashes = 0;
		h->st = c == '-' ? H_COMMENT : c == '>' ? H_TEXT : H_BOGUS;
		break;
	case H_COMMENT:
		if (c == '>' && h->dashes >= 2)
			h->st = H_TEXT;
		else
			h->dashes = c == '-' ? h->dashes + 1 : 0;
		break;
	case H_BOGUS:
		if (c == '>')
			h->st = H_TEXT;
		break;
	default:
		break;
	}
}

static void
html_scan(struct html *h, const char *s, size_t n)
{
	size_t	i;
	int	c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (h->st == H_TEXT) {
			if (c == '<')
				h->st = H_LT;
		} else if (h->st == H_RAW || h->st == H_RCDATA)
			raw_step(h, c);
		else if (h->st >= H_TAG_NAME && h->st <= H_VALUE_UQ)
			tag_step(h, c);
		else
			markup_step(h, c);
	}
}

static enum attr_kind
attr_kind(const struct html *h)
{
	const char	*name = h->attr, *colon;

	if (h->attrlen > ATTR_NAME_MAX)
		return ATTR_UNSAFE;
	if (strncmp(name, "data-", 5) == 0)
		name += 5;
	if ((colon = strchr(name, ':')) != NULL) {
		if (colon - name == 5 && strncmp(name, "xmlns", 5) == 0)
			return ATTR_URL;
		name = colon + 1;
	}
	if (strncmp(name, "on", 2) == 0 || strcmp(name, "style") == 0 ||
	    strcmp(name, "srcset") == 0 || strcmp(name, "srcdoc") == 0)
		return ATTR_UNSAFE;
	if (in_list(name, url_attrs, NELEM(url_attrs)) ||
	    strstr(name, "src") != NULL || strstr(name, "uri") != NULL ||
	    strstr(name, "url") != NULL)
		return ATTR_URL;
	return ATTR_PLAIN;
}

/* In RCDATA, right after "<" or "</x": the value could end the element. */
static int
rcdata_tag_open(const struct html *h)
{
	size_t	i = h->taillen;

	while (i > 0 && (is_alpha(h->tail[i - 1]) || h->tail[i - 1] == '/'))
		i--;
	return i > 0 && h->tail[i - 1] == '<';
}

static const char *
attr_ctx(const struct html *h, int html, enum ctx *ctx)
{
	if (h->st == H_BEFORE_VALUE || h->st == H_VALUE_UQ)
		return "in an unquoted attribute value";
	if (html)
		return "an HTML field in an attribute value";
	switch (attr_kind(h)) {
	case ATTR_UNSAFE:
		return "in a script, style or srcset attribute";
	case ATTR_URL:
		*ctx = h->url_open ? CTX_URL_START : CTX_URL;
		break;
	default:
		*ctx = CTX_ATTR;
		break;
	}
	return NULL;
}

/* Where a placeholder may stand, and how it is escaped there; or why not. */
static const char *
html_ctx(const struct html *h, int html, enum ctx *ctx)
{
	switch (h->st) {
	case H_TEXT:
		*ctx = CTX_TEXT;
		return NULL;
	case H_RCDATA:
		if (html)
			return "an HTML field inside <title> or <textarea>";
		if (rcdata_tag_open(h))
			return "right after \"<\"";
		*ctx = CTX_RCDATA;
		return NULL;
	case H_BEFORE_VALUE:
	case H_VALUE_DQ:
	case H_VALUE_SQ:
	case H_VALUE_UQ:
		return attr_ctx(h, html, ctx);
	case H_RAW:
		return "inside <script>, <style> or another raw text element";
	case H_BANG:
	case H_BANG_DASH:
	case H_COMMENT:
	case H_BOGUS:
		return "inside an HTML comment";
	default:
		return "inside a tag";
	}
}

/* --- the template parser ----------------------------------------------- */

enum def_state {
	DEF_BEFORE,		/* only blanks so far: {{define}} may come */
	DEF_NONE,
	DEF_IN,
	DEF_AFTER,		/* after its {{end}}: only blanks */
};

struct parse {
	struct page_template	*t;
	enum page_kind		 kind;
	const char		*path;
	const char		*s;
	size_t			 len;
	struct html		 html;
	size_t			 scanned;	/* pieces html has seen */
	long			 prev;		/* the text before, or -1 */
	int			 trim_next;
	enum def_state		 def;
	char			*err;
	size_t			 errlen;
};

static int
is_go_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
all_space(const char *s, size_t n)
{
	while (n > 0 && is_go_space((unsigned char)*s))
		s++, n--;
	return n == 0;
}

/* "file:line: {{construct}}: why". */
static int
parse_error(struct parse *p, size_t at, size_t end, const char *why)
{
	char		snip[SNIPPET_MAX + 4];
	size_t		i, n, line = 1;
	unsigned char	c;

	for (i = 0; i < at; i++)
		if (p->s[i] == '\n')
			line++;
	n = end - at < SNIPPET_MAX ? end - at : SNIPPET_MAX;
	for (i = 0; i < n; i++) {
		c = (unsigned char)p->s[at + i];
		snip[i] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	strcpy(snip + n, n < end - at ? "..." : "");
	snprintf(p->err, p->errlen, "%s:%zu: %s: %s", p->path, line, snip, why);
	return -1;
}

static int
piece_add(struct parse *p, const char *text, size_t len, enum page_field f,
    enum ctx ctx)
{
	struct page_template	*t = p->t;
	struct piece		*np;
	size_t			 ncap;

	if (t->npiece == t->cap) {
		ncap = t->cap == 0 ? 16 : t->cap * 2;
		if ((np = reallocarray(t->piece, ncap, sizeof(*np))) == NULL) {
			snprintf(p->err, p->errlen, "%s: out of memory",
			    p->path);
			return -1;
		}
		t->piece = np;
		t->cap = ncap;
	}
	t->piece[t->npiece].text = text;
	t->piece[t->npiece].len = len;
	t->piece[t->npiece].field = f;
	t->piece[t->npiece].ctx = ctx;
	t->npiece++;
	return 0;
}

/* The text between two actions, [from, to). */
static int
parse_text(struct parse *p, size_t from, size_t to)
{
	if (p->trim_next)
		while (from < to && is_go_space((unsigned char)p->s[from]))
			from++;
	p->trim_next = 0;
	p->prev = -1;
	if (from == to)
		return 0;
	if (p->def == DEF_AFTER) {
		if (!all_space(p->s + from, to - from))
			return parse_error(p, from, to,
			    "text after the {{end}} of {{define}}");
		return 0;
	}
	if (p->def == DEF_BEFORE && !all_space(p->s + from, to - from))
		p->def = DEF_NONE;
	p->prev = (long)p->t->npiece;
	return piece_add(p, p->s + from, to - from, PF_COUNT, CTX_TEXT);
}

static void
scan_pending(struct parse *p)
{
	const struct piece	*pc;

	for (; p->scanned < p->t->npiece; p->scanned++) {
		pc = &p->t->piece[p->scanned];
		if (pc->text != NULL)
			html_scan(&p->html, pc->text, pc->len);
	}
}

static int
parse_field(struct parse *p, size_t at, size_t end, const char *name,
    size_t n)
{
	const char	*why;
	enum ctx	 ctx = CTX_TEXT;
	char		 msg[256];
	size_t		 f, i, used;
	int		 first = 1;

	for (f = 0; f < PF_COUNT; f++)
		if (strlen(fields[f].name) == n &&
		    memcmp(fields[f].name, name, n) == 0)
			break;
	if (f == PF_COUNT || !(fields[f].kinds & (1 << p->kind))) {
		snprintf(msg, sizeof(msg), "no such field in %s; it has",
		    tpl_file[p->kind]);
		for (i = 0; i < PF_COUNT; i++) {
			if (!(fields[i].kinds & (1 << p->kind)))
				continue;
			used = strlen(msg);
			snprintf(msg + used, sizeof(msg) - used, "%s.%s",
			    first ? " " : ", ", fields[i].name);
			first = 0;
		}
		return parse_error(p, at, end, msg);
	}
	if (p->def == DEF_AFTER)
		return parse_error(p, at, end, "placeholder after {{end}}");
	if (p->def == DEF_BEFORE)
		p->def = DEF_NONE;
	scan_pending(p);
	if ((why = html_ctx(&p->html, fields[f].html, &ctx)) != NULL) {
		snprintf(msg, sizeof(msg), "placeholder %s; only text and "
		    "quoted attribute values are escaped safely", why);
		return parse_error(p, at, end, msg);
	}
	return piece_add(p, NULL, 0, (enum page_field)f, ctx);
}

/* {{define "<this file's name>"}}, around everything. */
static int
parse_define(struct parse *p, size_t at, size_t end, const char *a,
    size_t n)
{
	const char	*want = tpl_file[p->kind];
	size_t		 i = 6;

	while (i < n && is_go_space((unsigned char)a[i]))
		i++;
	if (i == 6 || n - i != strlen(want) + 2 || a[i] != '"' ||
	    a[n - 1] != '"' || memcmp(a + i + 1, want, n - i - 2) != 0)
		return parse_error(p, at, end, "only {{define "
		    "\"sign_in.html\"}} or {{define \"error.html\"}}, as "
		    "the file's name, is supported");
	if (p->def != DEF_BEFORE)
		return parse_error(p, at, end,
		    "{{define}} must enclose the whole file");
	p->t->npiece = 0;
	p->scanned = 0;
	memset(&p->html, 0, sizeof(p->html));
	p->def = DEF_IN;
	return 0;
}

static int
parse_action(struct parse *p, size_t at, size_t end, const char *a, size_t n)
{
	size_t	i;

	while (n > 0 && is_go_space((unsigned char)a[0]))
		a++, n--;
	while (n > 0 && is_go_space((unsigned char)a[n - 1]))
		n--;
	if (n >= 2 && a[0] == '.' && (is_alpha(a[1]) || a[1] == '_')) {
		for (i = 1; i < n && (is_alnum(a[i]) || a[i] == '_'); i++)
			;
		if (i == n)
			return parse_field(p, at, end, a + 1, n - 1);
	}
	if (n > 6 && memcmp(a, "define", 6) == 0 && is_go_space(a[6]))
		return parse_define(p, at, end, a, n);
	if (n == 3 && memcmp(a, "end", 3) == 0) {
		if (p->def != DEF_IN)
			return parse_error(p, at, end,
			    "{{end}} without {{define}}");
		p->def = DEF_AFTER;
		return 0;
	}
	return parse_error(p, at, end, "only {{.Field}} placeholders are "
	    "supported (no if, range, with, pipelines or functions)");
}

/* A Go comment, closed by "*"+"/}}" or "*"+"/ -}}"; sets *next past it. */
static int
parse_comment(struct parse *p, size_t at, size_t a, size_t *next)
{
	const char	*s = p->s, *close;
	size_t		 b;

	close = memmem(s + a + 2, p->len - a - 2, "*/", 2);
	if (close == NULL)
		return parse_error(p, at, p->len, "unterminated comment");
	b = (size_t)(close - s) + 2;
	if (p->len - b >= 4 && is_go_space((unsigned char)s[b]) &&
	    memcmp(s + b + 1, "-}}", 3) == 0) {
		p->trim_next = 1;
		*next = b + 4;
	} else if (p->len - b >= 2 && memcmp(s + b, "}}", 2) == 0)
		*next = b + 2;
	else
		return parse_error(p, at, b, "comment ends before \"}}\"");
	return 0;
}

/* The action at s[at] ("{{"); sets *next past its "}}". */
static int
parse_delim(struct parse *p, size_t at, size_t *next)
{
	const char	*s = p->s, *close;
	size_t		 a = at + 2, b;
	int		 trim_next = 0;

	if (p->len - a >= 2 && s[a] == '-' &&
	    is_go_space((unsigned char)s[a + 1])) {
		a += 2;
		if (p->prev >= 0)
			while (p->t->piece[p->prev].len > 0 && is_go_space(
			    (unsigned char)p->t->piece[p->prev].text[
			    p->t->piece[p->prev].len - 1]))
				p->t->piece[p->prev].len--;
	}
	p->prev = -1;
	if (p->len - a >= 2 && s[a] == '/' && s[a + 1] == '*')
		return parse_comment(p, at, a, next);
	if ((close = memmem(s + a, p->len - a, "}}", 2)) == NULL)
		return parse_error(p, at, p->len, "unterminated \"{{\"");
	b = (size_t)(close - s);
	*next = b + 2;
	if (b - a >= 2 && s[b - 1] == '-' &&
	    is_go_space((unsigned char)s[b - 2])) {
		trim_next = 1;
		b -= 2;
	}
	if (parse_action(p, at, *next, s + a, b - a) == -1)
		return -1;
	p->trim_next = trim_next;
	return 0;
}

static int
parse_finish(struct parse *p)
{
	const struct piece	*pc;
	size_t			 i;

	if (p->def == DEF_IN) {
		snprintf(p->err, p->errlen, "%s: {{define}} without {{end}}",
		    p->path);
		return -1;
	}
	for (i = 0; i < p->t->npiece; i++) {
		pc = &p->t->piece[i];
		if (pc->text == NULL || !all_space(pc->text, pc->len))
			return 0;
	}
	snprintf(p->err, p->errlen, "%s: the template is empty", p->path);
	return -1;
}

struct page_template *
page_template_parse(enum page_kind kind, const char *path, const char *buf,
    size_t len, char *err, size_t errlen)
{
	struct parse	 p;
	const char	*open;
	size_t		 i = 0;

	memset(&p, 0, sizeof(p));
	p.kind = kind;
	p.path = path;
	p.len = len;
	p.prev = -1;
	p.err = err;
	p.errlen = errlen;
	if ((p.t = calloc(1, sizeof(*p.t))) == NULL ||
	    (p.t->src = malloc(len + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	memcpy(p.t->src, buf, len);
	p.t->src[len] = '\0';
	p.s = p.t->src;
	while (i < len) {
		open = memmem(p.s + i, len - i, "{{", 2);
		if (parse_text(&p, i, open != NULL ? (size_t)(open - p.s) :
		    len) == -1)
			goto fail;
		if (open == NULL)
			break;
		if (parse_delim(&p, (size_t)(open - p.s), &i) == -1)
			goto fail;
	}
	if (parse_finish(&p) == -1)
		goto fail;
	return p.t;
 fail:
	page_template_free(p.t);
	return NULL;
}

void
page_template_free(struct page_template *t)
{
	if (t == NULL)
		return;
	free(t->piece);
	free(t->src);
	free(t);
}

static void
out_value(struct out *o, enum ctx ctx, int html, const char *v)
{
	if (v == NULL)
		return;
	switch (ctx) {
	case CTX_TEXT:
		if (html)
			out_str(o, v);
		else
			out_esc(o, v);
		break;
	case CTX_URL_START:
		if (!url_scheme_ok(v)) {
			out_str(o, URL_REFUSED);
			break;
		}
		/* FALLTHROUGH */
	case CTX_URL:
		out_url(o, v);
		break;
	default:
		out_esc(o, v);
		break;
	}
}

int
page_template_render(const struct page_template *t, struct evbuffer *b,
    const char *const *values)
{
	struct out		 o = { b, 0 };
	const struct piece	*pc;
	size_t			 i;

	for (i = 0; i < t->npiece; i++) {
		pc = &t->piece[i];
		if (pc->text != NULL)
			out_add(&o, pc->text, pc->len);
		else if (values != NULL)
			out_value(&o, pc->ctx, fields[pc->field].html,
			    values[pc->field]);
	}
	return o.failed ? -1 : 0;
}

/* --- files ------------------------------------------------------------- */

/*
 * A regular file of at most PAGE_FILE_MAX bytes, NUL-terminated.
 * 1, 0 when it does not exist and missing_ok, -1 with err set.
 */
static int
file_read(int dirfd, const char *name, const char *shown, int missing_ok,
    char **out, size_t *outlen, char *err, size_t errlen)
{
	struct stat	 st;
	char		*buf = NULL, *nb;
	size_t		 n = 0;
	ssize_t		 r;
	int		 fd;

	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1) {
		if (errno == ENOENT && missing_ok)
			return 0;
		snprintf(err, errlen, "%s: %s", shown, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", shown, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", shown);
		goto fail;
	}
	if ((buf = malloc(PAGE_FILE_MAX + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", shown);
		goto fail;
	}
	while (n <= PAGE_FILE_MAX) {
		r = read(fd, buf + n, PAGE_FILE_MAX + 1 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			snprintf(err, errlen, "%s: %s", shown, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > PAGE_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d KiB", shown,
		    PAGE_FILE_MAX / 1024);
		goto fail;
	}
	close(fd);
	if ((nb = realloc(buf, n + 1)) != NULL)
		buf = nb;
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 1;
 fail:
	free(buf);
	close(fd);
	return -1;
}

static void
out_base64(struct out *o, const unsigned char *p, size_t n)
{
	static const char	d[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char			q[4];
	unsigned long		v;
	size_t			i;

	for (i = 0; i < n; i += 3) {
		v = (unsigned long)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned long)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = d[(v >> 18) & 63];
		q[1] = d[(v >> 12) & 63];
		q[2] = i + 1 < n ? d[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? d[v & 63] : '=';
		out_add(o, q, sizeof(q));
	}
}

/* The logo file's type by its name, checked against its first bytes. */
static const char *
logo_type(const char *path, const char *data, size_t n, char *err,
    size_t errlen)
{
	const char	*dot = strrchr(path, '.');

	if (dot != NULL && strcasecmp(dot, ".svg") == 0) {
		if (memmem(data, n, "<svg", 4) != NULL)
			return "image/svg+xml";
	} else if (dot != NULL && strcasecmp(dot, ".png") == 0) {
		if (n >= 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0)
			return "image/png";
	} else if (dot != NULL && (strcasecmp(dot, ".jpg") == 0 ||
	    strcasecmp(dot, ".jpeg") == 0)) {
		if (n >= 3 && memcmp(data, "\xff\xd8\xff", 3) == 0)
			return "image/jpeg";
	} else {
		snprintf(err, errlen, "custom_sign_in_logo: %s: not .svg, "
		    ".png, .jpg or .jpeg", path);
		return NULL;
	}
	snprintf(err, errlen, "custom_sign_in_logo: %s: not the image its "
	    "name says", path);
	return NULL;
}

static int
logo_file(struct out *o, const char *path, char *err, size_t errlen)
{
	char		 shown[SHOWN_MAX];
	const char	*type;
	char		*data;
	size_t		 n;

	snprintf(shown, sizeof(shown), "custom_sign_in_logo: %s", path);
	if (file_read(AT_FDCWD, path, shown, 0, &data, &n, err, errlen) == -1)
		return -1;
	if ((type = logo_type(path, data, n, err, errlen)) == NULL) {
		free(data);
		return -1;
	}
	out_str(o, "<img src=\"data:");
	out_str(o, type);
	out_str(o, ";base64,");
	out_base64(o, (const unsigned char *)data, n);
	out_str(o, "\" alt=\"Logo\">");
	free(data);
	return 0;
}

static int
logo_url(struct out *o, const char *url, char *err, size_t errlen)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)url; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			break;
	if (*p != '\0' || strlen(url) > LOGO_URL_MAX) {
		snprintf(err, errlen, "custom_sign_in_logo: a URL of at most "
		    "%d printable characters, without blanks", LOGO_URL_MAX);
		return -1;
	}
	out_str(o, "<img src=\"");
	out_url(o, url);
	out_str(o, "\" alt=\"Logo\">");
	return 0;
}

/* LogoData: built in, none ("-"), an https URL or a file. */
static int
logo_make(struct pages *pg, const char *logo, struct out *o, char *err,
    size_t errlen)
{
	if (logo == NULL || *logo == '\0') {
		out_str(o, "<img src=\"");
		out_url(o, pg->prefix);
		out_str(o, "/static/logo.svg\" alt=\"Logo\">");
		return 0;
	}
	if (strcmp(logo, "-") == 0)
		return 0;
	if (strncmp(logo, "https://", 8) == 0)
		return logo_url(o, logo, err, errlen);
	if (strncasecmp(logo, "http://", 7) == 0 ||
	    strncasecmp(logo, "https://", 8) == 0) {
		snprintf(err, errlen, "custom_sign_in_logo: only https:// URLs "
		    "are supported");
		return -1;
	}
	return logo_file(o, logo, err, errlen);
}

/* --- loading ----------------------------------------------------------- */

/* SignInMessage: the banner, else which domains may sign in. */
static void
banner_make(const struct page_opts *po, struct out *o)
{
	size_t	i;

	if (po->banner != NULL && *po->banner != '\0') {
		if (strcmp(po->banner, "-") != 0)
			out_str(o, po->banner);
		return;
	}
	if (po->nemail_domains == 0)
		return;
	for (i = 0; i < po->nemail_domains; i++)
		if (strcmp(po->email_domains[i], "*") == 0)
			return;
	if (po->nemail_domains == 1)
		out_str(o, "Authenticate using ");
	else
		out_str(o, "Authenticate using one of the following domains: ");
	for (i = 0; i < po->nemail_domains; i++) {
		if (i > 0)
			out_str(o, ", ");
		out_esc(o, po->email_domains[i]);
	}
}

static void
footer_make(const struct pages *pg, const char *footer, struct out *o)
{
	if (footer != NULL && *footer != '\0') {
		if (strcmp(footer, "-") != 0)
			out_str(o, footer);
		return;
	}
	out_str(o, "Secured with gatehouse ");
	out_esc(o, pg->version);
}

static char *
dup_or(const char *s, const char *def)
{
	return strdup(s != NULL && *s != '\0' ? s : def);
}

/* Each of banner, footer and logo through b, taken as a string. */
static int
html_parts(struct pages *pg, const struct page_opts *po, char *err,
    size_t errlen)
{
	struct evbuffer	*b;
	struct out	 o;
	int		 rv = -1;

	if ((b = evbuffer_new()) == NULL)
		goto nomem;
	o.b = b;
	o.failed = 0;
	banner_make(po, &o);
	if (o.failed || (pg->banner = buf_take(b)) == NULL)
		goto nomem;
	footer_make(pg, po->footer, &o);
	if (o.failed || (pg->footer = buf_take(b)) == NULL)
		goto nomem;
	if (logo_make(pg, po->logo, &o, err, errlen) == -1)
		goto done;
	if (o.failed || (pg->logo = buf_take(b)) == NULL)
		goto nomem;
	rv = 0;
	goto done;
 nomem:
	snprintf(err, errlen, "pages: out of memory");
 done:
	if (b != NULL)
		evbuffer_free(b);
	return rv;
}

static int
templates_load(struct pages *pg, const char *dir, char *err, size_t errlen)
{
	char		 shown[SHOWN_MAX], *buf;
	size_t		 n;
	int		 dfd, k, r;

	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "custom_templates_dir: %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	for (k = PAGE_SIGN_IN; k <= PAGE_ERROR; k++) {
		snprintf(shown, sizeof(shown), "%s/%s", dir, tpl_file[k]);
		if ((r = file_read(dfd, tpl_file[k], shown, 1, &buf, &n, err,
		    errlen)) == -1)
			goto fail;
		if (r == 0)
			continue;
		pg->tpl[k] = page_template_parse(k, shown, buf, n, err, errlen);
		free(buf);
		if (pg->tpl[k] == NULL)
			goto fail;
	}
	snprintf(shown, sizeof(shown), "%s/robots.txt", dir);
	if (file_read(dfd, "robots.txt", shown, 1, &pg->robots,
	    &pg->robots_len, err, errlen) == -1)
		goto fail;
	close(dfd);
	return 0;
 fail:
	close(dfd);
	return -1;
}

struct pages *
page_load(const struct page_opts *po, char *err, size_t errlen)
{
	struct pages	*pg;

	if ((pg = calloc(1, sizeof(*pg))) == NULL)
		goto nomem;
	pg->prefix = dup_or(po->proxy_prefix, PREFIX_DEFAULT);
	pg->provider = dup_or(po->provider_name, PROVIDER_DEFAULT);
	pg->version = dup_or(po->version, GATEHOUSE_VERSION);
	if (pg->prefix == NULL || pg->provider == NULL ||
	    pg->version == NULL)
		goto nomem;
	if (asprintf(&pg->sign_in_path, "%s/sign_in", pg->prefix) == -1) {
		pg->sign_in_path = NULL;
		goto nomem;
	}
	if (html_parts(pg, po, err, errlen) == -1)
		goto fail;
	if (po->templates_dir != NULL && *po->templates_dir != '\0' &&
	    templates_load(pg, po->templates_dir, err, errlen) == -1)
		goto fail;
	return pg;
 nomem:
	snprintf(err, errlen, "pages: out of memory");
 fail:
	page_free(pg);
	return NULL;
}

void
page_free(struct pages *pg)
{
	if (pg == NULL)
		return;
	free(pg->prefix);
	free(pg->sign_in_path);
	free(pg->provider);
	free(pg->version);
	free(pg->banner);
	free(pg->footer);
	free(pg->logo);
	free(pg->robots);
	page_template_free(pg->tpl[PAGE_SIGN_IN]);
	page_template_free(pg->tpl[PAGE_ERROR]);
	free(pg);
}

/* --- rendering --------------------------------------------------------- */

/* As oauth2-proxy: no target is "", and the sign-in page itself is "/". */
static const char *
redirect_fix(const struct pages *pg, const char *rd)
{
	if (rd == NULL)
		return "";
	return strcmp(rd, pg->sign_in_path) == 0 ? "/" : rd;
}

static void
head(struct out *o, const struct pages *pg, const char *title, int status,
    int script)
{
	char	code[16];

	out_str(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n"
	    "<meta name=\"robots\" content=\"noindex, nofollow\">\n<title>");
	if (status > 0) {
		snprintf(code, sizeof(code), "%d ", status);
		out_str(o, code);
	}
	out_esc(o, title);
	out_str(o, "</title>\n<link rel=\"stylesheet\" href=\"");
	out_url(o, pg->prefix);
	out_str(o, "/static/gatehouse.css\">\n");
	if (script) {
		out_str(o, "<script src=\"");
		out_url(o, pg->prefix);
		out_str(o, "/static/sign_in.js\" defer></script>\n");
	}
	out_str(o, "</head>\n<body>\n<main class=\"card\">\n");
}

static void
foot(struct out *o, const struct pages *pg)
{
	out_str(o, "</main>\n");
	if (*pg->footer != '\0') {
		out_str(o, "<footer>");
		out_str(o, pg->footer);
		out_str(o, "</footer>\n");
	}
	out_str(o, "</body>\n</html>\n");
}

static void
sign_in_builtin(struct out *o, const struct pages *pg, const char *rd)
{
	head(o, pg, "Sign in", 0, 1);
	if (*pg->logo != '\0') {
		out_str(o, "<div class=\"logo\">");
		out_str(o, pg->logo);
		out_str(o, "</div>\n");
	}
	if (*pg->banner != '\0') {
		out_str(o, "<div class=\"banner\">");
		out_str(o, pg->banner);
		out_str(o, "</div>\n");
	}
	out_str(o, "<form method=\"GET\" action=\"");
	out_url(o, pg->prefix);
	out_str(o, "/start\">\n<input type=\"hidden\" name=\"rd\" value=\"");
	out_esc(o, rd);
	out_str(o, "\">\n<button type=\"submit\">Sign in with ");
	out_esc(o, pg->provider);
	out_str(o, "</button>\n</form>\n");
	foot(o, pg);
}

int
page_sign_in(const struct pages *pg, struct evbuffer *body,
    const char *redirect, int status)
{
	const char	*v[PF_COUNT] = { NULL };
	struct out	 o = { body, 0 };
	char		 code[16];

	redirect = redirect_fix(pg, redirect);
	if (pg->tpl[PAGE_SIGN_IN] == NULL) {
		sign_in_builtin(&o, pg, redirect);
		return o.failed ? -1 : 0;
	}
	snprintf(code, sizeof(code), "%d", status);
	v[PF_PROVIDER_NAME] = pg->provider;
	v[PF_SIGN_IN_MESSAGE] = pg->banner;
	v[PF_CUSTOM_LOGIN] = "false";
	v[PF_REDIRECT] = redirect;
	v[PF_PROXY_PREFIX] = pg->prefix;
	v[PF_FOOTER] = pg->footer;
	v[PF_LOGO_DATA] = pg->logo;
	v[PF_STATUS_CODE] = code;
	v[PF_VERSION] = pg->version;
	return page_template_render(pg->tpl[PAGE_SIGN_IN], body, v);
}

static void
error_builtin(struct out *o, const struct pages *pg, int status,
    const char *title, const char *message, const char *rd, const char *id)
{
	char	code[16];

	head(o, pg, title, status, 0);
	snprintf(code, sizeof(code), "%d", status);
	out_str(o, "<p class=\"status\">");
	out_str(o, code);
	out_str(o, "</p>\n<h1>");
	out_esc(o, title);
	out_str(o, "</h1>\n");
	if (*message != '\0') {
		out_str(o, "<p class=\"message\">");
		out_esc(o, message);
		out_str(o, "</p>\n");
	}
	if (*id != '\0') {
		out_str(o, "<p class=\"request-id\">Request ID: <code>");
		out_esc(o, id);
		out_str(o, "</code></p>\n");
	}
	out_str(o, "<div class=\"actions\">\n<a class=\"button\" href=\"");
	out_url(o, pg->prefix);
	out_str(o, "/sign_in");
	if (*rd != '\0') {
		out_str(o, "?rd=");
		out_query(o, rd);
	}
	out_str(o, "\">Sign in again</a>\n");
	if (*rd != '\0' && url_scheme_ok(rd)) {
		out_str(o, "<a class=\"back\" href=\"");
		out_url(o, rd);
		out_str(o, "\">Go back</a>\n");
	}
	out_str(o, "</div>\n");
	foot(o, pg);
}

static void
status_text(int status, const char **title, const char **message)
{
	size_t	i;

	for (i = 0; i < NELEM(statuses); i++)
		if (statuses[i].code == status)
			break;
	if (*title == NULL)
		*title = i < NELEM(statuses) ? statuses[i].title : "Error";
	if (*message == NULL)
		*message = i < NELEM(statuses) && statuses[i].message != NULL ?
		    statuses[i].message : "Unknown error";
}

int
page_error(const struct pages *pg, struct evbuffer *body, int status,
    const char *title, const char *message, const char *redirect,
    const char *request_id)
{
	const char	*v[PF_COUNT] = { NULL };
	struct out	 o = { body, 0 };
	char		 code[16];

	redirect = redirect_fix(pg, redirect);
	if (request_id == NULL)
		request_id = "";
	status_text(status, &title, &message);
	if (pg->tpl[PAGE_ERROR] == NULL) {
		error_builtin(&o, pg, status, title, message, redirect,
		    request_id);
		return o.failed ? -1 : 0;
	}
	snprintf(code, sizeof(code), "%d", status);
	v[PF_TITLE] = title;
	v[PF_MESSAGE] = message;
	v[PF_PROXY_PREFIX] = pg->prefix;
	v[PF_STATUS_CODE] = code;
	v[PF_REDIRECT] = redirect;
	v[PF_REQUEST_ID] = request_id;
	v[PF_FOOTER] = pg->footer;
	v[PF_VERSION] = pg->version;
	return page_template_render(pg->tpl[PAGE_ERROR], body, v);
}

int
page_robots(const struct pages *pg, struct evbuffer *body)
{
	if (pg->robots != NULL)
		return pg->robots_len == 0 ? 0 :
		    evbuffer_add(body, pg->robots, pg->robots_len);
	return evbuffer_add(body, ROBOTS_DEFAULT, sizeof(ROBOTS_DEFAULT) - 1);
}

const char *
page_static(const char *name, size_t *len, const char **content_type)
{
	size_t	i;

	for (i = 0; i < NELEM(static_files); i++)
		if (strcmp(name, static_files[i].name) == 0) {
			*len = static_files[i].len;
			*content_type = static_files[i].type;
			return static_files[i].data;
		}
	return NULL;
}

const char *
page_csp(const struct pages *pg, enum page_kind kind)
{
	return pg->tpl[kind] != NULL ? CSP_CUSTOM : CSP_BUILTIN;
}

struct pages *
page_load_config(const struct config *cf, char *err, size_t errlen)
{
	struct page_opts	o;

	memset(&o, 0, sizeof(o));
	o.proxy_prefix = cf->proxy_prefix;
	o.provider_name = cf->provider_display_name;
	o.banner = cf->banner;
	o.footer = cf->footer;
	o.logo = cf->custom_sign_in_logo;
	o.templates_dir = cf->custom_templates_dir;
	/* As oauth2-proxy: no domain banner with an emails file. */
	if (cf->authenticated_emails_file == NULL ||
	    *cf->authenticated_emails_file == '\0') {
		o.email_domains = (const char *const *)cf->email_domains.v;
		o.nemail_domains = cf->email_domains.n;
	}
	o.version = GATEHOUSE_VERSION;
	return page_load(&o, err, errlen);
}
