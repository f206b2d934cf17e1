/*
 * Internals shared by the config_*.c files, and by nothing else: the
 * per-load record of where each value came from, and the setters that
 * honour it.
 */
#ifndef GH_CONFIG_PRIV_H
#define GH_CONFIG_PRIV_H

#include <stdint.h>

#include "config.h"

#define CONF_MAX_KEYS		256		/* size of the per-key arrays */
#define CONF_MAX_FILE		(1024 * 1024)
#define CONF_MAX_LINE		(64 * 1024)
#define CONF_MAX_SECRET		(64 * 1024)
#define CONF_MAX_WHERE		256		/* "file:line: key" and alike */
#define CONF_MAX_MSG		512		/* one diagnostic line */
#define CONF_ENV_PREFIX		"OAUTH2_PROXY_"

/* Where a value came from, in rising precedence. */
enum conf_src {
	CONF_SRC_DEFAULT,
	CONF_SRC_FILE,
	CONF_SRC_ENV,
	CONF_SRC_FLAG,
};

/*
 * One load.  src[] lets a value from a lower source never overwrite one
 * from a higher source whatever the order of processing; fileline[] is
 * where the config file set each key, to refuse a duplicate.
 */
struct conf_state {
	struct config		*cf;
	struct conf_diag	*diag;
	unsigned char		 src[CONF_MAX_KEYS];
	unsigned		 fileline[CONF_MAX_KEYS];
};

/* The storage of a supported key inside struct config. */
#define CONF_FIELD(cf, k)	((void *)((char *)(cf) + (k)->off))
#define CONF_STR(cf, k)		((char **)CONF_FIELD(cf, k))
#define CONF_BOOLP(cf, k)	((int *)CONF_FIELD(cf, k))
#define CONF_INTP(cf, k)	((int64_t *)CONF_FIELD(cf, k))
#define CONF_LISTP(cf, k)	((struct conf_list *)CONF_FIELD(cf, k))

/* An empty string counts as unset, as in oauth2-proxy. */
static inline int
conf_isset(const char *s)
{
	return (s != NULL && *s != '\0');
}

/* config_keys.c */
size_t			 conf_key_index(const struct conf_key *);
const struct conf_key	*conf_key_by_flag(const char *);
const struct conf_key	*conf_key_suggest(const char *);

/* config.c */
void	conf_state_init(struct conf_state *, struct config *,
	    struct conf_diag *);
int	conf_check_key(struct conf_state *, const struct conf_key *,
	    const char *);
int	conf_take(struct conf_state *, const struct conf_key *, enum conf_src);
int	conf_set_string(struct config *, const struct conf_key *,
	    const char *);
void	conf_set_num(struct config *, const struct conf_key *, int64_t);
void	conf_set_list(struct config *, const struct conf_key *,
	    struct conf_list *);
int	conf_set_text(struct conf_state *, const struct conf_key *,
	    enum conf_src, const char *, const char *);
void	conf_set_typed(struct conf_state *, const struct conf_key *,
	    enum conf_src, int64_t);
int	conf_parse_bool(const char *, int *);
void	conf_duration_error(struct conf_diag *, const char *, const char *);
int	conf_list_add(struct conf_list *, const char *);
void	conf_list_free(struct conf_list *, int);

/* config_validate_http.c */
void	conf_validate_http(const struct config *, struct conf_diag *);

/* config_validate_signin.c */
void	conf_validate_signin(const struct config *, struct conf_diag *);

/* config_load.c */
int	conf_read_file(struct conf_diag *, const char *, const char *, size_t,
	    char **, size_t *, int);
const char *conf_getenv(char *const *, const char *);

/* config_secret.c */
void	conf_secrets_load(struct config *, char *const *, struct conf_diag *);
int	conf_secrets_merge(struct config *, struct conf_diag *);

/* config_toml.c */
int	conf_toml_parse(struct conf_state *, const char *, const char *,
	    size_t);

#endif /* GH_CONFIG_PRIV_H */
