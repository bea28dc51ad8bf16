/* SPDX-License-Identifier: MIT */
/* The text excert sends to a server: see agent_request.h. */
#include "providers/exchange/agent_request.h"

#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "providers/exchange/agent_script.h"
#include "state/xalloc.h"

#define INVOKE_HEAD "Invoke-ExcertAgent -RequestBase64 '"
#define INVOKE_TAIL "'\n\n"

/* EVP_EncodeBlock takes an int: encode in chunks of a multiple of 3 bytes,
 * so that only the last chunk carries padding and the pieces join into one
 * base64 text. */
#define CHUNK (3u * 16384u)

static size_t base64_len(size_t n)
{
	return (n / 3 + (n % 3 != 0)) * 4;
}

char *xc_agent_compose(const char *request_json, size_t *len_out)
{
	size_t json_len = strlen(request_json);
	size_t script_len = (size_t)xc_agent_script_len;
	size_t b64_len = base64_len(json_len);
	size_t total;
	size_t pos = 0;
	size_t done;
	char *out;

	/* The script (ending with a line break), a blank line, the call, a
	 * blank line.  A size beyond size_t cannot be allocated anyway: ask
	 * for SIZE_MAX, which xc_xmalloc reports and exits on. */
	if (json_len / 3 + 1 > (SIZE_MAX - script_len - 64) / 4)
		total = SIZE_MAX - 1;
	else
		total = script_len + 1 + 1 + sizeof(INVOKE_HEAD) - 1 + b64_len +
		        sizeof(INVOKE_TAIL) - 1;
	out = xc_xmalloc(total + 1);
	memcpy(out + pos, xc_agent_script, script_len);
	pos += script_len;
	if (script_len > 0 && xc_agent_script[script_len - 1] != '\n')
		out[pos++] = '\n';
	out[pos++] = '\n';
	memcpy(out + pos, INVOKE_HEAD, sizeof(INVOKE_HEAD) - 1);
	pos += sizeof(INVOKE_HEAD) - 1;
	for (done = 0; done < json_len;) {
		size_t n = json_len - done < CHUNK ? json_len - done : CHUNK;

		pos += (size_t)EVP_EncodeBlock(
		        (unsigned char *)out + pos,
		        (const unsigned char *)request_json + done, (int)n);
		done += n;
	}
	memcpy(out + pos, INVOKE_TAIL, sizeof(INVOKE_TAIL) - 1);
	pos += sizeof(INVOKE_TAIL) - 1;
	out[pos] = '\0';
	if (len_out)
		*len_out = pos;
	return out;
}
