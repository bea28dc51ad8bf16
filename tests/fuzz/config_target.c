/* SPDX-License-Identifier: MIT */
/*
 * The loader under fuzzing: any bytes in, a configuration or diagnostics
 * out, never a crash, a hang or a leak.  Beyond the sanitizers it checks
 * what the loader promises: an invalid file has at least one error, every
 * diagnostic has a 1-based position in the file, and a valid file has the
 * derived values filled in.
 */
#include "tests/fuzz/config_target.h"

#include <stdlib.h>
#include <string.h>

#include "state/config.h"

void xc_fuzz_config_one(const uint8_t *data, size_t size)
{
	struct xc_config *cfg = NULL;
	struct xc_diags diags;
	size_t i;
	int rc;

	xc_diags_init(&diags);
	rc = xc_config_load(&cfg, (const char *)data, size, "fuzz.yaml",
	                    &diags);
	if (rc < 0 && (cfg || diags.errors == 0))
		abort();
	if (rc == 0 && (!cfg || diags.errors != 0))
		abort();
	for (i = 0; i < diags.n; i++) {
		if (diags.v[i].loc.line == 0 || diags.v[i].loc.col == 0 ||
		    !diags.v[i].loc.file ||
		    strcmp(diags.v[i].loc.file, "fuzz.yaml") != 0 ||
		    !diags.v[i].msg[0])
			abort();
	}
	if (cfg) {
		const struct xc_cert *c = XC_CERTS(cfg);

		for (i = 0; i < cfg->certificates.n; i++)
			if (!c[i].subject.v || !c[i].services_mask ||
			    (c[i].key_size != 2048 && c[i].key_size != 3072 &&
			     c[i].key_size != 4096))
				abort();
	}
	xc_config_free(cfg);
	xc_diags_release(&diags);
}
