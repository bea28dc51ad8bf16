/* SPDX-License-Identifier: MIT */
#include "cmd/progress.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "state/sanitize.h"
#include "state/xalloc.h"

#define RUNNING (-1)

static const char *const state_names[] = {"pending", "done", "skipped",
                                          "FAILED", "not run"};

void xc_progress_init(struct xc_progress *p, const struct xc_plan *plan,
                      FILE *fp)
{
	const char *term = getenv("TERM");
	const char *mode = getenv("EXCERT_PROGRESS");
	struct winsize ws;
	size_t i;

	memset(p, 0, sizeof(p[0]));
	p->plan = plan;
	p->fp = fp;
	p->state = xc_xcalloc(plan->nsteps + 1, sizeof(int));
	p->detail = xc_xcalloc(plan->nsteps + 1, sizeof(char *));
	for (i = 0; i < plan->nsteps; i++)
		p->state[i] = XC_STEP_PENDING;
	if (!isatty(fileno(fp)) || (term && strcmp(term, "dumb") == 0) ||
	    (mode && strcmp(mode, "plain") == 0))
		return;
	if (ioctl(fileno(fp), TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 ||
	    ws.ws_col < 40)
		return;
	/* A list taller than the screen cannot be redrawn in place. */
	if (plan->nsteps + 2 > ws.ws_row)
		return;
	p->live = true;
	p->cols = ws.ws_col;
	p->color = !getenv("NO_COLOR");
}

static void draw_line(struct xc_progress *p, size_t i)
{
	const struct xc_step *s = &p->plan->steps[i];
	int st = p->state[i];
	const char *mark = st == RUNNING           ? ">"
	                   : st == XC_STEP_DONE    ? "+"
	                   : st == XC_STEP_SKIPPED ? "-"
	                   : st == XC_STEP_FAILED  ? "!"
	                                           : " ";
	const char *on = !p->color               ? ""
	                 : st == RUNNING         ? "\033[1;33m"
	                 : st == XC_STEP_DONE    ? "\033[32m"
	                 : st == XC_STEP_FAILED  ? "\033[1;31m"
	                 : st == XC_STEP_PENDING ? "\033[2m"
	                                         : "";
	struct xc_sanitize_pool z;
	char line[1024];
	size_t width = (size_t)p->cols - 1;

	/* A step's detail or error quotes what an agent said. */
	xc_sanitize_pool_init(&z, 0);
	snprintf(line, sizeof(line), "[%s] %3d %-13s %-14s %s", mark, s->id,
	         xc_step_kinds[s->kind].name,
	         xc_sanitize_str(&z, s->server ? s->server
	                                       : (s->issuer ? s->issuer : "-")),
	         st == RUNNING  ? "..."
	         : p->detail[i] ? xc_sanitize_str(&z, p->detail[i])
	                        : xc_sanitize_str(&z, s->cert));
	xc_sanitize_pool_release(&z);
	/* A wrapped line would throw the redrawing off by one. */
	if (width < sizeof(line) && strlen(line) > width)
		line[width] = '\0';
	fprintf(p->fp, "\r\033[K%s%s%s\n", on, line, p->color ? "\033[0m" : "");
}

static void draw(struct xc_progress *p)
{
	size_t i;

	if (p->drawn)
		fprintf(p->fp, "\033[%zuA", p->drawn);
	for (i = 0; i < p->plan->nsteps; i++)
		draw_line(p, i);
	p->drawn = p->plan->nsteps;
	fflush(p->fp);
}

void xc_progress_step(struct xc_progress *p, const struct xc_step *s,
                      const struct xc_step_result *res, bool done)
{
	size_t i = (size_t)(s->id - 1);
	const char *detail = !done                          ? NULL
	                     : res->state == XC_STEP_FAILED ? res->err.msg
	                                                    : res->detail;

	if (!p->live) {
		struct xc_sanitize_pool z;

		/* A step's detail or error quotes what an agent said. */
		xc_sanitize_pool_init(&z, 0);
		if (!done)
			fprintf(p->fp, "[%d/%zu] %s%s%s (%s) ...\n", s->id,
			        p->plan->nsteps, xc_step_kinds[s->kind].name,
			        s->server ? " on " : "",
			        s->server ? xc_sanitize_str(&z, s->server) : "",
			        xc_sanitize_str(&z, s->cert));
		else
			fprintf(p->fp, "[%d/%zu] %s: %s\n", s->id,
			        p->plan->nsteps, state_names[res->state],
			        detail ? xc_sanitize_str(&z, detail) : "");
		xc_sanitize_pool_release(&z);
		return;
	}
	if (i >= p->plan->nsteps)
		return;
	p->state[i] = done ? (int)res->state : RUNNING;
	if (detail) {
		free(p->detail[i]);
		p->detail[i] = xc_xstrdup(detail);
	}
	draw(p);
}

void xc_progress_release(struct xc_progress *p)
{
	size_t i;

	for (i = 0; p->detail && i < p->plan->nsteps; i++)
		free(p->detail[i]);
	free(p->detail);
	free(p->state);
	memset(p, 0, sizeof(p[0]));
}
