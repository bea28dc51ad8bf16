/* SPDX-License-Identifier: MIT */
#include "state/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/dn.h"
#include "state/dnsname.h"
#include "state/model.h"
#include "state/secret.h"
#include "state/services.h"
#include "state/url.h"

static bool check_dns(const char *v, char *why, size_t size)
{
	return xc_dns_name_valid(v, 0, why, size);
}

static bool check_domain(const char *v, char *why, size_t size)
{
	return xc_dns_name_valid(v, XC_DNS_WILDCARD, why, size);
}

static bool check_host(const char *v, char *why, size_t size)
{
	return xc_host_valid(v, why, size);
}

static bool check_netbios(const char *v, char *why, size_t size)
{
	return xc_netbios_valid(v, why, size);
}

static bool check_dn(const char *v, char *why, size_t size)
{
	struct xc_dn dn;
	char inner[200];

	if (!xc_dn_parse(v, &dn, inner, sizeof(inner))) {
		snprintf(why, size, "'%.80s' is not a distinguished name: %s",
		         v, inner);
		return false;
	}
	xc_dn_release(&dn);
	return true;
}

static bool check_email(const char *v, char *why, size_t size)
{
	const char *at = strrchr(v, '@');
	char inner[160];

	if (!at || at == v) {
		snprintf(why, size, "'%.80s' is not an e-mail address", v);
		return false;
	}
	if (!xc_dns_name_valid(at + 1, 0, inner, sizeof(inner))) {
		snprintf(why, size, "bad domain in e-mail address '%.80s': %s",
		         v, inner);
		return false;
	}
	return true;
}

static bool check_dns_server(const char *v, char *why, size_t size);

/* "URL" or "URL via ADDR[:PORT]" (state/url.h). */
static bool check_verify_url(const char *v, char *why, size_t size)
{
	struct xc_url u;
	char url[1400];
	char via[1400];

	if (!xc_verify_entry_split(v, url, via, sizeof(url))) {
		snprintf(why, size, "verify endpoint too long");
		return false;
	}
	if (!xc_url_parse(url, "https smtp imap pop3 imaps pop3s", &u, why,
	                  size))
		return false;
	if (strstr(v, " via ") && !check_dns_server(via, why, size)) {
		size_t n = strlen(why);

		snprintf(why + n, size - n,
		         " (after 'via': the address to connect to)");
		return false;
	}
	return true;
}

static bool check_https_url(const char *v, char *why, size_t size)
{
	struct xc_url u;

	return xc_url_parse(v, "https", &u, why, size);
}

static bool check_winrm_url(const char *v, char *why, size_t size)
{
	struct xc_url u;
	size_t n;

	if (xc_url_parse(v, "https http", &u, why, size))
		return true;
	n = strlen(why);
	if (strstr(why, "credentials") && n < size)
		snprintf(
		        why + n, size - n,
		        "; write the account under username and the password as env: or file:");
	return false;
}

static bool check_secret(const char *v, char *why, size_t size)
{
	enum xc_secret_kind kind;
	const char *what;

	return xc_secret_ref_parse(v, &kind, &what, why, size);
}

/* A value written as is or as a reference: a reference is checked (and its
 * env: name kept from children, state/secret.h). */
static bool check_maybe_secret(const char *v, char *why, size_t size)
{
	if (strncmp(v, "env:", 4) != 0 && strncmp(v, "file:", 5) != 0)
		return true;
	return check_secret(v, why, size);
}

static bool check_service(const char *v, char *why, size_t size)
{
	if (xc_service_parse(v))
		return true;
	snprintf(
	        why, size,
	        "unknown service '%.40s' (valid: IIS, SMTP, IMAP, POP, UM, UMCallRouter, Federation)",
	        v);
	return false;
}

static bool check_path(const char *v, char *why, size_t size)
{
	if (*v)
		return true;
	snprintf(why, size, "empty path");
	return false;
}

/* "HOST", "HOST:PORT" or "[V6]:PORT": a DNS server (port 53 by default),
 * or the address a verify endpoint is probed at. */
static bool check_dns_server(const char *v, char *why, size_t size)
{
	char host[256];
	unsigned port;

	return xc_host_port_split(v, host, sizeof(host), &port, why, size) &&
	       check_host(host, why, size);
}

/* "HOST:PORT" or "[V6]:PORT": an endpoint to connect to, port required
 * (a TLS port of a load balancer is rarely the default). */
static bool check_address(const char *v, char *why, size_t size)
{
	const char *colon;
	const char *h = v;
	char host[256];
	char inner[160];
	size_t n;
	char *end;
	long port;

	if (*v == '[') {
		const char *rb = strchr(v, ']');

		colon = rb && rb[1] == ':' ? rb + 1 : NULL;
		h = v + 1;
		n = rb ? (size_t)(rb - h) : 0;
	} else {
		colon = strrchr(v, ':');
		n = colon ? (size_t)(colon - v) : 0;
		if (colon && memchr(v, ':', n)) {
			snprintf(why, size,
			         "write an IPv6 address in brackets: "
			         "'[ADDRESS]:PORT', not '%.80s'",
			         v);
			return false;
		}
	}
	if (!colon || n == 0 || n >= sizeof(host)) {
		snprintf(why, size, "'%.80s' is not HOST:PORT", v);
		return false;
	}
	memcpy(host, h, n);
	host[n] = '\0';
	if (*v == '[' && !xc_ip_literal(host)) {
		snprintf(why, size, "'%.80s' is not an IPv6 address", host);
		return false;
	}
	if (!xc_host_valid(host, inner, sizeof(inner))) {
		snprintf(why, size, "bad host in '%.80s': %s", v, inner);
		return false;
	}
	port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || port < 1 || port > 65535) {
		snprintf(why, size, "bad port in '%.80s' (1 to 65535)", v);
		return false;
	}
	return true;
}

/* Names of certificates, issuers and load balancers: they appear in plans,
 * file names in the state directory and friendly names on Exchange. */
static bool check_ident(const char *v, char *why, size_t size)
{
	size_t i;
	size_t n = strlen(v);

	if (n == 0 || n > 64) {
		snprintf(why, size, "a name has 1 to 64 characters");
		return false;
	}
	for (i = 0; i < n; i++) {
		char c = v[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.')) {
			snprintf(
			        why, size,
			        "name '%.64s' may hold only letters, digits, '-', '_' and '.'",
			        v);
			return false;
		}
	}
	return true;
}

static bool check_friendly(const char *v, char *why, size_t size)
{
	/* New-ExchangeCertificate: "fewer than 64 characters". */
	if (strlen(v) >= 64) {
		snprintf(why, size,
		         "a friendly name has fewer than 64 characters");
		return false;
	}
	return true;
}

static const char *const role_values[] = {"mailbox", "edge", NULL};
/* Indexed by enum xc_transport_kind: the one list of their names. */
static const char *const transport_values[] = {
        [XC_TRANSPORT_SSH] = "ssh",
        [XC_TRANSPORT_WINRM] = "winrm",
        [XC_TRANSPORT_LAB] = "lab",
        NULL,
};

const char *xc_transport_name(enum xc_transport_kind kind)
{
	size_t n = sizeof(transport_values) / sizeof(transport_values[0]) - 1;

	return (size_t)kind < n ? transport_values[kind] : "?";
}
static const char *const auth_values[] = {"negotiate", "kerberos", "ntlm",
                                          "basic", NULL};
static const char *const via_values[] = {"iis", NULL};
static const char *const account_key_values[] = {"ec256", "ec384", "rsa2048",
                                                 "rsa4096", NULL};
static const char *const remove_values[] = {"after_verify", "never", NULL};
static const char *const key_size_values[] = {"2048", "3072", "4096", NULL};

#define OFF(type, member) offsetof(struct type, member)

static const struct xc_key connect_keys[] = {
        {.name = "transport",
         .kind = XC_V_ENUM,
         .flags = XC_K_REQUIRED,
         .off = OFF(xc_connect, transport),
         .values = transport_values,
         .doc = "How excert reaches the server: ssh (OpenSSH with PowerShell as its shell), winrm (WS-Management over HTTPS) or lab (the built-in Exchange emulator)."},
        {.name = "timeout",
         .kind = XC_V_DURATION,
         .off = OFF(xc_connect, timeout),
         .def = "5m",
         .doc = "How long one call to the server may take."},
        {.name = "host",
         .kind = XC_V_STRING,
         .flags = XC_K_REQUIRED,
         .off = OFF(xc_connect, host),
         .check = check_host,
         .only = "ssh",
         .doc = "Host name or address of the server's sshd."},
        {.name = "port",
         .kind = XC_V_INT,
         .off = OFF(xc_connect, port),
         .min = 1,
         .max = 65535,
         .only = "ssh",
         .def = "22",
         .doc = "TCP port of sshd."},
        {.name = "user",
         .kind = XC_V_STRING,
         .flags = XC_K_REQUIRED,
         .off = OFF(xc_connect, user),
         .only = "ssh",
         .doc = "Account to log in as; it needs Exchange's Organization Management role."},
        {.name = "identity",
         .kind = XC_V_STRING,
         .off = OFF(xc_connect, identity),
         .check = check_path,
         .only = "ssh",
         .doc = "Private key file for public-key authentication (default: ssh's own choice)."},
        {.name = "known_hosts",
         .kind = XC_V_STRING,
         .off = OFF(xc_connect, known_hosts),
         .check = check_path,
         .only = "ssh",
         .doc = "known_hosts file to check the server's host key against (default: ssh's own)."},
        {.name = "url",
         .kind = XC_V_STRING,
         .flags = XC_K_REQUIRED,
         .off = OFF(xc_connect, url),
         .check = check_winrm_url,
         .only = "winrm",
         .doc = "WS-Management endpoint, e.g. https://ms02.contoso.local:5986/wsman."},
        {.name = "auth",
         .kind = XC_V_ENUM,
         .off = OFF(xc_connect, auth),
         .values = auth_values,
         .only = "winrm",
         .def = "negotiate",
         .doc = "Authentication scheme; basic is refused over plain http."},
        {.name = "username",
         .kind = XC_V_STRING,
         .flags = XC_K_REQUIRED,
         .off = OFF(xc_connect, username),
         .only = "winrm",
         .doc = "Account, e.g. CONTOSO\\svc-excert."},
        {.name = "password",
         .kind = XC_V_STRING,
         .flags = XC_K_REQUIRED | XC_K_SECRET,
         .off = OFF(xc_connect, password),
         .check = check_secret,
         .only = "winrm",
         .doc = "Reference to the password: env:NAME or file:PATH, never the password itself."},
        {.name = "ca_bundle",
         .kind = XC_V_STRING,
         .off = OFF(xc_connect, ca_bundle),
         .check = check_path,
         .only = "winrm",
         .doc = "PEM file of CA certificates that issued the WinRM listener's certificate."},
        {.name = "path",
         .kind = XC_V_STRING,
         .flags = XC_K_REQUIRED,
         .off = OFF(xc_connect, path),
         .check = check_path,
         .only = "lab",
         .doc = "Directory of the lab organisation (made by excert lab init), relative to excert.yaml."},
        {0},
};

static const struct xc_shape connect_shape = {
        .what = "connect",
        .size = sizeof(struct xc_connect),
        .keys = connect_keys,
        .discriminator = "transport",
        .doc = "How excert reaches one Exchange server. The keys besides transport and timeout depend on the transport.",
};

static const struct xc_key server_keys[] = {
        {.name = "name",
         .kind = XC_V_STRING,
         .flags = XC_K_REQUIRED,
         .off = OFF(xc_server, name),
         .check = check_netbios,
         .doc = "The server's name as Exchange knows it (its NetBIOS computer name, e.g. MS01)."},
        {.name = "fqdn",
         .kind = XC_V_STRING,
         .flags = XC_K_REQUIRED,
         .off = OFF(xc_server, fqdn),
         .check = check_dns,
         .doc = "Fully qualified DNS name of the server."},
        {.name = "role",
         .kind = XC_V_ENUM,
         .off = OFF(xc_server, role),
         .values = role_values,
         .def = "mailbox",
         .doc = "mailbox, or edge for an Edge Transport server (SMTP only)."},
        {.name = "connect",
         .kind = XC_V_OBJECT,
         .flags = XC_K_REQUIRED,
         .off = OFF(xc_server, connect),
         .shape = &connect_shape,
         .doc = "How excert reaches the server."},
        {0},
};

static const struct xc_shape server_shape = {
        .what = "server",
        .size = sizeof(struct xc_server),
        .keys = server_keys,
        .doc = "One Exchange server that excert manages.",
};

static const struct xc_key eab_keys[] = {
        {.name = "kid",
         .kind = XC_V_STRING,
         .flags = XC_K_REQUIRED,
         .off = OFF(xc_eab, kid),
         .check = check_maybe_secret,
         .doc = "Key identifier the CA gave you; written as is or as env:NAME / file:PATH."},
        {.name = "hmac_key",
         .kind = XC_V_STRING,
         .flags = XC_K_REQUIRED | XC_K_SECRET,
         .off = OFF(xc_eab, hmac_key),
         .check = check_secret,
         .doc = "Reference to the base64url HMAC key: env:NAME or file:PATH."},
        {0},
};

static const struct xc_shape eab_shape = {
        .what = "eab",
        .size = sizeof(struct xc_eab),
        .keys = eab_keys,
        .doc = "External Account Binding (RFC 8555 §7.3.4), required by CAs such as ZeroSSL.",
};

static const struct xc_key http01_keys[] = {
        {.name = "via",
         .kind = XC_V_ENUM,
         .flags = XC_K_REQUIRED,
         .off = OFF(xc_http01, via),
         .values = via_values,
         .doc = "Where the challenge file is placed: iis, the IIS webroot of every server of the certificate (a load balancer may send the CA to any of them), by the agent, removed again afterwards."},
        {0},
};

static const struct xc_shape http01_shape = {
        .what = "http-01",
        .size = sizeof(struct xc_http01),
        .keys = http01_keys,
        .doc = "Answer http-01 challenges with a file on Exchange's IIS.",
};

static const struct xc_key rfc2136_keys[] = {
        {.name = "server",
         .kind = XC_V_STRING,
         .flags = XC_K_REQUIRED,
         .off = OFF(xc_rfc2136, server),
         .check = check_host,
         .doc = "Primary name server that accepts dynamic updates."},
        {.name = "port",
         .kind = XC_V_INT,
         .off = OFF(xc_rfc2136, port),
         .min = 1,
         .max = 65535,
         .def = "53",
         .doc = "Its port."},
        {.name = "key",
         .kind = XC_V_STRING,
         .flags = XC_K_REQUIRED | XC_K_SECRET,
         .off = OFF(xc_rfc2136, key),
         .check = check_secret,
         .doc = "Reference to the TSIG key in BIND's format (as tsig-keygen writes it): file:PATH or env:NAME."},
        {.name = "zone",
         .kind = XC_V_STRING,
         .off = OFF(xc_rfc2136, zone),
         .check = check_dns,
         .doc = "Zone to update (default: found from the SOA of each name)."},
        {.name = "secondaries",
         .kind = XC_V_STRINGS,
         .flags = XC_K_UNIQUE,
         .off = OFF(xc_rfc2136, secondaries),
         .check = check_dns_server,
         .doc = "The zone's other name servers (ADDR, ADDR:PORT or [V6]:PORT): each must serve the TXT records too before the CA is asked, as the CA may ask any of them."},
        {0},
};

static const struct xc_shape rfc2136_shape = {
        .what = "rfc2136",
        .size = sizeof(struct xc_rfc2136),
        .keys = rfc2136_keys,
        .doc = "DNS dynamic update (RFC 2136) signed with TSIG.",
};

static const struct xc_key dns01_keys[] = {
        {.name = "rfc2136",
         .kind = XC_V_OBJECT,
         .off = OFF(xc_dns01, rfc2136),
         .shape = &rfc2136_shape,
         .doc = "Publish the TXT records by RFC 2136 dynamic update."},
        {0},
};

static const struct xc_shape dns01_shape = {
        .what = "dns-01",
        .size = sizeof(struct xc_dns01),
        .keys = dns01_keys,
        .flags = XC_S_ONE_OF,
        .doc = "Answer dns-01 challenges with TXT records.",
};

static const struct xc_key challenge_keys[] = {
        {.name = "http-01",
         .kind = XC_V_OBJECT,
         .off = OFF(xc_challenge, http01),
         .shape = &http01_shape,
         .doc = "Use http-01."},
        {.name = "dns-01",
         .kind = XC_V_OBJECT,
         .off = OFF(xc_challenge, dns01),
         .shape = &dns01_shape,
         .doc = "Use dns-01 (required for wildcard names)."},
        {0},
};

static const struct xc_shape challenge_shape = {
        .what = "challenge",
        .size = sizeof(struct xc_challenge),
        .keys = challenge_keys,
        .flags = XC_S_ONE_OF,
        .doc = "How domain control is proven: exactly one of http-01 and dns-01.",
};

static const struct xc_key acme_keys[] = {
        {.name = "directory",
         .kind = XC_V_STRING,
         .flags = XC_K_REQUIRED,
         .off = OFF(xc_acme, directory),
         .check = check_https_url,
         .doc = "The CA's ACME directory URL (https)."},
        {.name = "email",
         .kind = XC_V_STRING,
         .off = OFF(xc_acme, email),
         .check = check_email,
         .doc = "Contact address for the ACME account."},
        {.name = "eab",
         .kind = XC_V_OBJECT,
         .off = OFF(xc_acme, eab),
         .shape = &eab_shape,
         .doc = "External Account Binding."},
        {.name = "challenge",
         .kind = XC_V_OBJECT,
         .flags = XC_K_REQUIRED,
         .off = OFF(xc_acme, challenge),
         .shape = &challenge_shape,
         .doc = "How domain control is proven."},
        {.name = "ca_bundle",
         .kind = XC_V_STRING,
         .off = OFF(xc_acme, ca_bundle),
         .check = check_path,
         .doc = "PEM file of CA certificates to trust for the ACME server's TLS (internal CAs, Pebble); TLS is always verified."},
        {.name = "account_key",
         .kind = XC_V_ENUM,
         .off = OFF(xc_acme, account_key),
         .values = account_key_values,
         .def = "ec256",
         .doc = "Type of the ACME account key, kept in the state directory."},
        {0},
};

static const struct xc_shape acme_shape = {
        .what = "acme",
        .size = sizeof(struct xc_acme),
        .keys = acme_keys,
        .doc = "An ACME CA (RFC 8555): Let's Encrypt, ZeroSSL, an internal ACME server.",
};

static const struct xc_key manual_keys[] = {
        {.name = "path",
         .kind = XC_V_STRING,
         .flags = XC_K_REQUIRED,
         .off = OFF(xc_manual, path),
         .check = check_path,
         .doc = "Directory where excert writes CSRs and picks up the issued certificates, relative to excert.yaml."},
        {0},
};

static const struct xc_shape manual_shape = {
        .what = "manual",
        .size = sizeof(struct xc_manual),
        .keys = manual_keys,
        .doc = "A CA that people operate: excert writes the CSR and waits for the certificate.",
};

static const struct xc_key labca_keys[] = {
        {.name = "path",
         .kind = XC_V_STRING,
         .flags = XC_K_REQUIRED,
         .off = OFF(xc_labca, path),
         .check = check_path,
         .doc = "Directory of the lab CA, relative to excert.yaml."},
        {0},
};

static const struct xc_shape labca_shape = {
        .what = "lab",
        .size = sizeof(struct xc_labca),
        .keys = labca_keys,
        .doc = "The lab CA, for the lab organisation and rehearsals.",
};

static const struct xc_key issuer_keys[] = {
        {.name = "acme",
         .kind = XC_V_OBJECT,
         .off = OFF(xc_issuer, acme),
         .shape = &acme_shape,
         .doc = "An ACME CA."},
        {.name = "manual",
         .kind = XC_V_OBJECT,
         .off = OFF(xc_issuer, manual),
         .shape = &manual_shape,
         .doc = "A manual CA."},
        {.name = "lab",
         .kind = XC_V_OBJECT,
         .off = OFF(xc_issuer, lab),
         .shape = &labca_shape,
         .doc = "The lab CA."},
        {0},
};

static const struct xc_shape issuer_shape = {
        .what = "issuer",
        .size = sizeof(struct xc_issuer),
        .keys = issuer_keys,
        .flags = XC_S_ONE_OF,
        .name_off = OFF(xc_issuer, name),
        .name_check = check_ident,
        .doc = "A certificate authority, under a name of your choice: exactly one of acme, manual and lab.",
};

static const struct xc_key haproxy_keys[] = {
        {.name = "socket",
         .kind = XC_V_STRING,
         .flags = XC_K_REQUIRED,
         .off = OFF(xc_haproxy, socket),
         .check = check_path,
         .doc = "HAProxy's runtime API socket: a Unix socket path, or ipv4@HOST:PORT on a loopback address only (the API has no TLS, and lb-update sends the private key)."},
        {.name = "certificate",
         .kind = XC_V_STRING,
         .flags = XC_K_REQUIRED,
         .off = OFF(xc_haproxy, certificate),
         .check = check_path,
         .doc = "The certificate file as HAProxy's configuration names it (crt); updated live and on disk."},
        {0},
};

static const struct xc_shape haproxy_shape = {
        .what = "haproxy",
        .size = sizeof(struct xc_haproxy),
        .keys = haproxy_keys,
        .doc = "HAProxy, updated through its runtime API without a reload.",
};

static const struct xc_key nginx_keys[] = {
        {.name = "certificate",
         .kind = XC_V_STRING,
         .flags = XC_K_REQUIRED,
         .off = OFF(xc_nginx, certificate),
         .check = check_path,
         .doc = "Certificate chain file (ssl_certificate)."},
        {.name = "key",
         .kind = XC_V_STRING,
         .flags = XC_K_REQUIRED,
         .off = OFF(xc_nginx, key),
         .check = check_path,
         .doc = "Private key file (ssl_certificate_key), written with mode 0600."},
        {.name = "binary",
         .kind = XC_V_STRING,
         .off = OFF(xc_nginx, binary),
         .check = check_path,
         .def = "nginx",
         .doc = "The nginx program, run with -t and -s reload."},
        {.name = "config",
         .kind = XC_V_STRING,
         .off = OFF(xc_nginx, config),
         .check = check_path,
         .doc = "nginx.conf to pass with -c (default: nginx's own)."},
        {.name = "address",
         .kind = XC_V_STRING,
         .flags = XC_K_REQUIRED,
         .off = OFF(xc_nginx, address),
         .check = check_address,
         .doc = "HOST:PORT where NGINX serves TLS for this certificate ([V6]:PORT for IPv6), probed with the certificate's first domain as SNI: NGINX has no API that says what it serves."},
        {0},
};

static const struct xc_shape nginx_shape = {
        .what = "nginx",
        .size = sizeof(struct xc_nginx),
        .keys = nginx_keys,
        .doc = "NGINX: files replaced atomically, configuration tested, then reloaded.",
};

static const struct xc_key lb_keys[] = {
        {.name = "haproxy",
         .kind = XC_V_OBJECT,
         .off = OFF(xc_lb, haproxy),
         .shape = &haproxy_shape,
         .doc = "An HAProxy."},
        {.name = "nginx",
         .kind = XC_V_OBJECT,
         .off = OFF(xc_lb, nginx),
         .shape = &nginx_shape,
         .doc = "An NGINX."},
        {0},
};

static const struct xc_shape lb_shape = {
        .what = "load balancer",
        .size = sizeof(struct xc_lb),
        .keys = lb_keys,
        .flags = XC_S_ONE_OF,
        .name_off = OFF(xc_lb, name),
        .name_check = check_ident,
        .doc = "A load balancer in front of Exchange, under a name of your choice: exactly one of haproxy and nginx.",
};

static const struct xc_key key_keys[] = {
        {.name = "size",
         .kind = XC_V_INT,
         .off = OFF(xc_keyspec, size),
         .min = 2048,
         .max = 4096,
         .values = key_size_values,
         .def = "2048",
         .doc = "RSA key size: 2048, 3072 or 4096 (Exchange makes RSA keys only)."},
        {.name = "exportable",
         .kind = XC_V_BOOL,
         .off = OFF(xc_keyspec, exportable),
         .def = "true",
         .doc = "Whether the private key may be exported; needed to copy the certificate to more than one server."},
        {0},
};

static const struct xc_shape key_shape = {
        .what = "key",
        .size = sizeof(struct xc_keyspec),
        .keys = key_keys,
        .doc = "The private key that the first server generates with the request.",
};

static const struct xc_key connectors_keys[] = {
        {.name = "send",
         .kind = XC_V_STRINGS,
         .flags = XC_K_UNIQUE,
         .off = OFF(xc_connectors, send),
         .doc = "Send connectors whose TlsCertificateName follows this certificate, e.g. \"Outbound to Office 365 - <GUID>\"."},
        {.name = "receive",
         .kind = XC_V_STRINGS,
         .flags = XC_K_UNIQUE,
         .off = OFF(xc_connectors, receive),
         .doc = "Receive connectors as SERVER\\Name, e.g. \"MS01\\Default Frontend MS01\"."},
        {0},
};

static const struct xc_shape connectors_shape = {
        .what = "connectors",
        .size = sizeof(struct xc_connectors),
        .keys = connectors_keys,
        .doc = "Connectors whose TlsCertificateName must name this certificate; changed only when issuer or subject change.",
};

static const struct xc_key cert_keys[] = {
        {.name = "name",
         .kind = XC_V_STRING,
         .flags = XC_K_REQUIRED,
         .off = OFF(xc_cert, name),
         .check = check_ident,
         .doc = "A name of your choice, unique in the file; it appears in plans and in the friendly name."},
        {.name = "subject",
         .kind = XC_V_STRING,
         .off = OFF(xc_cert, subject),
         .check = check_dn,
         .def = "CN=<first domain>",
         .doc = "Subject distinguished name, e.g. \"CN=mail.contoso.com, O=Contoso, C=US\"; its CN must be one of the domains."},
        {.name = "domains",
         .kind = XC_V_STRINGS,
         .flags = XC_K_REQUIRED | XC_K_NONEMPTY | XC_K_UNIQUE,
         .off = OFF(xc_cert, domains),
         .check = check_domain,
         .doc = "DNS names for the subject alternative names; a wildcard only as the whole left-most label."},
        {.name = "issuer",
         .kind = XC_V_STRING,
         .flags = XC_K_REQUIRED,
         .off = OFF(xc_cert, issuer),
         .doc = "Name of an entry under issuers."},
        {.name = "key",
         .kind = XC_V_OBJECT,
         .off = OFF(xc_cert, key),
         .shape = &key_shape,
         .doc = "The private key."},
        {.name = "renew_before",
         .kind = XC_V_DURATION,
         .off = OFF(xc_cert, renew_before),
         .doc = "Renew when less than this is left (e.g. 30d); the CA's ARI window wins when it offers one."},
        {.name = "renew_before_percent",
         .kind = XC_V_INT,
         .off = OFF(xc_cert, renew_before_percent),
         .min = 1,
         .max = 99,
         .def = "33",
         .doc = "Renew when less than this percentage of the lifetime is left (1-99); not together with renew_before."},
        {.name = "servers",
         .kind = XC_V_STRINGS,
         .flags = XC_K_REQUIRED | XC_K_NONEMPTY | XC_K_UNIQUE,
         .off = OFF(xc_cert, servers),
         .doc = "Servers that get the certificate; the first one generates the request and holds the key first."},
        {.name = "services",
         .kind = XC_V_STRINGS,
         .flags = XC_K_REQUIRED | XC_K_NONEMPTY | XC_K_UNIQUE,
         .off = OFF(xc_cert, services),
         .check = check_service,
         .doc = "Exchange services to enable: IIS, SMTP, IMAP, POP, UM, UMCallRouter, Federation (Edge servers: SMTP only)."},
        {.name = "replace_transport_certificate",
         .kind = XC_V_BOOL,
         .off = OFF(xc_cert, replace_transport_certificate),
         .def = "false",
         .doc = "Whether enabling SMTP may make this the internal transport certificate (Exchange's default answer to -Force); Microsoft advises keeping the self-signed one."},
        {.name = "connectors",
         .kind = XC_V_OBJECT,
         .off = OFF(xc_cert, connectors),
         .shape = &connectors_shape,
         .doc = "Send and receive connectors that present this certificate."},
        {.name = "hybrid",
         .kind = XC_V_BOOL,
         .off = OFF(xc_cert, hybrid),
         .def = "false",
         .doc = "Whether the hybrid configuration's TlsCertificateName names this certificate (needs SMTP)."},
        {.name = "load_balancers",
         .kind = XC_V_STRINGS,
         .flags = XC_K_UNIQUE,
         .off = OFF(xc_cert, load_balancers),
         .doc = "Names of entries under load_balancers that must serve the same certificate."},
        {.name = "verify",
         .kind = XC_V_STRINGS,
         .flags = XC_K_UNIQUE,
         .off = OFF(xc_cert, verify),
         .check = check_verify_url,
         .doc = "Endpoints that must serve the certificate before the old one is removed: https://, smtp:// (STARTTLS), imap://, pop3:// (STARTTLS), imaps://, pop3s://; \"URL via ADDR[:PORT]\" connects to ADDR while SNI and the name check stay the URL's host (one member behind a load-balanced name)."},
        {.name = "remove_superseded",
         .kind = XC_V_ENUM,
         .off = OFF(xc_cert, remove_superseded),
         .values = remove_values,
         .def = "after_verify",
         .doc = "Remove the certificate this one replaces once it is bound everywhere and verified (after_verify), or keep it (never)."},
        {.name = "friendly_name",
         .kind = XC_V_STRING,
         .off = OFF(xc_cert, friendly_name),
         .check = check_friendly,
         .def = "excert <name>",
         .doc = "Friendly name on Exchange (fewer than 64 characters); excert recognises its own certificates by it."},
        {0},
};

static const struct xc_shape cert_shape = {
        .what = "certificate",
        .size = sizeof(struct xc_cert),
        .keys = cert_keys,
        .doc = "One certificate as it should be: what it names, who issues it, where it is bound.",
};

static const struct xc_key root_keys[] = {
        {.name = "version",
         .kind = XC_V_INT,
         .flags = XC_K_REQUIRED,
         .off = OFF(xc_config, version),
         .min = 1,
         .max = 1,
         .doc = "Schema version; 1."},
        {.name = "organization",
         .kind = XC_V_STRING,
         .flags = XC_K_REQUIRED,
         .off = OFF(xc_config, organization),
         .check = check_ident,
         .doc = "Name of the Exchange organisation; it names the state and appears in reports."},
        {.name = "servers",
         .kind = XC_V_OBJECTS,
         .flags = XC_K_REQUIRED | XC_K_NONEMPTY,
         .off = OFF(xc_config, servers),
         .shape = &server_shape,
         .doc = "The Exchange servers excert manages."},
        {.name = "issuers",
         .kind = XC_V_NAMED,
         .off = OFF(xc_config, issuers),
         .shape = &issuer_shape,
         .doc = "Certificate authorities by name."},
        {.name = "load_balancers",
         .kind = XC_V_NAMED,
         .off = OFF(xc_config, load_balancers),
         .shape = &lb_shape,
         .doc = "Load balancers by name."},
        {.name = "certificates",
         .kind = XC_V_OBJECTS,
         .off = OFF(xc_config, certificates),
         .shape = &cert_shape,
         .doc = "The certificates as they should be."},
        {0},
};

const struct xc_shape xc_schema_root = {
        .what = "excert.yaml",
        .size = sizeof(struct xc_config),
        .keys = root_keys,
        .doc = "The top level of excert.yaml.",
};

const struct xc_shape *const xc_schema_shapes[] = {
        &xc_schema_root, &server_shape,     &connect_shape,   &issuer_shape,
        &acme_shape,     &eab_shape,        &challenge_shape, &http01_shape,
        &dns01_shape,    &rfc2136_shape,    &manual_shape,    &labca_shape,
        &lb_shape,       &haproxy_shape,    &nginx_shape,     &cert_shape,
        &key_shape,      &connectors_shape,
};

const size_t xc_schema_nshapes =
        sizeof(xc_schema_shapes) / sizeof(xc_schema_shapes[0]);

const struct xc_key *xc_schema_key(const struct xc_shape *shape,
                                   const char *name)
{
	const struct xc_key *k;

	for (k = shape->keys; k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

bool xc_schema_key_applies(const struct xc_key *key, const char *disc)
{
	return !key->only || !disc || strcmp(key->only, disc) == 0;
}

const char *xc_schema_kind_name(const struct xc_key *key)
{
	switch (key->kind) {
	case XC_V_STRING:
		return "a string";
	case XC_V_INT:
		return "a number";
	case XC_V_BOOL:
		return "true or false";
	case XC_V_ENUM:
		return "one word of a fixed set";
	case XC_V_DURATION:
		return "a duration such as 30d";
	case XC_V_STRINGS:
		return "a list";
	case XC_V_OBJECT:
		return "a mapping";
	case XC_V_OBJECTS:
		return "a list of mappings";
	case XC_V_NAMED:
		return "a mapping of names";
	}
	return "a value";
}
