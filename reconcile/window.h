/* SPDX-License-Identifier: MIT */
/*
 * When a certificate is due for renewal.  Pure arithmetic on times (seconds
 * since the epoch), so that the planner's trigger is tested on tables.
 */
#ifndef XC_RECONCILE_WINDOW_H
#define XC_RECONCILE_WINDOW_H

#include <stdbool.h>

struct xc_cert;

/* Default share of the lifetime left when renewal starts: one third, as
 * cert-manager and Let's Encrypt advise. */
#define XC_RENEW_DEFAULT_PERCENT 33

/*
 * The moment renewal becomes due for a certificate valid from not_before to
 * not_after, under cert's renew_before or renew_before_percent (default one
 * third).  Never earlier than not_before, never later than not_after.
 */
long long xc_renewal_due(const struct xc_cert *cert, long long not_before,
                         long long not_after);

/* True when a certificate with those dates needs renewal at now. */
bool xc_renewal_needed(const struct xc_cert *cert, long long not_before,
                       long long not_after, long long now);

#endif
