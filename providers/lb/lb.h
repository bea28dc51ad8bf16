/* SPDX-License-Identifier: MIT */
/*
 * Load balancers in front of Exchange: what each serves, and replacing it.
 * One driver per kind, one file each (haproxy.c, nginx.c); a driver is a
 * table of functions and the list of drivers is one array in lb.c, so an
 * F5 BIG-IP, KEMP or NetScaler REST driver is one more file and one line.
 *
 * A load balancer is named under load_balancers: in excert.yaml (struct
 * xc_lb, state/model.h); exactly one kind's settings are set.
 *
 * Thumbprints are SHA-1 of the leaf's DER in upper-case hex, as Exchange
 * writes them, so that what a load balancer serves compares directly with
 * what Exchange holds.  Key material is never logged or put in an error.
 *
 * The drivers (docs/load-balancers.md has the order of their steps and
 * why):
 *   haproxy  served: `show ssl cert FILE` on the runtime API (5 s of
 *            silence, 30 s in all, per command); update: set + commit on
 *            the runtime API (abort on any error), then the file on disk
 *            (0600, atomic); if the file cannot be written the old
 *            certificate is committed again.  sni is not used.
 *   nginx    served: a TLS handshake with address (5 s), SNI = sni;
 *            update: key (0600) and certificate files written atomically,
 *            nginx -t, nginx -s reload (each killed after 30 s; the old
 *            files are put back when either fails), then served() every
 *            200 ms until the new leaf is seen, 10 s at most.
 * Calls are synchronous and keep no state between them; several may run at
 * once on different load balancers.
 */
#ifndef XC_PROVIDERS_LB_LB_H
#define XC_PROVIDERS_LB_LB_H

#include <stddef.h>

#include "state/error.h"
#include "state/model.h"

struct xc_lb_driver {
	const char *kind; /* "haproxy": the key under the load balancer */
	/* Whether lb's settings are this kind's. */
	int (*is)(const struct xc_lb *lb);
	/* Where the driver looks, in words for the reader (a file, an
	 * address and SNI), in out (size bytes). */
	void (*describe)(const struct xc_lb *lb, const char *sni, char *out,
	                 size_t size);
	/*
	 * The thumbprint of the leaf lb serves now (thumb, 41 bytes).  sni is
	 * the certificate's first domain, for drivers that must look by a
	 * TLS handshake.  0, or a negative xc_code with err naming the load
	 * balancer and what failed.
	 */
	int (*served)(const struct xc_lb *lb, const char *sni, char *thumb,
	              struct xc_error *err);
	/*
	 * Makes lb serve chain_pem (leaf first, then the intermediates) with
	 * key_pem, live and on disk (a restart or reload keeps it), and
	 * confirms it is served.  detail (size bytes) says what was done, for
	 * the journal.  On failure what was served stays served.
	 */
	int (*update)(const struct xc_lb *lb, const char *sni,
	              const char *chain_pem, const char *key_pem, char *detail,
	              size_t size, struct xc_error *err);
};

/* The driver for lb, or NULL when no driver knows it. */
const struct xc_lb_driver *xc_lb_driver_of(const struct xc_lb *lb);

/* The kind of lb ("haproxy", "nginx"), or "" when no driver knows it. */
const char *xc_lb_kind_of(const struct xc_lb *lb);

/* Convenience: the driver's served/update, with an error naming lb when
 * it has no driver. */
int xc_lb_served(const struct xc_lb *lb, const char *sni, char *thumb,
                 struct xc_error *err);
int xc_lb_update(const struct xc_lb *lb, const char *sni, const char *chain_pem,
                 const char *key_pem, char *detail, size_t size,
                 struct xc_error *err);

/* Largest certificate chain or key file read or sent: 1 MiB. */
#define XC_LB_PEM_MAX ((size_t)1024 * 1024)

/*
 * Reads a PEM file (a chain or a key) whole, at most XC_LB_PEM_MAX bytes,
 * into one allocation, so that a key leaves no stray copies behind in
 * freed memory.  0 with *out (NUL-terminated; caller frees with
 * xc_wipe_free_str), or XC_ENOTFOUND, XC_ENOMEM or XC_EIO with err naming
 * the file (never its contents).
 */
int xc_lb_read_pem(const char *path, char **out, struct xc_error *err);

/*
 * The first certificate of chain_pem, the leaf: its thumbprint (41 bytes)
 * and its first DNS name (dns, size bytes; "" when it has none; dns may be
 * NULL).  0, or XC_EINVAL when chain_pem holds no PEM certificate.
 */
int xc_lb_leaf(const char *chain_pem, char thumb[41], char *dns, size_t size,
               struct xc_error *err);

#endif
