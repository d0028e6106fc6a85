// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Fuzz target: the xskflowd config parser. Any file is either accepted or refused with
 * errors that each start with "FILE:LINE: " and stay on one line; nothing crashes or leaks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "../../user/daemon/config.c"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static char path[64];
	struct cfg_errors errs = {};
	struct config cfg;
	size_t plen;
	FILE *f;

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/xskflow-fuzz-config.%d", (int)getpid());
	plen = strlen(path);
	f = fopen(path, "w");
	if (!f || fchmod(fileno(f), 0600))
		abort();
	fwrite(data, 1, size, f);
	fclose(f);

	config_load(path, &cfg, &errs);
	for (size_t i = 0; i < errs.n; i++) {
		const char *m = errs.msg[i];

		if (strncmp(m, path, plen) || m[plen] != ':' || strchr(m, '\n')) {
			fprintf(stderr, "fuzz_config: malformed error message: %s\n", m);
			abort();
		}
	}
	config_free(&cfg);
	cfg_errors_free(&errs);
	unlink(path);
	return 0;
}
