/* SPDX-License-Identifier: MIT */
/*
 * excert lab agent: the lab answering as the agent would, from what a
 * PowerShell host reads on stdin (the agent script, then the line that
 * invokes it), so that an sshd whose forced command it is stands in for a
 * Windows server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/lab/lab.h"
#include "state/agentmsg.h"
#include "state/buf.h"
#include "state/x509.h"
#include "state/xalloc.h"

int xc_lab_agent(const char *dir, const char *as, FILE *in, FILE *out,
                 struct xc_error *err)
{
	static const char marker[] = "Invoke-ExcertAgent -RequestBase64 '";
	struct xc_buf b;
	char chunk[8192];
	size_t n;
	const char *p;
	const char *q;
	char *b64;
	unsigned char *req = NULL;
	size_t reqlen;
	char *reply = NULL;
	char *framed;
	int rc;

	xc_buf_init(&b, 64u * 1024 * 1024);
	while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
		if (xc_buf_add(&b, chunk, n) < 0) {
			xc_buf_release(&b);
			return xc_error_set(
			        err, XC_ENOMEM,
			        "the script on stdin is larger than 64 MiB");
		}
	/* The last invocation line is the one PowerShell would run. */
	p = NULL;
	for (q = xc_buf_cstr(&b); (q = strstr(q, marker)) != NULL; q++)
		p = q;
	if (!p) {
		xc_buf_release(&b);
		return xc_error_set(
		        err, XC_EPROTO,
		        "no 'Invoke-ExcertAgent -RequestBase64' line on stdin");
	}
	p += sizeof(marker) - 1;
	q = strchr(p, '\'');
	if (!q) {
		xc_buf_release(&b);
		return xc_error_set(err, XC_EPROTO,
		                    "the request line on stdin is cut short");
	}
	b64 = xc_xstrndup(p, (size_t)(q - p));
	xc_buf_release(&b);
	if (xc_base64_decode(b64, &req, &reqlen) < 0) {
		free(b64);
		reply = xc_xstrdup(
		        "{\"protocol\":1,\"server\":\"\",\"agent\":\"excert-lab 1\",\"results\":[],\"error\":{\"category\":\"ProtocolError\",\"message\":\"the request is not base64\"}}");
		rc = 0;
	} else {
		free(b64);
		rc = xc_lab_call(dir, as, (const char *)req, reqlen, &reply,
		                 err);
	}
	free(req);
	if (rc < 0)
		return rc;
	framed = xc_reply_frame(reply, strlen(reply));
	fputs(framed, out);
	fflush(out);
	free(framed);
	free(reply);
	return 0;
}
