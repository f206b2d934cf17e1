/*
 * Percent-encoding, as URLs and request targets use it.
 */
#ifndef GH_PCT_H
#define GH_PCT_H

/* The value of a hex digit, or -1. */
int	pct_hexval(char);

#endif /* GH_PCT_H */
