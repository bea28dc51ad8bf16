/* SPDX-License-Identifier: MIT */
/*
 * Replays fuzz corpora through the fuzz target in an ordinary build (gcc,
 * sanitizers, valgrind), so that every input that once mattered stays a
 * regression test.  Arguments are files or directories.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/config_target.h"
#include "tests/fuzz/reply_target.h"

/* Which target the inputs go to: "config" (default) or "reply". */
static void (*target)(const uint8_t *, size_t) = xc_fuzz_config_one;

static int run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!fp) {
		perror(path);
		return -1;
	}
	if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0) {
		fclose(fp);
		return -1;
	}
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		free(buf);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	target(buf, (size_t)n);
	free(buf);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	size_t count = 0;
	int failed = 0;
	int i;

	i = 1;
	if (argc > 2 && strcmp(argv[1], "--target") == 0) {
		if (strcmp(argv[2], "reply") == 0)
			target = xc_fuzz_reply_one;
		else if (strcmp(argv[2], "config") != 0)
			return 2;
		i = 3;
	}
	for (; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *e;
		char **names = NULL;
		size_t n = 0;
		size_t j;

		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			failed += run_file(argv[i]) != 0;
			count++;
			continue;
		}
		d = opendir(argv[i]);
		if (!d) {
			perror(argv[i]);
			return 1;
		}
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			names = realloc(names, (n + 1) * sizeof(*names));
			names[n++] = strdup(e->d_name);
		}
		closedir(d);
		qsort(names, n, sizeof(*names), cmp);
		for (j = 0; j < n; j++) {
			char path[4096];

			snprintf(path, sizeof(path), "%s/%s", argv[i],
			         names[j]);
			failed += run_file(path) != 0;
			count++;
			free(names[j]);
		}
		free(names);
	}
	printf("%zu passed, %d failed\n", count - (size_t)failed, failed);
	return failed ? 1 : 0;
}
