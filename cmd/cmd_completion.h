/* SPDX-License-Identifier: MIT */
/* excert completion: shell completion from the command and option tables. */
#ifndef XC_CMD_CMD_COMPLETION_H
#define XC_CMD_CMD_COMPLETION_H

#include "cmd/cmd.h"

/* excert completion bash|zsh|fish, or names certificates|servers|
 * load-balancers (what the scripts ask for while completing). */
int xc_cmd_completion(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                      char **argv);

#endif
