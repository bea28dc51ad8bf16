/* SPDX-License-Identifier: MIT */
#include "providers/exchange/lease.h"

#include <errno.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "providers/exchange/transport.h"
#include "state/agentmsg.h"
#include "state/clock.h"
#include "state/store.h"
#include "state/xalloc.h"

/* Seconds a lease lasts unless renewed, and how often it is renewed: a
 * dead holder keeps others out for TTL at most; two renewals may fail in a
 * row before the lease runs out. */
#define LEASE_TTL 120
#define POLL_SECONDS 2
/* The state directory's record of the token of the lease it holds. */
#define TOKEN_FILE "lease-token"

struct xc_lease {
	struct xc_store *store; /* borrowed, or NULL */
	const struct xc_server *server;
	const char *base_dir;
	char token[33];
	char owner[256];
	int ttl;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	bool lost;
	struct xc_error why;     /* when lost */
	struct timespec expires; /* CLOCK_MONOTONIC: no renewal after it */
};

/* The lease server of cfg: its first Mailbox server (or first server). */
static const struct xc_server *lease_server(const struct xc_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->servers.n; i++)
		if (XC_SERVERS(cfg)[i].role.v == XC_ROLE_MAILBOX)
			return &XC_SERVERS(cfg)[i];
	return cfg->servers.n ? &XC_SERVERS(cfg)[0] : NULL;
}

/* EXCERT_LEASE_TTL shortens the lease for the tests of a dead holder. */
static int lease_ttl(void)
{
	const char *v = getenv("EXCERT_LEASE_TTL"); /* NOLINT */
	long n;
	char *end;

	if (!v)
		return LEASE_TTL;
	n = strtol(v, &end, 10);
	return *end || n < 10 || n > 3600 ? LEASE_TTL : (int)n;
}

/* One lease operation on the lease server; 0 with *st filled, or an error
 * naming the server. */
static int call(struct xc_lease *l, const char *action,
                struct xc_lease_state *st, struct xc_error *err)
{
	struct xc_transport *t = NULL;
	struct xc_request *req = xc_request_new(l->server->name.v);
	struct xc_reply reply;
	const struct xc_result *res;
	int rc = -1;

	memset(&reply, 0, sizeof(reply));
	xc_request_lease(req, action, l->token, l->owner, l->ttl);
	if (xc_transport_open(&t, l->server, l->base_dir, err) < 0 ||
	    xc_transport_call(t, req, &reply, err) < 0)
		goto out;
	res = xc_reply_last_ok(&reply, l->server->name.v, err);
	if (!res)
		goto out;
	if (xc_parse_lease(st, res->json, err) < 0) {
		xc_error_prefix(err, "server '%s': ", l->server->name.v);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0 && err->code == 0)
		err->code = XC_ERR;
	xc_reply_release(&reply);
	xc_request_free(req);
	xc_transport_close(t);
	return rc;
}

static void after(struct timespec *ts, int seconds)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += seconds;
}

static bool passed(const struct timespec *ts)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > ts->tv_sec ||
	       (now.tv_sec == ts->tv_sec && now.tv_nsec >= ts->tv_nsec);
}

/* Renews every third of the TTL, sooner after a failed try, until told to
 * stop or the lease is lost. */
static void *renewer(void *arg)
{
	struct xc_lease *l = arg;
	int every = l->ttl / 3;

	pthread_mutex_lock(&l->lock);
	while (!l->stop && !l->lost) {
		struct timespec next;
		struct xc_lease_state st;
		struct xc_error err;
		int rc;

		after(&next, every);
		/* CLOCK_MONOTONIC for the wait too (see xc_lease_take). */
		while (!l->stop && !passed(&next))
			pthread_cond_timedwait(&l->cond, &l->lock, &next);
		if (l->stop)
			break;
		pthread_mutex_unlock(&l->lock);
		xc_error_clear(&err);
		rc = call(l, "renew", &st, &err);
		pthread_mutex_lock(&l->lock);
		if (rc == 0 && st.held) {
			after(&l->expires, l->ttl);
			every = l->ttl / 3;
		} else if (rc == 0) {
			l->lost = true;
			xc_error_set(
			        &l->why, XC_ECONFLICT,
			        "the organisation's lease on %s was lost (now held by %s)",
			        l->server->name.v,
			        st.owner[0] ? st.owner : "nobody");
		} else if (passed(&l->expires)) {
			l->lost = true;
			l->why = err;
			xc_error_prefix(
			        &l->why,
			        "the organisation's lease ran out, as it could not be renewed: ");
		} else {
			every = 5; /* try again soon, while the lease lasts */
		}
	}
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

static void describe(char *buf, size_t size, const char *who,
                     const char *state_dir)
{
	char host[128] = "?";
	struct passwd pw;
	struct passwd *p = NULL;
	char pwbuf[1024];

	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	if (getpwuid_r(geteuid(), &pw, pwbuf, sizeof(pwbuf), &p) != 0)
		p = NULL;
	snprintf(buf, size, "%s by %s@%s, pid %d, state %.100s", who,
	         p ? p->pw_name : "?", host, (int)getpid(),
	         state_dir ? state_dir : "-");
	/* The owner travels to the agent: printable ASCII only. */
	for (; *buf; buf++)
		if ((unsigned char)*buf < 0x20 || (unsigned char)*buf >= 0x7f)
			*buf = '?';
}

static void lease_free(struct xc_lease *l)
{
	pthread_mutex_destroy(&l->lock);
	pthread_cond_destroy(&l->cond);
	free(l);
}

/* The token this state directory's last holder left behind: it died
 * holding the lease (a released lease takes its token file along), and as
 * the caller holds the state directory's lock, nobody else of this state
 * directory holds it now.  Taking the lease again with it is safe. */
static bool left_token(struct xc_lease *l)
{
	char *text = NULL;
	struct xc_error err;
	size_t i;
	bool ok;

	xc_error_clear(&err);
	if (!l->store ||
	    xc_store_read(l->store, TOKEN_FILE, 256, &text, NULL, &err) < 0)
		return false;
	for (i = 0; text[i] && i < 32; i++)
		if (!((text[i] >= '0' && text[i] <= '9') ||
		      (text[i] >= 'a' && text[i] <= 'f')))
			break;
	ok = i == 32 && (text[32] == '\0' || text[32] == '\n');
	if (ok)
		memcpy(l->token, text, 32);
	l->token[32] = '\0';
	free(text);
	return ok;
}

static void keep_token(struct xc_lease *l)
{
	struct xc_error err;
	char line[34];

	if (!l->store)
		return;
	xc_error_clear(&err);
	snprintf(line, sizeof(line), "%s\n", l->token);
	if (xc_store_write(l->store, TOKEN_FILE, line, strlen(line), 0600,
	                   &err) < 0)
		fprintf(stderr, "excert: %s (not fatal)\n", err.msg);
}

int xc_lease_take(struct xc_lease **out, const struct xc_config *cfg,
                  const char *base_dir, const char *who, struct xc_store *store,
                  int wait_seconds, struct xc_error *err)
{
	struct xc_lease *l;
	unsigned char raw[16];
	struct timespec deadline;
	bool said = false;
	size_t i;

	*out = NULL;
	l = xc_xcalloc(1, sizeof(*l));
	l->base_dir = base_dir;
	l->server = lease_server(cfg);
	l->ttl = lease_ttl();
	pthread_mutex_init(&l->lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&l->cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	if (!l->server) {
		lease_free(l);
		return xc_error_set(
		        err, XC_EINVAL,
		        "no server to keep the organisation's lease");
	}
	l->store = store;
	if (!left_token(l)) {
		if (RAND_bytes(raw, sizeof(raw)) != 1) {
			lease_free(l);
			return xc_error_set(
			        err, XC_ERR,
			        "no random bytes for the lease token");
		}
		for (i = 0; i < sizeof(raw); i++)
			snprintf(l->token + 2 * i, 3, "%02x", raw[i]);
	}
	describe(l->owner, sizeof(l->owner), who,
	         store ? xc_store_dir(store) : NULL);
	after(&deadline, wait_seconds);
	for (;;) {
		struct xc_lease_state st;

		if (call(l, "take", &st, err) < 0) {
			xc_error_prefix(
			        err, "cannot take the organisation's lease: ");
			lease_free(l);
			return XC_ERR;
		}
		if (st.held)
			break;
		if (passed(&deadline)) {
			xc_error_set(
			        err, XC_ELOCKED,
			        "organisation '%s' is being changed by another excert: %s (lease on %s, %d s left); nothing was changed%s",
			        cfg->organization.v, st.owner,
			        l->server->name.v, st.seconds_left,
			        wait_seconds
			                ? ""
			                : "; give --wait SECONDS to wait for it");
			lease_free(l);
			return XC_ELOCKED;
		}
		if (!said)
			fprintf(stderr,
			        "excert: waiting for organisation '%s': %s holds its lease on %s (%d s left)\n",
			        cfg->organization.v, st.owner,
			        l->server->name.v, st.seconds_left);
		said = true;
		{
			/* A little jitter, so that waiters do not ask in
			 * step. */
			unsigned char j = 0;

			RAND_bytes(&j, 1);
			xc_sleep_ms(POLL_SECONDS * 1000 + (j % 100) * 10, NULL);
		}
	}
	keep_token(l);
	after(&l->expires, l->ttl);
	if (pthread_create(&l->thread, NULL, renewer, l) != 0) {
		struct xc_lease_state st;
		struct xc_error ignored;

		xc_error_clear(&ignored);
		call(l, "release", &st, &ignored);
		lease_free(l);
		return xc_error_set(err, XC_ERR,
		                    "cannot start the lease's renewal: %s",
		                    strerror(errno));
	}
	l->started = true;
	*out = l;
	return 0;
}

bool xc_lease_held(struct xc_lease *l, struct xc_error *err)
{
	bool held;

	pthread_mutex_lock(&l->lock);
	held = !l->lost;
	if (!held)
		*err = l->why;
	pthread_mutex_unlock(&l->lock);
	return held;
}

void xc_lease_release(struct xc_lease *l)
{
	struct xc_lease_state st;
	struct xc_error err;

	if (!l)
		return;
	pthread_mutex_lock(&l->lock);
	l->stop = true;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
	if (l->started)
		pthread_join(l->thread, NULL);
	xc_error_clear(&err);
	if (call(l, "release", &st, &err) < 0)
		fprintf(stderr,
		        "excert: the organisation's lease on %s could not be given back; it expires by itself within %d s: %s\n",
		        l->server->name.v, l->ttl, err.msg);
	else if (l->store && xc_store_remove(l->store, TOKEN_FILE, &err) < 0)
		fprintf(stderr, "excert: %s (not fatal)\n", err.msg);
	lease_free(l);
}
