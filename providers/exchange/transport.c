/* SPDX-License-Identifier: MIT */
#include "providers/exchange/transport.h"

#include <stdio.h>
#include <string.h>

#include "state/buf.h"
#include "state/schema.h"
#include "state/xalloc.h"

/* Indexed by enum xc_transport_kind; NULL: not in this version (the WinRM
 * transport is one more file and one line here). */
static const struct xc_transport_ops *const transports[] = {
        [XC_TRANSPORT_SSH] = &xc_transport_ssh,
        [XC_TRANSPORT_WINRM] = NULL,
        [XC_TRANSPORT_LAB] = &xc_transport_lab,
};

int xc_transport_open(struct xc_transport **out, const struct xc_server *server,
                      const char *base_dir, struct xc_error *err)
{
	const struct xc_transport_ops *ops = NULL;
	long long kind;
	int rc;

	*out = NULL;
	if (!server->connect || !server->connect->transport.set)
		return xc_error_set(err, XC_EINVAL,
		                    "server '%s' has no transport",
		                    server->name.v);
	kind = server->connect->transport.v;
	if (kind >= 0 &&
	    (size_t)kind < sizeof(transports) / sizeof(transports[0]))
		ops = transports[kind];
	if (!ops)
		return xc_error_set(
		        err, XC_ENOTFOUND,
		        "server '%s': the %s transport is not available in this version of excert",
		        server->name.v,
		        xc_transport_name((enum xc_transport_kind)kind));
	rc = ops->open(out, server, base_dir, err);
	if (rc < 0)
		xc_error_prefix(err, "server '%s': ", server->name.v);
	return rc;
}

int xc_transport_call(struct xc_transport *t, const struct xc_request *req,
                      struct xc_reply *reply, struct xc_error *err)
{
	int rc = t->ops->call(t, req, reply, err);

	if (rc < 0)
		xc_error_prefix(err, "server '%s': ", t->server->name.v);
	return rc;
}

void xc_transport_close(struct xc_transport *t)
{
	if (t)
		t->ops->close(t);
}

char *xc_transport_path(const char *base_dir, const char *path)
{
	struct xc_buf b;

	if (path[0] == '/' || !base_dir || !*base_dir)
		return xc_xstrdup(path);
	xc_buf_init(&b, 0);
	xc_buf_printf(&b, "%s/%s", base_dir, path);
	return xc_buf_detach(&b, NULL);
}
