/* SPDX-License-Identifier: MIT */
/*
 * HAProxy through its runtime API (the stats socket, level admin): what a
 * frontend serves is what `show ssl cert FILE` calls its SHA1 FingerPrint,
 * and a new certificate goes live with `set ssl cert FILE <<` and `commit
 * ssl cert FILE`, without a reload.  HAProxy 2.2 and later.
 *
 * One command per connection: HAProxy answers, then closes (the API's
 * non-interactive mode), so a reply is everything read until EOF, and no
 * command can see another's leftovers.  Each connection has CLI_IDLE_MS of
 * silence at most and CLI_TOTAL_MS in all.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "providers/lb/lbint.h"
#include "state/clock.h"
#include "state/buf.h"
#include "state/secret.h"
#include "state/xalloc.h"

#define CLI_IDLE_MS 5000
#define CLI_TOTAL_MS 30000
#define REPLY_MAX ((size_t)256 * 1024)

static int is_haproxy(const struct xc_lb *lb)
{
	return lb->haproxy != NULL;
}

/* ---- the socket ---------------------------------------------------------- */

static int wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		struct pollfd p = {fd, events, 0};
		long long left = deadline - xc_clock_ms();
		int n;

		if (left <= 0)
			return 0;
		n = poll(&p, 1, left > CLI_IDLE_MS ? CLI_IDLE_MS : (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		return n;
	}
}

static int set_nonblock(int fd)
{
	int f = fcntl(fd, F_GETFL);

	return f < 0 ? -1 : fcntl(fd, F_SETFL, f | O_NONBLOCK);
}

static int connect_error(const char *spec, int e, struct xc_error *err)
{
	if (e == ENOENT)
		return xc_error_set(
		        err, XC_ENOTFOUND,
		        "HAProxy's runtime API socket '%s' does not exist (is "
		        "HAProxy running, with 'stats socket %s level admin' "
		        "in its global section?)",
		        spec, spec);
	if (e == ECONNREFUSED)
		return xc_error_set(err, XC_EIO,
		                    "HAProxy's runtime API at '%s' refused the "
		                    "connection (is HAProxy running?)",
		                    spec);
	return xc_error_set(err, XC_EIO,
	                    "cannot connect to HAProxy's runtime API at '%s': "
	                    "%s",
	                    spec, strerror(e));
}

/* A Unix socket: connect() is immediate, or EAGAIN while HAProxy's backlog
 * is full, which is worth a few more tries before the deadline. */
static int connect_unix(const char *spec, const char *path, long long deadline,
                        int *out, struct xc_error *err)
{
	struct sockaddr_un sa;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return xc_error_set(err, XC_EINVAL,
		                    "HAProxy's runtime API socket path '%s' is "
		                    "longer than a Unix socket path may be",
		                    path);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	for (;;) {
		int e;

		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 ||
		    set_nonblock(fd) != 0) {
			e = errno;
			if (fd >= 0)
				close(fd);
			return connect_error(spec, e, err);
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			*out = fd;
			return 0;
		}
		e = errno;
		close(fd);
		if (e != EAGAIN || xc_clock_ms() >= deadline)
			return connect_error(spec, e, err);
		xc_sleep_ms(50, NULL);
	}
}

/* 127.0.0.0/8, ::1, or ::ffff:127.0.0.0/104. */
static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
		        (const struct sockaddr_in6 *)sa;
		const unsigned char *b = in6->sin6_addr.s6_addr;

		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
		       (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && b[12] == 127);
	}
	return false;
}

/*
 * "ipv4@HOST:PORT", "ipv6@[ADDR]:PORT" (or without brackets: the last
 * colon starts the port).  With secret (the command carries a private
 * key), every address HOST resolves to must be a loopback one: the
 * runtime API has neither TLS nor authentication.
 */
static int connect_tcp(const char *spec, const char *hp, bool secret,
                       long long deadline, int *out, struct xc_error *err)
{
	struct addrinfo hints;
	struct addrinfo *res = NULL;
	struct addrinfo *ai;
	char host[256];
	const char *colon = strrchr(hp, ':');
	const char *h = hp;
	size_t n;
	int e = ECONNREFUSED;
	int g;

	if (*hp == '[') {
		const char *rb = strchr(hp, ']');

		if (!rb || rb[1] != ':')
			colon = NULL;
		h = hp + 1;
		n = rb ? (size_t)(rb - h) : 0;
	} else {
		n = colon ? (size_t)(colon - hp) : 0;
	}
	if (!colon || !colon[1] || n == 0 || n >= sizeof(host))
		return xc_error_set(err, XC_EINVAL,
		                    "HAProxy's runtime API address '%s' is not "
		                    "ipv4@HOST:PORT",
		                    spec);
	memcpy(host, h, n);
	host[n] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = strncmp(spec, "ipv6@", 5) == 0 ? AF_INET6 : AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	g = getaddrinfo(host, colon + 1, &hints, &res);
	if (g != 0)
		return xc_error_set(err, XC_ENOTFOUND,
		                    "cannot resolve HAProxy's runtime API "
		                    "address '%s': %s",
		                    spec, gai_strerror(g));
	for (ai = res; secret && ai; ai = ai->ai_next) {
		if (!is_loopback(ai->ai_addr)) {
			freeaddrinfo(res);
			return xc_error_set(
			        err, XC_EINVAL,
			        "refusing to send the private key to HAProxy's "
			        "runtime API at '%s': it is a TCP address that is "
			        "not loopback, and the runtime API has no TLS and "
			        "no authentication, so the key would cross the "
			        "network in clear text; use a unix socket "
			        "('stats socket /run/haproxy/admin.sock mode 600 "
			        "level admin'), or reach a remote HAProxy through "
			        "an ssh port forward to 127.0.0.1",
			        spec);
		}
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int fd =
		        socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		socklen_t sl = sizeof(e);

		if (fd < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 ||
		    set_nonblock(fd) != 0) {
			e = errno;
			if (fd >= 0)
				close(fd);
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			freeaddrinfo(res);
			*out = fd;
			return 0;
		}
		e = errno;
		if (e == EINPROGRESS) {
			if (wait_fd(fd, POLLOUT, deadline) <= 0) {
				close(fd);
				freeaddrinfo(res);
				return xc_error_set(err, XC_ETIMEOUT,
				                    "timeout connecting to "
				                    "HAProxy's runtime API at "
				                    "'%s'",
				                    spec);
			}
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) ==
			            0 &&
			    e == 0) {
				freeaddrinfo(res);
				*out = fd;
				return 0;
			}
		}
		close(fd);
	}
	freeaddrinfo(res);
	return connect_error(spec, e, err);
}

static int cli_connect(const char *spec, bool secret, long long deadline,
                       int *fd, struct xc_error *err)
{
	if (strncmp(spec, "ipv4@", 5) == 0 || strncmp(spec, "ipv6@", 5) == 0)
		return connect_tcp(spec, spec + 5, secret, deadline, fd, err);
	if (strncmp(spec, "unix@", 5) == 0)
		return connect_unix(spec, spec + 5, deadline, fd, err);
	return connect_unix(spec, spec, deadline, fd, err);
}

/*
 * Sends one command (len bytes, its newline included) and reads the answer
 * until HAProxy closes.  what names the command in messages: never the
 * payload, which holds a key (secret: sent to a loopback or unix socket
 * only).  *reply is NUL-terminated; caller frees.
 */
static int cli(const char *spec, const char *cmd, size_t len, bool secret,
               const char *what, char **reply, struct xc_error *err)
{
	long long deadline = xc_clock_ms() + CLI_TOTAL_MS;
	struct xc_buf b;
	size_t sent = 0;
	int fd;
	int rc;

	*reply = NULL;
	if ((rc = cli_connect(spec, secret, deadline, &fd, err)) < 0)
		return rc;
	while (sent < len) {
		ssize_t n = send(fd, cmd + sent, len - sent, MSG_NOSIGNAL);

		if (n > 0) {
			sent += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    wait_fd(fd, POLLOUT, deadline) > 0)
			continue;
		rc = n < 0 && errno != EAGAIN && errno != EWOULDBLOCK
		             ? xc_error_set(err, XC_EIO,
		                            "cannot send '%s' to HAProxy's "
		                            "runtime API at '%s': %s",
		                            what, spec, strerror(errno))
		             : xc_error_set(
		                       err, XC_ETIMEOUT,
		                       "HAProxy's runtime API at '%s' took "
		                       "no more of '%s' for %d s",
		                       spec, what, CLI_IDLE_MS / 1000);
		close(fd);
		return rc;
	}
	xc_buf_init(&b, 0);
	for (;;) {
		char chunk[4096];
		ssize_t n;
		int w = wait_fd(fd, POLLIN, deadline);

		if (w <= 0) {
			close(fd);
			xc_buf_release(&b);
			return xc_error_set(err, XC_ETIMEOUT,
			                    "HAProxy's runtime API at '%s' did "
			                    "not finish its answer to '%s' "
			                    "within %d s",
			                    spec, what, CLI_IDLE_MS / 1000);
		}
		n = recv(fd, chunk, sizeof(chunk), 0);
		if (n < 0 &&
		    (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n < 0 && errno != ECONNRESET) {
			int e = errno;

			close(fd);
			xc_buf_release(&b);
			return xc_error_set(err, XC_EIO,
			                    "cannot read HAProxy's answer to "
			                    "'%s' from '%s': %s",
			                    what, spec, strerror(e));
		}
		if (n <= 0)
			break;
		/* Past REPLY_MAX the rest is read and dropped. */
		if (b.len + (size_t)n <= REPLY_MAX)
			xc_buf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	*reply = xc_buf_detach(&b, NULL);
	return 0;
}

/*
 * A file name as one argument of the CLI: HAProxy splits on spaces and
 * ends a command at ';', unless escaped with a backslash.  Control
 * characters cannot be sent at all.  0, or XC_EINVAL.
 */
static int cli_arg(const char *path, char *out, size_t size,
                   struct xc_error *err)
{
	size_t o = 0;
	const char *p;

	for (p = path; *p; p++) {
		bool esc = *p == ' ' || *p == ';' || *p == '\\';

		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return xc_error_set(
			        err, XC_EINVAL,
			        "the certificate path holds a control "
			        "character, which HAProxy's runtime "
			        "API cannot take");
		if (o + (esc ? 2 : 1) >= size)
			return xc_error_set(err, XC_EINVAL,
			                    "the certificate path is too long");
		if (esc)
			out[o++] = '\\';
		out[o++] = *p;
	}
	out[o] = '\0';
	return 0;
}

/* ---- served -------------------------------------------------------------- */

static int show_thumb(const struct xc_haproxy *h, char *thumb,
                      struct xc_error *err)
{
	char arg[4200];
	char cmd[4300];
	char msg[300];
	char *reply;
	const char *f;
	int rc;
	int i;

	if ((rc = cli_arg(h->certificate.v, arg, sizeof(arg), err)) < 0)
		return rc;
	snprintf(cmd, sizeof(cmd), "show ssl cert %s\n", arg);
	rc = cli(h->socket.v, cmd, strlen(cmd), false, "show ssl cert", &reply,
	         err);
	if (rc < 0)
		return rc;
	f = strstr(reply, "SHA1 FingerPrint:");
	if (!f) {
		xc_lb_message(reply, NULL, msg, sizeof(msg));
		rc = strstr(reply, "Not found")
		             ? xc_error_set(
		                       err, XC_ENOTFOUND,
		                       "HAProxy knows no certificate '%s' "
		                       "(show ssl cert: %s); name the file as a "
		                       "crt of haproxy.cfg names it",
		                       h->certificate.v, msg)
		             : xc_error_set(
		                       err, XC_EPROTO,
		                       "HAProxy's answer to 'show ssl cert "
		                       "%s' has no SHA1 FingerPrint: %s",
		                       h->certificate.v,
		                       msg[0] ? msg : "(empty)");
		free(reply);
		return rc;
	}
	f += strlen("SHA1 FingerPrint:");
	while (*f == ' ' || *f == '\t')
		f++;
	for (i = 0; i < 40; i++) {
		char c = f[i];

		if (c >= 'a' && c <= 'f')
			c = (char)(c - 'a' + 'A');
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')))
			break;
		thumb[i] = c;
	}
	thumb[i] = '\0';
	if (i != 40 || (f[i] && f[i] != '\n' && f[i] != '\r')) {
		thumb[0] = '\0';
		free(reply);
		return xc_error_set(
		        err, XC_EPROTO,
		        "HAProxy's SHA1 FingerPrint of '%s' is not 40 "
		        "hex digits",
		        h->certificate.v);
	}
	free(reply);
	return 0;
}

static int hap_served(const struct xc_lb *lb, const char *sni, char *thumb,
                      struct xc_error *err)
{
	int rc;

	(void)sni; /* HAProxy says it by file name */
	thumb[0] = '\0';
	rc = show_thumb(lb->haproxy, thumb, err);
	if (rc < 0)
		xc_error_prefix(err, "load balancer '%s': ", lb->name.v);
	return rc;
}

/* ---- update -------------------------------------------------------------- */

/* Appends text without CRs and without blank lines: HAProxy ends a payload
 * at its first empty line. */
static void add_pem_lines(struct xc_buf *b, const char *text)
{
	const char *l = text;

	while (*l) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		size_t k;
		bool blank = true;

		while (n && l[n - 1] == '\r')
			n--;
		for (k = 0; k < n; k++)
			if (l[k] != ' ' && l[k] != '\t' && l[k] != '\r')
				blank = false;
		if (!blank) {
			for (k = 0; k < n; k++)
				if (l[k] != '\r')
					xc_buf_add(b, l + k, 1);
			xc_buf_add(b, "\n", 1);
		}
		if (!nl)
			break;
		l = nl + 1;
	}
}

/* Room for need bytes at once, so that a buffer holding a key is never
 * moved (a move would leave a copy in freed memory). */
static void buf_reserve(struct xc_buf *b, size_t need)
{
	void *p = b->ptr;

	xc_xgrow(&p, &b->cap, need, 1);
	b->ptr = p;
}

static void buf_wipe(struct xc_buf *b)
{
	xc_wipe(b->ptr, b->cap);
	xc_buf_release(b);
}

/*
 * set + commit of one PEM bundle (no blank line in it); on any failure
 * abort, so that no transaction is left open, and the error carries
 * HAProxy's own words.
 */
static int set_commit(const struct xc_haproxy *h, const char *arg,
                      const char *pem, struct xc_error *err)
{
	struct xc_buf cmd;
	char msg[400];
	char small[4300];
	char *reply = NULL;
	char *junk = NULL;
	struct xc_error aerr;
	int rc;

	/* The buffer holds the key: grow it once, wipe it after. */
	xc_buf_init(&cmd, 0);
	buf_reserve(&cmd, strlen(arg) + strlen(pem) + 64);
	xc_buf_printf(&cmd, "set ssl cert %s <<\n", arg);
	xc_buf_puts(&cmd, pem);
	xc_buf_puts(&cmd, "\n");
	rc = cli(h->socket.v, cmd.ptr, cmd.len, true, "set ssl cert", &reply,
	         err);
	buf_wipe(&cmd);
	if (rc < 0)
		return rc;
	if (!strstr(reply, "Transaction created") &&
	    !strstr(reply, "Transaction updated")) {
		xc_lb_message(reply, NULL, msg, sizeof(msg));
		rc = xc_error_set(
		        err, XC_EINVAL,
		        "HAProxy refused the new certificate for '%s' "
		        "(set ssl cert): %s",
		        h->certificate.v, msg[0] ? msg : "(no answer)");
		goto abort;
	}
	free(reply);
	snprintf(small, sizeof(small), "commit ssl cert %s\n", arg);
	rc = cli(h->socket.v, small, strlen(small), false, "commit ssl cert",
	         &reply, err);
	if (rc < 0)
		goto abort;
	if (!strstr(reply, "Success!")) {
		xc_lb_message(reply, NULL, msg, sizeof(msg));
		rc = xc_error_set(
		        err, XC_EINVAL,
		        "HAProxy refused the new certificate for '%s' "
		        "(commit ssl cert): %s",
		        h->certificate.v, msg[0] ? msg : "(no answer)");
		goto abort;
	}
	free(reply);
	return 0;
abort:
	free(reply);
	snprintf(small, sizeof(small), "abort ssl cert %s\n", arg);
	xc_error_clear(&aerr);
	if (cli(h->socket.v, small, strlen(small), false, "abort ssl cert",
	        &junk, &aerr) == 0)
		free(junk);
	return rc;
}

/*
 * The order, and why: live first, then the disk.  HAProxy checks the pair
 * (certificate and key match, the PEM parses) at commit, and refuses it
 * with nothing changed; writing the file first would leave, whenever
 * HAProxy refuses, a file that the next restart fails to load (HAProxy
 * does not start with a key that does not match), to be put back by hand
 * or by us.  Once HAProxy serves the new certificate the file follows; if
 * writing it fails, the old certificate is committed again from the copy
 * read before, so that what is served and what a restart would load stay
 * the same one.
 */
static int update(const struct xc_lb *lb, const char *chain_pem,
                  const char *key_pem, char *detail, size_t size,
                  struct xc_error *err)
{
	const struct xc_haproxy *h = lb->haproxy;
	struct xc_buf pem;
	struct xc_buf oldpem;
	struct xc_error rerr;
	char want[41];
	char got[41];
	char arg[4200];
	char *old = NULL;
	size_t oldlen = 0;
	int oldmode = 0;
	int rc;

	if ((rc = xc_lb_leaf(chain_pem, want, NULL, 0, err)) < 0)
		return rc;
	if (!strstr(key_pem, "PRIVATE KEY-----"))
		return xc_error_set(err, XC_EINVAL,
		                    "the key is not a PEM private key");
	if (strlen(chain_pem) + strlen(key_pem) > XC_LB_PEM_MAX)
		return xc_error_set(err, XC_ENOMEM,
		                    "the certificate and key are larger than "
		                    "%zu bytes",
		                    XC_LB_PEM_MAX);
	if ((rc = cli_arg(h->certificate.v, arg, sizeof(arg), err)) < 0)
		return rc;
	/* Before anything goes live: the file must be one we may write. */
	if ((rc = xc_lb_check_path(h->certificate.v, err)) < 0)
		return rc;
	rc = xc_lb_read_old(h->certificate.v, &old, &oldlen, &oldmode, err);
	if (rc < 0) {
		xc_error_prefix(err, "before replacing it: ");
		return rc;
	}
	xc_buf_init(&pem, XC_LB_PEM_MAX * 2);
	buf_reserve(&pem, strlen(chain_pem) + strlen(key_pem) + 3);
	add_pem_lines(&pem, chain_pem);
	add_pem_lines(&pem, key_pem);
	xc_buf_init(&oldpem, XC_LB_PEM_MAX * 2);
	buf_reserve(&oldpem, oldlen + 2);
	add_pem_lines(&oldpem, old);
	xc_wipe_free(old, oldlen);

	rc = set_commit(h, arg, xc_buf_cstr(&pem), err);
	if (rc < 0)
		goto out;
	rc = xc_lb_write(h->certificate.v, pem.ptr, pem.len, 0600, err);
	if (rc < 0) {
		xc_error_clear(&rerr);
		if (set_commit(h, arg, xc_buf_cstr(&oldpem), &rerr) == 0)
			xc_error_prefix(err,
			                "HAProxy served the new certificate, "
			                "then the one before was put back, "
			                "since the file cannot be written: ");
		else
			xc_error_prefix(
			        err,
			        "HAProxy serves the new certificate but a restart "
			        "would bring back the old one, and putting the "
			        "old one back live failed (%s): ",
			        rerr.msg);
		goto out;
	}
	if ((rc = show_thumb(h, got, err)) < 0)
		goto out;
	if (strcmp(got, want) != 0) {
		rc = xc_error_set(
		        err, XC_EPROTO,
		        "HAProxy committed the new certificate %s for "
		        "'%s' but serves %s",
		        want, h->certificate.v, got);
		goto out;
	}
	snprintf(detail, size,
	         "HAProxy %s: %s now serves %s (live, and on disk)", lb->name.v,
	         h->certificate.v, want);
out:
	buf_wipe(&pem);
	buf_wipe(&oldpem);
	return rc;
}

static int hap_update(const struct xc_lb *lb, const char *sni,
                      const char *chain_pem, const char *key_pem, char *detail,
                      size_t size, struct xc_error *err)
{
	int rc;

	(void)sni;
	if (size)
		detail[0] = '\0';
	rc = update(lb, chain_pem, key_pem, detail, size, err);
	if (rc < 0)
		xc_error_prefix(err, "load balancer '%s': ", lb->name.v);
	return rc;
}

/* Where it looks: the certificate file the runtime API is asked about. */
static void hap_describe(const struct xc_lb *lb, const char *sni, char *out,
                         size_t size)
{
	(void)sni;
	snprintf(out, size, "%s", lb->haproxy->certificate.v);
}

const struct xc_lb_driver xc_lb_haproxy = {
        .kind = "haproxy",
        .is = is_haproxy,
        .describe = hap_describe,
        .served = hap_served,
        .update = hap_update,
};
