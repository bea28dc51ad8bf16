/* SPDX-License-Identifier: MIT */
/*
 * What the load-balancer drivers share (providers/lb/ only): the driver
 * tables, files written in place of the ones a server reads, programs run
 * without a shell, and a server's messages cut to a line.
 */
#ifndef XC_PROVIDERS_LB_LBINT_H
#define XC_PROVIDERS_LB_LBINT_H

#include <stdbool.h>
#include <stddef.h>

#include "providers/lb/lb.h"

extern const struct xc_lb_driver xc_lb_haproxy;
extern const struct xc_lb_driver xc_lb_nginx;

/*
 * Replaces the file at path with len bytes of data, atomically and durably
 * (xc_write_file_atomic: a temporary file in the same directory, mode
 * exactly mode, fsync, rename, fsync of the directory).  When path is a
 * symbolic link (certbot's live/ directory), the file it points to is
 * replaced and the link kept, so that the server's configuration still
 * names what it named.  First xc_lb_check_path.  0, or XC_EINVAL or XC_EIO
 * with err naming the file.
 */
int xc_lb_write(const char *path, const void *data, size_t len, int mode,
                struct xc_error *err);

/*
 * Whether path (followed when it is a symbolic link, which must not
 * dangle) may be written: a regular file or nothing yet, owned by root or
 * by the user running excert and writable by no one else, in a directory
 * owned by root or by that user and not writable by others.  Drivers call
 * it for every file before changing anything.  0, or XC_EINVAL (or XC_EIO)
 * with err naming the path and why.
 */
int xc_lb_check_path(const char *path, struct xc_error *err);

/*
 * Reads the file at path whole, as xc_lb_read_pem, for a copy to put back;
 * XC_ENOTFOUND when it does not exist.  *mode is its permission bits.
 */
int xc_lb_read_old(const char *path, char **out, size_t *len, int *mode,
                   struct xc_error *err);

/*
 * Runs argv[0] (found through PATH when it has no '/') with argv, never
 * through a shell, stdin from /dev/null, stdout and stderr together into
 * out (size bytes, NUL-terminated; what does not fit is read and dropped).
 * Killed (SIGKILL) after timeout_ms.  Returns 0 when the program ran to its
 * end, with *status its exit status (-1 when a signal ended it); or XC_EIO
 * (it could not be started) or XC_ETIMEOUT with err set.
 */
int xc_lb_run(char *const argv[], unsigned timeout_ms, int *status, char *out,
              size_t size, struct xc_error *err);

/*
 * A server's message for an error: the non-empty lines of text joined with
 * "; ", without a "prefix" at their start ("nginx: "), cut to size.  Lines
 * that look like PEM (a "-----" armour line, or 64 base64 characters) are
 * left out, so that no key material can reach an error.
 */
void xc_lb_message(const char *text, const char *prefix, char *out,
                   size_t size);

#endif
