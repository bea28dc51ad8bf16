/* SPDX-License-Identifier: MIT */
#include "providers/issuers.h"

#include <stdlib.h>
#include <string.h>

#include "providers/acme/issuer.h"
#include "providers/exchange/transport.h"
#include "providers/lab/lab.h"
#include "providers/lab/labx509.h"
#include "providers/manual/manual.h"
#include "state/x509.h"
#include "state/xalloc.h"

static int lab_issuer_name(const char *dir, char **out, struct xc_error *err)
{
	char *path = xc_transport_path(dir, "ca/issuing.pem");
	struct xc_x509 x;
	int rc = xc_lab_pem_read_leaf(path, &x, err);

	free(path);
	if (rc < 0)
		return rc;
	*out = xc_xstrdup(x.subject);
	xc_x509_release(&x);
	return 0;
}

static bool is_lab(const struct xc_issuer *is)
{
	return is->lab != NULL;
}

static int lab_facts(const struct xc_issuer *is, const char *base_dir,
                     struct xc_issuer_table *t, struct xc_issuer_facts *f,
                     size_t index, struct xc_error *err)
{
	char *dir = xc_transport_path(base_dir, is->lab->path.v);
	char *name = NULL;
	int rc = lab_issuer_name(dir, &name, err);

	(void)index;
	free(dir);
	if (rc < 0)
		return rc;
	t->strings[t->nstrings] = name;
	f->names = (const char *const *)&t->strings[t->nstrings];
	f->nnames = 1;
	t->nstrings++;
	return 0;
}

static int lab_issue(const struct xc_issuer *is, const struct xc_issue_env *env,
                     const struct xc_issue_job *job, char **chain_pem,
                     struct xc_error *err)
{
	char *dir = xc_transport_path(env->base_dir, is->lab->path.v);
	int rc = xc_lab_ca_issue(dir, job->csr, job->len, 90, chain_pem, err);

	free(dir);
	if (rc < 0)
		xc_error_prefix(err, "issuer '%s': ", job->issuer);
	return rc;
}

static const struct xc_issuer_ops lab_ops = {
        .kind = "lab",
        .is = is_lab,
        .facts = lab_facts,
        .issue = lab_issue,
};

static bool is_manual(const struct xc_issuer *is)
{
	return is->manual != NULL;
}

static int manual_facts(const struct xc_issuer *is, const char *base_dir,
                        struct xc_issuer_table *t, struct xc_issuer_facts *f,
                        size_t index, struct xc_error *err)
{
	char *dir = xc_transport_path(base_dir, is->manual->path.v);

	(void)err;
	xc_manual_ready(dir, &t->ready[index], &f->nready);
	f->ready = (const char *const *)t->ready[index];
	free(dir);
	return 0;
}

static int manual_issue(const struct xc_issuer *is,
                        const struct xc_issue_env *env,
                        const struct xc_issue_job *job, char **chain_pem,
                        struct xc_error *err)
{
	char *dir = xc_transport_path(env->base_dir, is->manual->path.v);
	int rc = xc_manual_pick_up(dir, job->request, job->csr, job->len,
	                           chain_pem, err);

	free(dir);
	if (rc < 0)
		xc_error_prefix(err, "issuer '%s': ", job->issuer);
	return rc;
}

static const struct xc_issuer_ops manual_ops = {
        .kind = "manual",
        .is = is_manual,
        .facts = manual_facts,
        .issue = manual_issue,
};

static bool is_acme(const struct xc_issuer *is)
{
	return is->acme != NULL;
}

static int acme_issue(const struct xc_issuer *is,
                      const struct xc_issue_env *env,
                      const struct xc_issue_job *job, char **chain_pem,
                      struct xc_error *err)
{
	struct xc_acme_issuer_job aj;

	memset(&aj, 0, sizeof(aj));
	aj.issuer = is;
	aj.base_dir = env->base_dir;
	aj.store = env->store;
	aj.request = job->request;
	aj.csr = job->csr;
	aj.csr_len = job->len;
	aj.domains = job->domains;
	aj.ndomains = job->ndomains;
	aj.servers = job->servers;
	aj.nservers = job->nservers;
	aj.call = env->call;
	aj.call_ctx = env->call_ctx;
	aj.note = job->note;
	aj.note_size = job->note_size;
	return xc_acme_issuer_issue(&aj, chain_pem, err);
}

static const struct xc_issuer_ops acme_ops = {
        .kind = "acme",
        .is = is_acme,
        .issue = acme_issue,
        .ari = xc_acme_issuer_ari,
};

/* One line per kind. */
static const struct xc_issuer_ops *const kinds[] = {
        &lab_ops,
        &manual_ops,
        &acme_ops,
};

const struct xc_issuer_ops *xc_issuer_ops_of(const struct xc_issuer *is)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i]->is(is))
			return kinds[i];
	return NULL;
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
		const struct xc_issuer_ops *ops = xc_issuer_ops_of(is);
		struct xc_issuer_facts *f = &out->facts[out->n++];
		int rc;

		f->issuer = is->name.v;
		if (!ops || !ops->facts)
			continue;
		rc = ops->facts(is, base_dir, out, f, out->n - 1, err);
		if (rc < 0) {
			xc_error_prefix(err, "issuer '%s': ", is->name.v);
			xc_issuers_release(out);
			return rc;
		}
	}
	return 0;
}

void xc_issuers_release(struct xc_issuer_table *t)
{
	xc_issuer_table_release(t);
}
