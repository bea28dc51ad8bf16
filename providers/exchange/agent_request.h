/* SPDX-License-Identifier: MIT */
/*
 * What excert sends to a server's PowerShell (docs/agent-protocol.md,
 * section 1): the agent script, a blank line, the line
 *     Invoke-ExcertAgent -RequestBase64 '<base64 of the request>'
 * and a blank line.  The request travels as base64 (RFC 4648, padded, on
 * one line) inside a single-quoted string, so no value of it is ever
 * PowerShell code.
 */
#ifndef XC_PROVIDERS_EXCHANGE_AGENT_REQUEST_H
#define XC_PROVIDERS_EXCHANGE_AGENT_REQUEST_H

#include <stddef.h>

/*
 * The full text for request_json (a request document, as
 * xc_request_json() writes it; any bytes up to the NUL).  NUL-terminated;
 * its length without the NUL goes to *len_out when len_out is not NULL.
 * Caller frees.  Never NULL (allocation failure exits, as xc_xmalloc does).
 */
char *xc_agent_compose(const char *request_json, size_t *len_out);

#endif
