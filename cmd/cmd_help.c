/* SPDX-License-Identifier: MIT */
/* The command table, global options, usage and `excert help`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/cmd_completion.h"
#include "cmd/exit.h"
#include "cmd/output.h"

const struct xc_opt xc_global_opts[] = {
        {XC_G_DIR, 'C', "directory", XC_OPT_VALUE, "DIR",
         "run as if started in DIR"},
        {XC_G_CONFIG, 'c', "config", XC_OPT_VALUE, "FILE",
         "desired state file (default: excert.yaml)"},
        {XC_G_REF, 0, "ref", XC_OPT_VALUE, "REF",
         "read the desired state from a git commit (branch, tag, id, HEAD~1)"},
        {XC_G_STATE, 0, "state", XC_OPT_VALUE, "DIR",
         "state directory: lock and journal (default: $XDG_STATE_HOME/excert/ORG)"},
        {XC_G_FORMAT, 0, "format", XC_OPT_VALUE, "FMT",
         "output format: text, json or markdown"},
        {XC_G_HELP, 'h', "help", XC_OPT_FLAG, NULL, "show help"},
        {XC_G_VERSION, 0, "version", XC_OPT_FLAG, NULL, "show the version"},
        {0},
};

static const struct xc_opt no_opts[] = {{0}};

const struct xc_cmd xc_commands[] = {
        {"init", xc_cmd_init, xc_init_opts, "DIR",
         "start a desired state: a git repository with an excert.yaml",
         "Makes DIR a git repository (or uses the one it is) and commits an\n"
         "excert.yaml to start from. With --lab it also makes a lab organisation\n"
         "in DIR/lab (two servers, hybrid on, a certificate 10 days from its end,\n"
         "the connectors naming it, a lab CA) and an excert.yaml for it, so that\n"
         "excert -C DIR plan and apply work at once. Never overwrites a file."},
        {"validate", xc_cmd_validate, no_opts, "[FILE...]",
         "check the desired state and report every problem",
         "Loads the desired state (the -c file, or each FILE given) and checks it\n"
         "against schema version 1: YAML syntax, unknown and duplicate keys,\n"
         "types, names, references, durations, DNS names, services, secrets.\n"
         "Every problem is printed as FILE:LINE:COL: error: message on stderr.\n"
         "With --ref the files are read from that git commit. With --format json\n"
         "the result is a JSON document on stdout.\n"
         "Exit status: 0 valid, 65 invalid, 1 when a file cannot be read."},
        {"version", xc_cmd_version, no_opts, "",
         "print excert's version and its libraries'",
         "Prints the version of excert and of the libraries it runs with.\n"
         "With --format json, as a JSON document."},
        {"schema", xc_cmd_schema, no_opts, "",
         "print the JSON Schema of excert.yaml (or --format markdown)",
         "Prints the JSON Schema of excert.yaml (draft-07) for editors such as\n"
         "VS Code's YAML extension. With --format markdown, prints the key\n"
         "reference that docs/config.md holds. Both come from the tables the\n"
         "loader checks against."},
        {"observe", xc_cmd_observe, xc_observe_opts, "",
         "print the live state of every server as excert sees it",
         "Asks every server of the desired state for its certificates, pending\n"
         "requests, bindings, connectors and transport and Auth certificates, in\n"
         "one round trip each, servers in parallel; the organisation's send\n"
         "connectors and hybrid configuration come from the first Mailbox server.\n"
         "Text is a readable list; --format json is the whole observation.\n"
         "A server that cannot be reached is reported and the others shown.\n"
         "Exit status: 0, or 1 when any server could not be observed."},
        {"plan", xc_cmd_plan, xc_plan_opts, "",
         "observe the organisation and show what apply would do, and why",
         "Observes every server (as excert observe does), compares what it holds\n"
         "with excert.yaml, and prints the steps that are needed and only those:\n"
         "each with its reason, the steps it waits for, and whether it destroys\n"
         "anything. --format json and --format markdown (for a pull-request\n"
         "comment) print the same plan. A certificate whose servers cannot all\n"
         "be observed is left alone, and the plan says so.\n"
         "Exit status: 0; with --detailed-exitcode 0 no changes, 2 changes;\n"
         "1 on an error or when a certificate had to be left alone.\n"
         "-o PLAN also saves it for excert apply PLAN; --observation FILE plans\n"
         "from an observation saved by excert observe -o instead of observing."},
        {"apply", xc_cmd_apply, xc_apply_opts, "[PLAN]",
         "make the plan and carry it out, step by step",
         "Observes, plans (as excert plan does), shows the plan, asks for 'yes'\n"
         "(or not, with --auto-approve), then carries the steps out in order,\n"
         "with progress on stderr. It stops at the first failing step: nothing\n"
         "after it runs, so nothing destructive follows a failure. Before each\n"
         "removal it observes the server again and refuses to remove a\n"
         "certificate that is still bound or is the last usable one.\n"
         "With PLAN, a plan saved by excert plan -o: observes again and carries\n"
         "that plan out without asking, but refuses (and says what changed) if\n"
         "excert.yaml or the organisation is no longer what it was made from.\n"
         "Exit status: 0 done, 1 a step failed or a certificate was left alone."},
        {"drift", xc_cmd_plan, xc_drift_opts, "",
         "say whether the organisation is as excert.yaml says (for CI)",
         "Observes and plans as excert plan does and prints what differs.\n"
         "Exit status: 0 in sync, 2 drift (changes pending), 1 an error or a\n"
         "server that could not be observed. --format json and markdown as\n"
         "for plan."},
        {"show", xc_cmd_show, xc_show_opts, "[PLAN]",
         "print a saved plan (default: the last one apply carried out)",
         "Prints a plan saved by excert plan -o PLAN as plan printed it, with\n"
         "the time it was made for and its targets; without PLAN, the last plan\n"
         "excert apply carried out on this machine (kept in the state directory).\n"
         "--format json prints the saved document, markdown a table."},
        {"status", xc_cmd_status, xc_status_opts, "",
         "each certificate on each of its servers: thumbprint, days left, services",
         "Observes the servers and prints, for every certificate of excert.yaml\n"
         "and every server it belongs on, the newest usable certificate there that\n"
         "is the desired one: its thumbprint, the days it has left, whether its\n"
         "renewal is due, the wanted services it has, and whether IIS serves it\n"
         "on 443. --format json for scripts. Exit status: 0, 2 when a server\n"
         "lacks the certificate, 1 on an error."},
        {"acme", xc_cmd_acme, xc_acme_opts,
         "issue -d DOMAIN... | ari --cert FILE",
         "get a certificate from an ACME CA with a local key (standalone)",
         "excert acme issue --directory URL -d DOMAIN... makes a key (--key)\n"
         "and a request, places an ACME order (RFC 8555), answers its http-01\n"
         "challenges from --webroot DIR or from a listener of its own\n"
         "(--http-port), or its dns-01 challenges with RFC 2136 updates signed\n"
         "with TSIG (--dns-server, --tsig-name, --tsig-secret env:NAME|file:PATH,\n"
         "--tsig-algorithm, --zone; wildcards need it), and writes cert.pem\n"
         "(leaf and chain), chain.pem and key.pem (0600) into --out DIR. The\n"
         "account key, the account URL, the directory and the order in flight\n"
         "are kept in the state directory, so an interrupted run resumes its\n"
         "order. External account binding with\n"
         "--eab-kid and --eab-hmac env:NAME or file:PATH. EXCERT_PROFILE=1 prints\n"
         "the time and the HTTP requests made.\n"
         "excert acme ari --directory URL --cert FILE asks the CA for its\n"
         "renewal window (ARI, RFC 9773) and prints it with the time chosen in it.\n"
         "Exit status: 0 issued, 1 an error, 64 a bad command line."},
        {"probe", xc_cmd_probe, xc_probe_opts, "URL...",
         "what each TLS endpoint really serves: thumbprint, dates, names",
         "Connects to every URL at once (https://, smtp:// and imap:// and\n"
         "pop3:// with STARTTLS, imaps://, pop3s://), completes the TLS\n"
         "handshake and prints per endpoint the leaf's thumbprint, its days\n"
         "left, the subject's CN, whether the name matches the URL's host, the\n"
         "protocol and whether the chain verifies (system CAs or --ca-bundle);\n"
         "or why nothing was served. --connect-to probes a load-balanced name\n"
         "on one member's address. --format json adds the DER, the chain, the\n"
         "dates and the cipher.\n"
         "Exit status: 0 every endpoint served a certificate, 1 any did not."},
        {"lb", xc_cmd_lb, xc_lb_opts,
         "status | update NAME --chain FILE --key FILE",
         "what each load balancer serves, or make one serve a certificate",
         "excert lb status asks every load balancer of excert.yaml what it\n"
         "serves (HAProxy: its runtime API's show ssl cert; NGINX: a TLS\n"
         "handshake with its address) and prints the thumbprint, or why not.\n"
         "excert lb update NAME --chain FILE --key FILE makes load balancer\n"
         "NAME serve that certificate, live and on disk, and confirms it\n"
         "(docs/load-balancers.md). The key is read, never printed.\n"
         "--format json for scripts.\n"
         "Exit status: 0, 1 when a load balancer failed, 64 a bad command line."},
        {"lab", xc_cmd_lab, xc_lab_opts, "init|agent|serve DIR",
         "the Exchange emulator: make a lab organisation, or answer as its agent",
         "excert lab init DIR makes an Exchange organisation in DIR (docs/lab.md):\n"
         "servers with Exchange's default certificates, receive connectors, a lab\n"
         "CA, and on request a hybrid configuration and a lab-CA certificate near\n"
         "its end. A server in excert.yaml uses it with\n"
         "connect: {transport: lab, path: DIR}.\n"
         "excert lab agent DIR reads from stdin what a PowerShell host would (the\n"
         "agent script and the line that invokes it) and answers as the agent, so\n"
         "that an sshd whose forced command it is stands in for a Windows server.\n"
         "excert lab serve DIR listens on 127.0.0.1 for every lab server: HTTPS\n"
         "with the certificate IIS binds on 443, SMTP with STARTTLS and its SMTP\n"
         "certificate, plain HTTP from its webroot (http-01); it follows changes\n"
         "to the lab without a restart and stops on SIGTERM."},
        {"completion", xc_cmd_completion, no_opts, "bash|zsh|fish",
         "print a shell completion script (bash, zsh or fish)",
         "Prints a completion script for bash, zsh or fish, made from excert's\n"
         "own command and option tables: commands, options, the fixed values of\n"
         "options (formats, key types, TSIG algorithms), files and directories,\n"
         "and the certificate, server and load balancer names of excert.yaml (the\n"
         "-C, -c and --ref on the command line are honoured). Packages install\n"
         "them; by hand: source <(excert completion bash) in ~/.bashrc,\n"
         "excert completion zsh > ~/.zfunc/_excert (a directory in fpath), or\n"
         "excert completion fish > ~/.config/fish/completions/excert.fish.\n"
         "excert completion names certificates|servers|load-balancers prints\n"
         "those names of excert.yaml, one a line, for the scripts.\n"
         "Exit status: 0, 64 a bad command line, 65 an invalid excert.yaml."},
        {"help", xc_cmd_help, no_opts, "[COMMAND]", "show help for a command",
         "Shows the general usage, or the help of COMMAND."},
        {NULL, NULL, NULL, NULL, NULL, NULL},
};

const struct xc_cmd *xc_cmd_find(const char *name)
{
	const struct xc_cmd *c;

	for (c = xc_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

int xc_global_apply(struct xc_ctx *ctx, int id, const char *value)
{
	switch (id) {
	case XC_G_DIR:
		if (chdir(value) != 0) {
			xc_out_error("cannot change to directory '%s': %s",
			             value, strerror(errno));
			return -1;
		}
		return 0;
	case XC_G_CONFIG:
		ctx->config = value;
		return 0;
	case XC_G_REF:
		if (!*value) {
			xc_out_usage("--ref needs a revision");
			return -1;
		}
		ctx->ref = value;
		return 0;
	case XC_G_STATE:
		ctx->state_dir = value;
		return 0;
	case XC_G_FORMAT:
		if (strcmp(value, "text") == 0)
			ctx->format = XC_FMT_TEXT;
		else if (strcmp(value, "json") == 0)
			ctx->format = XC_FMT_JSON;
		else if (strcmp(value, "markdown") == 0)
			ctx->format = XC_FMT_MARKDOWN;
		else {
			xc_out_usage(
			        "unknown format '%s' (text, json or markdown)",
			        value);
			return -1;
		}
		ctx->format_set = true;
		return 0;
	default:
		return 0;
	}
}

void xc_cmd_usage(FILE *fp, const struct xc_cmd *cmd)
{
	fprintf(fp, "usage: excert [GLOBAL OPTIONS] %s%s%s%s\n\n%s\n",
	        cmd->name, cmd->opts && cmd->opts->id ? " [OPTIONS]" : "",
	        *cmd->args ? " " : "", cmd->args, cmd->help);
	if (cmd->opts && cmd->opts->id) {
		fputs("\nOptions:\n", fp);
		xc_opt_print(fp, cmd->opts);
	}
	fputs("\nGlobal options:\n", fp);
	xc_opt_print(fp, xc_global_opts);
}

void xc_usage(FILE *fp)
{
	const struct xc_cmd *c;

	fputs("usage: excert [GLOBAL OPTIONS] COMMAND [ARGS]\n\n"
	      "excert keeps the TLS certificates of an Exchange organisation as "
	      "excert.yaml says.\n\nCommands:\n",
	      fp);
	for (c = xc_commands; c->name; c++)
		fprintf(fp, "  %-10s %s\n", c->name, c->summary);
	fputs("\nGlobal options:\n", fp);
	xc_opt_print(fp, xc_global_opts);
	fputs("\nExit status: 0 success, 1 error, 2 changes pending, 64 usage, "
	      "65 invalid desired state.\nRun 'excert help COMMAND' for a "
	      "command's options.\n",
	      fp);
}

int xc_cmd_parse(struct xc_ctx *ctx, const struct xc_cmd *cmd, int argc,
                 char **argv, char **pos,
                 int (*handle)(void *arg, int id, const char *value), void *arg)
{
	struct xc_optparser p;
	const struct xc_opt *opt;
	const char *value;
	int rc;

	xc_opt_init(&p, argc, argv, 1, cmd->opts, xc_global_opts, pos);
	while ((rc = xc_opt_next(&p, &opt, &value)) > 0) {
		if (opt->id == XC_G_HELP) {
			xc_cmd_usage(stdout, cmd);
			return -2;
		}
		if (opt->id < 100) {
			if (opt->id == XC_G_VERSION || opt->id == XC_G_DIR) {
				xc_out_usage("'--%s' goes before the command",
				             opt->lname);
				return -1;
			}
			if (xc_global_apply(ctx, opt->id, value) < 0)
				return -1;
		} else if (!handle || handle(arg, opt->id, value) < 0) {
			return -1;
		}
	}
	if (rc < 0) {
		xc_out_usage("%s: %s", cmd->name, p.err);
		return -1;
	}
	return p.npos;
}

int xc_cmd_help(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                char **argv)
{
	char **pos = calloc((size_t)argc, sizeof(*pos));
	const struct xc_cmd *cmd;
	int n;

	n = xc_cmd_parse(ctx, self, argc, argv, pos, NULL, NULL);
	if (n < 0) {
		free(pos);
		return n == -2 ? XC_EXIT_OK : XC_EXIT_USAGE;
	}
	if (n == 0) {
		free(pos);
		xc_usage(stdout);
		return XC_EXIT_OK;
	}
	cmd = xc_cmd_find(pos[0]);
	if (!cmd || n > 1) {
		xc_out_usage(n > 1 ? "help takes one command"
		                   : "unknown command '%s'",
		             pos[0]);
		free(pos);
		return XC_EXIT_USAGE;
	}
	free(pos);
	xc_cmd_usage(stdout, cmd);
	return XC_EXIT_OK;
}
