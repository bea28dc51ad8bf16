/* SPDX-License-Identifier: MIT */
/*
 * Exchange's TlsCertificateName (SmtpX509Identifier): "<I>" issuer "<S>"
 * subject, built from Get-ExchangeCertificate's Issuer and Subject strings.
 * The one place where such names are made, split and compared: the planner,
 * the runner, observe, the removal guards and the lab all use it, so that
 * the emulator and the planner can never disagree about whether a
 * connector names a certificate.
 */
#ifndef XC_STATE_TLSNAME_H
#define XC_STATE_TLSNAME_H

#include <stdbool.h>
#include <stddef.h>

/* "<I>issuer<S>subject"; caller frees. */
char *xc_tls_certificate_name(const char *issuer, const char *subject);

/* Splits a TlsCertificateName (markers in any case, as Exchange parses
 * them) into issuer and subject; false when it has not that form or a part
 * does not fit size. */
bool xc_tls_split(const char *v, char *issuer, char *subject, size_t size);

/* Whether two TlsCertificateNames name the same issuer and subject: the
 * X.500 names compared attribute by attribute, without regard to case or
 * the spaces around separators (state/dn.h), as Exchange matches a
 * certificate's names; false when either is NULL or malformed. */
bool xc_tls_equal(const char *a, const char *b);

#endif
