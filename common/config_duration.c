/*
 * Durations in Go's syntax ("300ms", "1.5h", "2h45m"), as oauth2-proxy
 * reads them, except that a bare number is refused: Go would take it as
 * nanoseconds, which is never what was meant.
 */
#include <stdint.h>
#include <string.h>

#include "config.h"

static int
is_digit(char c)
{
	return (c >= '0' && c <= '9');
}

/* The unit at s, of length n, in ns; 0 when there is none such. */
static uint64_t
duration_unit(const char *s, size_t n)
{
	static const struct {
		const char	*name;
		uint64_t	 ns;
	} units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 },
		{ "\xce\xbcs", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
		{ "m", 60000000000ULL }, { "h", 3600000000000ULL },
	};
	size_t	i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].name) == n &&
		    memcmp(units[i].name, s, n) == 0)
			return (units[i].ns);
	return (0);
}

/* One "<number><unit>" of a duration, in ns; -1 on error or overflow. */
static int
duration_part(const char **sp, uint64_t *ns)
{
	const char	*s = *sp, *u;
	uint64_t	 v = 0, f = 0, unit;
	double		 scale = 1;
	size_t		 ndigits = 0;

	for (; is_digit(*s); s++, ndigits++) {
		if (v > ((uint64_t)INT64_MAX - (*s - '0')) / 10)
			return (-1);
		v = v * 10 + (*s - '0');
	}
	if (*s == '.')
		s++;
	/* As in Go, fraction digits beyond int64 precision are ignored. */
	for (; is_digit(*s); s++, ndigits++) {
		if (f > ((uint64_t)INT64_MAX - 9) / 10)
			continue;
		f = f * 10 + (*s - '0');
		scale *= 10;
	}
	for (u = s; *s != '\0' && *s != '.' && !is_digit(*s); s++)
		;
	unit = duration_unit(u, s - u);
	if (ndigits == 0 || unit == 0 || v > (uint64_t)INT64_MAX / unit)
		return (-1);
	v = v * unit + (uint64_t)((double)f * ((double)unit / scale));
	if (v > (uint64_t)INT64_MAX)
		return (-1);
	*ns = v;
	*sp = s;
	return (0);
}

int
config_parse_duration(const char *s, int64_t *ns)
{
	uint64_t	total = 0, part;
	int		neg = 0;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0) {
		*ns = 0;
		return (0);
	}
	if (*s == '\0')
		return (-1);
	while (*s != '\0') {
		if (duration_part(&s, &part) == -1 ||
		    part > (uint64_t)INT64_MAX - total)
			return (-1);
		total += part;
	}
	*ns = neg ? -(int64_t)total : (int64_t)total;
	return (0);
}
