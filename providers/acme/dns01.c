/* SPDX-License-Identifier: MIT */
#include "providers/acme/dns01.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <stdarg.h>
#include <netdb.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "providers/acme/acme_http.h"
#include "providers/acme/jws.h"
#include "state/clock.h"
#include "state/secret.h"
#include "state/xalloc.h"

#define RECORD_TTL 60

struct rec {
	char *name; /* _acme-challenge.example.com, no final dot */
	char *zone; /* no final dot; NULL until known */
	char value[44];
	bool published; /* sent to the server */
	bool seen;      /* served by the primary and every secondary */
	size_t next;    /* the server to ask next: 0 the primary, then the
	                   secondaries in order */
};

/* A DNS server to talk to: the primary, or a secondary that is only
 * asked whether it serves the records yet. */
struct srv {
	char *label; /* as given, for messages */
	char addr[INET6_ADDRSTRLEN];
	bool v6;
	unsigned port;
};

struct xc_dns01 {
	struct srv primary;
	struct srv *secondaries;
	size_t nsecondaries;
	char *key_name; /* with a final dot */
	char *key_alg;  /* ldns's name, with a final dot */
	char *secret;   /* base64; wiped when freed */
	char *zone;     /* --zone, no final dot; NULL: SOA lookup */
	FILE *log;
	struct rec *recs;
	size_t n;
	size_t cap;
	struct xc_dns01_stats st;
};

static const struct {
	const char *name;
	const char *ldns;
} algorithms[] = {
        {"hmac-sha256", "hmac-sha256."},
        {"hmac-sha1", "hmac-sha1."},
        {"hmac-sha224", "hmac-sha224."},
        {"hmac-sha384", "hmac-sha384."},
        {"hmac-sha512", "hmac-sha512."},
        {"hmac-md5", "hmac-md5.sig-alg.reg.int."},
};

static void say(const struct xc_dns01 *d, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void say(const struct xc_dns01 *d, const char *fmt, ...)
{
	va_list ap;

	if (!d->log)
		return;
	fputs("excert: acme: dns-01: ", d->log);
	va_start(ap, fmt);
	vfprintf(d->log, fmt, ap);
	va_end(ap);
	fputc('\n', d->log);
	fflush(d->log);
}

/* A copy without a final dot, lower-cased. */
static char *name_norm(const char *s)
{
	char *c = xc_xstrdup(s);
	size_t len = strlen(c);
	size_t i;

	if (len > 1 && c[len - 1] == '.')
		c[len - 1] = '\0';
	for (i = 0; c[i]; i++)
		c[i] = (char)tolower((unsigned char)c[i]);
	return c;
}

/* True when name is zone or below it. */
static bool in_zone(const char *name, const char *zone)
{
	size_t n = strlen(name);
	size_t z = strlen(zone);

	if (n == z)
		return strcmp(name, zone) == 0;
	return n > z && name[n - z - 1] == '.' &&
	       strcmp(name + n - z, zone) == 0;
}

/* ---- the secret and the server ---- */

/* The base64 secret of the text given: the text itself, or the quoted
 * value after "secret" in a BIND key clause.  NULL when neither. */
static char *secret_parse(const char *text)
{
	const char *s = text;
	const char *p = strstr(text, "secret");
	size_t len;
	size_t i;
	char *out;

	if (p) {
		p = strchr(p, '"');
		if (!p)
			return NULL;
		s = p + 1;
		p = strchr(s, '"');
		if (!p)
			return NULL;
		len = (size_t)(p - s);
	} else {
		len = strlen(s);
		while (len && isspace((unsigned char)s[len - 1]))
			len--;
	}
	if (len == 0 || len % 4 != 0)
		return NULL;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '+' &&
		    s[i] != '/' && !(s[i] == '=' && i + 2 >= len))
			return NULL;
	out = xc_xmalloc(len + 1);
	memcpy(out, s, len);
	out[len] = '\0';
	return out;
}

/* ADDR, ADDR:PORT, [V6] or [V6]:PORT; a host name is resolved here. */
static int server_parse(struct srv *d, const char *s, const char *what,
                        struct xc_error *err)
{
	const char *given = s;
	char host[256];
	const char *colon = strrchr(s, ':');
	const char *port = NULL;
	struct addrinfo hints;
	struct addrinfo *ai = NULL;
	size_t len;
	char *end;
	long n = 53;
	int rc;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || (close[1] && close[1] != ':'))
			goto bad;
		len = (size_t)(close - s - 1);
		if (close[1] == ':')
			port = close + 2;
		s++;
	} else if (colon && strchr(s, ':') == colon) {
		len = (size_t)(colon - s);
		port = colon + 1;
	} else {
		len = strlen(s);
	}
	if (len == 0 || len >= sizeof(host))
		goto bad;
	memcpy(host, s, len);
	host[len] = '\0';
	if (port) {
		n = strtol(port, &end, 10);
		if (!*port || *end || n < 1 || n > 65535)
			goto bad;
	}
	d->port = (unsigned)n;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	rc = getaddrinfo(host, NULL, &hints, &ai);
	if (rc != 0 || !ai)
		return xc_error_set(err, XC_ENOTFOUND,
		                    "%s: cannot resolve '%s': %s", what, host,
		                    gai_strerror(rc));
	d->label = xc_xstrdup(given);
	d->v6 = ai->ai_family == AF_INET6;
	if (d->v6)
		inet_ntop(AF_INET6,
		          &((struct sockaddr_in6 *)(void *)ai->ai_addr)
		                   ->sin6_addr,
		          d->addr, sizeof(d->addr));
	else
		inet_ntop(
		        AF_INET,
		        &((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr,
		        d->addr, sizeof(d->addr));
	freeaddrinfo(ai);
	return 0;
bad:
	return xc_error_set(err, XC_EINVAL,
	                    "%s takes ADDR, ADDR:PORT or [IPV6]:PORT, not '%s'",
	                    what, s);
}

int xc_dns01_new(struct xc_dns01 **out, const struct xc_dns01_config *cfg,
                 struct xc_error *err)
{
	struct xc_dns01 *d;
	const char *alg =
	        cfg->tsig_algorithm ? cfg->tsig_algorithm : "hmac-sha256";
	size_t i;
	int rc;

	*out = NULL;
	if (!cfg->server || !cfg->tsig_name || !cfg->tsig_name[0] ||
	    !cfg->tsig_secret)
		return xc_error_set(
		        err, XC_EINVAL,
		        "dns-01 needs a DNS server, a TSIG key name and its secret");
	d = xc_xcalloc(1, sizeof(*d));
	d->log = cfg->log;
	for (i = 0; i < sizeof(algorithms) / sizeof(algorithms[0]); i++)
		if (strcasecmp(alg, algorithms[i].name) == 0 ||
		    strcasecmp(alg, algorithms[i].ldns) == 0)
			d->key_alg = xc_xstrdup(algorithms[i].ldns);
	if (!d->key_alg) {
		rc = xc_error_set(
		        err, XC_EINVAL,
		        "unknown TSIG algorithm '%s' (hmac-sha256, hmac-sha1, hmac-sha224, hmac-sha384, hmac-sha512, hmac-md5)",
		        alg);
		goto fail;
	}
	d->secret = secret_parse(cfg->tsig_secret);
	if (!d->secret) {
		/* The text is never shown: it may be the key. */
		rc = xc_error_set(
		        err, XC_EINVAL,
		        "the TSIG secret of key '%s' is not base64 (as tsig-keygen writes it, alone or in its key clause)",
		        cfg->tsig_name);
		goto fail;
	}
	{
		char *k = name_norm(cfg->tsig_name);
		size_t len = strlen(k);

		d->key_name = xc_xmalloc(len + 2);
		snprintf(d->key_name, len + 2, "%s.", k);
		free(k);
	}
	if (cfg->zone && cfg->zone[0])
		d->zone = name_norm(cfg->zone);
	if ((rc = server_parse(&d->primary, cfg->server, "the DNS server",
	                       err)) < 0)
		goto fail;
	d->secondaries =
	        xc_xcalloc(cfg->nsecondaries + 1, sizeof(*d->secondaries));
	for (i = 0; i < cfg->nsecondaries; i++, d->nsecondaries++)
		if ((rc = server_parse(&d->secondaries[i], cfg->secondaries[i],
		                       "a secondary DNS server", err)) < 0)
			goto fail;
	*out = d;
	return 0;
fail:
	xc_dns01_free(d);
	return rc;
}

/* ---- values and names ---- */

void xc_dns01_txt_value(const char *key_authorization, char out[44])
{
	unsigned char md[32];
	unsigned int len = 0;
	char *b64;

	EVP_Digest(key_authorization, strlen(key_authorization), md, &len,
	           EVP_sha256(), NULL);
	b64 = xc_b64url_encode(md, len);
	snprintf(out, 44, "%s", b64);
	free(b64);
}

char *xc_dns01_record_name(const char *identifier)
{
	char *base =
	        name_norm(strncmp(identifier, "*.", 2) == 0 ? identifier + 2
	                                                    : identifier);
	size_t len = strlen(base) + sizeof("_acme-challenge.");
	char *out = xc_xmalloc(len);

	snprintf(out, len, "_acme-challenge.%s", base);
	free(base);
	return out;
}

/* ---- talking to the server ---- */

static ldns_resolver *resolver(struct xc_dns01 *d, const struct srv *to,
                               bool tsig)
{
	ldns_resolver *res = ldns_resolver_new();
	ldns_rdf *ns = ldns_rdf_new_frm_str(
	        to->v6 ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, to->addr);
	struct timeval tv = {3, 0};

	if (!res || !ns ||
	    ldns_resolver_push_nameserver(res, ns) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(ns);
		if (res)
			ldns_resolver_deep_free(res);
		return NULL;
	}
	ldns_rdf_deep_free(ns);
	ldns_resolver_set_port(res, (uint16_t)to->port);
	ldns_resolver_set_recursive(res, false);
	ldns_resolver_set_timeout(res, tv);
	ldns_resolver_set_retry(res, 2);
	ldns_resolver_set_retrans(res, 1);
	ldns_resolver_set_random(res, false);
	ldns_resolver_set_fallback(res, true);
	if (tsig) {
		ldns_resolver_set_tsig_keyname(res, d->key_name);
		ldns_resolver_set_tsig_algorithm(res, d->key_alg);
		ldns_resolver_set_tsig_keydata(res, d->secret);
	}
	return res;
}

static void resolver_free(ldns_resolver *res)
{
	const char *k = ldns_resolver_tsig_keydata(res);

	/* ldns keeps a copy of the secret: wipe it before it is freed. */
	if (k)
		xc_wipe((char *)k, strlen(k));
	ldns_resolver_deep_free(res);
}

static const char *rcode_name(unsigned rc)
{
	static const char *const names[] = {
	        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
	        "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
	        "NXRRSET", "NOTAUTH", "NOTZONE",
	};

	return rc < sizeof(names) / sizeof(names[0]) ? names[rc] : "rcode";
}

static const char *rcode_words(unsigned rc)
{
	switch (rc) {
	case LDNS_RCODE_FORMERR:
		return "the server could not read the message";
	case LDNS_RCODE_SERVFAIL:
		return "the server failed to carry it out";
	case LDNS_RCODE_NOTIMPL:
		return "the server does not take dynamic updates";
	case LDNS_RCODE_REFUSED:
		return "the server's update policy does not let this key change this name (or it takes no updates for the zone)";
	case LDNS_RCODE_NOTAUTH:
		return "the server is not authoritative for the zone, or did not accept the TSIG key";
	case LDNS_RCODE_NOTZONE:
		return "the name is outside the zone";
	default:
		return "the server refused it";
	}
}

/* The TSIG error of a reply, in words; "" when there is none. */
static const char *tsig_words(const ldns_pkt *p, const char **name)
{
	ldns_rr *t = ldns_pkt_tsig(p);
	uint16_t e;

	*name = "";
	if (!t || ldns_rr_rd_count(t) < 6)
		return "";
	e = ldns_rdf2native_int16(ldns_rr_rdf(t, 5));
	switch (e) {
	case 16:
		*name = "BADSIG";
		return "the TSIG signature does not verify: the secret (or the algorithm) is not the one the server has for this key";
	case 17:
		*name = "BADKEY";
		return "the server knows no TSIG key of this name and algorithm";
	case 18:
		*name = "BADTIME";
		return "the clocks of this machine and the server differ by more than the TSIG fudge";
	case 22:
		*name = "BADTRUNC";
		return "the server refused a truncated MAC";
	default:
		return "";
	}
}

/* One UPDATE to zone with the records of up (copied). */
static int send_update(struct xc_dns01 *d, const char *zone,
                       const ldns_rr_list *up, const char *what,
                       struct xc_error *err)
{
	ldns_resolver *res = resolver(d, &d->primary, true);
	ldns_pkt *pkt = NULL;
	ldns_pkt *answer = NULL;
	ldns_rdf *zrdf;
	ldns_status s;
	int rc = 0;

	if (!res)
		return xc_error_set(err, XC_EINVAL,
		                    "dns-01: cannot use the DNS server %s",
		                    d->primary.label);
	zrdf = ldns_dname_new_frm_str(zone);
	/* ldns_update_pkt_new takes zrdf and copies up. */
	pkt = zrdf ? ldns_update_pkt_new(zrdf, LDNS_RR_CLASS_IN, NULL, up, NULL)
	           : NULL;
	if (!pkt) {
		ldns_rdf_deep_free(zrdf);
		resolver_free(res);
		return xc_error_set(
		        err, XC_EINVAL,
		        "dns-01: cannot make the update of zone '%s'", zone);
	}
	ldns_pkt_set_random_id(pkt);
	s = ldns_update_pkt_tsig_add(pkt, res);
	if (s == LDNS_STATUS_OK) {
		d->st.updates++;
		/* ldns_send, unlike ldns_resolver_send_pkt, keeps the reply
		 * when its TSIG does not verify: its rcode says why. */
		s = ldns_send(&answer, res, pkt);
	}
	if (answer && ldns_pkt_get_rcode(answer) != LDNS_RCODE_NOERROR) {
		unsigned code = ldns_pkt_get_rcode(answer);
		const char *tname;
		const char *tw = tsig_words(answer, &tname);

		rc = xc_error_set(
		        err, code == LDNS_RCODE_NOTAUTH ? XC_EAUTH : XC_EPROTO,
		        "dns-01: the DNS server %s refused the update of zone %s (%s): %s%s%s: %s%s",
		        d->primary.label, zone, what, rcode_name(code),
		        tname[0] ? ", " : "", tname,
		        tw[0] ? tw : rcode_words(code),
		        tw[0] ? "; check --tsig-name, --tsig-secret and --tsig-algorithm"
		              : "");
		/* The TSIG key name is said, never the secret. */
		if (tw[0]) {
			size_t n = strlen(err->msg);

			snprintf(err->msg + n, sizeof(err->msg) - n,
			         " (key '%.*s')", (int)strlen(d->key_name) - 1,
			         d->key_name);
		}
	} else if (s == LDNS_STATUS_CRYPTO_TSIG_BOGUS) {
		rc = xc_error_set(
		        err, XC_EAUTH,
		        "dns-01: the reply of the DNS server %s to the update of zone %s (%s) is not signed with key '%.*s': check --tsig-secret and --tsig-algorithm",
		        d->primary.label, zone, what,
		        (int)strlen(d->key_name) - 1, d->key_name);
	} else if (s != LDNS_STATUS_OK || !answer) {
		rc = xc_error_set(
		        err, XC_EIO,
		        "dns-01: no reply from the DNS server %s to the update of zone %s (%s): %s",
		        d->primary.label, zone, what,
		        ldns_get_errorstr_by_id(s));
	}
	ldns_pkt_free(answer);
	ldns_pkt_free(pkt);
	resolver_free(res);
	return rc;
}

/* One query to a server (no recursion, no TSIG); *answer caller frees. */
static int query_at(struct xc_dns01 *d, const struct srv *to, const char *name,
                    ldns_rr_type type, ldns_pkt **answer, struct xc_error *err)
{
	ldns_resolver *res = resolver(d, to, false);
	ldns_rdf *dn = ldns_dname_new_frm_str(name);
	ldns_status s = LDNS_STATUS_ERR;

	*answer = NULL;
	if (res && dn) {
		d->st.queries++;
		s = ldns_resolver_send(answer, res, dn, type, LDNS_RR_CLASS_IN,
		                       0);
	}
	ldns_rdf_deep_free(dn);
	if (res)
		resolver_free(res);
	if (s != LDNS_STATUS_OK || !*answer) {
		ldns_pkt_free(*answer);
		*answer = NULL;
		return xc_error_set(
		        err, XC_EIO,
		        "dns-01: no answer from the DNS server %s to a %s query for %s: %s",
		        to->label, type == LDNS_RR_TYPE_SOA ? "SOA" : "TXT",
		        name, ldns_get_errorstr_by_id(s));
	}
	return 0;
}

static int query(struct xc_dns01 *d, const char *name, ldns_rr_type type,
                 ldns_pkt **answer, struct xc_error *err)
{
	return query_at(d, &d->primary, name, type, answer, err);
}

/* The zone of a record name: --zone, else the owner of the SOA the server
 * gives for the name.  Caller frees. */
static int zone_of(struct xc_dns01 *d, const char *name, char **zone,
                   struct xc_error *err)
{
	ldns_pkt *p = NULL;
	ldns_rr_list *lists[2];
	size_t i;
	size_t j;
	unsigned code;
	int rc;

	*zone = NULL;
	if (d->zone) {
		if (!in_zone(name, d->zone))
			return xc_error_set(
			        err, XC_EINVAL,
			        "dns-01: %s is not in zone %s (--zone)", name,
			        d->zone);
		*zone = xc_xstrdup(d->zone);
		return 0;
	}
	/* Another record of this run in a known zone. */
	for (i = 0; i < d->n; i++)
		if (d->recs[i].zone && strcmp(d->recs[i].name, name) == 0) {
			*zone = xc_xstrdup(d->recs[i].zone);
			return 0;
		}
	if ((rc = query(d, name, LDNS_RR_TYPE_SOA, &p, err)) < 0)
		return rc;
	code = ldns_pkt_get_rcode(p);
	lists[0] = ldns_pkt_answer(p);
	lists[1] = ldns_pkt_authority(p);
	for (j = 0; j < 2 && !*zone; j++)
		for (i = 0; i < ldns_rr_list_rr_count(lists[j]); i++) {
			ldns_rr *rr = ldns_rr_list_rr(lists[j], i);
			char *owner;

			if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA)
				continue;
			owner = ldns_rdf2str(ldns_rr_owner(rr));
			if (owner)
				*zone = name_norm(owner);
			free(owner);
			break;
		}
	ldns_pkt_free(p);
	if (*zone && !in_zone(name, *zone)) {
		free(*zone);
		*zone = NULL;
	}
	if (!*zone)
		return xc_error_set(
		        err, XC_ENOTFOUND,
		        "dns-01: the DNS server %s names no zone of its own for %s (%s, no SOA in its answer): is it the primary of the zone? else give --zone",
		        d->primary.label, name, rcode_name(code));
	return 0;
}

/* "NAME. TTL CLASS TXT "VALUE"" as an RR; class NONE and TTL 0 delete
 * that one record (RFC 2136 §2.5.4). */
static ldns_rr *txt_rr(const char *name, const char *value, bool del)
{
	char text[512];
	ldns_rr *rr = NULL;

	snprintf(text, sizeof(text), "%s. %d IN TXT \"%s\"", name,
	         del ? 0 : RECORD_TTL, value);
	if (ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) != LDNS_STATUS_OK)
		return NULL;
	if (del)
		ldns_rr_set_class(rr, LDNS_RR_CLASS_NONE);
	return rr;
}

int xc_dns01_add(struct xc_dns01 *d, const char *identifier,
                 const char *key_authorization, struct xc_error *err)
{
	char *name = xc_dns01_record_name(identifier);
	char value[44];
	size_t i;

	xc_dns01_txt_value(key_authorization, value);
	if (strlen(name) > 253) {
		free(name);
		return xc_error_set(
		        err, XC_EINVAL,
		        "dns-01: the record name for %s is too long",
		        identifier);
	}
	for (i = 0; i < d->n; i++)
		if (strcmp(d->recs[i].name, name) == 0 &&
		    strcmp(d->recs[i].value, value) == 0) {
			free(name);
			return 0;
		}
	xc_xgrow((void **)&d->recs, &d->cap, d->n + 1, sizeof(*d->recs));
	memset(&d->recs[d->n], 0, sizeof(d->recs[d->n]));
	d->recs[d->n].name = name;
	snprintf(d->recs[d->n].value, sizeof(d->recs[d->n].value), "%s", value);
	d->n++;
	return 0;
}

/* One update of zone: adds its records not yet published, or deletes
 * those published. */
static int update_zone(struct xc_dns01 *d, const char *zone, bool del,
                       struct xc_error *err)
{
	ldns_rr_list *up = ldns_rr_list_new();
	char what[300];
	size_t count = 0;
	size_t first = 0;
	size_t i;
	int rc;

	for (i = 0; i < d->n; i++) {
		struct rec *r = &d->recs[i];
		ldns_rr *rr;

		if (!r->zone || strcmp(r->zone, zone) != 0 ||
		    r->published != del)
			continue;
		rr = txt_rr(r->name, r->value, del);
		if (!rr) {
			ldns_rr_list_deep_free(up);
			return xc_error_set(err, XC_EINVAL,
			                    "dns-01: cannot make the record %s",
			                    r->name);
		}
		if (count++ == 0)
			first = i;
		ldns_rr_list_push_rr(up, rr);
	}
	if (count == 0) {
		ldns_rr_list_deep_free(up);
		return 0;
	}
	snprintf(what, sizeof(what), "%s %s TXT%s", del ? "deleting" : "adding",
	         d->recs[first].name, count > 1 ? " and more" : "");
	rc = send_update(d, zone, up, what, err);
	ldns_rr_list_deep_free(up);
	if (rc < 0)
		return rc;
	for (i = 0; i < d->n; i++) {
		struct rec *r = &d->recs[i];

		if (r->zone && strcmp(r->zone, zone) == 0 &&
		    r->published == del) {
			r->published = !del;
			if (del)
				d->st.deleted++;
			else
				d->st.added++;
		}
	}
	say(d, "%s %zu TXT record%s in zone %s at %s",
	    del ? "deleted" : "added", count, count == 1 ? "" : "s", zone,
	    d->primary.label);
	return 0;
}

/* True when the server serves value at name. */
static int served(struct xc_dns01 *d, const struct srv *to, const struct rec *r,
                  bool *yes, struct xc_error *err)
{
	ldns_pkt *p = NULL;
	ldns_rr_list *ans;
	char quoted[50];
	size_t i;
	int rc;

	*yes = false;
	if ((rc = query_at(d, to, r->name, LDNS_RR_TYPE_TXT, &p, err)) < 0)
		return rc;
	snprintf(quoted, sizeof(quoted), "\"%s\"", r->value);
	ans = ldns_pkt_answer(p);
	for (i = 0; i < ldns_rr_list_rr_count(ans) && !*yes; i++) {
		ldns_rr *rr = ldns_rr_list_rr(ans, i);
		char *v;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TXT ||
		    ldns_rr_rd_count(rr) != 1)
			continue;
		v = ldns_rdf2str(ldns_rr_rdf(rr, 0));
		*yes = v && strcmp(v, quoted) == 0;
		free(v);
	}
	ldns_pkt_free(p);
	return 0;
}

int xc_dns01_publish(struct xc_dns01 *d, long long timeout_ms,
                     struct xc_error *err)
{
	long long deadline = xc_clock_ms() + timeout_ms;
	long long backoff = 20;
	size_t i;
	int rc;

	for (i = 0; i < d->n; i++)
		if (!d->recs[i].zone &&
		    (rc = zone_of(d, d->recs[i].name, &d->recs[i].zone, err)) <
		            0)
			return rc;
	for (i = 0; i < d->n; i++) {
		/* Each update sends every queued record of its zone. */
		if (d->recs[i].published)
			continue;
		if ((rc = update_zone(d, d->recs[i].zone, false, err)) < 0)
			return rc;
	}
	/* The CA may ask any of the zone's servers: the primary first, then
	 * every secondary must serve each record (NOTIFY and a transfer
	 * take a moment). */
	for (;;) {
		size_t missing = 0;
		const char *one = NULL;
		const struct srv *at = NULL;

		for (i = 0; i < d->n; i++) {
			struct rec *r = &d->recs[i];
			bool yes = true;

			while (!r->seen && yes) {
				const struct srv *to =
				        r->next ? &d->secondaries[r->next - 1]
				                : &d->primary;

				if ((rc = served(d, to, r, &yes, err)) < 0)
					return rc;
				if (!yes) {
					missing++;
					one = r->name;
					at = to;
				} else if (++r->next > d->nsecondaries) {
					r->seen = true;
				}
			}
		}
		if (!missing) {
			if (d->nsecondaries)
				say(d,
				    "the TXT records are served by %s and its %zu secondar%s",
				    d->primary.label, d->nsecondaries,
				    d->nsecondaries == 1 ? "y" : "ies");
			return 0;
		}
		if (xc_clock_ms() + backoff > deadline)
			return xc_error_set(
			        err, XC_ETIMEOUT,
			        "dns-01: the %sDNS server %s still does not serve the TXT record of %s (and %zu more) %lld s after the update",
			        at == &d->primary ? "" : "secondary ",
			        at->label, one, missing - 1, timeout_ms / 1000);
		xc_sleep_ms(backoff, xc_acme_interrupted);
		if (xc_acme_interrupted())
			return xc_error_set(
			        err, XC_ERR,
			        "dns-01: interrupted while waiting for the DNS servers");
		backoff = backoff * 2 > 500 ? 500 : backoff * 2;
	}
}

int xc_dns01_clear(struct xc_dns01 *d, struct xc_error *err)
{
	struct xc_error e2;
	size_t i;
	size_t j;
	int first = 0;
	int rc;

	for (i = 0; i < d->n; i++) {
		if (!d->recs[i].published)
			continue;
		for (j = 0; j < i; j++)
			if (d->recs[j].published && d->recs[j].zone &&
			    strcmp(d->recs[j].zone, d->recs[i].zone) == 0)
				break;
		if (j < i)
			continue;
		rc = update_zone(d, d->recs[i].zone, true, &e2);
		if (rc < 0 && first == 0) {
			first = rc;
			*err = e2;
		}
	}
	/* Forget what is gone; keep what could not be deleted. */
	for (i = 0, j = 0; i < d->n; i++) {
		if (d->recs[i].published) {
			d->recs[j++] = d->recs[i];
			continue;
		}
		free(d->recs[i].name);
		free(d->recs[i].zone);
	}
	d->n = j;
	return first;
}

int xc_dns01_forget(struct xc_dns01 *d, const char *record_name,
                    const char *value, struct xc_error *err)
{
	ldns_rr_list *up;
	ldns_rr *rr;
	char *name = name_norm(record_name);
	char *zone = NULL;
	char what[300];
	int rc;

	rc = zone_of(d, name, &zone, err);
	rr = rc == 0 ? txt_rr(name, value, true) : NULL;
	if (rc == 0 && !rr)
		rc = xc_error_set(err, XC_EINVAL,
		                  "dns-01: cannot make the record %s", name);
	if (rc == 0) {
		up = ldns_rr_list_new();
		ldns_rr_list_push_rr(up, rr);
		snprintf(what, sizeof(what), "deleting %s TXT", name);
		rc = send_update(d, zone, up, what, err);
		ldns_rr_list_deep_free(up);
		if (rc == 0) {
			d->st.deleted++;
			say(d,
			    "deleted the TXT record of %s an earlier run left",
			    name);
		}
	}
	free(zone);
	free(name);
	return rc;
}

void xc_dns01_get_stats(const struct xc_dns01 *d, struct xc_dns01_stats *out)
{
	*out = d->st;
}

void xc_dns01_free(struct xc_dns01 *d)
{
	struct xc_error err;
	size_t i;

	if (!d)
		return;
	if (xc_dns01_clear(d, &err) < 0 && d->log)
		say(d, "%s; delete the records by hand", err.msg);
	for (i = 0; i < d->n; i++) {
		free(d->recs[i].name);
		free(d->recs[i].zone);
	}
	free(d->recs);
	if (d->secret)
		xc_wipe_free_str(d->secret);
	free(d->primary.label);
	for (i = 0; i < d->nsecondaries; i++)
		free(d->secondaries[i].label);
	free(d->secondaries);
	free(d->key_name);
	free(d->key_alg);
	free(d->zone);
	free(d);
}
