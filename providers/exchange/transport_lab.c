/* SPDX-License-Identifier: MIT */
/*
 * The lab transport: the request goes to the lab emulator in this process,
 * as JSON, exactly as it would go to the agent.
 */
#include <stdlib.h>
#include <string.h>

#include "providers/exchange/transport.h"
#include "providers/lab/lab.h"
#include "state/xalloc.h"

struct lab_transport {
	struct xc_transport base;
	char *dir;
};

static int lab_open(struct xc_transport **out, const struct xc_server *server,
                    const char *base_dir, struct xc_error *err)
{
	struct lab_transport *t;

	if (!server->connect->path.v)
		return xc_error_set(err, XC_EINVAL, "connect has no lab path");
	t = xc_xcalloc(1, sizeof(*t));
	t->base.ops = &xc_transport_lab;
	t->base.server = server;
	t->dir = xc_transport_path(base_dir, server->connect->path.v);
	*out = &t->base;
	return 0;
}

static int lab_call(struct xc_transport *base, const struct xc_request *req,
                    struct xc_reply *reply, struct xc_error *err)
{
	struct lab_transport *t = (struct lab_transport *)base;
	char *json = xc_request_json(req);
	char *answer = NULL;
	int rc;

	/* The lab plays the server that excert.yaml names; a name the lab
	 * does not have is refused in the reply, as a wrong host would be. */
	rc = xc_lab_call(t->dir, base->server->name.v, json, strlen(json),
	                 &answer, err);
	free(json);
	if (rc == 0)
		rc = xc_reply_parse(reply, answer, strlen(answer), req, err);
	free(answer);
	return rc;
}

static void lab_close(struct xc_transport *base)
{
	struct lab_transport *t = (struct lab_transport *)base;

	free(t->dir);
	free(t);
}

const struct xc_transport_ops xc_transport_lab = {
        .kind = "lab",
        .open = lab_open,
        .call = lab_call,
        .close = lab_close,
};
