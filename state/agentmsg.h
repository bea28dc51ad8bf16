/* SPDX-License-Identifier: MIT */
/*
 * Messages of the agent protocol (docs/agent-protocol.md): building a
 * request, reading a reply, and turning observe results into the model of
 * state/observed.h.  A reply comes from a remote shell and is not trusted:
 * every member is checked for type, size and form, and a bad reply is an
 * error that names the operation, never a crash.
 */
#ifndef XC_STATE_AGENTMSG_H
#define XC_STATE_AGENTMSG_H

#include <stdbool.h>
#include <stddef.h>

#include "state/error.h"
#include "state/observed.h"

#define XC_PROTOCOL_VERSION 1
#define XC_REPLY_MAX_BYTES (64u * 1024 * 1024)

/* ---- requests -------------------------------------------------------- */

struct xc_request; /* opaque */

/* A new, empty batch for server (copied).  Free with xc_request_free. */
struct xc_request *xc_request_new(const char *server);
void xc_request_free(struct xc_request *r);

/* Number of operations in the batch. */
size_t xc_request_count(const struct xc_request *r);

/*
 * Each adds one operation and returns its id (borrowed from r).  Strings are
 * copied.  services is a mask of enum xc_service.
 */
const char *xc_request_observe(struct xc_request *r);
const char *xc_request_observe_org(struct xc_request *r);
const char *xc_request_new_request(struct xc_request *r, const char *subject,
                                   const char *const *domains, size_t ndomains,
                                   int key_size, const char *friendly_name,
                                   bool exportable);
const char *xc_request_import(struct xc_request *r, const char *cert_b64,
                              const char *friendly_name);
const char *xc_request_enable(struct xc_request *r, const char *thumbprint,
                              unsigned services, bool replace_transport);
const char *xc_request_export_pfx(struct xc_request *r, const char *thumbprint,
                                  const char *password);
const char *xc_request_import_pfx(struct xc_request *r, const char *pfx_b64,
                                  const char *password, bool exportable,
                                  const char *friendly_name);
const char *xc_request_set_send_connector(struct xc_request *r,
                                          const char *name,
                                          const char *tls_name);
const char *xc_request_set_receive_connector(struct xc_request *r,
                                             const char *identity,
                                             const char *tls_name);
const char *xc_request_set_hybrid(struct xc_request *r, const char *tls_name);
const char *xc_request_restart(struct xc_request *r, const char *service);
const char *xc_request_remove(struct xc_request *r, const char *thumbprint);
const char *xc_request_place_http01(struct xc_request *r, const char *token,
                                    const char *content);
const char *xc_request_clear_http01(struct xc_request *r, const char *token);
/* The organisation's lease: action "take", "renew" or "release"; token is
 * the holder's secret-free random id (lowercase hex), owner says who holds
 * it in words, ttl in seconds (DESIGN.md §7). */
const char *xc_request_lease(struct xc_request *r, const char *action,
                             const char *token, const char *owner, int ttl);

/* The request as compact JSON; caller frees. */
char *xc_request_json(const struct xc_request *r);

/* ---- replies ------------------------------------------------------- */

struct xc_result {
	char id[32];
	char op[32];
	bool ok;
	char category[32]; /* when !ok */
	char *message;     /* when !ok; owned */
	char *json;        /* when ok: the result object, compact JSON; owned */
};

struct xc_reply {
	char *server; /* the computer's own name */
	char *agent;
	struct xc_result *results; /* owned */
	size_t nresults;
	char category[32]; /* top-level error, "" when none */
	char *message;     /* top-level error message, NULL when none */
};

/*
 * Parses a reply document (JSON text, len bytes).  Checks the protocol
 * version and that results answer the request's operations in order (ids
 * and ops), no more of them than were asked.  0, or XC_EPROTO with err set.
 */
int xc_reply_parse(struct xc_reply *out, const char *text, size_t len,
                   const struct xc_request *req, struct xc_error *err);
void xc_reply_release(struct xc_reply *r);

/*
 * Extracts the reply from a shell's output: the base64 between the marker
 * lines, decoded.  Output outside the markers is ignored, but a second
 * BEGIN line is an error: nothing besides the agent may print a reply
 * that could stand in for its own (docs/agent-protocol.md).  *json_out is
 * NUL-terminated (caller frees).  0, or XC_EPROTO with err set.
 */
int xc_reply_unframe(const char *output, size_t len, char **json_out,
                     size_t *json_len, struct xc_error *err);

/* Frames a reply document as the agent does (markers, base64); caller
 * frees. */
char *xc_reply_frame(const char *json, size_t len);

/*
 * The code of an agent error category (docs/agent-protocol.md):
 * ObjectNotFound XC_ENOTFOUND, ResourceExists XC_EEXISTS, PermissionDenied
 * XC_EAUTH, InvalidArgument XC_EINVAL, ProtocolError XC_EPROTO, anything
 * else XC_ERR.  The one place a category becomes a code: callers test the
 * code, never the message.
 */
enum xc_code xc_agent_category_code(const char *category);

/*
 * Whether a reply of server carried its batch through: its last result,
 * or NULL with err set to the failure in words ("MS01: import: Denied:
 * ...", or the reply's own top-level error) and its code from the
 * category (xc_agent_category_code).
 */
const struct xc_result *xc_reply_last_ok(const struct xc_reply *r,
                                         const char *server,
                                         struct xc_error *err);

/* Turns an observe result into the model; 0 or XC_EPROTO with err set. */
int xc_parse_observe(struct xc_obs_server *out, const char *json,
                     struct xc_error *err);

/* Turns an observe_org result into the model. */
int xc_parse_observe_org(struct xc_obs_org *out, const char *json,
                         struct xc_error *err);

/* One string member of a result ("thumbprint", "csr", "pfx"); caller
 * frees.  XC_EPROTO when absent or not a string. */
/* The answer of a lease operation. */
struct xc_lease_state {
	bool held;        /* this token holds the lease now */
	char owner[256];  /* the holder in words, "" when nobody holds it */
	int seconds_left; /* until the holder's lease expires */
};

/* Parses a lease result; 0, or XC_EPROTO with err set. */
int xc_parse_lease(struct xc_lease_state *out, const char *json,
                   struct xc_error *err);

int xc_result_string(char **out, const char *json, const char *key,
                     struct xc_error *err);

#endif
