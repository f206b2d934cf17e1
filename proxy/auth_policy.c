/*
 * Who may pass (email_domains, allowed_groups, P/auth's query), and what
 * the upstream and the client are told about them.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "auth.h"
#include "emails.h"
#include "log.h"
#include "pct.h"
#include "worker.h"

#define LIST_ITEM_MAX	256

/*
 * oauth2-proxy's email rule: exactly one "@"; "*" allows any email;
 * "example.com" that domain; ".example.com" and "*.example.com" its
 * subdomains but not itself.  Case-insensitive.
 */
static int
email_domain_ok(const char *email, const char *rule)
{
	const char	*at = strchr(email, '@'), *dom;
	size_t		 dl, rl;

	if (strcmp(rule, "*") == 0)
		return 1;
	if (at == NULL || strchr(at + 1, '@') != NULL)
		return 0;
	dom = at + 1;
	if (rule[0] == '*' && rule[1] == '.')
		rule++;
	if (rule[0] != '.')
		return strcasecmp(dom, rule) == 0;
	dl = strlen(dom);
	rl = strlen(rule);
	return dl > rl && strcasecmp(dom + dl - rl, rule) == 0;
}

static struct email_set	*emails;	/* authenticated_emails_file */

void
auth_policy_init(const struct config *cf)
{
	char	err[512];

	if (cf->authenticated_emails_file == NULL ||
	    *cf->authenticated_emails_file == '\0')
		return;
	if ((emails = emails_load(cf->authenticated_emails_file, err,
	    sizeof(err))) == NULL)
		fatalx("authenticated_emails_file: %s", err);
	log_debug("authenticated_emails_file: %zu addresses",
	    emails_count(emails));
}

/* email_domains, or one of authenticated_emails_file's addresses. */
static int
email_allowed(const char *email, const struct conf_list *domains)
{
	size_t	i;

	/* As oauth2-proxy, a session without an email is not judged here. */
	if (email == NULL || emails_contains(emails, email))
		return 1;
	for (i = 0; i < domains->n; i++)
		if (email_domain_ok(email, domains->v[i]))
			return 1;
	return 0;
}

static int
in_groups(const struct identity *id, const char *group)
{
	size_t	i;

	for (i = 0; i < id->ngroups; i++)
		if (strcmp(id->groups[i], group) == 0)
			return 1;
	return 0;
}

/* allowed_roles: the groups authd made of Keycloak's roles. */
static int
in_roles(const struct identity *id, const char *role)
{
	size_t	i, n = strlen(role);

	for (i = 0; i < id->ngroups; i++)
		if (strncmp(id->groups[i], "role:", 5) == 0 &&
		    strlen(id->groups[i] + 5) == n &&
		    memcmp(id->groups[i] + 5, role, n) == 0)
			return 1;
	return 0;
}

/* As oauth2-proxy: allowed_roles join allowed_groups, any one passes. */
int
auth_allowed(const struct identity *id)
{
	const struct config	*cf = &worker->c.cf;
	size_t			 i;

	if (!email_allowed(id->email, &cf->email_domains))
		return 0;
	if (cf->allowed_groups.n == 0 && cf->allowed_roles.n == 0)
		return 1;
	for (i = 0; i < cf->allowed_groups.n; i++)
		if (in_groups(id, cf->allowed_groups.v[i]))
			return 1;
	for (i = 0; i < cf->allowed_roles.n; i++)
		if (in_roles(id, cf->allowed_roles.v[i]))
			return 1;
	return 0;
}

/* Whether one comma-separated item of a constraint lets id pass. */
static int
item_allows(const char *key, const char *item, const struct identity *id)
{
	if (strcmp(key, "allowed_groups") == 0)
		return in_groups(id, item);
	if (strcmp(key, "allowed_emails") == 0)
		return id->email != NULL && strcmp(id->email, item) == 0;
	/* allowed_email_domains: ".example.com" includes example.com. */
	if (id->email == NULL)
		return 0;
	return email_domain_ok(id->email, item) || (item[0] == '.' &&
	    email_domain_ok(id->email, item + 1));
}

/*
 * One constraint (all its values, comma-separated, empty ones ignored):
 * passes when any item allows.  The constraints are ANDed, as in
 * oauth2-proxy, and each repeated key adds items to its own constraint.
 */
static int
constraint_allows(const char *query, const char *key,
    const struct identity *id)
{
	char		 val[LIST_ITEM_MAX * 4], *item, *save;
	const char	*p = query, *amp, *eq;
	size_t		 klen = strlen(key);
	int		 seen = 0;

	for (; p != NULL && *p != '\0'; p = amp != NULL ? amp + 1 : NULL) {
		amp = strchr(p, '&');
		eq = strchr(p, '=');
		if (eq == NULL || (amp != NULL && eq > amp) ||
		    (size_t)(eq - p) != klen || strncmp(p, key, klen) != 0)
			continue;
		if (pct_query_value(eq + 1, amp != NULL ? (size_t)(amp - eq - 1) :
		    strlen(eq + 1), val, sizeof(val)) == -1)
			return 0;
		for (item = strtok_r(val, ",", &save); item != NULL;
		    item = strtok_r(NULL, ",", &save)) {
			seen = 1;
			if (item_allows(key, item, id))
				return 1;
		}
	}
	return !seen;
}

int
auth_query_allows(const char *query, const struct identity *id)
{
	return constraint_allows(query, "allowed_groups", id) &&
	    constraint_allows(query, "allowed_emails", id) &&
	    constraint_allows(query, "allowed_email_domains", id);
}

/* A value from the identity provider goes into a header only if clean. */
static void
add(struct evbuffer *out, const char *name, const char *value)
{
	const unsigned char	*p;

	if (value == NULL || *value == '\0')
		return;
	for (p = (const unsigned char *)value; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f) {
			log_warnx("auth: %s: control character in the claim, "
			    "header left out", name);
			return;
		}
	evbuffer_add_printf(out, "%s: %s\r\n", name, value);
}

static void
add_groups(struct evbuffer *out, const char *name, const struct identity *id)
{
	struct evbuffer	*v = evbuffer_new();
	size_t		 i;

	if (v == NULL || id->ngroups == 0) {
		if (v != NULL)
			evbuffer_free(v);
		return;
	}
	for (i = 0; i < id->ngroups; i++)
		evbuffer_add_printf(v, "%s%s", i ? "," : "", id->groups[i]);
	evbuffer_add(v, "", 1);
	add(out, name, (const char *)evbuffer_pullup(v, -1));
	evbuffer_free(v);
}

static const char *
user_of(const struct identity *id)
{
	if (worker->c.cf.prefer_email_to_user && id->email != NULL)
		return id->email;
	return id->user != NULL ? id->user : id->email;
}

/* "Basic base64(user:password)" for pass_basic_auth and set_basic_auth. */
static void
add_basic(struct evbuffer *out, const struct identity *id)
{
	char		 plain[1024];
	unsigned char	 b64[sizeof(plain) * 4 / 3 + 8];
	int		 n;

	n = snprintf(plain, sizeof(plain), "%s:%s", user_of(id) ? user_of(id) :
	    "", worker->c.cf.basic_auth_password);
	if (n < 0 || (size_t)n >= sizeof(plain))
		return;
	EVP_EncodeBlock(b64, (unsigned char *)plain, n);
	explicit_bzero(plain, sizeof(plain));
	evbuffer_add_printf(out, "Authorization: Basic %s\r\n", b64);
	explicit_bzero(b64, sizeof(b64));
}

static void
add_bearer(struct evbuffer *out, const struct identity *id)
{
	if (id->id_token != NULL && strspn(id->id_token, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_.") == strlen(id->id_token))
		evbuffer_add_printf(out, "Authorization: Bearer %s\r\n",
		    id->id_token);
}

int
auth_sets_authorization(void)
{
	const struct config	*cf = &worker->c.cf;

	return (cf->pass_basic_auth && cf->basic_auth_password != NULL) ||
	    cf->pass_authorization_header;
}

void
auth_headers_upstream(struct evbuffer *out, const struct identity *id)
{
	const struct config	*cf = &worker->c.cf;

	if (cf->pass_user_headers || cf->pass_basic_auth) {
		add(out, "X-Forwarded-User", user_of(id));
		if (!cf->prefer_email_to_user)
			add(out, "X-Forwarded-Email", id->email);
		add_groups(out, "X-Forwarded-Groups", id);
		add(out, "X-Forwarded-Preferred-Username",
		    id->preferred_username);
	}
	if (cf->pass_basic_auth && cf->basic_auth_password != NULL)
		add_basic(out, id);
	else if (cf->pass_authorization_header)
		add_bearer(out, id);
	if (cf->pass_access_token)
		add(out, "X-Forwarded-Access-Token", id->access_token);
}

void
auth_headers_response(struct evbuffer *out, const struct identity *id)
{
	const struct config	*cf = &worker->c.cf;

	add(out, "GAP-Auth", id->email != NULL ? id->email : id->user);
	if (cf->set_xauthrequest) {
		add(out, "X-Auth-Request-User", user_of(id));
		add(out, "X-Auth-Request-Email", id->email);
		add(out, "X-Auth-Request-Preferred-Username",
		    id->preferred_username);
		add_groups(out, "X-Auth-Request-Groups", id);
		if (cf->pass_access_token)
			add(out, "X-Auth-Request-Access-Token",
			    id->access_token);
	}
	if (cf->set_basic_auth && cf->basic_auth_password != NULL)
		add_basic(out, id);
	else if (cf->set_authorization_header)
		add_bearer(out, id);
}

/* A JSON string, every control character and quote escaped. */
static void
json_string(struct evbuffer *out, const char *s)
{
	const unsigned char	*p;

	evbuffer_add(out, "\"", 1);
	for (p = (const unsigned char *)(s != NULL ? s : ""); *p; p++) {
		if (*p == '"' || *p == '\\')
			evbuffer_add_printf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			evbuffer_add_printf(out, "\\u%04x", *p);
		else
			evbuffer_add(out, p, 1);
	}
	evbuffer_add(out, "\"", 1);
}

/* oauth2-proxy's userinfo: user, email, groups, preferredUsername. */
void
auth_userinfo_json(struct evbuffer *out, const struct identity *id)
{
	size_t	i;

	evbuffer_add_printf(out, "{\"user\":");
	json_string(out, id->user);
	evbuffer_add_printf(out, ",\"email\":");
	json_string(out, id->email);
	if (id->ngroups > 0) {
		evbuffer_add_printf(out, ",\"groups\":[");
		for (i = 0; i < id->ngroups; i++) {
			if (i > 0)
				evbuffer_add(out, ",", 1);
			json_string(out, id->groups[i]);
		}
		evbuffer_add(out, "]", 1);
	}
	if (id->preferred_username != NULL) {
		evbuffer_add_printf(out, ",\"preferredUsername\":");
		json_string(out, id->preferred_username);
	}
	evbuffer_add(out, "}", 1);
}
