/* SPDX-License-Identifier: MIT */
/*
 * The ssh transport: the OpenSSH client, to a Windows server whose sshd runs
 * PowerShell.  The agent and the request go over stdin to
 * `powershell.exe -NoProfile -NonInteractive -Command -`; the reply comes
 * back on stdout between its marker lines.  Key or agent authentication,
 * strict host-key checking, a deadline for the whole call, and a cap on
 * what is read.  Nothing excert.yaml says is put on a command line but the
 * host, port, user and file names, each as one argument.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "providers/exchange/agent_request.h"
#include "providers/exchange/transport.h"
#include "state/clock.h"
#include "state/buf.h"
#include "state/secret.h"
#include "state/xalloc.h"

#define STDERR_MAX (64u * 1024)
#define DEFAULT_TIMEOUT 300
/* The longest file path given to ssh, and an option carrying one. */
#define PATH_OPT_MAX 2000
#define PATH_OPT_SIZE (2 * PATH_OPT_MAX + 64)

struct ssh_transport {
	struct xc_transport base;
	char *host;
	char port[8];
	char *user;
	char *identity;    /* NULL: ssh's own choice (agent, defaults) */
	char *known_hosts; /* NULL: ssh's own */
	int timeout;       /* seconds for the whole call */
};

static void ssh_close(struct xc_transport *base);

/*
 * A file path for an ssh option, or NULL with err set (what names the
 * setting): ssh reads the value as ssh_config does, split at white space
 * unless in double quotes (file_option), with ${VAR} expanded and no way
 * to escape it, so a double quote, '${' and an overlong path are refused.
 */
static char *option_path(const char *base_dir, const char *path,
                         const char *what, struct xc_error *err)
{
	char *p = xc_transport_path(base_dir, path);

	if (strchr(p, '"') || strstr(p, "${") || strlen(p) > PATH_OPT_MAX) {
		xc_error_set(err, XC_EINVAL,
		             "connect: %s '%.200s' holds a double quote or "
		             "'${', or is longer than %d bytes, which ssh "
		             "cannot be given",
		             what, p, PATH_OPT_MAX);
		free(p);
		return NULL;
	}
	return p;
}

/*
 * A user name as Windows and OpenSSH take it: letters, digits and . _ - \
 * @ (DOMAIN\user, user@domain), not starting with '-' (an option to ssh).
 */
static bool user_ok(const char *u)
{
	size_t i;

	if (!u[0] || u[0] == '-' || strlen(u) > 256)
		return false;
	for (i = 0; u[i]; i++) {
		char c = u[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-' || c == '\\' || c == '@'))
			return false;
	}
	return true;
}

static int ssh_open(struct xc_transport **out, const struct xc_server *server,
                    const char *base_dir, struct xc_error *err)
{
	const struct xc_connect *c = server->connect;
	struct ssh_transport *t;

	if (!c->host.v || !c->user.v)
		return xc_error_set(err, XC_EINVAL,
		                    "connect needs host and user");
	if (!user_ok(c->user.v))
		return xc_error_set(
		        err, XC_EINVAL,
		        "connect: user '%.64s' is not a user name ssh is given "
		        "(letters, digits, '.', '_', '-', '\\', '@', not "
		        "starting with '-')",
		        c->user.v);
	t = xc_xcalloc(1, sizeof(*t));
	t->base.ops = &xc_transport_ssh;
	t->base.server = server;
	t->host = xc_xstrdup(c->host.v);
	snprintf(t->port, sizeof(t->port), "%lld",
	         c->port.set ? c->port.v : 22LL);
	t->user = xc_xstrdup(c->user.v);
	if ((c->identity.v &&
	     !(t->identity = option_path(base_dir, c->identity.v, "identity",
	                                 err))) ||
	    (c->known_hosts.v &&
	     !(t->known_hosts = option_path(base_dir, c->known_hosts.v,
	                                    "known_hosts", err)))) {
		ssh_close(&t->base);
		return XC_EINVAL;
	}
	t->timeout = c->timeout.set ? (int)c->timeout.v : DEFAULT_TIMEOUT;
	*out = &t->base;
	return 0;
}

static void ssh_close(struct xc_transport *base)
{
	struct ssh_transport *t = (struct ssh_transport *)base;

	free(t->host);
	free(t->user);
	free(t->identity);
	free(t->known_hosts);
	free(t);
}

/*
 * A file option for -o: NAME="PATH", quoted, so that a path with a space
 * is one file to ssh, with a backslash and '%' doubled (ssh_config's
 * quoting, and the % tokens ssh expands in file names).  The identity goes
 * this way too, not as -i: ssh looks for -i's file under the name as given
 * and then reads the expanded name, so no path with a '%' would work.
 */
static void file_option(char out[PATH_OPT_SIZE], const char *name,
                        const char *path)
{
	size_t o = (size_t)snprintf(out, PATH_OPT_SIZE, "%s=\"", name);
	const char *p;

	for (p = path; *p && o + 3 < PATH_OPT_SIZE; p++) {
		if (*p == '\\' || *p == '%')
			out[o++] = *p;
		out[o++] = *p;
	}
	out[o++] = '"';
	out[o] = '\0';
}

/* The argument vector; strings borrowed from t, opts or static. */
static void build_argv(const struct ssh_transport *t, const char *argv[32],
                       char opts[2][PATH_OPT_SIZE])
{
	int n = 0;

	argv[n++] = "ssh";
	argv[n++] = "-T";
	argv[n++] = "-o";
	argv[n++] = "BatchMode=yes";
	argv[n++] = "-o";
	argv[n++] = "StrictHostKeyChecking=yes";
	argv[n++] = "-o";
	argv[n++] = "ConnectTimeout=20";
	argv[n++] = "-o";
	argv[n++] = "ServerAliveInterval=15";
	argv[n++] = "-p";
	argv[n++] = t->port;
	argv[n++] = "-l";
	argv[n++] = t->user;
	if (t->identity) {
		file_option(opts[0], "IdentityFile", t->identity);
		argv[n++] = "-o";
		argv[n++] = opts[0];
		argv[n++] = "-o";
		argv[n++] = "IdentitiesOnly=yes";
	}
	if (t->known_hosts) {
		file_option(opts[1], "UserKnownHostsFile", t->known_hosts);
		argv[n++] = "-o";
		argv[n++] = opts[1];
	}
	argv[n++] = "--";
	argv[n++] = t->host;
	argv[n++] = "powershell.exe -NoProfile -NonInteractive -Command -";
	argv[n] = NULL;
}

/*
 * The last non-empty line of ssh's stderr, with anything that looks like a
 * long base64 token blanked: a PowerShell error may quote the request line,
 * and the request can carry a PFX password.
 */
static void last_line(const struct xc_buf *b, char *out, size_t size)
{
	const char *s = xc_buf_cstr(b);
	const char *end = s + b->len;
	const char *start;
	size_t i;
	size_t run = 0;

	while (end > s &&
	       (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	start = end;
	while (start > s && start[-1] != '\n')
		start--;
	snprintf(out, size, "%.*s", (int)(end - start), start);
	for (i = 0; out[i]; i++) {
		char c = out[i];
		bool b64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		           (c >= '0' && c <= '9') || c == '+' || c == '/' ||
		           c == '=';

		run = b64 ? run + 1 : 0;
		if (run == 40)
			memset(out + i - 39, '*', 40);
		else if (run > 40)
			out[i] = '*';
		if ((unsigned char)c < 0x20)
			out[i] = ' ';
	}
}

static int classify(const struct ssh_transport *t, int status,
                    const struct xc_buf *errbuf, struct xc_error *err)
{
	const char *e = xc_buf_cstr(errbuf);
	char line[300];

	last_line(errbuf, line, sizeof(line));
	if (strstr(e, "Host key verification failed") ||
	    strstr(e, "REMOTE HOST IDENTIFICATION HAS CHANGED") ||
	    strstr(e, "No ED25519 host key is known") ||
	    strstr(e, "host key is known"))
		return xc_error_set(
		        err, XC_EAUTH,
		        "the host key of %s is not the one in known_hosts (or none is known); refusing to connect: %s",
		        t->host, line);
	if (strstr(e, "Permission denied"))
		return xc_error_set(err, XC_EAUTH,
		                    "authentication failed for %s@%s: %s",
		                    t->user, t->host, line);
	if (strstr(e, "Connection refused"))
		return xc_error_set(err, XC_EIO,
		                    "connection refused by %s port %s", t->host,
		                    t->port);
	if (strstr(e, "timed out"))
		return xc_error_set(err, XC_ETIMEOUT,
		                    "connecting to %s port %s timed out",
		                    t->host, t->port);
	if (strstr(e, "Could not resolve hostname"))
		return xc_error_set(err, XC_ENOTFOUND, "cannot resolve '%s'",
		                    t->host);
	return xc_error_set(err, XC_EIO,
	                    "ssh to %s failed (exit status %d): %s", t->host,
	                    status, line[0] ? line : "no message");
}

static void close_pipes(int in[2], int out[2], int er[2])
{
	int *all[3] = {in, out, er};
	int i;

	for (i = 0; i < 6; i++)
		if (all[i / 2][i % 2] >= 0)
			close(all[i / 2][i % 2]);
}

/* In the child: fd becomes target, open across exec. */
static int onto(int fd, int target)
{
	if (fd == target)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, target) < 0 ? -1 : 0;
}

/*
 * Runs ssh with input on stdin; collects stdout (capped) and stderr
 * (capped) until it exits or the deadline passes.
 */
static int run_ssh(const struct ssh_transport *t, const char *input,
                   size_t inlen, struct xc_buf *outbuf, struct xc_buf *errbuf,
                   int *status, struct xc_error *err)
{
	const char *argv[32];
	char opts[2][PATH_OPT_SIZE];
	char **envp;
	int in[2];
	int out[2];
	int er[2];
	pid_t pid;
	size_t written = 0;
	double deadline = xc_clock_seconds() + t->timeout;
	bool too_big = false;
	int wst;

	build_argv(t, argv, opts);
	/*
	 * Close-on-exec: servers are called from several threads at once, and
	 * an ssh started by one thread must not inherit the pipes of another's
	 * ssh; holding the write end of its stdin, it would keep that one
	 * from ever seeing the end of its input (both wait, forever).
	 */
	in[0] = in[1] = out[0] = out[1] = er[0] = er[1] = -1;
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 ||
	    pipe2(er, O_CLOEXEC) != 0) {
		int e = errno;

		close_pipes(in, out, er);
		return xc_error_set(err, XC_EIO, "cannot make pipes: %s",
		                    strerror(e));
	}
	/* Built before the fork (the child may not allocate): the
	 * environment without the variables env: secrets name. */
	envp = xc_secret_child_env();
	pid = fork();
	if (pid < 0) {
		int e = errno;

		xc_secret_child_env_free(envp);
		close_pipes(in, out, er);
		return xc_error_set(err, XC_EIO, "cannot start ssh: %s",
		                    strerror(e));
	}
	if (pid == 0) {
		static const char msg[] = "cannot run ssh\n";

		/* Only async-signal-safe calls between fork and exec. */
		if (onto(in[0], 0) < 0 || onto(out[1], 1) < 0 ||
		    onto(er[1], 2) < 0)
			_exit(127);
		execvpe("ssh", (char *const *)argv, envp);
		if (write(2, msg, sizeof(msg) - 1) < 0)
			_exit(127);
		_exit(127);
	}
	xc_secret_child_env_free(envp);
	close(in[0]);
	close(out[1]);
	close(er[1]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	for (;;) {
		struct pollfd p[3];
		int np = 0;
		int left = (int)((deadline - xc_clock_seconds()) * 1000);
		int i;

		if (out[0] >= 0)
			p[np++] = (struct pollfd){out[0], POLLIN, 0};
		if (er[0] >= 0)
			p[np++] = (struct pollfd){er[0], POLLIN, 0};
		if (in[1] >= 0)
			p[np++] = (struct pollfd){in[1], POLLOUT, 0};
		if (np == 0)
			break;
		if (left <= 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &wst, 0);
			for (i = 0; i < np; i++)
				close(p[i].fd);
			return xc_error_set(err, XC_ETIMEOUT,
			                    "no reply from %s within %d s",
			                    t->host, t->timeout);
		}
		if (poll(p, (nfds_t)np, left) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < np; i++) {
			char chunk[16384];
			ssize_t n;

			if (!p[i].revents)
				continue;
			if (p[i].fd == in[1]) {
				n = write(in[1], input + written,
				          inlen - written);
				if (n > 0)
					written += (size_t)n;
				if ((n < 0 && errno != EAGAIN &&
				     errno != EINTR) ||
				    written == inlen) {
					close(in[1]);
					in[1] = -1;
				}
				continue;
			}
			n = read(p[i].fd, chunk, sizeof(chunk));
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n <= 0) {
				close(p[i].fd);
				if (p[i].fd == out[0])
					out[0] = -1;
				else
					er[0] = -1;
				continue;
			}
			if (p[i].fd == out[0]) {
				if (xc_buf_add(outbuf, chunk, (size_t)n) < 0)
					too_big = true;
			} else {
				size_t room = STDERR_MAX - errbuf->len;

				xc_buf_add(errbuf, chunk,
				           (size_t)n < room ? (size_t)n : room);
			}
		}
		if (too_big) {
			kill(pid, SIGKILL);
			waitpid(pid, &wst, 0);
			if (in[1] >= 0)
				close(in[1]);
			if (out[0] >= 0)
				close(out[0]);
			if (er[0] >= 0)
				close(er[0]);
			return xc_error_set(
			        err, XC_EPROTO,
			        "%s printed more than %u bytes; the reply is refused",
			        t->host, XC_REPLY_MAX_BYTES);
		}
	}
	if (in[1] >= 0)
		close(in[1]);
	while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
		;
	*status = WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
	return 0;
}

static int ssh_call(struct xc_transport *base, const struct xc_request *req,
                    struct xc_reply *reply, struct xc_error *err)
{
	struct ssh_transport *t = (struct ssh_transport *)base;
	char *json = xc_request_json(req);
	size_t len;
	char *script = xc_agent_compose(json, &len);
	struct xc_buf outbuf;
	struct xc_buf errbuf;
	char *doc = NULL;
	size_t doclen;
	int status = 0;
	int rc;

	xc_wipe_free_str(json);
	xc_buf_init(&outbuf, XC_REPLY_MAX_BYTES);
	xc_buf_init(&errbuf, STDERR_MAX + 1);
	rc = run_ssh(t, script, len, &outbuf, &errbuf, &status, err);
	/* The script carries the request, which may carry a PFX
	 * password: wipe it. */
	xc_wipe_free(script, len);
	if (rc == 0 && status == 255)
		rc = classify(t, status, &errbuf, err);
	if (rc == 0 && xc_reply_unframe(outbuf.ptr ? outbuf.ptr : "",
	                                outbuf.len, &doc, &doclen, err) < 0) {
		char line[300];

		last_line(&errbuf, line, sizeof(line));
		if (line[0])
			xc_error_prefix(err,
			                "ssh exit status %d, '%s': ", status,
			                line);
		rc = XC_EPROTO;
	}
	if (rc == 0)
		rc = xc_reply_parse(reply, doc, doclen, req, err);
	free(doc);
	xc_buf_release(&outbuf);
	xc_buf_release(&errbuf);
	return rc;
}

const struct xc_transport_ops xc_transport_ssh = {
        .kind = "ssh",
        .open = ssh_open,
        .call = ssh_call,
        .close = ssh_close,
};
