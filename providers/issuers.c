/* SPDX-License-Identifier: MIT */
#include "providers/issuers.h"

#include <stdlib.h>
#include <string.h>

#include "providers/exchange/transport.h"
#include "providers/lab/labx509.h"
#include "providers/manual/manual.h"
#include "state/x509.h"
#include "state/xalloc.h"

static int lab_issuer_name(const char *dir, char **out, struct xc_error *err)
{
	char *path = xc_transport_path(dir, "ca/issuing.pem");
	struct xc_lab_cert **certs = NULL;
	size_t n = 0;
	unsigned char *der;
	size_t len;
	struct xc_x509 x;
	int rc = xc_lab_pem_read_certs(path, &certs, &n, err);

	free(path);
	if (rc < 0)
		return rc;
	der = xc_lab_cert_der(certs[0], &len);
	xc_lab_certs_free(certs, n);
	rc = xc_x509_parse(&x, der, len, err);
	free(der);
	if (rc < 0)
		return rc;
	*out = xc_xstrdup(x.subject);
	xc_x509_release(&x);
	return 0;
}

int xc_issuers_load(struct xc_issuer_table *out, const struct xc_config *cfg,
                    const char *base_dir, struct xc_error *err)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->facts = xc_xcalloc(cfg->issuers.n + 1, sizeof(*out->facts));
	out->strings = xc_xcalloc(cfg->issuers.n + 1, sizeof(char *));
	out->ready = xc_xcalloc(cfg->issuers.n + 1, sizeof(char **));
	for (i = 0; i < cfg->issuers.n; i++) {
		const struct xc_issuer *is = &XC_ISSUERS(cfg)[i];
		struct xc_issuer_facts *f = &out->facts[out->n++];

		f->issuer = is->name.v;
		if (is->manual) {
			char *dir =
			        xc_transport_path(base_dir, is->manual->path.v);

			xc_manual_ready(dir, &out->ready[out->n - 1],
			                &f->nready);
			f->ready = (const char *const *)out->ready[out->n - 1];
			free(dir);
		}
		if (is->lab) {
			char *dir =
			        xc_transport_path(base_dir, is->lab->path.v);
			char *name = NULL;
			int rc = lab_issuer_name(dir, &name, err);

			free(dir);
			if (rc < 0) {
				xc_error_prefix(err,
				                "issuer '%s': ", is->name.v);
				xc_issuers_release(out);
				return rc;
			}
			out->strings[out->nstrings] = name;
			f->names = (const char *const *)&out
			                   ->strings[out->nstrings];
			f->nnames = 1;
			out->nstrings++;
		}
	}
	return 0;
}

void xc_issuers_release(struct xc_issuer_table *t)
{
	xc_issuer_table_release(t);
}
