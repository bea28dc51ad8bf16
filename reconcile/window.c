/* SPDX-License-Identifier: MIT */
#include "reconcile/window.h"

#include "state/model.h"

long long xc_renewal_due(const struct xc_cert *cert, long long not_before,
                         long long not_after)
{
	long long life = not_after - not_before;
	long long due;

	if (life <= 0)
		return not_before;
	if (cert->renew_before.set) {
		due = not_after - cert->renew_before.v;
	} else {
		long long pct = cert->renew_before_percent.set
		                        ? cert->renew_before_percent.v
		                        : XC_RENEW_DEFAULT_PERCENT;

		/* Exactly one third by default, not 33%: a 90-day
		 * certificate renews with 30 days left. */
		if (!cert->renew_before_percent.set)
			due = not_after - life / 3;
		else
			due = not_after - life / 100 * pct -
			      (life % 100) * pct / 100;
	}
	if (due < not_before)
		due = not_before;
	if (due > not_after)
		due = not_after;
	return due;
}

bool xc_renewal_needed(const struct xc_cert *cert, long long not_before,
                       long long not_after, long long now)
{
	return now >= xc_renewal_due(cert, not_before, not_after);
}
