// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Replays a fuzz corpus (files and directories given as arguments) through a fuzz target,
 * so that `make check` re-runs every input the fuzzers kept, crash reproducers included. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static int run_file(const char *path)
{
	unsigned char *buf;
	struct stat st;
	FILE *f;
	size_t n;

	f = fopen(path, "rb");
	if (!f || fstat(fileno(f), &st)) {
		perror(path);
		return 1;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	n = fread(buf, 1, st.st_size, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int files = 0, err = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st)) {
			perror(argv[i]);
			return 1;
		}
		if (S_ISDIR(st.st_mode)) {
			struct dirent *de;
			DIR *d = opendir(argv[i]);
			char path[4096];

			while (d && (de = readdir(d))) {
				if (de->d_name[0] == '.')
					continue;
				snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
				err |= run_file(path);
				files++;
			}
			if (d)
				closedir(d);
		} else {
			err |= run_file(argv[i]);
			files++;
		}
	}
	printf("replayed %d inputs\n", files);
	return err || !files;
}
