/* SPDX-License-Identifier: MIT */
/* Exit codes of excert (DESIGN.md §8), after Terraform and sysexits.h. */
#ifndef XC_CMD_EXIT_H
#define XC_CMD_EXIT_H

enum xc_exit {
	XC_EXIT_OK = 0,       /* success, or nothing to change */
	XC_EXIT_ERROR = 1,    /* something failed */
	XC_EXIT_CHANGES = 2,  /* changes pending (plan -detailed, drift) */
	XC_EXIT_USAGE = 64,   /* bad command line */
	XC_EXIT_DATAERR = 65, /* invalid desired state */
};

#endif
