/* SPDX-License-Identifier: MIT */
/*
 * Transports carry one agent request to one Exchange server and bring the
 * reply back (DESIGN.md §6).  Each kind is a table of functions; adding one
 * is one file and one line in transport.c.
 */
#ifndef XC_PROVIDERS_EXCHANGE_TRANSPORT_H
#define XC_PROVIDERS_EXCHANGE_TRANSPORT_H

#include "state/agentmsg.h"
#include "state/error.h"
#include "state/model.h"

struct xc_transport;

struct xc_transport_ops {
	const char *kind; /* "lab", "ssh", ... as in excert.yaml */
	/* Makes a transport for server; base_dir is excert.yaml's directory
	 * (relative paths in connect are relative to it). */
	int (*open)(struct xc_transport **out, const struct xc_server *server,
	            const char *base_dir, struct xc_error *err);
	/* One round trip: req out, *reply in (released by the caller). */
	int (*call)(struct xc_transport *t, const struct xc_request *req,
	            struct xc_reply *reply, struct xc_error *err);
	void (*close)(struct xc_transport *t);
};

/* The first member of every transport. */
struct xc_transport {
	const struct xc_transport_ops *ops;
	const struct xc_server *server; /* borrowed from the config */
};

/* Opens the transport that server's connect names.  XC_ENOTFOUND for a kind
 * this excert cannot carry yet. */
int xc_transport_open(struct xc_transport **out, const struct xc_server *server,
                      const char *base_dir, struct xc_error *err);

/*
 * Sends req and reads the reply; on failure err names the server.  A reply
 * whose operations failed is a success here: see reply->results.
 */
int xc_transport_call(struct xc_transport *t, const struct xc_request *req,
                      struct xc_reply *reply, struct xc_error *err);

void xc_transport_close(struct xc_transport *t);

/* base_dir/path, or path when it is absolute; caller frees. */
char *xc_transport_path(const char *base_dir, const char *path);

extern const struct xc_transport_ops xc_transport_lab;
extern const struct xc_transport_ops xc_transport_ssh;

#endif
