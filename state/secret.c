/* SPDX-License-Identifier: MIT */
#include "state/secret.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/buf.h"
#include "state/xalloc.h"

extern char **environ;

/* The names of the variables env: references named; freed at exit. */
static pthread_mutex_t env_lock = PTHREAD_MUTEX_INITIALIZER;
static char **env_names;
static size_t env_count;
static size_t env_cap;

static void forget_env_names(void)
{
	size_t i;

	pthread_mutex_lock(&env_lock);
	for (i = 0; i < env_count; i++)
		free(env_names[i]);
	free(env_names);
	env_names = NULL;
	env_count = env_cap = 0;
	pthread_mutex_unlock(&env_lock);
}

void xc_secret_remember_env(const char *name)
{
	size_t i;

	pthread_mutex_lock(&env_lock);
	for (i = 0; i < env_count; i++)
		if (strcmp(env_names[i], name) == 0)
			break;
	if (i == env_count) {
		void *p = env_names;

		if (!env_names)
			atexit(forget_env_names);
		xc_xgrow(&p, &env_cap, env_count + 1, sizeof(*env_names));
		env_names = p;
		env_names[env_count++] = xc_xstrdup(name);
	}
	pthread_mutex_unlock(&env_lock);
}

/* Whether the entry "NAME=value" is one of a remembered variable. */
static bool is_secret_entry(const char *entry)
{
	size_t i;

	for (i = 0; i < env_count; i++) {
		size_t n = strlen(env_names[i]);

		if (strncmp(entry, env_names[i], n) == 0 && entry[n] == '=')
			return true;
	}
	return false;
}

char **xc_secret_child_env(void)
{
	size_t n = 0;
	size_t k = 0;
	char **out;
	size_t i;

	pthread_mutex_lock(&env_lock);
	while (environ && environ[n])
		n++;
	out = xc_xcalloc(n + 1, sizeof(*out));
	for (i = 0; i < n; i++)
		if (!is_secret_entry(environ[i]))
			out[k++] = xc_xstrdup(environ[i]);
	out[k] = NULL;
	pthread_mutex_unlock(&env_lock);
	return out;
}

void xc_secret_child_env_free(char **envp)
{
	size_t i;

	if (!envp)
		return;
	for (i = 0; envp[i]; i++)
		free(envp[i]);
	free(envp);
}

static bool env_name_ok(const char *s)
{
	size_t i;

	if (!*s || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

bool xc_secret_ref_parse(const char *s, enum xc_secret_kind *kind_out,
                         const char **what_out, char *why, size_t size)
{
	if (strncmp(s, "env:", 4) == 0) {
		if (!env_name_ok(s + 4)) {
			snprintf(
			        why, size,
			        "env: must name an environment variable (letters, digits, '_')");
			return false;
		}
		*kind_out = XC_SECRET_ENV;
		*what_out = s + 4;
		xc_secret_remember_env(s + 4);
		return true;
	}
	if (strncmp(s, "file:", 5) == 0) {
		if (!s[5]) {
			snprintf(why, size, "file: must name a file");
			return false;
		}
		*kind_out = XC_SECRET_FILE;
		*what_out = s + 5;
		return true;
	}
	snprintf(
	        why, size,
	        "secrets may not be written in excert.yaml: use a reference, env:NAME or file:PATH (the value is not shown)");
	return false;
}

#define SECRET_MAX ((size_t)64 * 1024)

int xc_secret_resolve(const char *ref, const char *base_dir, char **out,
                      size_t *len_out, struct xc_error *err)
{
	enum xc_secret_kind kind;
	const char *what;
	char why[160];
	struct xc_buf b;
	FILE *fp;
	char chunk[4096];
	size_t n;
	int rc = 0;

	*out = NULL;
	if (!xc_secret_ref_parse(ref, &kind, &what, why, sizeof(why)))
		return xc_error_set(err, XC_EINVAL, "%s", why);
	xc_buf_init(&b, SECRET_MAX);
	if (kind == XC_SECRET_ENV) {
		const char *v =
		        getenv(what); /* NOLINT(concurrency-mt-unsafe) */

		if (!v || !*v)
			return xc_error_set(
			        err, XC_ENOTFOUND,
			        "secret env:%s: the variable is not set or empty",
			        what);
		if (xc_buf_puts(&b, v) < 0)
			rc = xc_error_set(
			        err, XC_ENOMEM,
			        "secret env:%s is longer than %zu bytes", what,
			        SECRET_MAX);
	} else {
		struct xc_buf path;

		xc_buf_init(&path, 0);
		if (what[0] != '/' && base_dir && *base_dir)
			xc_buf_printf(&path, "%s/", base_dir);
		xc_buf_puts(&path, what);
		fp = fopen(xc_buf_cstr(&path), "rb");
		if (!fp) {
			rc = xc_error_set(
			        err, errno == ENOENT ? XC_ENOTFOUND : XC_EIO,
			        "secret file:%s: cannot open %s: %s", what,
			        xc_buf_cstr(&path), strerror(errno));
		} else {
			while (rc == 0 &&
			       (n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
				if (xc_buf_add(&b, chunk, n) < 0)
					rc = xc_error_set(
					        err, XC_ENOMEM,
					        "secret file:%s is larger than %zu bytes",
					        what, SECRET_MAX);
			if (rc == 0 && ferror(fp))
				rc = xc_error_set(
				        err, XC_EIO,
				        "secret file:%s: cannot read it", what);
			fclose(fp);
		}
		xc_buf_release(&path);
		if (rc == 0 && b.len > 0 && b.ptr[b.len - 1] == '\n')
			b.ptr[--b.len] = '\0';
		if (rc == 0 && b.len > 0 && b.ptr[b.len - 1] == '\r')
			b.ptr[--b.len] = '\0';
		xc_wipe(chunk, sizeof(chunk));
		if (rc == 0 && b.len == 0)
			rc = xc_error_set(err, XC_ENOTFOUND,
			                  "secret file:%s is empty", what);
	}
	if (rc < 0) {
		xc_wipe(b.ptr, b.cap);
		xc_buf_release(&b);
		return rc;
	}
	*out = xc_buf_detach(&b, len_out);
	return 0;
}

void xc_wipe(void *p, size_t n)
{
	if (p && n)
		OPENSSL_cleanse(p, n);
}

void xc_wipe_free(void *p, size_t n)
{
	if (!p)
		return;
	xc_wipe(p, n);
	free(p);
}

void xc_wipe_free_str(char *s)
{
	if (s)
		xc_wipe_free(s, strlen(s));
}
