/*
 * libFuzzer target of the sign-in parsers: the bytes as Cookie header
 * values (one per line) for cookie_get, as a cookie value that must read
 * back exactly as it was set (split or not), as a host for
 * cookie_domain_pick, and as a redirect target, which when accepted must
 * keep the promises of redirect.h.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "cookie.h"
#include "redirect.h"

#define HEADERS_MAX	8
#define OUT_MAX		(COOKIE_SPLIT_SIZE * (COOKIE_PARTS_MAX + 1))
#define INPUT_MAX	(1 << 17)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	*wl_entries[] = {
	"example.com", ".sub.example.org", "port.example:8443", "any.example:*",
	"[::1]:9000", "10.0.0.1",
};
static struct conf_list	wl = { wl_entries, 6 };
static char	*dom_entries[] = {
	"example.com", ".sub.example.com", "b.c"
};
static struct conf_list	doms = { dom_entries, 3 };
static char	out[OUT_MAX];

static void
check_redirect(const char *s)
{
	const unsigned char	*p;

	if (!redirect_valid(s, &wl))
		return;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '\\')
			__builtin_trap();
	if (s[0] == '/') {
		if (s[1] == '/' || strstr(s, "//") != NULL ||
		    strstr(s, "/./") != NULL || strstr(s, "/../") != NULL)
			__builtin_trap();
	} else if (strncmp(s, "https://", 8) != 0 &&
	    strncmp(s, "http://", 7) != 0)
		__builtin_trap();
	else {
		p = (const unsigned char *)s + (s[4] == 's' ? 8 : 7);
		if (strcspn((const char *)p, "@") <
		    strcspn((const char *)p, "/?#"))
			__builtin_trap();
	}
	if (strlen(s) > REDIRECT_MAX_LEN)
		__builtin_trap();
	if (redirect_pick(NULL, NULL, NULL, s, &wl) != s)
		__builtin_trap();
}

static void
check_get(char *text)
{
	const char	*hdrs[HEADERS_MAX];
	char		*line, *save;
	size_t		 n = 0;
	int		 r;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (n < HEADERS_MAX)
			hdrs[n++] = line;
	r = cookie_get(hdrs, n, "_oauth2_proxy", out, sizeof(out));
	if (r > 0 && strlen(out) != (size_t)r)
		__builtin_trap();
	r = cookie_get(hdrs, n, "a", out, 64);
	if (r > 0 && strlen(out) != (size_t)r)
		__builtin_trap();
}

/* What a browser would send back for the lines just set. */
static char *
echo_back(struct evbuffer *set)
{
	struct evbuffer	*hdr = evbuffer_new();
	char		*line, *semi, *s;
	size_t		 len;

	while ((line = evbuffer_readln(set, &len, EVBUFFER_EOL_CRLF_STRICT))) {
		if (strncmp(line, "Set-Cookie: ", 12) != 0)
			__builtin_trap();
		if ((semi = strchr(line, ';')) != NULL)
			*semi = '\0';
		if (strlen(line + 12) > COOKIE_SPLIT_SIZE)
			__builtin_trap();
		if (semi == NULL || strstr(semi + 1, "Max-Age=0") == NULL)
			evbuffer_add_printf(hdr, "%s; ", line + 12);
		free(line);
	}
	evbuffer_add(hdr, "", 1);
	len = evbuffer_get_length(hdr);
	s = malloc(len);
	evbuffer_remove(hdr, s, len);
	evbuffer_free(hdr);
	return s;
}

static void
check_set(const char *value, int variant)
{
	struct cookie_opts	 o = {
		"_oauth2_proxy", "/", ".example.com", 604800, 1, 1, "lax"
	};
	struct evbuffer		*b = evbuffer_new();
	const char		*hdrs[1];
	char			*h;
	int			 r;

	if (variant & 1)
		o.max_age = 0;
	if (variant & 2)
		o.name = "a";
	if (cookie_set_at(b, &o, value, 1700000000) == -1) {
		if (evbuffer_get_length(b) != 0)
			__builtin_trap();
		evbuffer_free(b);
		return;
	}
	h = echo_back(b);
	hdrs[0] = h;
	r = cookie_get(hdrs, 1, o.name, out, sizeof(out));
	if (value[0] != '\0' &&
	    (r != (int)strlen(value) || strcmp(out, value) != 0))
		__builtin_trap();
	free(h);
	evbuffer_free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;

	if (size == 0 || size > INPUT_MAX)
		return 0;
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	check_redirect(s);
	cookie_domain_pick(&doms, s);
	check_set(s, data[0]);
	check_get(s);
	free(s);
	return 0;
}
