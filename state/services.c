/* SPDX-License-Identifier: MIT */
#include "state/services.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
	unsigned flag;
	const char *name;
} services[] = {
        /* Exchange's order, the flag order. */
        {XC_SVC_IMAP, "IMAP"},
        {XC_SVC_POP, "POP"},
        {XC_SVC_UM, "UM"},
        {XC_SVC_IIS, "IIS"},
        {XC_SVC_SMTP, "SMTP"},
        {XC_SVC_FEDERATION, "Federation"},
        {XC_SVC_UMCALLROUTER, "UMCallRouter"},
};

unsigned xc_service_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(services) / sizeof(services[0]); i++)
		if (strcasecmp(services[i].name, name) == 0)
			return services[i].flag;
	return 0;
}

const char *xc_service_name(unsigned flag)
{
	size_t i;

	for (i = 0; i < sizeof(services) / sizeof(services[0]); i++)
		if (services[i].flag == flag)
			return services[i].name;
	return NULL;
}

void xc_services_format(unsigned mask, char *buf, unsigned long size)
{
	size_t used = 0;
	size_t i;

	if (size == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		int w;

		if (!(mask & services[i].flag))
			continue;
		w = snprintf(buf + used, size - used, "%s%s", used ? ", " : "",
		             services[i].name);
		if (w < 0 || (size_t)w >= size - used)
			return;
		used += (size_t)w;
	}
	if (!used)
		snprintf(buf, size, "None");
}
