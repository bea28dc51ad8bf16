/* SPDX-License-Identifier: MIT */
/*
 * TLS probes: one poll() loop over non-blocking sockets and SSL objects.
 * Each endpoint is a small state machine: connect, the plain-text dialog
 * that leads to STARTTLS (SMTP, IMAP, POP3), the handshake, then what was
 * served is copied out and the connection dropped.
 */
#include "providers/probe/probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "state/clock.h"
#include "state/url.h"
#include "state/x509.h"
#include "state/xalloc.h"

#define SCHEMES "https smtp imap pop3 imaps pop3s"
#define MAX_ADDRS 8
#define LINE_MAX_BYTES 4096
#define DEFAULT_TIMEOUT_MS 10000u

enum kind { K_TLS, K_SMTP, K_IMAP, K_POP3 };

enum phase { P_IDLE, P_CONNECT, P_DIALOG, P_HANDSHAKE, P_DONE };

struct parsed {
	char thumbprint[41];
	char *subject;
	char *issuer;
	long long not_before;
	long long not_after;
};

/* What the endpoints of one run share. */
struct run {
	struct parsed *parsed; /* leaves seen so far */
	size_t nparsed;
	size_t cap;
};

struct ep {
	struct xc_probe_result *r;
	struct run *run;
	enum kind kind;
	char host[256]; /* the URL's: SNI and the name check */
	bool host_ip;
	struct sockaddr_storage addr[MAX_ADDRS];
	socklen_t addrlen[MAX_ADDRS];
	int naddr;
	int ai; /* the address being tried */
	int fd;
	SSL *ssl;
	enum phase phase;
	int step;       /* within the dialog: what the next reply answers */
	bool offered;   /* STARTTLS (STLS) seen in the capabilities */
	int nlines;     /* lines of the SMTP reply to EHLO so far */
	char caps[200]; /* the capabilities seen, for "not offered" */
	char in[LINE_MAX_BYTES];
	size_t inlen;
	char out[600];
	size_t outlen;
	size_t outoff;
	short events;
	long long deadline; /* ms, monotonic */
	struct timespec t0;
};

static enum kind kind_of(const char *scheme)
{
	if (strcmp(scheme, "smtp") == 0)
		return K_SMTP;
	if (strcmp(scheme, "imap") == 0)
		return K_IMAP;
	if (strcmp(scheme, "pop3") == 0)
		return K_POP3;
	return K_TLS;
}

static bool is_ip(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 ||
	       inet_pton(AF_INET6, host, buf) == 1;
}

/* "ADDR", "ADDR:PORT", "[V6]" or "[V6]:PORT"; a bare IPv6 address has
 * more than one colon and no port.  port stays 0 when none is given. */
static bool split_connect_to(const char *s, char *host, size_t size,
                             unsigned *port, char *why, size_t wsize)
{
	const char *colon = NULL;
	const char *h = s;
	size_t n;

	*port = 0;
	if (*s == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || (rb[1] && rb[1] != ':')) {
			snprintf(why, wsize, "bad connect-to address '%.80s'",
			         s);
			return false;
		}
		h = s + 1;
		n = (size_t)(rb - h);
		colon = rb[1] ? rb + 1 : NULL;
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL; /* an IPv6 address without a port */
		n = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (n == 0 || n >= size) {
		snprintf(why, wsize, "bad connect-to address '%.80s'", s);
		return false;
	}
	memcpy(host, h, n);
	host[n] = '\0';
	if (colon) {
		char *end;
		long p = strtol(colon + 1, &end, 10);

		if (!colon[1] || *end || p < 1 || p > 65535) {
			snprintf(
			        why, wsize,
			        "bad port in connect-to address '%.80s' (1 to 65535)",
			        s);
			return false;
		}
		*port = (unsigned)p;
	}
	return true;
}

bool xc_probe_check(const char *url, const char *connect_to, char *why,
                    size_t size)
{
	struct xc_url u;
	char host[256];
	unsigned port;

	if (!xc_url_parse(url, SCHEMES, &u, why, size))
		return false;
	if (connect_to &&
	    !split_connect_to(connect_to, host, sizeof(host), &port, why, size))
		return false;
	return true;
}

/* ---- results ---------------------------------------------------------- */

static void fail(struct ep *e, enum xc_code code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void fail(struct ep *e, enum xc_code code, const char *fmt, ...)
{
	va_list ap;

	if (e->phase == P_DONE)
		return;
	e->r->served = false;
	e->r->err.code = code;
	va_start(ap, fmt);
	vsnprintf(e->r->err.msg, sizeof(e->r->err.msg), fmt, ap);
	va_end(ap);
	e->phase = P_DONE;
}

static void finish_io(struct ep *e)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	e->r->seconds = (double)(t1.tv_sec - e->t0.tv_sec) +
	                (double)(t1.tv_nsec - e->t0.tv_nsec) / 1e9;
	if (e->ssl) {
		/* One close_notify, without waiting for the peer's. */
		if (e->r->served)
			(void)SSL_shutdown(e->ssl);
		SSL_free(e->ssl);
		e->ssl = NULL;
	}
	if (e->fd >= 0) {
		close(e->fd);
		e->fd = -1;
	}
	ERR_clear_error();
}

void xc_probe_result_release(struct xc_probe_result *r)
{
	size_t i;

	if (!r)
		return;
	free(r->leaf.der);
	for (i = 0; i < r->nchain; i++)
		free(r->chain[i].der);
	free(r->chain);
	free(r->subject);
	free(r->issuer);
	free(r->subject_cn);
	memset(r, 0, sizeof(*r));
}

static void der_of(X509 *x, struct xc_probe_cert *out)
{
	unsigned char *p;
	int len = i2d_X509(x, NULL);

	out->der = NULL;
	out->len = 0;
	if (len <= 0)
		return;
	out->der = xc_xmalloc((size_t)len);
	p = out->der;
	i2d_X509(x, &p);
	out->len = (size_t)len;
}

static char *common_name(X509 *x)
{
	X509_NAME *name = X509_get_subject_name(x);
	int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	unsigned char *utf8 = NULL;
	char *cn;
	int n;

	if (idx < 0)
		return xc_xstrdup("");
	n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(
	                                       X509_NAME_get_entry(name, idx)));
	if (n < 0)
		return xc_xstrdup("");
	cn = xc_xstrndup((const char *)utf8, (size_t)n);
	OPENSSL_free(utf8);
	return cn;
}

/* Subject, issuer and dates of a leaf, parsed once per run: endpoints
 * mostly serve a few certificates, and parsing one again (its key
 * included, through OpenSSL 3's decoders) costs more than the rest of what
 * is copied out. */
static void names(struct run *run, struct xc_probe_result *r)
{
	struct parsed *p = NULL;
	struct xc_x509 x;
	struct xc_error err;
	size_t i;

	for (i = 0; i < run->nparsed; i++)
		if (strcmp(run->parsed[i].thumbprint, r->thumbprint) == 0)
			p = &run->parsed[i];
	if (!p) {
		xc_xgrow((void **)&run->parsed, &run->cap, run->nparsed + 1,
		         sizeof(*run->parsed));
		p = &run->parsed[run->nparsed++];
		memset(p, 0, sizeof(*p));
		snprintf(p->thumbprint, sizeof(p->thumbprint), "%s",
		         r->thumbprint);
		if (xc_x509_parse(&x, r->leaf.der, r->leaf.len, &err) == 0) {
			p->subject = xc_xstrdup(x.subject);
			p->issuer = xc_xstrdup(x.issuer);
			p->not_before = x.not_before;
			p->not_after = x.not_after;
			xc_x509_release(&x);
		} else {
			p->subject = xc_xstrdup("");
			p->issuer = xc_xstrdup("");
		}
	}
	r->subject = xc_xstrdup(p->subject);
	r->issuer = xc_xstrdup(p->issuer);
	r->not_before = p->not_before;
	r->not_after = p->not_after;
}

/* Copies out what was served; the probe has succeeded. */
static void collect(struct ep *e)
{
	struct xc_probe_result *r = e->r;
	X509 *leaf = SSL_get0_peer_certificate(e->ssl);
	STACK_OF(X509) *sk = SSL_get_peer_cert_chain(e->ssl);
	long v;
	int i;

	if (!leaf) {
		fail(e, XC_EPROTO, "the server sent no certificate");
		return;
	}
	der_of(leaf, &r->leaf);
	xc_thumbprint(r->leaf.der, r->leaf.len, r->thumbprint);
	/* On the client side the peer's chain starts with the leaf. */
	if (sk && sk_X509_num(sk) > 1) {
		r->nchain = (size_t)sk_X509_num(sk) - 1;
		r->chain = xc_xcalloc(r->nchain, sizeof(*r->chain));
		for (i = 1; i < sk_X509_num(sk); i++)
			der_of(sk_X509_value(sk, i), &r->chain[i - 1]);
	}
	names(e->run, r);
	r->subject_cn = common_name(leaf);
	if (e->host_ip)
		r->hostname_match = X509_check_ip_asc(leaf, e->host, 0) == 1;
	else
		r->hostname_match =
		        X509_check_host(leaf, e->host, strlen(e->host), 0,
		                        NULL) == 1;
	v = SSL_get_verify_result(e->ssl);
	r->chain_verified = v == X509_V_OK;
	if (!r->chain_verified)
		snprintf(r->chain_error, sizeof(r->chain_error), "%s",
		         X509_verify_cert_error_string(v));
	snprintf(r->protocol, sizeof(r->protocol), "%s",
	         SSL_get_version(e->ssl));
	snprintf(r->cipher, sizeof(r->cipher), "%s",
	         SSL_get_cipher_name(e->ssl));
	r->served = true;
	e->phase = P_DONE;
}

/* ---- the handshake ---------------------------------------------------- */

static void handshake(struct ep *e)
{
	unsigned long code;
	const char *reason;
	int rc;
	int saved;

	ERR_clear_error();
	errno = 0;
	rc = SSL_connect(e->ssl);
	saved = errno;
	if (rc == 1) {
		collect(e);
		return;
	}
	switch (SSL_get_error(e->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		e->events = POLLIN;
		return;
	case SSL_ERROR_WANT_WRITE:
		e->events = POLLOUT;
		return;
	case SSL_ERROR_SSL:
		code = ERR_peek_last_error();
		reason = ERR_reason_error_string(code);
		if (ERR_GET_REASON(code) == SSL_R_WRONG_VERSION_NUMBER ||
		    ERR_GET_REASON(code) == SSL_R_PACKET_LENGTH_TOO_LONG)
			fail(e, XC_EPROTO,
			     "TLS handshake failed: %s (the server does not speak TLS here)",
			     reason ? reason : "unknown reason");
		else
			fail(e, XC_EPROTO, "TLS handshake failed: %s",
			     reason ? reason : "unknown reason");
		return;
	case SSL_ERROR_ZERO_RETURN:
		fail(e, XC_EPROTO,
		     "the server closed the connection during the TLS handshake");
		return;
	default:
		if (saved != 0)
			fail(e, XC_EIO, "TLS handshake failed: %s",
			     strerror(saved));
		else
			fail(e, XC_EPROTO,
			     "the server closed the connection during the TLS handshake");
		return;
	}
}

static void start_tls(struct ep *e, SSL_CTX *ctx)
{
	e->ssl = SSL_new(ctx);
	if (!e->ssl || SSL_set_fd(e->ssl, e->fd) != 1) {
		fail(e, XC_ERR, "cannot make a TLS connection object");
		return;
	}
	/* RFC 6066: no SNI for an address. */
	if (!e->host_ip)
		SSL_set_tlsext_host_name(e->ssl, e->host);
	SSL_set_connect_state(e->ssl);
	e->phase = P_HANDSHAKE;
	handshake(e);
}

/* ---- the plain-text dialog before STARTTLS ---------------------------- */

static void say(struct ep *e, const char *line)
{
	ssize_t n;

	e->outlen = (size_t)snprintf(e->out, sizeof(e->out), "%s\r\n", line);
	e->outoff = 0;
	n = send(e->fd, e->out, e->outlen, MSG_NOSIGNAL);
	if (n > 0)
		e->outoff = (size_t)n;
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
		fail(e, XC_EIO, "cannot send %s: %s", line, strerror(errno));
		return;
	}
	e->events = e->outoff < e->outlen ? POLLOUT : POLLIN;
}

static bool has_word(const char *text, const char *word)
{
	size_t n = strlen(word);
	const char *p = text;

	while (*p) {
		while (*p == ' ')
			p++;
		if (strncasecmp(p, word, n) == 0 && (p[n] == ' ' || !p[n]))
			return true;
		while (*p && *p != ' ')
			p++;
	}
	return false;
}

static void add_cap(struct ep *e, const char *cap)
{
	size_t len = strlen(e->caps);

	if (len + 2 < sizeof(e->caps))
		snprintf(e->caps + len, sizeof(e->caps) - len, "%s%s",
		         len ? ", " : "", cap);
}

static const char *smtp_what[] = {"its greeting", "the answer to EHLO",
                                  "the answer to STARTTLS"};

/* One line of an SMTP reply; acts on the last line of each reply. */
static void smtp_line(struct ep *e, const char *line, SSL_CTX *ctx)
{
	int code;

	if (strlen(line) < 3 || line[0] < '1' || line[0] > '5' ||
	    line[1] < '0' || line[1] > '9' || line[2] < '0' || line[2] > '9' ||
	    (line[3] && line[3] != ' ' && line[3] != '-')) {
		fail(e, XC_EPROTO, "%s is not an SMTP reply: '%.120s'",
		     e->step == 0 ? "bad greeting: the server's first line"
		                  : "the answer",
		     line);
		return;
	}
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	/* EHLO's first line greets; each further line is an extension. */
	if (e->step == 1 && code == 250 && e->nlines++ > 0 && line[3]) {
		if (has_word(line + 4, "STARTTLS") &&
		    strncasecmp(line + 4, "STARTTLS", 8) == 0)
			e->offered = true;
		add_cap(e, line + 4);
	}
	if (line[3] == '-')
		return; /* more lines of this reply follow */
	switch (e->step) {
	case 0:
		if (code != 220) {
			fail(e, XC_EPROTO, "bad greeting: '%.160s'", line);
			return;
		}
		e->step = 1;
		return; /* EHLO is sent by the caller, which knows the name */
	case 1:
		if (code != 250) {
			fail(e, XC_EPROTO, "EHLO refused: '%.160s'", line);
			return;
		}
		if (!e->offered) {
			fail(e, XC_EPROTO,
			     "no STARTTLS offered (EHLO answered: %s)",
			     e->caps[0] ? e->caps : "no extensions");
			return;
		}
		e->step = 2;
		say(e, "STARTTLS");
		return;
	default:
		if (code != 220) {
			fail(e, XC_EPROTO, "STARTTLS refused: '%.160s'", line);
			return;
		}
		start_tls(e, ctx);
		return;
	}
}

static void imap_line(struct ep *e, const char *line, SSL_CTX *ctx)
{
	switch (e->step) {
	case 0:
		if (strncasecmp(line, "* OK", 4) != 0 &&
		    strncasecmp(line, "* PREAUTH", 9) != 0) {
			fail(e, XC_EPROTO, "bad greeting: '%.160s'", line);
			return;
		}
		e->step = 1;
		say(e, "a1 CAPABILITY");
		return;
	case 1:
		if (strncasecmp(line, "* CAPABILITY ", 13) == 0) {
			e->offered = has_word(line + 13, "STARTTLS");
			snprintf(e->caps, sizeof(e->caps), "%s", line + 13);
			return;
		}
		if (line[0] == '*')
			return;
		if (strncasecmp(line, "a1 OK", 5) != 0) {
			fail(e, XC_EPROTO, "CAPABILITY refused: '%.160s'",
			     line);
			return;
		}
		if (!e->offered) {
			fail(e, XC_EPROTO,
			     "no STARTTLS offered (CAPABILITY: %s)",
			     e->caps[0] ? e->caps : "none");
			return;
		}
		e->step = 2;
		say(e, "a2 STARTTLS");
		return;
	default:
		if (line[0] == '*')
			return;
		if (strncasecmp(line, "a2 OK", 5) != 0) {
			fail(e, XC_EPROTO, "STARTTLS refused: '%.160s'", line);
			return;
		}
		start_tls(e, ctx);
		return;
	}
}

static void pop3_line(struct ep *e, const char *line, SSL_CTX *ctx)
{
	switch (e->step) {
	case 0:
		if (strncmp(line, "+OK", 3) != 0) {
			fail(e, XC_EPROTO, "bad greeting: '%.160s'", line);
			return;
		}
		e->step = 1;
		say(e, "CAPA");
		return;
	case 1: /* the status line of CAPA */
		if (strncmp(line, "+OK", 3) != 0) {
			fail(e, XC_EPROTO,
			     "no STLS offered (CAPA refused: '%.120s')", line);
			return;
		}
		e->step = 2;
		return;
	case 2: /* the capabilities, up to "." */
		if (strcmp(line, ".") != 0) {
			if (strncasecmp(line, "STLS", 4) == 0 &&
			    (!line[4] || line[4] == ' '))
				e->offered = true;
			add_cap(e, line);
			return;
		}
		if (!e->offered) {
			fail(e, XC_EPROTO, "no STLS offered (CAPA: %s)",
			     e->caps[0] ? e->caps : "none");
			return;
		}
		e->step = 3;
		say(e, "STLS");
		return;
	default:
		if (strncmp(line, "+OK", 3) != 0) {
			fail(e, XC_EPROTO, "STLS refused: '%.160s'", line);
			return;
		}
		start_tls(e, ctx);
		return;
	}
}

static const char *waiting_for(const struct ep *e)
{
	switch (e->kind) {
	case K_SMTP:
		return smtp_what[e->step < 3 ? e->step : 2];
	case K_IMAP:
		return e->step == 0   ? "its greeting"
		       : e->step == 1 ? "the answer to CAPABILITY"
		                      : "the answer to STARTTLS";
	case K_POP3:
		return e->step == 0   ? "its greeting"
		       : e->step <= 2 ? "the answer to CAPA"
		                      : "the answer to STLS";
	default:
		return "";
	}
}

static void dialog(struct ep *e, short revents, SSL_CTX *ctx, const char *ehlo)
{
	char *nl;
	ssize_t n;

	if ((revents & POLLOUT) && e->outoff < e->outlen) {
		n = send(e->fd, e->out + e->outoff, e->outlen - e->outoff,
		         MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			fail(e, XC_EIO, "cannot send to the server: %s",
			     strerror(errno));
			return;
		}
		if (n > 0)
			e->outoff += (size_t)n;
		e->events = e->outoff < e->outlen ? POLLOUT : POLLIN;
	}
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	n = recv(e->fd, e->in + e->inlen, sizeof(e->in) - 1 - e->inlen, 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		fail(e, XC_EIO, "%s while waiting for %s", strerror(errno),
		     waiting_for(e));
		return;
	}
	if (n == 0) {
		fail(e, XC_EPROTO, "the server closed the connection before %s",
		     waiting_for(e));
		return;
	}
	e->inlen += (size_t)n;
	e->in[e->inlen] = '\0';
	while (e->phase == P_DIALOG && (nl = memchr(e->in, '\n', e->inlen))) {
		size_t used = (size_t)(nl - e->in) + 1;
		char line[LINE_MAX_BYTES];
		size_t len = used - 1;

		if (len > 0 && e->in[len - 1] == '\r')
			len--;
		memcpy(line, e->in, len);
		line[len] = '\0';
		memmove(e->in, e->in + used, e->inlen - used);
		e->inlen -= used;
		switch (e->kind) {
		case K_SMTP: {
			int before = e->step;

			smtp_line(e, line, ctx);
			if (e->phase == P_DIALOG && before == 0 &&
			    e->step == 1) {
				char cmd[300];

				snprintf(cmd, sizeof(cmd), "EHLO %s", ehlo);
				say(e, cmd);
			}
			break;
		}
		case K_IMAP:
			imap_line(e, line, ctx);
			break;
		case K_POP3:
			pop3_line(e, line, ctx);
			break;
		default:
			break;
		}
		/* Bytes after the answer to STARTTLS would be read as if
		 * they came through TLS (CVE-2011-0411's injection). */
		if (e->phase == P_HANDSHAKE && e->inlen > 0)
			fail(e, XC_EPROTO,
			     "the server sent more after its answer to STARTTLS");
	}
	if (e->phase == P_DIALOG && e->inlen >= sizeof(e->in) - 1)
		fail(e, XC_EPROTO, "a line longer than %d bytes in %s",
		     LINE_MAX_BYTES, waiting_for(e));
}

/* ---- connecting ------------------------------------------------------- */

static void addr_text(const struct sockaddr_storage *sa, char *out, size_t size)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(out, size, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(out, size, "%s:%u", ip, ntohs(s4->sin_port));
	}
}

static void connected(struct ep *e, SSL_CTX *ctx)
{
	int one = 1;

	setsockopt(e->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (e->kind == K_TLS) {
		start_tls(e, ctx);
	} else {
		e->phase = P_DIALOG;
		e->events = POLLIN;
	}
}

/* Tries the addresses from e->ai on; the first that does not fail at once
 * is kept.  The error of the last one tried is the endpoint's. */
static void try_connect(struct ep *e, SSL_CTX *ctx)
{
	for (; e->ai < e->naddr; e->ai++) {
		const struct sockaddr_storage *sa = &e->addr[e->ai];
		int rc;

		addr_text(sa, e->r->address, sizeof(e->r->address));
		e->fd = socket(sa->ss_family,
		               SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (e->fd < 0) {
			fail(e, XC_EIO, "cannot make a socket: %s",
			     strerror(errno));
			return;
		}
		rc = connect(e->fd, (const struct sockaddr *)sa,
		             e->addrlen[e->ai]);
		if (rc == 0) {
			connected(e, ctx);
			return;
		}
		if (errno == EINPROGRESS) {
			e->phase = P_CONNECT;
			e->events = POLLOUT;
			return;
		}
		if (e->ai + 1 == e->naddr) {
			if (errno == ECONNREFUSED)
				fail(e, XC_EIO, "connection refused by %s",
				     e->r->address);
			else
				fail(e, XC_EIO, "cannot connect to %s: %s",
				     e->r->address, strerror(errno));
			return;
		}
		close(e->fd);
		e->fd = -1;
	}
}

static void connect_done(struct ep *e, SSL_CTX *ctx)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (getsockopt(e->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
		soerr = errno;
	if (soerr == 0) {
		connected(e, ctx);
		return;
	}
	if (e->ai + 1 < e->naddr) {
		close(e->fd);
		e->fd = -1;
		e->ai++;
		try_connect(e, ctx);
		return;
	}
	if (soerr == ECONNREFUSED)
		fail(e, XC_EIO, "connection refused by %s", e->r->address);
	else
		fail(e, XC_EIO, "cannot connect to %s: %s", e->r->address,
		     strerror(soerr));
}

static void timed_out(struct ep *e, unsigned timeout_ms)
{
	double s = timeout_ms / 1000.0;

	switch (e->phase) {
	case P_CONNECT:
		fail(e, XC_ETIMEOUT, "timeout after %g s connecting to %s", s,
		     e->r->address);
		break;
	case P_DIALOG:
		fail(e, XC_ETIMEOUT,
		     "timeout after %g s waiting for %s from %s", s,
		     waiting_for(e), e->r->address);
		break;
	default:
		fail(e, XC_ETIMEOUT,
		     "timeout after %g s in the TLS handshake with %s", s,
		     e->r->address);
		break;
	}
}

/* ---- names ------------------------------------------------------------ */

struct name {
	char host[256];
	struct sockaddr_storage addr[MAX_ADDRS];
	socklen_t addrlen[MAX_ADDRS];
	int naddr;
	char error[200];
};

static const struct name *resolve(struct name **cache, size_t *n, size_t *cap,
                                  const char *host)
{
	struct addrinfo hints;
	struct addrinfo *res = NULL;
	struct addrinfo *ai;
	struct name *nm;
	size_t i;
	int rc;

	for (i = 0; i < *n; i++)
		if (strcmp((*cache)[i].host, host) == 0)
			return &(*cache)[i];
	xc_xgrow((void **)cache, cap, *n + 1, sizeof(**cache));
	nm = &(*cache)[(*n)++];
	memset(nm, 0, sizeof(*nm));
	snprintf(nm->host, sizeof(nm->host), "%s", host);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = is_ip(host) ? AI_NUMERICHOST : 0;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0) {
		snprintf(nm->error, sizeof(nm->error),
		         "cannot resolve '%s': %s", host, gai_strerror(rc));
		return nm;
	}
	for (ai = res; ai && nm->naddr < MAX_ADDRS; ai = ai->ai_next) {
		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof(nm->addr[0]))
			continue;
		memcpy(&nm->addr[nm->naddr], ai->ai_addr, ai->ai_addrlen);
		nm->addrlen[nm->naddr++] = ai->ai_addrlen;
	}
	freeaddrinfo(res);
	if (nm->naddr == 0)
		snprintf(nm->error, sizeof(nm->error),
		         "'%s' has no IPv4 or IPv6 address", host);
	return nm;
}

static void set_port(struct sockaddr_storage *sa, unsigned port)
{
	if (sa->ss_family == AF_INET6)
		((struct sockaddr_in6 *)(void *)sa)->sin6_port =
		        htons((uint16_t)port);
	else
		((struct sockaddr_in *)(void *)sa)->sin_port =
		        htons((uint16_t)port);
}

/* Fills e from its target; false when it failed already (bad URL, name
 * not resolved), with the reason in its result. */
static bool prepare(struct ep *e, const struct xc_probe_target *t,
                    struct name **cache, size_t *ncache, size_t *cap)
{
	struct xc_url u;
	char why[300];
	char chost[256];
	unsigned cport = 0;
	const struct name *nm;
	int i;

	e->fd = -1;
	if (!xc_url_parse(t->url, SCHEMES, &u, why, sizeof(why))) {
		fail(e, XC_EINVAL, "%s", why);
		return false;
	}
	e->kind = kind_of(u.scheme);
	snprintf(e->host, sizeof(e->host), "%s", u.host);
	e->host_ip = is_ip(u.host);
	snprintf(chost, sizeof(chost), "%s", u.host);
	if (t->connect_to &&
	    !split_connect_to(t->connect_to, chost, sizeof(chost), &cport, why,
	                      sizeof(why))) {
		fail(e, XC_EINVAL, "%s", why);
		return false;
	}
	if (cport == 0)
		cport = u.port;
	nm = resolve(cache, ncache, cap, chost);
	if (nm->error[0]) {
		fail(e, XC_ENOTFOUND, "%s", nm->error);
		return false;
	}
	for (i = 0; i < nm->naddr; i++) {
		e->addr[i] = nm->addr[i];
		e->addrlen[i] = nm->addrlen[i];
		set_port(&e->addr[i], cport);
	}
	e->naddr = nm->naddr;
	return true;
}

/* ---- the run ---------------------------------------------------------- */

/*
 * The system's trust store, as a hashed directory (Debian's /etc/ssl/certs)
 * rather than the one big bundle file: a directory is read lazily, one CA
 * file per issuer a chain names, where the bundle costs ~30 ms of parsing
 * per run.  SSL_CERT_FILE, when set, is honoured as OpenSSL does.
 */
static int load_system_store(SSL_CTX *ctx)
{
	/* NOLINTNEXTLINE(concurrency-mt-unsafe) */
	const char *file = getenv(X509_get_default_cert_file_env());
	/* NOLINTNEXTLINE(concurrency-mt-unsafe) */
	const char *dir = getenv(X509_get_default_cert_dir_env());

	if (file && *file)
		return SSL_CTX_load_verify_file(ctx, file);
	return SSL_CTX_load_verify_dir(
	        ctx, dir && *dir ? dir : X509_get_default_cert_dir());
}

static SSL_CTX *make_ctx(const char *ca_bundle, struct xc_error *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	unsigned long e;

	if (!ctx) {
		xc_error_set(err, XC_ERR, "cannot make a TLS context");
		return NULL;
	}
	/* A probe reports what is served, old protocols and weak keys
	 * included, rather than refusing to look at them. */
	SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
	/* The chain is still verified; its outcome becomes a field. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	ERR_clear_error();
	if (ca_bundle ? SSL_CTX_load_verify_file(ctx, ca_bundle) != 1
	              : load_system_store(ctx) != 1) {
		e = ERR_peek_last_error();
		xc_error_set(err, XC_EIO, "cannot load the CA bundle '%s': %s",
		             ca_bundle ? ca_bundle : "(system)",
		             ERR_reason_error_string(e)
		                     ? ERR_reason_error_string(e)
		                     : "no certificates in it");
		ERR_clear_error();
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* How many connections at once: what the descriptor limit allows (raised
 * to its hard limit when needed), less a reserve for the rest of the
 * process. */
static size_t max_parallel(size_t n, unsigned asked)
{
	struct rlimit rl;
	size_t lim = 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < n + 64 &&
		    rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ||
			                              rl.rlim_max > n + 64
			                      ? n + 64
			                      : rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
			getrlimit(RLIMIT_NOFILE, &rl);
		}
		if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 100000)
			lim = 100000;
		else if (rl.rlim_cur > 64)
			lim = (size_t)rl.rlim_cur - 32;
	}
	if (asked && asked < lim)
		lim = asked;
	return lim < n ? lim : n;
}

static void advance(struct ep *e, short revents, SSL_CTX *ctx, const char *ehlo)
{
	switch (e->phase) {
	case P_CONNECT:
		connect_done(e, ctx);
		break;
	case P_DIALOG:
		dialog(e, revents, ctx, ehlo);
		break;
	case P_HANDSHAKE:
		handshake(e);
		break;
	default:
		break;
	}
}

int xc_probe_run(const struct xc_probe_target *targets, size_t n,
                 const struct xc_probe_opts *opts,
                 struct xc_probe_result *results, struct xc_error *err)
{
	unsigned timeout = opts && opts->timeout_ms ? opts->timeout_ms
	                                            : DEFAULT_TIMEOUT_MS;
	const char *ehlo =
	        opts && opts->ehlo_name ? opts->ehlo_name : "excert.invalid";
	struct run run = {NULL, 0, 0};
	struct name *cache = NULL;
	size_t ncache = 0;
	size_t ccap = 0;
	struct ep *eps;
	struct ep **active;
	struct pollfd *pfd;
	size_t nactive = 0;
	size_t next = 0;
	size_t maxpar;
	long long run_end = 0;
	SSL_CTX *ctx;
	size_t i;

	for (i = 0; i < n; i++)
		memset(&results[i], 0, sizeof(results[i]));
	if (n == 0)
		return 0;
	ctx = make_ctx(opts ? opts->ca_bundle : NULL, err);
	if (!ctx)
		return err->code;
	eps = xc_xcalloc(n, sizeof(*eps));
	for (i = 0; i < n; i++) {
		eps[i].r = &results[i];
		eps[i].run = &run;
		eps[i].fd = -1;
		if (!prepare(&eps[i], &targets[i], &cache, &ncache, &ccap))
			eps[i].phase = P_DONE;
	}
	free(cache);
	maxpar = max_parallel(n, opts ? opts->parallel : 0);
	active = xc_xcalloc(maxpar, sizeof(*active));
	pfd = xc_xcalloc(maxpar, sizeof(*pfd));
	if (opts && opts->deadline_ms)
		run_end = xc_clock_ms() + opts->deadline_ms;
	for (;;) {
		long long now = xc_clock_ms();
		long long wait;
		size_t k;

		while (nactive < maxpar && next < n &&
		       (!run_end || now < run_end)) {
			struct ep *e = &eps[next++];

			if (e->phase == P_DONE)
				continue;
			clock_gettime(CLOCK_MONOTONIC, &e->t0);
			e->deadline = now + timeout;
			try_connect(e, ctx);
			if (e->phase == P_DONE)
				finish_io(e);
			else
				active[nactive++] = e;
		}
		if (nactive == 0)
			break;
		wait = -1;
		for (k = 0; k < nactive; k++) {
			pfd[k].fd = active[k]->fd;
			pfd[k].events = active[k]->events;
			pfd[k].revents = 0;
			if (wait < 0 || active[k]->deadline - now < wait)
				wait = active[k]->deadline - now;
		}
		if (run_end && (wait < 0 || run_end - now < wait))
			wait = run_end - now;
		if (wait < 0)
			wait = 0;
		if (poll(pfd, (nfds_t)nactive, (int)wait) < 0 &&
		    errno != EINTR) {
			for (k = 0; k < nactive; k++) {
				fail(active[k], XC_EIO, "poll failed: %s",
				     strerror(errno));
				finish_io(active[k]);
			}
			nactive = 0;
			break;
		}
		now = xc_clock_ms();
		for (k = 0; k < nactive; k++) {
			struct ep *e = active[k];

			if (pfd[k].revents)
				advance(e, pfd[k].revents, ctx, ehlo);
			if (e->phase != P_DONE && now >= e->deadline)
				timed_out(e, timeout);
			if (e->phase != P_DONE && run_end && now >= run_end)
				fail(e, XC_ETIMEOUT,
				     "the run's deadline of %g s passed while probing %s",
				     opts->deadline_ms / 1000.0, e->r->address);
		}
		for (k = 0; k < nactive;) {
			if (active[k]->phase == P_DONE) {
				finish_io(active[k]);
				active[k] = active[--nactive];
				/* keep pfd aligned for the next round: it is
				 * rebuilt from active[] anyway */
			} else {
				k++;
			}
		}
		if (run_end && now >= run_end && nactive == 0)
			break;
	}
	for (; next < n; next++) {
		struct ep *e = &eps[next];

		fail(e, XC_ETIMEOUT,
		     "not probed: the run's deadline of %g s passed first",
		     opts && opts->deadline_ms ? opts->deadline_ms / 1000.0
		                               : 0.0);
	}
	for (i = 0; i < run.nparsed; i++) {
		free(run.parsed[i].subject);
		free(run.parsed[i].issuer);
	}
	free(run.parsed);
	free(active);
	free(pfd);
	free(eps);
	SSL_CTX_free(ctx);
	return 0;
}
