/* SPDX-License-Identifier: MIT */
/*
 * Exchange's AllowedServices flags, with the values Exchange itself uses
 * (IMAP=1, POP=2, UM=4, IIS=8, SMTP=16, Federation=32, UMCallRouter=64), so
 * that a mask read from a server compares directly.
 */
#ifndef XC_STATE_SERVICES_H
#define XC_STATE_SERVICES_H

enum xc_service {
	XC_SVC_IMAP = 1,
	XC_SVC_POP = 2,
	XC_SVC_UM = 4,
	XC_SVC_IIS = 8,
	XC_SVC_SMTP = 16,
	XC_SVC_FEDERATION = 32,
	XC_SVC_UMCALLROUTER = 64,
};

#define XC_SVC_ALL 127u

/* The flag for a name (case-insensitive, as Exchange reads it), or 0. */
unsigned xc_service_parse(const char *name);

/* Exchange's spelling of one flag ("UMCallRouter"), or NULL. */
const char *xc_service_name(unsigned flag);

/* A mask as Exchange prints it ("IMAP, POP, IIS, SMTP"); "None" for 0. */
void xc_services_format(unsigned mask, char *buf, unsigned long size);

#endif
