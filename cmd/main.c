/* SPDX-License-Identifier: MIT */
/* excert: a declarative reconciler for Exchange TLS certificates. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/output.h"
#include "state/suggest.h"

int main(int argc, char **argv)
{
	struct xc_ctx ctx = {.config = "excert.yaml", .format = XC_FMT_TEXT};
	struct xc_optparser p;
	const struct xc_opt *opt;
	const char *value;
	const struct xc_cmd *cmd;
	char *pos[1];
	int rc;
	const struct rlimit nocore = {0, 0};

	/* No core dump: one would hold the secrets excert resolved (a TSIG
	 * secret, an EAB key, a private key); not dumpable also keeps other
	 * users' debuggers out. */
	if (setrlimit(RLIMIT_CORE, &nocore) != 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		fprintf(stderr, "excert: cannot disable core dumps: %s\n",
		        strerror(errno));
	/* A transport's peer may go away while excert writes to it: that is
	 * an error to report, not a reason to die. */
	signal(SIGPIPE, SIG_IGN);
	/* Global options come before the command, as in git. */
	xc_opt_init(&p, argc, argv, 1, xc_global_opts, NULL, pos);
	p.stop_at_positional = true;
	while ((rc = xc_opt_next(&p, &opt, &value)) > 0) {
		if (opt->id == XC_G_HELP) {
			xc_usage(stdout);
			return XC_EXIT_OK;
		}
		if (opt->id == XC_G_VERSION)
			return xc_cmd_version(&ctx, xc_cmd_find("version"), 1,
			                      argv);
		if (xc_global_apply(&ctx, opt->id, value) < 0)
			return XC_EXIT_USAGE;
	}
	if (rc < 0) {
		xc_out_usage("%s", p.err);
		return XC_EXIT_USAGE;
	}
	if (p.idx >= argc) {
		xc_usage(stderr);
		return XC_EXIT_USAGE;
	}
	cmd = xc_cmd_find(argv[p.idx]);
	if (!cmd) {
		const char *names[64];
		const char *near;
		size_t n = 0;

		while (n < 64 && xc_commands[n].name) {
			names[n] = xc_commands[n].name;
			n++;
		}
		near = xc_suggest(argv[p.idx], names, n);
		if (near)
			xc_out_usage("unknown command '%s'; did you mean '%s'?",
			             argv[p.idx], near);
		else
			xc_out_usage("unknown command '%s'", argv[p.idx]);
		return XC_EXIT_USAGE;
	}
	return cmd->fn(&ctx, cmd, argc - p.idx, argv + p.idx);
}
