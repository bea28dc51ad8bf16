/* SPDX-License-Identifier: MIT */
#include "providers/world.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "providers/exchange/transport.h"
#include "providers/issuers.h"
#include "providers/lb/lb.h"
#include "providers/probe/served.h"
#include "state/secret.h"
#include "state/store.h"
#include "state/xalloc.h"

struct world {
	const struct xc_config *cfg;
	char *base;
	struct xc_store *store;
};

static int world_call(void *ctx, const char *server,
                      const struct xc_request *req, struct xc_reply *reply,
                      struct xc_error *err)
{
	struct world *w = ctx;
	const struct xc_server *s = xc_config_server(w->cfg, server);
	struct xc_transport *t = NULL;
	int rc;

	if (!s)
		return xc_error_set(err, XC_ENOTFOUND, "no server '%s'",
		                    server);
	rc = xc_transport_open(&t, s, w->base, err);
	if (rc == 0)
		rc = xc_transport_call(t, req, reply, err);
	xc_transport_close(t);
	return rc;
}

static int world_issue(void *ctx, const struct xc_issue_job *job,
                       char **chain_pem, struct xc_error *err)
{
	struct world *w = ctx;
	const struct xc_issuer *is = xc_config_issuer(w->cfg, job->issuer);
	const struct xc_issuer_ops *ops = is ? xc_issuer_ops_of(is) : NULL;
	struct xc_issue_env env;

	if (!is)
		return xc_error_set(err, XC_ENOTFOUND, "no issuer '%s'",
		                    job->issuer);
	if (!ops)
		return xc_error_set(
		        err, XC_ENOTFOUND,
		        "issuer '%s' is of a kind this version of excert cannot issue with",
		        job->issuer);
	env.base_dir = w->base;
	env.store = w->store;
	env.call = world_call;
	env.call_ctx = w;
	return ops->issue(is, &env, job, chain_pem, err);
}

static int world_remember(void *ctx, const char *name, const char *data,
                          struct xc_error *err)
{
	struct world *w = ctx;

	if (!w->store)
		return 0;
	if (!data)
		return xc_store_remove(w->store, name, err);
	return xc_store_write(w->store, name, data, strlen(data), 0600, err);
}

static long long world_clock(void *ctx)
{
	(void)ctx;
	return (long long)time(NULL);
}

/* How long a verify step waits for every endpoint to serve the new
 * certificate: a transport service takes a while to come back after a
 * restart.  EXCERT_VERIFY_TIMEOUT (seconds) overrides it. */
enum { VERIFY_TIMEOUT_S = 120 };

static int world_served(void *ctx, const char *const *urls, size_t n,
                        const char *thumbprint, char *detail, size_t size,
                        struct xc_error *err)
{
	const char *v = getenv("EXCERT_VERIFY_TIMEOUT"); /* NOLINT */
	long t = v && *v ? strtol(v, NULL, 10) : VERIFY_TIMEOUT_S;

	(void)ctx;
	if (t < 0 || t > 86400)
		t = VERIFY_TIMEOUT_S;
	return xc_served_wait(urls, n, thumbprint, (unsigned)t, detail, size,
	                      err);
}

static int world_lb_update(void *ctx, const char *lb, const char *sni,
                           const char *chain_pem, const char *key_pem,
                           char *detail, size_t size, struct xc_error *err)
{
	struct world *w = ctx;
	const struct xc_lb *l = xc_config_lb(w->cfg, lb);

	if (!l)
		return xc_error_set(err, XC_ENOTFOUND, "no load balancer '%s'",
		                    lb);
	return xc_lb_update(l, sni, chain_pem, key_pem, detail, size, err);
}

static int world_password(void *ctx, char *buf, size_t size,
                          struct xc_error *err)
{
	static const char alphabet[] =
	        "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
	unsigned char raw[128];
	size_t i;

	(void)ctx;
	if (size < 2 || size > sizeof(raw) + 1 ||
	    RAND_bytes(raw, (int)(size - 1)) != 1)
		return xc_error_set(err, XC_ERR, "cannot make a password");
	for (i = 0; i + 1 < size; i++)
		buf[i] = alphabet[raw[i] % (sizeof(alphabet) - 1)];
	buf[size - 1] = '\0';
	xc_wipe(raw, sizeof(raw));
	return 0;
}

void xc_world_init(struct xc_world *w, const struct xc_config *cfg,
                   const char *base_dir, struct xc_store *store)
{
	struct world *ctx = xc_xcalloc(1, sizeof(*ctx));

	ctx->cfg = cfg;
	ctx->base = xc_xstrdup(base_dir);
	ctx->store = store;
	w->ctx = ctx;
	w->call = world_call;
	w->issue = world_issue;
	w->remember = world_remember;
	w->password = world_password;
	w->clock = world_clock;
	w->served = world_served;
	w->lb_update = world_lb_update;
}

void xc_world_release(struct xc_world *w)
{
	struct world *ctx = w->ctx;

	if (ctx) {
		free(ctx->base);
		free(ctx);
	}
	w->ctx = NULL;
}
