/* SPDX-License-Identifier: MIT */
#include "providers/acme/http01.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "state/buf.h"
#include "state/xalloc.h"
#include "state/x509.h"

#define PREFIX "/.well-known/acme-challenge/"

struct token {
	char *token;
	char *keyauth;
};

struct xc_http01 {
	/* webroot: every file operation is relative to these descriptors,
	 * opened one component at a time without following a symbolic link,
	 * so that a link planted in the webroot (before or during the run)
	 * never sends a write or a delete elsewhere. */
	char *webroot;
	int root_fd;         /* DIR (followed: the user named it) */
	int wellknown_fd;    /* DIR/.well-known */
	int challenge_fd;    /* DIR/.well-known/acme-challenge */
	bool made_wellknown; /* we made DIR/.well-known */
	bool made_challenge; /* we made DIR/.well-known/acme-challenge */
	/* listener */
	int fd;
	int stop[2]; /* a byte written to stop[1] ends the thread */
	pthread_t thread;
	bool running;
	pthread_mutex_t lock; /* guards tokens and served */
	struct token *tokens;
	size_t ntokens;
	size_t cap;
	unsigned served;
};

static struct xc_http01 *alloc(void)
{
	struct xc_http01 *h = xc_xcalloc(1, sizeof(*h));

	h->fd = -1;
	h->root_fd = h->wellknown_fd = h->challenge_fd = -1;
	h->stop[0] = h->stop[1] = -1;
	pthread_mutex_init(&h->lock, NULL);
	return h;
}

/* ---- webroot ---- */

/* The path of a token's file (or of the directory, token NULL), for
 * messages only: files are reached through challenge_fd. */
static char *challenge_path(const struct xc_http01 *h, const char *token)
{
	struct xc_buf b;

	xc_buf_init(&b, 0);
	xc_buf_printf(&b, "%s/.well-known/acme-challenge%s%s", h->webroot,
	              token ? "/" : "", token ? token : "");
	return xc_buf_detach(&b, NULL);
}

/*
 * The directory name under the directory parent_fd (whose path is
 * parent), made 0755 when missing (*made set), opened without following a
 * symbolic link.  The descriptor, or -1 with err set.
 */
static int open_component(int parent_fd, const char *parent, const char *name,
                          bool *made, struct xc_error *err)
{
	struct stat st;
	int fd;
	int e;

	if (mkdirat(parent_fd, name, 0755) == 0)
		*made = true;
	else if (errno != EEXIST)
		return xc_error_set(err, XC_EIO, "cannot make %s/%s: %s",
		                    parent, name, strerror(errno));
	fd = openat(parent_fd, name,
	            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	e = errno;
	if (fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode))
		return xc_error_set(
		        err, XC_EINVAL,
		        "%s/%s is a symbolic link: refusing to follow it for http-01 (make it a directory)",
		        parent, name);
	return xc_error_set(err, XC_EIO, "cannot open %s/%s: %s", parent, name,
	                    e == ENOTDIR ? "not a directory" : strerror(e));
}

int xc_http01_webroot(struct xc_http01 **out, const char *webroot,
                      struct xc_error *err)
{
	struct xc_http01 *h;
	struct xc_buf wk;
	int fd;

	fd = open(webroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return xc_error_set(err, XC_ENOTFOUND,
		                    "the webroot %s is not a directory",
		                    webroot);
	h = alloc();
	h->webroot = xc_xstrdup(webroot);
	h->root_fd = fd;
	h->wellknown_fd = open_component(h->root_fd, webroot, ".well-known",
	                                 &h->made_wellknown, err);
	if (h->wellknown_fd < 0) {
		xc_http01_free(h);
		return err->code;
	}
	xc_buf_init(&wk, 0);
	xc_buf_printf(&wk, "%s/.well-known", webroot);
	h->challenge_fd =
	        open_component(h->wellknown_fd, xc_buf_cstr(&wk),
	                       "acme-challenge", &h->made_challenge, err);
	xc_buf_release(&wk);
	if (h->challenge_fd < 0) {
		xc_http01_free(h);
		return err->code;
	}
	*out = h;
	return 0;
}

/* Fails naming the token's file, with errno e. */
static int write_failed(const struct xc_http01 *h, const char *token, int e,
                        struct xc_error *err)
{
	char *p = challenge_path(h, token);
	int rc = xc_error_set(err, XC_EIO, "cannot write %s: %s", p,
	                      strerror(e));

	free(p);
	return rc;
}

/* A new file holding keyauth, made in the challenge directory itself: not
 * through a link, never into an existing file (a stale one is removed
 * first). */
static int webroot_add(struct xc_http01 *h, const char *token,
                       const char *keyauth, struct xc_error *err)
{
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	size_t len = strlen(keyauth);
	int fd;
	int rc = 0;

	/* 0644 whatever the umask: the web server must read it. */
	fd = openat(h->challenge_fd, token, flags, 0644);
	if (fd < 0 && errno == EEXIST &&
	    unlinkat(h->challenge_fd, token, 0) == 0)
		fd = openat(h->challenge_fd, token, flags, 0644);
	if (fd < 0)
		return write_failed(h, token, errno, err);
	if (fchmod(fd, 0644) != 0 || write(fd, keyauth, len) != (ssize_t)len)
		rc = write_failed(h, token, errno, err);
	if (close(fd) != 0 && rc == 0)
		rc = write_failed(h, token, errno, err);
	if (rc < 0)
		unlinkat(h->challenge_fd, token, 0);
	return rc;
}

/* ---- listener ---- */

static const char *find_token(struct xc_http01 *h, const char *token)
{
	size_t i;

	for (i = 0; i < h->ntokens; i++)
		if (strcmp(h->tokens[i].token, token) == 0)
			return h->tokens[i].keyauth;
	return NULL;
}

static void send_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void serve_one(struct xc_http01 *h, int fd)
{
	struct timeval tv = {5, 0};
	char req[8192];
	size_t len = 0;
	char method[8];
	char target[512];
	struct xc_buf resp;
	const char *body = NULL;
	char *keyauth = NULL;
	bool head;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (len < sizeof(req) - 1) {
		ssize_t n = recv(fd, req + len, sizeof(req) - 1 - len, 0);

		if (n <= 0)
			break;
		len += (size_t)n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	req[len] = '\0';
	if (sscanf(req, "%7s %511s HTTP/", method, target) != 2)
		return;
	head = strcmp(method, "HEAD") == 0;
	if (strcmp(method, "GET") == 0 || head) {
		pthread_mutex_lock(&h->lock);
		if (strncmp(target, PREFIX, strlen(PREFIX)) == 0 &&
		    (body = find_token(h, target + strlen(PREFIX))) != NULL) {
			keyauth = xc_xstrdup(body);
			h->served++;
		}
		pthread_mutex_unlock(&h->lock);
	}
	xc_buf_init(&resp, 0);
	if (keyauth)
		xc_buf_printf(
		        &resp,
		        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
		        "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		        strlen(keyauth), head ? "" : keyauth);
	else
		xc_buf_puts(&resp,
		            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
		            "Connection: close\r\n\r\n");
	send_all(fd, resp.ptr, resp.len);
	xc_buf_release(&resp);
	free(keyauth);
}

static void *listener(void *arg)
{
	struct xc_http01 *h = arg;
	struct pollfd p[2];

	p[0].fd = h->fd;
	p[0].events = POLLIN;
	p[1].fd = h->stop[0];
	p[1].events = POLLIN;
	for (;;) {
		int fd;

		p[0].revents = p[1].revents = 0;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		fd = accept(h->fd, NULL, NULL);
		if (fd < 0)
			continue;
		serve_one(h, fd);
		close(fd);
	}
	return NULL;
}

/* A listening socket on address:port; -1 with err set. */
static int bind_listen(const char *address, unsigned port, struct xc_error *err)
{
	struct addrinfo hints;
	struct addrinfo *res = NULL;
	char service[8];
	int one = 1;
	int zero = 0;
	int fd = -1;
	int e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(service, sizeof(service), "%u", port);
	if (!address) {
		/* Every address: IPv6 with IPv4 mapped, or IPv4 alone on a
		 * machine without IPv6. */
		hints.ai_family = AF_INET6;
		if (getaddrinfo("::", service, &hints, &res) != 0 ||
		    (fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC,
		                 0)) < 0) {
			if (res)
				freeaddrinfo(res);
			res = NULL;
			hints.ai_family = AF_INET;
			address = "0.0.0.0";
		} else {
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
			           sizeof(zero));
		}
	}
	if (!res) {
		e = getaddrinfo(address, service, &hints, &res);
		if (e != 0)
			return xc_error_set(
			        err, XC_EINVAL,
			        "cannot listen on '%s': not an IP address (%s)",
			        address, gai_strerror(e));
		fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	}
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
	    listen(fd, 16) != 0) {
		e = errno;
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return xc_error_set(
		        err, XC_EIO,
		        "cannot listen for http-01 on %s port %u: %s",
		        address ? address : "every address", port, strerror(e));
	}
	freeaddrinfo(res);
	return fd;
}

int xc_http01_listen(struct xc_http01 **out, const char *address, unsigned port,
                     struct xc_error *err)
{
	struct xc_http01 *h;
	int fd;

	if (port == 0 || port > 65535)
		return xc_error_set(err, XC_EINVAL,
		                    "the http-01 port must be 1 to 65535");
	fd = bind_listen(address, port, err);
	if (fd < 0)
		return err->code;
	h = alloc();
	h->fd = fd;
	if (pipe(h->stop) != 0 ||
	    pthread_create(&h->thread, NULL, listener, h) != 0) {
		xc_error_set(err, XC_ERR,
		             "cannot start the http-01 listener: %s",
		             strerror(errno));
		xc_http01_free(h);
		return XC_ERR;
	}
	h->running = true;
	*out = h;
	return 0;
}

/* ---- both ---- */

int xc_http01_add(struct xc_http01 *h, const char *token,
                  const char *key_authorization, struct xc_error *err)
{
	int rc;

	if (!xc_acme_token_ok(token))
		return xc_error_set(
		        err, XC_EPROTO,
		        "the CA sent a challenge token that is not base64url");
	pthread_mutex_lock(&h->lock);
	if (find_token(h, token)) {
		pthread_mutex_unlock(&h->lock);
		return 0;
	}
	pthread_mutex_unlock(&h->lock);
	if (h->webroot &&
	    (rc = webroot_add(h, token, key_authorization, err)) < 0)
		return rc;
	pthread_mutex_lock(&h->lock);
	xc_xgrow((void **)&h->tokens, &h->cap, h->ntokens + 1,
	         sizeof(*h->tokens));
	h->tokens[h->ntokens].token = xc_xstrdup(token);
	h->tokens[h->ntokens].keyauth = xc_xstrdup(key_authorization);
	h->ntokens++;
	pthread_mutex_unlock(&h->lock);
	return 0;
}

void xc_http01_forget(struct xc_http01 *h, const char *token)
{
	if (h->challenge_fd < 0 || !xc_acme_token_ok(token))
		return;
	unlinkat(h->challenge_fd, token, 0);
}

void xc_http01_clear(struct xc_http01 *h)
{
	size_t i;

	pthread_mutex_lock(&h->lock);
	for (i = 0; i < h->ntokens; i++) {
		if (h->challenge_fd >= 0)
			unlinkat(h->challenge_fd, h->tokens[i].token, 0);
		free(h->tokens[i].token);
		free(h->tokens[i].keyauth);
	}
	h->ntokens = 0;
	pthread_mutex_unlock(&h->lock);
}

void xc_http01_free(struct xc_http01 *h)
{
	if (!h)
		return;
	xc_http01_clear(h);
	if (h->running) {
		ssize_t w = write(h->stop[1], "x", 1);

		(void)w;
		pthread_join(h->thread, NULL);
	}
	/* The directories we made, by name in their parent's descriptor;
	 * rmdir fails, as it should, when someone else's files are there
	 * too, and on anything that is no longer a directory. */
	if (h->made_challenge && h->wellknown_fd >= 0)
		unlinkat(h->wellknown_fd, "acme-challenge", AT_REMOVEDIR);
	if (h->made_wellknown && h->root_fd >= 0)
		unlinkat(h->root_fd, ".well-known", AT_REMOVEDIR);
	if (h->challenge_fd >= 0)
		close(h->challenge_fd);
	if (h->wellknown_fd >= 0)
		close(h->wellknown_fd);
	if (h->root_fd >= 0)
		close(h->root_fd);
	if (h->fd >= 0)
		close(h->fd);
	if (h->stop[0] >= 0)
		close(h->stop[0]);
	if (h->stop[1] >= 0)
		close(h->stop[1]);
	pthread_mutex_destroy(&h->lock);
	free(h->tokens);
	free(h->webroot);
	free(h);
}

unsigned xc_http01_served(struct xc_http01 *h)
{
	unsigned n;

	pthread_mutex_lock(&h->lock);
	n = h->served;
	pthread_mutex_unlock(&h->lock);
	return n;
}
