/* SPDX-License-Identifier: MIT */
/* The excert command line: global options, the command table. */
#ifndef XC_CMD_CMD_H
#define XC_CMD_CMD_H

#include <stdbool.h>

#include "cmd/opt.h"

enum xc_format {
	XC_FMT_TEXT,
	XC_FMT_JSON,
	XC_FMT_MARKDOWN,
};

/* Global options, shared by every command. */
struct xc_ctx {
	const char *config;    /* -c; default "excert.yaml" */
	const char *ref;       /* --ref; NULL for the work tree */
	const char *state_dir; /* --state; NULL for the default */
	enum xc_format format; /* --format */
	bool format_set;
};

/* Ids of the global options; commands number theirs from 100. */
enum xc_global_opt {
	XC_G_DIR = 1,
	XC_G_CONFIG,
	XC_G_REF,
	XC_G_STATE,
	XC_G_FORMAT,
	XC_G_HELP,
	XC_G_VERSION,
};

struct xc_cmd;

/* A command: self is its row of the command table (its options and help),
 * so that no command looks itself up by name. */
typedef int xc_cmd_fn(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                      char **argv);

struct xc_cmd {
	const char *name;
	xc_cmd_fn *fn;
	const struct xc_opt *opts; /* the command's own options */
	const char *args;          /* positional arguments, for usage */
	const char *summary;       /* one line, for `excert help` */
	const char *help;          /* a paragraph, for `excert help CMD` */
};

extern const struct xc_opt xc_global_opts[];
extern const struct xc_cmd xc_commands[];

const struct xc_cmd *xc_cmd_find(const char *name);

/*
 * Parses a command's arguments (argv[0] is the command name) against its
 * table and the global options.  handle(id, value) is called for each of the
 * command's own options; global options update ctx.  Returns the number of
 * positionals (stored in pos, which holds argc entries), or -1 after
 * printing a usage error, or -2 when --help was printed.
 */
int xc_cmd_parse(struct xc_ctx *ctx, const struct xc_cmd *cmd, int argc,
                 char **argv, char **pos,
                 int (*handle)(void *arg, int id, const char *value),
                 void *arg);

/* Applies one global option; returns 0 or -1 after printing an error. */
int xc_global_apply(struct xc_ctx *ctx, int id, const char *value);

/* Prints `excert help CMD`. */
void xc_cmd_usage(FILE *fp, const struct xc_cmd *cmd);

/* Prints the general usage. */
void xc_usage(FILE *fp);

int xc_cmd_validate(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                    char **argv);
int xc_cmd_version(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                   char **argv);
int xc_cmd_help(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                char **argv);
int xc_cmd_schema(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                  char **argv);
int xc_cmd_observe(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                   char **argv);
int xc_cmd_lab(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
               char **argv);
int xc_cmd_acme(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                char **argv);

extern const struct xc_opt xc_observe_opts[];
extern const struct xc_opt xc_lab_opts[];
extern const struct xc_opt xc_acme_opts[];
int xc_cmd_probe(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                 char **argv);
extern const struct xc_opt xc_probe_opts[];
int xc_cmd_lb(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
              char **argv);
extern const struct xc_opt xc_lb_opts[];

struct xc_config;

/* Where the desired state came from, for plans and reports. */
struct xc_cmd_source {
	char label[512]; /* "excert.yaml" or "HEAD~1:excert.yaml" */
	char commit[41]; /* "" outside a repository */
	bool dirty;      /* the work-tree file differs from the commit */
	char sha256[65]; /* of the file's bytes, for saved plans */
};

/*
 * Reads and checks the desired state for a command (the -c file, --ref),
 * printing every problem.  Returns XC_EXIT_OK with *out (caller frees with
 * xc_config_free) and *base_out, the directory that relative paths in the
 * file start from (caller frees), and src when not NULL; or the exit code
 * to return.
 */
int xc_cmd_load_config(struct xc_ctx *ctx, struct xc_config **out,
                       char **base_out, struct xc_cmd_source *src);

/* The time the engine plans for: now, or EXCERT_NOW (seconds since the
 * epoch) to rehearse a later day. */
long long xc_cmd_now(void);

int xc_cmd_plan(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                char **argv);
int xc_cmd_apply(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                 char **argv);
int xc_cmd_init(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                char **argv);
int xc_cmd_status(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                  char **argv);
extern const struct xc_opt xc_status_opts[];
extern const struct xc_opt xc_init_opts[];
extern const struct xc_opt xc_plan_opts[];
extern const struct xc_opt xc_drift_opts[];
extern const struct xc_opt xc_apply_opts[];
extern const struct xc_opt xc_show_opts[];
int xc_cmd_show(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                char **argv);

struct xc_plan;
struct xc_store;
struct xc_observation;
struct xc_issued;

/* The certificates earlier applies issued and did not import, for the
 * pending requests of obs, read from st (may be NULL).  Returns how many;
 * free *out with xc_cmd_issued_free. */
size_t xc_cmd_load_issued(struct xc_store *st, const struct xc_observation *obs,
                          struct xc_issued **out);
void xc_cmd_issued_free(struct xc_issued *v, size_t n);

/* Prints a plan as text (what `excert plan` shows) to fp. */
void xc_plan_print_text(const struct xc_plan *p,
                        const struct xc_cmd_source *src, const char *org,
                        const char *title, FILE *fp, bool color);

/* Prints a plan as markdown, for a pull-request comment. */
void xc_plan_print_markdown(const struct xc_plan *p,
                            const struct xc_cmd_source *src, const char *org,
                            FILE *fp);

#endif
