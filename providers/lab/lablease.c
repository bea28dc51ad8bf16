/* SPDX-License-Identifier: MIT */
/*
 * The lease operation of the agent protocol (docs/agent-protocol.md), as the
 * agent keeps it on a real server: one record per organisation, taken,
 * renewed and released by token, with an expiry on the server's clock.  The
 * lab keeps the record in lab.json, under the lab's lock, so that two
 * excert processes see one lease however they reach the lab.  Lease times
 * are real time even when EXCERT_LAB_NOW moves the lab's calendar: a lease
 * that never expired would make a dead holder's lease eternal.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "providers/lab/labint.h"

static int lease_fail(struct op_error *e, const char *category, const char *msg)
{
	e->category = category;
	snprintf(e->message, sizeof(e->message), "%s", msg);
	return -1;
}

static bool token_ok(const char *t)
{
	size_t i;

	if (!t || strlen(t) < 16 || strlen(t) > 128)
		return false;
	for (i = 0; t[i]; i++)
		if (!((t[i] >= '0' && t[i] <= '9') ||
		      (t[i] >= 'a' && t[i] <= 'f')))
			return false;
	return true;
}

static bool owner_ok(const char *o)
{
	size_t i;

	if (!o || !*o || strlen(o) > 200)
		return false;
	for (i = 0; o[i]; i++)
		if ((unsigned char)o[i] < 0x20 || o[i] == 0x7f)
			return false;
	return true;
}

static json_t *answer(bool held, const json_t *rec, long long now)
{
	long long expires =
	        rec ? json_integer_value(json_object_get(rec, "expires")) : 0;

	return json_pack(
	        "{s:b,s:O,s:I}", "held", held, "owner",
	        rec ? json_object_get(rec, "owner") : json_null(),
	        "seconds_left",
	        (json_int_t)(rec && expires > now ? expires - now : 0));
}

int lab_op_lease(struct lab *l, const json_t *args, json_t **result,
                 struct op_error *e)
{
	const char *action = json_string_value(json_object_get(args, "action"));
	const char *token = json_string_value(json_object_get(args, "token"));
	const char *owner = json_string_value(json_object_get(args, "owner"));
	const json_t *ttlv = json_object_get(args, "ttl");
	long long now = (long long)time(NULL);
	json_t *rec = json_object_get(l->doc, "lease");
	bool live = json_is_object(rec) &&
	            json_integer_value(json_object_get(rec, "expires")) > now;
	bool mine = json_is_object(rec) &&
	            json_is_string(json_object_get(rec, "token")) &&
	            token_ok(token) &&
	            strcmp(json_string_value(json_object_get(rec, "token")),
	                   token) == 0;
	long long ttl = json_is_integer(ttlv) ? json_integer_value(ttlv) : 0;

	if (!action || !token_ok(token))
		return lease_fail(
		        e, "InvalidArgument",
		        "lease needs an action and a token of 16 to 128 lowercase hex digits");
	if (strcmp(action, "release") == 0) {
		if (mine) {
			json_object_del(l->doc, "lease");
			l->changed = true;
		}
		*result = answer(false, NULL, now);
		return 0;
	}
	if (strcmp(action, "take") != 0 && strcmp(action, "renew") != 0)
		return lease_fail(
		        e, "InvalidArgument",
		        "lease action must be take, renew or release");
	if (ttl < 10 || ttl > 3600 || !owner_ok(owner))
		return lease_fail(
		        e, "InvalidArgument",
		        "lease needs a ttl of 10 to 3600 seconds and an owner of 1 to 200 printable characters");
	/* A renewal after expiry fails even when nobody took the lease in
	 * between: somebody may have taken and released it, and what the
	 * holder observed may be out of date. */
	if (strcmp(action, "renew") == 0 ? !(live && mine) : (live && !mine)) {
		*result = answer(false, live ? rec : NULL, now);
		return 0;
	}
	rec = json_pack("{s:s,s:s,s:I}", "owner", owner, "token", token,
	                "expires", (json_int_t)(now + ttl));
	json_object_set_new(l->doc, "lease", rec);
	l->changed = true;
	*result = answer(true, rec, now);
	return 0;
}
