/*
 * The worker's pages: every value a request supplies comes out escaped
 * (and well-formed UTF-8), the defaults of banner, footer and logo are
 * oauth2-proxy's, custom templates render each field as expected, and
 * every template gatehouse cannot render safely is refused at load with
 * its file and line.
 */
#define _GNU_SOURCE		/* nftw */

#include <sys/stat.h>

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/buffer.h>

#include "page.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define ERR_MAX		1024
#define EVIL		"\"><script>alert(1)</script>&'x"
#define EVIL_ESC	"&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" \
			"&amp;&#39;x"
#define FFFD		"\xef\xbf\xbd"

static char	tmp[64];
static char	err[ERR_MAX];

/* --- helpers ----------------------------------------------------------- */

static char *
take(struct evbuffer *b)
{
	size_t	 n = evbuffer_get_length(b);
	char	*s = malloc(n + 1);

	assert_non_null(s);
	assert_int_equal(evbuffer_remove(b, s, n), (int)n);
	s[n] = '\0';
	evbuffer_free(b);
	return s;
}

static char *
sign_in(const struct pages *pg, const char *rd, int status)
{
	struct evbuffer	*b = evbuffer_new();

	assert_non_null(b);
	assert_int_equal(page_sign_in(pg, b, rd, status), 0);
	return take(b);
}

static char *
error_page(const struct pages *pg, int status, const char *title,
    const char *msg, const char *rd, const char *id)
{
	struct evbuffer	*b = evbuffer_new();

	assert_non_null(b);
	assert_int_equal(page_error(pg, b, status, title, msg, rd, id), 0);
	return take(b);
}

static void
has(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("missing \"%s\" in:\n%s", needle, hay);
}

static void
lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle) != NULL)
		fail_msg("unexpected \"%s\" in:\n%s", needle, hay);
}

static struct pages *
load(const struct page_opts *o)
{
	struct pages	*pg;

	err[0] = '\0';
	if ((pg = page_load(o, err, sizeof(err))) == NULL)
		fail_msg("page_load: %s", err);
	return pg;
}

static void
load_fails(const struct page_opts *o, const char *want)
{
	err[0] = '\0';
	assert_null(page_load(o, err, sizeof(err)));
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

/* tmp/dir/name with data; returns the path (static). */
static const char *
put_file(const char *dir, const char *name, const void *data, size_t len)
{
	static char	 path[256];
	FILE		*f;

	snprintf(path, sizeof(path), "%s/%s", tmp, dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/%s/%s", tmp, dir, name);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static const char *
put_str(const char *dir, const char *name, const char *s)
{
	return put_file(dir, name, s, strlen(s));
}

static const char *
dir_path(const char *dir)
{
	static char	path[256];

	snprintf(path, sizeof(path), "%s/%s", tmp, dir);
	return path;
}

static struct page_template *
parse(enum page_kind k, const char *text)
{
	err[0] = '\0';
	return page_template_parse(k, k == PAGE_SIGN_IN ? "t/sign_in.html" :
	    "t/error.html", text, strlen(text), err, sizeof(err));
}

static char *
render(const struct page_template *t, const char *const *v)
{
	struct evbuffer	*b = evbuffer_new();

	assert_non_null(b);
	assert_int_equal(page_template_render(t, b, v), 0);
	return take(b);
}

/* The text rendered with every field set to value. */
static char *
render_all(const char *text, const char *value)
{
	struct page_template	*t;
	const char		*v[PF_COUNT];
	char			*s;
	size_t			 i;

	for (i = 0; i < PF_COUNT; i++)
		v[i] = value;
	if ((t = parse(PAGE_SIGN_IN, text)) == NULL)
		fail_msg("parse \"%s\": %s", text, err);
	s = render(t, v);
	page_template_free(t);
	return s;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/gh_test_page.XXXXXX");
	return mkdtemp(tmp) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* --- escaping ---------------------------------------------------------- */

static void
test_sign_in_escapes(void **state)
{
	struct page_opts	 o = { .provider_name = "<b>Corp & Co</b>" };
	struct pages		*pg = load(&o);
	char			*s;

	(void)state;
	s = sign_in(pg, EVIL, 200);
	has(s, "<form method=\"GET\" action=\"/oauth2/start\">");
	has(s, "<input type=\"hidden\" name=\"rd\" value=\"" EVIL_ESC "\">");
	has(s, "Sign in with &lt;b&gt;Corp &amp; Co&lt;/b&gt;</button>");
	has(s, "<script src=\"/oauth2/static/sign_in.js\" defer></script>");
	has(s, "<link rel=\"stylesheet\" "
	    "href=\"/oauth2/static/gatehouse.css\">");
	lacks(s, "<script>");
	lacks(s, "<b>");
	free(s);
	/* The sign-in page itself is never a target. */
	s = sign_in(pg, "/oauth2/sign_in", 200);
	has(s, "name=\"rd\" value=\"/\"");
	free(s);
	s = sign_in(pg, NULL, 200);
	has(s, "name=\"rd\" value=\"\"");
	free(s);
	page_free(pg);
}

static void
test_error_escapes(void **state)
{
	struct page_opts	 o = { .proxy_prefix = "/p" };
	struct pages		*pg = load(&o);
	char			*s;

	(void)state;
	s = error_page(pg, 403, EVIL, EVIL, "/a?b=<x>&c=\"d\"#f", EVIL);
	has(s, "<title>403 " EVIL_ESC "</title>");
	has(s, "<p class=\"status\">403</p>");
	has(s, "<h1>" EVIL_ESC "</h1>");
	has(s, "<p class=\"message\">" EVIL_ESC "</p>");
	has(s, "Request ID: <code>" EVIL_ESC "</code>");
	has(s, "href=\"/p/sign_in?rd=/a%3Fb%3D%3Cx%3E%26c%3D%22d%22%23f\"");
	has(s, "<a class=\"back\" href=\"/a?b=%3Cx%3E&amp;c=%22d%22#f\">");
	lacks(s, "<script");
	lacks(s, "<x>");
	free(s);
	/* A target no link may hold: no "Go back", and encoded for sign-in. */
	s = error_page(pg, 500, NULL, NULL, "javascript:alert(1)", NULL);
	lacks(s, "Go back");
	has(s, "href=\"/p/sign_in?rd=javascript%3Aalert%281%29\"");
	has(s, "<h1>Internal Server Error</h1>");
	has(s, "Oops! Something went wrong.");
	lacks(s, "Request ID");
	free(s);
	s = error_page(pg, 599, NULL, NULL, NULL, NULL);
	has(s, "<h1>Error</h1>");
	has(s, "Unknown error");
	has(s, "href=\"/p/sign_in\">Sign in again</a>");
	lacks(s, "Go back");
	free(s);
	s = error_page(pg, 403, NULL, NULL, "/p/sign_in", NULL);
	has(s, "<h1>Forbidden</h1>");
	has(s, "You do not have permission to access this resource.");
	has(s, "<a class=\"back\" href=\"/\">Go back</a>");
	free(s);
	page_free(pg);
}

static void
test_utf8(void **state)
{
	static const char	in[] = "\xc3\xa9" "\xc0\xbc" "\xed\xa0\x80"
	    "\xf0\x9f\x98\x80" "\xf4\x90\x80\x80" "\xe0\x80\xbc" "\xe2\x82";
	static const char	out[] = "\xc3\xa9" FFFD FFFD FFFD FFFD FFFD
	    "\xf0\x9f\x98\x80" FFFD FFFD FFFD FFFD FFFD FFFD FFFD FFFD FFFD;
	struct page_opts	 o = { 0 };
	struct pages		*pg = load(&o);
	char			*s;

	(void)state;
	s = sign_in(pg, in, 200);
	has(s, "value=\"" "\xc3\xa9" FFFD FFFD);
	has(s, out);
	free(s);
	s = error_page(pg, 400, in, NULL, NULL, in);
	has(s, "<h1>");
	has(s, out);
	/* An overlong "<" never comes out as one. */
	lacks(s, "\xc0\xbc");
	free(s);
	page_free(pg);
}

/* --- banner, footer, logo ---------------------------------------------- */

static void
test_banner(void **state)
{
	static const char *const one[] = { "example.com" };
	static const char *const two[] = { "a.com", "b.org" };
	static const char *const star[] = { "*" };
	static const char *const mixed[] = { "a.com", "*" };
	static const char *const evil[] = { "<x>.com" };
	static const struct {
		const char *const	*d;
		size_t			 n;
		const char		*banner;
		const char		*want;	/* NULL: no banner */
	} t[] = {
		{ NULL, 0, NULL, NULL },
		{ one, 1, NULL, "Authenticate using example.com" },
		{ two, 2, NULL, "Authenticate using one of the following "
		    "domains: a.com, b.org" },
		{ star, 1, NULL, NULL },
		{ mixed, 2, NULL, NULL },
		{ evil, 1, NULL, "Authenticate using &lt;x&gt;.com" },
		{ one, 1, "-", NULL },
		{ one, 1, "", "Authenticate using example.com" },
		{ one, 1, "<b>Staff</b> only", "<b>Staff</b> only" },
	};
	struct page_opts	 o;
	struct pages		*pg;
	char			*s;
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		memset(&o, 0, sizeof(o));
		o.email_domains = t[i].d;
		o.nemail_domains = t[i].n;
		o.banner = t[i].banner;
		pg = load(&o);
		s = sign_in(pg, "/", 200);
		if (t[i].want == NULL)
			lacks(s, "class=\"banner\"");
		else {
			has(s, "<div class=\"banner\">");
			has(s, t[i].want);
		}
		free(s);
		page_free(pg);
	}
}

static void
test_footer(void **state)
{
	struct page_opts	 o = { .version = "1.2.3" };
	struct pages		*pg;
	char			*s;

	(void)state;
	pg = load(&o);
	s = sign_in(pg, "/", 200);
	has(s, "<footer>Secured with gatehouse 1.2.3</footer>");
	free(s);
	s = error_page(pg, 404, NULL, NULL, NULL, NULL);
	has(s, "<footer>Secured with gatehouse 1.2.3</footer>");
	free(s);
	page_free(pg);
	o.footer = "-";
	pg = load(&o);
	s = sign_in(pg, "/", 200);
	lacks(s, "<footer");
	free(s);
	s = error_page(pg, 404, NULL, NULL, NULL, NULL);
	lacks(s, "<footer");
	free(s);
	page_free(pg);
	o.footer = "<a href=\"/help\">Help</a>";
	pg = load(&o);
	s = sign_in(pg, "/", 200);
	has(s, "<footer><a href=\"/help\">Help</a></footer>");
	free(s);
	page_free(pg);
}

static void
test_logo(void **state)
{
	static const unsigned char	png[] = {
		0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 1, 0xff
	};
	static const char		svg[] =
	    "<?xml version=\"1.0\"?><svg xmlns=\"x\"/>";
	struct page_opts		 o = { 0 };
	struct pages			*pg;
	char				*s;

	(void)state;
	pg = load(&o);
	s = sign_in(pg, "/", 200);
	has(s, "<div class=\"logo\"><img "
	    "src=\"/oauth2/static/logo.svg\" alt=\"Logo\"></div>");
	free(s);
	page_free(pg);

	o.logo = "-";
	pg = load(&o);
	s = sign_in(pg, "/", 200);
	lacks(s, "logo");
	free(s);
	page_free(pg);

	o.logo = "https://cdn.example/logo.png?a=1&b=2";
	pg = load(&o);
	s = sign_in(pg, "/", 200);
	has(s, "<img "
	    "src=\"https://cdn.example/logo.png?a=1&amp;b=2\" alt=\"Logo\">");
	free(s);
	page_free(pg);

	o.logo = put_file("logo", "l.PNG", png, sizeof(png));
	pg = load(&o);
	s = sign_in(pg, "/", 200);
	has(s, "src=\"data:image/png;base64,iVBORw0KGgoAAf8=\" alt=\"Logo\">");
	free(s);
	page_free(pg);

	o.logo = put_str("logo", "l.svg", svg);
	pg = load(&o);
	s = sign_in(pg, "/", 200);
	has(s, "src=\"data:image/svg+xml;base64,PD94bWwgdmVyc2lvbj0iMS4wIj8+"
	    "PHN2ZyB4bWxucz0ieCIvPg==\"");
	free(s);
	page_free(pg);

	o.logo = put_file("logo", "l.jpeg", "\xff\xd8\xff\xe0", 4);
	pg = load(&o);
	s = sign_in(pg, "/", 200);
	has(s, "src=\"data:image/jpeg;base64,/9j/4A==\"");
	free(s);
	page_free(pg);
}

static void
test_logo_refused(void **state)
{
	struct page_opts	 o = { 0 };
	char			*big;

	(void)state;
	o.logo = "http://cdn.example/logo.png";
	load_fails(&o, "only https:// URLs");
	o.logo = "HTTPS://cdn.example/logo.png";
	load_fails(&o, "only https:// URLs");
	o.logo = "https://cdn.example/a logo.png";
	load_fails(&o, "without blanks");
	o.logo = put_str("logo", "l.gif", "GIF89a");
	load_fails(&o, "not .svg, .png, .jpg or .jpeg");
	o.logo = put_str("logo", "fake.png", "<svg/>");
	load_fails(&o, "not the image its name says");
	o.logo = put_str("logo", "nosvg.svg", "<html/>");
	load_fails(&o, "not the image its name says");
	o.logo = "/nonexistent/gatehouse/logo.png";
	load_fails(&o, "No such file or directory");
	o.logo = dir_path("logo");
	load_fails(&o, "not a regular file");
	assert_non_null(big = calloc(1, PAGE_FILE_MAX + 1));
	memcpy(big, "\x89PNG\r\n\x1a\n", 8);
	o.logo = put_file("logo", "big.png", big, PAGE_FILE_MAX + 1);
	load_fails(&o, "larger than 256 KiB");
	o.logo = put_file("logo", "max.png", big, PAGE_FILE_MAX);
	page_free(load(&o));
	free(big);
}

/* --- custom templates -------------------------------------------------- */

static void
test_custom_sign_in(void **state)
{
	static const char	tpl[] =
	    "{{define \"sign_in.html\"}}\n"
	    "<p>{{.ProviderName}}|{{.SignInMessage}}|{{.CustomLogin}}|"
	    "{{.Redirect}}|{{ .ProxyPrefix }}|{{.Footer}}|{{.LogoData}}|"
	    "{{.StatusCode}}|{{.Version}}</p>\n"
	    "<a href=\"{{.ProxyPrefix}}/start?rd={{.Redirect}}\">x</a>\n"
	    "<input value='{{.Redirect}}'>\n"
	    "{{end}}\n";
	static const char	want[] =
	    "\n<p>P&amp;|<b>B</b>|false|/x?a=1&amp;b=&#34;2&#34;|/o2|"
	    "<i>F</i>||403|9.9</p>\n"
	    "<a href=\"/o2/start?rd=/x?a=1&amp;b=%222%22\">x</a>\n"
	    "<input value='/x?a=1&amp;b=&#34;2&#34;'>\n";
	struct page_opts	 o = {
		.proxy_prefix = "/o2", .provider_name = "P&",
		.banner = "<b>B</b>", .footer = "<i>F</i>", .logo = "-",
		.version = "9.9",
	};
	struct pages		*pg;
	char			*s;

	(void)state;
	put_str("custom", "sign_in.html", tpl);
	o.templates_dir = dir_path("custom");
	pg = load(&o);
	s = sign_in(pg, "/x?a=1&b=\"2\"", 403);
	assert_string_equal(s, want);
	free(s);
	assert_string_equal(page_csp(pg, PAGE_SIGN_IN),
	    "frame-ancestors 'none'");
	assert_non_null(strstr(page_csp(pg, PAGE_ERROR), "default-src 'none'"));
	/* error.html is missing: the built-in page. */
	s = error_page(pg, 404, NULL, NULL, NULL, NULL);
	has(s, "<h1>Not Found</h1>");
	free(s);
	page_free(pg);
}

static void
test_custom_error(void **state)
{
	static const char	tpl[] =
	    "<title>{{.StatusCode}} {{.Title}}</title>\n"
	    "{{.Message}}|{{.ProxyPrefix}}|{{.Redirect}}|{{.RequestID}}|"
	    "{{.Footer}}|{{.Version}}\n"
	    "<a href=\"{{.Redirect}}\">back</a>";
	/* Footer "-" renders as nothing, not as "-". */
	static const char	want[] =
	    "<title>502 Bad &lt;Gateway&gt;</title>\n"
	    "There was a problem connecting to the upstream server.|/oauth2|"
	    "|" EVIL_ESC "||0.1.0\n"
	    "<a href=\"\">back</a>";
	struct page_opts	 o = { .footer = "-", .version = "0.1.0" };
	struct pages		*pg;
	struct evbuffer		*b;
	char			*s;

	(void)state;
	put_str("custom_err", "error.html", tpl);
	put_str("custom_err", "robots.txt", "User-agent: good\nAllow: /\n");
	o.templates_dir = dir_path("custom_err");
	pg = load(&o);
	s = error_page(pg, 502, "Bad <Gateway>", "There was a problem "
	    "connecting to the upstream server.", NULL, EVIL);
	assert_string_equal(s, want);
	free(s);
	s = error_page(pg, 403, NULL, NULL, "javascript:alert(1)", "id");
	has(s, "<a href=\"#ZgotmplZ\">back</a>");
	has(s, "You do not have permission");
	free(s);
	/* The sign-in page is built in, robots.txt is the file. */
	s = sign_in(pg, "/", 200);
	has(s, "Sign in with OpenID Connect");
	free(s);
	assert_non_null(b = evbuffer_new());
	assert_int_equal(page_robots(pg, b), 0);
	s = take(b);
	assert_string_equal(s, "User-agent: good\nAllow: /\n");
	free(s);
	page_free(pg);
}

static void
test_custom_dir_errors(void **state)
{
	struct page_opts	 o = { 0 };
	char			*big;
	char			 path[256];

	(void)state;
	o.templates_dir = "/nonexistent/gatehouse/templates";
	load_fails(&o, "custom_templates_dir: /nonexistent/gatehouse/"
	    "templates: No such file or directory");
	/* A directory where the file should be. */
	snprintf(path, sizeof(path), "%s/dir_tpl", tmp);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/dir_tpl/sign_in.html", tmp);
	mkdir(path, 0700);
	o.templates_dir = dir_path("dir_tpl");
	load_fails(&o, "sign_in.html: not a regular file");
	/* Over the cap, and exactly at it. */
	assert_non_null(big = malloc(PAGE_FILE_MAX + 1));
	memset(big, 'a', PAGE_FILE_MAX + 1);
	put_file("big_tpl", "error.html", big, PAGE_FILE_MAX + 1);
	o.templates_dir = dir_path("big_tpl");
	load_fails(&o, "big_tpl/error.html: larger than 256 KiB");
	put_file("big_tpl", "error.html", big, PAGE_FILE_MAX);
	page_free(load(&o));
	put_file("big_tpl", "robots.txt", big, PAGE_FILE_MAX + 1);
	load_fails(&o, "robots.txt: larger than 256 KiB");
	free(big);
	/* A bad template names its file and line. */
	put_str("bad_tpl", "sign_in.html", "<p>\n{{ if .LogoData }}x{{end}}");
	o.templates_dir = dir_path("bad_tpl");
	load_fails(&o, "bad_tpl/sign_in.html:2: {{ if .LogoData }}: only "
	    "{{.Field}} placeholders are supported");
	/* An empty directory: everything built in. */
	snprintf(path, sizeof(path), "%s/empty_tpl", tmp);
	mkdir(path, 0700);
	o.templates_dir = dir_path("empty_tpl");
	page_free(load(&o));
}

static void
test_refused(void **state)
{
	static const struct {
		enum page_kind	 k;
		const char	*text;
		const char	*why;
	} t[] = {
		{ PAGE_SIGN_IN, "{{.Nope}}",
		    "t/sign_in.html:1: {{.Nope}}: no such field in "
		    "sign_in.html; it has .ProviderName, .SignInMessage" },
		{ PAGE_SIGN_IN, "{{.TenantId}}", "no such field" },
		{ PAGE_SIGN_IN, "{{.RequestID}}", "no such field" },
		{ PAGE_ERROR, "{{.LogoData}}",
		    "no such field in error.html; it has .Redirect" },
		{ PAGE_SIGN_IN, "{{range .Redirect}}x{{end}}",
		    "{{range .Redirect}}: only {{.Field}} placeholders" },
		{ PAGE_SIGN_IN, "{{ if .Redirect }}x{{ end }}", "only" },
		{ PAGE_SIGN_IN, "{{with .Redirect}}{{.}}{{end}}", "only" },
		{ PAGE_SIGN_IN, "{{.Redirect | html}}", "only" },
		{ PAGE_SIGN_IN, "{{html .Redirect}}", "only" },
		{ PAGE_SIGN_IN, "{{.}}", "only" },
		{ PAGE_SIGN_IN, "{{.Redirect.X}}", "only" },
		{ PAGE_SIGN_IN, "{{ $x := 1 }}", "only" },
		{ PAGE_SIGN_IN, "{{template \"x\"}}", "only" },
		{ PAGE_SIGN_IN, "{{}}", "only" },
		{ PAGE_SIGN_IN, "{{-.Redirect}}", "only" },
		{ PAGE_SIGN_IN, "a\nb\n{{ .Redirect", "t/sign_in.html:3: "
		    "{{ .Redirect: unterminated \"{{\"" },
		{ PAGE_SIGN_IN, "x{{", "unterminated \"{{\"" },
		{ PAGE_SIGN_IN, "{{/* x", "unterminated comment" },
		{ PAGE_SIGN_IN, "{{/* x */ }}", "comment ends before" },
		{ PAGE_SIGN_IN, "{{ /* x */}}", "only" },
		{ PAGE_SIGN_IN, "", "t/sign_in.html: the template is empty" },
		{ PAGE_SIGN_IN, " \n\t{{/* x */}}\n", "empty" },
		{ PAGE_SIGN_IN, "{{define \"sign_in.html\"}} {{end}}",
		    "empty" },
		/* define only as oauth2-proxy's files use it. */
		{ PAGE_SIGN_IN, "{{define \"error.html\"}}x{{end}}",
		    "only {{define \"sign_in.html\"}}" },
		{ PAGE_SIGN_IN, "{{define \"other\"}}x{{end}}",
		    "only {{define" },
		{ PAGE_SIGN_IN, "{{define sign_in.html}}x{{end}}",
		    "only {{define" },
		{ PAGE_SIGN_IN, "x{{define \"sign_in.html\"}}y{{end}}",
		    "must enclose the whole file" },
		{ PAGE_SIGN_IN, "{{define \"sign_in.html\"}}y{{end}}z",
		    "text after the {{end}}" },
		{ PAGE_SIGN_IN, "{{define \"sign_in.html\"}}y{{end}}"
		    "{{.Redirect}}", "placeholder after {{end}}" },
		{ PAGE_SIGN_IN, "{{define \"sign_in.html\"}}y",
		    "{{define}} without {{end}}" },
		{ PAGE_SIGN_IN, "x{{end}}", "{{end}} without {{define}}" },
		{ PAGE_SIGN_IN, "{{define \"sign_in.html\"}}{{define "
		    "\"sign_in.html\"}}{{end}}{{end}}", "must enclose" },
		/* Places where escaping for HTML is not enough. */
		{ PAGE_SIGN_IN, "<script>var a = '{{.Redirect}}';</script>",
		    "placeholder inside <script>" },
		{ PAGE_SIGN_IN, "<SCRIPT type=x>{{.Redirect}}",
		    "inside <script>" },
		{ PAGE_SIGN_IN, "<style>a{b:{{.Redirect}}}</style>",
		    "inside <script>" },
		{ PAGE_SIGN_IN, "<script>x</script\n{{.Redirect}}>",
		    "inside a tag" },
		{ PAGE_SIGN_IN, "<script>x</scriptx>{{.Redirect}}",
		    "inside <script>" },
		{ PAGE_SIGN_IN, "<script><!--</script>{{.Redirect}}",
		    "inside <script>" },
		{ PAGE_SIGN_IN, "<scr{{/* */}}ipt>{{.Redirect}}",
		    "inside <script>" },
		{ PAGE_SIGN_IN, "<noscript>{{.Redirect}}</noscript>",
		    "inside <script>" },
		{ PAGE_SIGN_IN, "<plaintext></plaintext>{{.Redirect}}",
		    "inside <script>" },
		{ PAGE_SIGN_IN, "<a onclick=\"go('{{.Redirect}}')\">",
		    "in a script, style or srcset attribute" },
		{ PAGE_SIGN_IN, "<a ONMOUSEOVER='{{.Redirect}}'>", "script" },
		{ PAGE_SIGN_IN, "<a data-onclick=\"{{.Redirect}}\">",
		    "script" },
		{ PAGE_SIGN_IN, "<p style=\"color:{{.Redirect}}\">", "script" },
		{ PAGE_SIGN_IN, "<img srcset=\"{{.Redirect}} 1x\">", "srcset" },
		{ PAGE_SIGN_IN, "<iframe srcdoc=\"{{.Redirect}}\">", "srcset" },
		{ PAGE_SIGN_IN, "<a href={{.Redirect}}>", "unquoted" },
		{ PAGE_SIGN_IN, "<a href=x{{.Redirect}}>", "unquoted" },
		{ PAGE_SIGN_IN, "<a href = {{.Redirect}}>", "unquoted" },
		{ PAGE_SIGN_IN, "<a {{.Redirect}}>", "inside a tag" },
		{ PAGE_SIGN_IN, "<a title=\"x\"{{.Redirect}}>",
		    "inside a tag" },
		{ PAGE_SIGN_IN, "<{{.Redirect}}>", "inside a tag" },
		{ PAGE_SIGN_IN, "</{{.Redirect}}>", "inside a tag" },
		{ PAGE_SIGN_IN, "<a\n{{.Redirect}}>", "inside a tag" },
		{ PAGE_SIGN_IN, "<!-- {{.Redirect}} -->",
		    "inside an HTML comment" },
		{ PAGE_SIGN_IN, "<!-- -> --!> {{.Redirect}}", "comment" },
		{ PAGE_SIGN_IN, "<!DOCTYPE {{.Redirect}}>", "comment" },
		{ PAGE_SIGN_IN, "<?x {{.Redirect}}>", "comment" },
		{ PAGE_SIGN_IN, "<a title=\"{{.SignInMessage}}\">",
		    "an HTML field in an attribute value" },
		{ PAGE_SIGN_IN, "<img src=\"{{.LogoData}}\">", "HTML field" },
		{ PAGE_SIGN_IN, "<title>{{.Footer}}</title>",
		    "an HTML field inside <title>" },
		{ PAGE_SIGN_IN, "<title><{{.Redirect}}</title>",
		    "right after \"<\"" },
		{ PAGE_SIGN_IN, "<textarea></tex{{.Redirect}}</textarea>",
		    "right after" },
		{ PAGE_SIGN_IN, "<a href='x' title=\"{{.Redirect}}\" "
		    "onclick=x {{.Redirect}}>", "t/sign_in.html:1: "
		    "{{.Redirect}}: placeholder inside a tag" },
	};
	struct page_template	*tp;
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		tp = parse(t[i].k, t[i].text);
		if (tp != NULL)
			fail_msg("accepted \"%s\"", t[i].text);
		if (strstr(err, t[i].why) == NULL)
			fail_msg("\"%s\": error \"%s\" lacks \"%s\"", t[i].text,
			    err, t[i].why);
	}
}

static void
test_accepted(void **state)
{
	static const struct {
		const char	*text;
		const char	*want;	/* every field is "v" */
	} t[] = {
		{ "a  {{- .Redirect -}}  b", "avb" },
		{ "a {{- .Redirect}} b", "av b" },
		{ "a\n{{.Redirect -}}\n\tb", "a\nvb" },
		{ "{{/* c */}}x", "x" },
		{ "a {{- /* c */ -}} b", "ab" },
		{ "a {{/* {{.Nope}} */}}b", "a b" },
		{ "}}{{.Redirect}}}}", "}}v}}" },
		{ "  {{define \"sign_in.html\"}}x{{.Redirect}}{{end}}\n\n",
		    "xv" },
		{ "{{- define \"sign_in.html\" -}}\n x \n{{- end -}}\n", "x" },
		{ "{{/* lead */}}\n{{define \"sign_in.html\"}}x{{end}}", "x" },
		{ "<p>{{.SignInMessage}}</p>", "<p>v</p>" },
		{ "<script src=\"/s.js\"></script>{{.Redirect}}",
		    "<script src=\"/s.js\"></script>v" },
		{ "<script>a</script >{{.Redirect}}",
		    "<script>a</script >v" },
		{ "<script>a<!-- b --></script>{{.Redirect}}",
		    "<script>a<!-- b --></script>v" },
		{ "<style>p{}</STYLE>{{.Redirect}}", "<style>p{}</STYLE>v" },
		{ "<title>{{.Redirect}}</title>", "<title>v</title>" },
		{ "<!-- c -->{{.Redirect}}", "<!-- c -->v" },
		{ "<!---->{{.Redirect}}", "<!---->v" },
		{ "<!DOCTYPE html>{{.Redirect}}", "<!DOCTYPE html>v" },
		{ "a < b {{.Redirect}}", "a < b v" },
		{ "<a title='{{.Redirect}}' data-x=\"{{.Redirect}}\" hidden>",
		    "<a title='v' data-x=\"v\" hidden>" },
		{ "<a href=\"{{.Redirect}}\">", "<a href=\"v\">" },
		{ "<div a=\"x>\">{{.Redirect}}</div>",
		    "<div a=\"x>\">v</div>" },
		{ "<br/>{{.Redirect}}", "<br/>v" },
	};
	size_t	 i;
	char	*s;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		s = render_all(t[i].text, "v");
		if (strcmp(s, t[i].want) != 0)
			fail_msg("\"%s\" rendered \"%s\", not \"%s\"",
			    t[i].text, s, t[i].want);
		free(s);
	}
}

/* A URL attribute filters and normalises as Go's html/template. */
static void
test_url_attr(void **state)
{
	static const struct {
		const char	*text;
		const char	*value;
		const char	*want;
	} t[] = {
		{ "<a href=\"{{.Redirect}}\">", "javascript:alert(1)",
		    "<a href=\"#ZgotmplZ\">" },
		{ "<a href=\"{{.Redirect}}\">", "JavaScript:alert(1)",
		    "<a href=\"#ZgotmplZ\">" },
		{ "<a href=\"{{.Redirect}}\">", " javascript:alert(1)",
		    "<a href=\"#ZgotmplZ\">" },
		{ "<a href=\"{{.Redirect}}\">", "data:text/html,x",
		    "<a href=\"#ZgotmplZ\">" },
		{ "<a href=\"{{.Redirect}}\">", "#106;avascript:x",
		    "<a href=\"#ZgotmplZ\">" },
		{ "<a href=\"java{{.Redirect}}\">", "script:alert(1)",
		    "<a href=\"java#ZgotmplZ\">" },
		{ "<a href=\"&{{.Redirect}}\">", "#106;avascript:alert(1)",
		    "<a href=\"&#ZgotmplZ\">" },
		{ "<a href=\"{{.Redirect}}\">",
		    "https://ok.example/a b?c=\"d\"",
		    "<a href=\"https://ok.example/a%20b?c=%22d%22\">" },
		{ "<a href=\"{{.Redirect}}\">", "HTTP://ok.example/",
		    "<a href=\"HTTP://ok.example/\">" },
		{ "<a href=\"{{.Redirect}}\">", "mailto:a@b.example",
		    "<a href=\"mailto:a@b.example\">" },
		{ "<a href=\"{{.Redirect}}\">", "/p/x:y?a=1&b='2'",
		    "<a href=\"/p/x:y?a=1&amp;b=%272%27\">" },
		{ "<a href=\"{{.Redirect}}\">", "/a+b(c)%zz%4a%4",
		    "<a href=\"/a&#43;b%28c%29%25zz%4a%254\">" },
		{ "<a title=\"{{.Redirect}}\">", "a+b(c)%zz",
		    "<a title=\"a&#43;b(c)%zz\">" },
		{ "<p>{{.Redirect}}</p>", "a+b", "<p>a&#43;b</p>" },
		{ "<a href=\"{{.Redirect}}\">", "/caf\xc3\xa9<>",
		    "<a href=\"/caf%C3%A9%3C%3E\">" },
		{ "<a href=\"/x?rd={{.Redirect}}\">", "javascript:x",
		    "<a href=\"/x?rd=javascript:x\">" },
		{ "<form action='{{.Redirect}}'>", "vbscript:x",
		    "<form action='#ZgotmplZ'>" },
		{ "<a data-src=\"{{.Redirect}}\">", "javascript:x",
		    "<a data-src=\"#ZgotmplZ\">" },
		{ "<a xlink:href=\"{{.Redirect}}\">", "javascript:x",
		    "<a xlink:href=\"#ZgotmplZ\">" },
		{ "<a data-url=\"{{.Redirect}}\">", "javascript:x",
		    "<a data-url=\"#ZgotmplZ\">" },
		{ "<a title=\"{{.Redirect}}\">", "javascript:x",
		    "<a title=\"javascript:x\">" },
		{ "<a href=\"{{.Redirect}}{{.Redirect}}\">", "javascript",
		    "<a href=\"javascriptjavascript\">" },
		{ "<a href=\"{{.Redirect}}{{.Redirect}}\">", ":x",
		    "<a href=\"#ZgotmplZ#ZgotmplZ\">" },
	};
	size_t	 i;
	char	*s;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		s = render_all(t[i].text, t[i].value);
		if (strcmp(s, t[i].want) != 0)
			fail_msg("\"%s\" with \"%s\" rendered \"%s\", not "
			    "\"%s\"", t[i].text, t[i].value, s, t[i].want);
		free(s);
	}
}

/* --- the rest ---------------------------------------------------------- */

static void
test_static(void **state)
{
	static const char *const names[] = {
		"gatehouse.css", "sign_in.js", "logo.svg",
	};
	static const char *const unknown[] = {
		"", "/gatehouse.css", "../gatehouse.css", "gatehouse.css/",
		"GATEHOUSE.CSS", "css/bulma/bulma.min.css", "x",
	};
	const char	*data, *type;
	size_t		 i, len;

	(void)state;
	for (i = 0; i < NELEM(names); i++) {
		data = page_static(names[i], &len, &type);
		assert_non_null(data);
		assert_true(len > 0 && strlen(data) == len);
		assert_non_null(type);
	}
	data = page_static("sign_in.js", &len, &type);
	assert_string_equal(type, "text/javascript; charset=utf-8");
	assert_non_null(strstr(data, "getElementsByName(\"rd\")"));
	assert_non_null(strstr(data, "location.hash"));
	data = page_static("gatehouse.css", &len, &type);
	assert_string_equal(type, "text/css; charset=utf-8");
	/* No third-party asset. */
	assert_null(strstr(data, "http"));
	assert_null(strstr(data, "@import"));
	page_static("logo.svg", &len, &type);
	assert_string_equal(type, "image/svg+xml");
	for (i = 0; i < NELEM(unknown); i++)
		assert_null(page_static(unknown[i], &len, &type));
}

static void
test_robots_csp(void **state)
{
	struct page_opts	 o = { 0 };
	struct pages		*pg = load(&o);
	struct evbuffer		*b;
	char			*s;

	(void)state;
	assert_non_null(b = evbuffer_new());
	assert_int_equal(page_robots(pg, b), 0);
	s = take(b);
	assert_string_equal(s, "User-agent: *\nDisallow: /\n");
	free(s);
	assert_string_equal(page_csp(pg, PAGE_SIGN_IN), "default-src 'none'; "
	    "script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
	    "base-uri 'none'; frame-ancestors 'none'");
	assert_string_equal(page_csp(pg, PAGE_SIGN_IN),
	    page_csp(pg, PAGE_ERROR));
	/* The built-in pages need nothing inline. */
	s = sign_in(pg, "/", 200);
	lacks(s, "<style");
	lacks(s, "<script>");
	lacks(s, " style=");
	lacks(s, " on");
	free(s);
	s = error_page(pg, 401, NULL, NULL, "/", "abc");
	lacks(s, "<style");
	lacks(s, "<script");
	lacks(s, " style=");
	free(s);
	page_free(pg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_in_escapes),
		cmocka_unit_test(test_error_escapes),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_banner),
		cmocka_unit_test(test_footer),
		cmocka_unit_test(test_logo),
		cmocka_unit_test(test_logo_refused),
		cmocka_unit_test(test_custom_sign_in),
		cmocka_unit_test(test_custom_error),
		cmocka_unit_test(test_custom_dir_errors),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_url_attr),
		cmocka_unit_test(test_static),
		cmocka_unit_test(test_robots_csp),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
