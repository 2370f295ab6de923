/*
 * Corpus replay for the fuzz targets in this folder: built without
 * libFuzzer (-DEMB_LIBFUZZER unset), a target is a program that feeds
 * every file named on its command line (or found in a directory named
 * there) to LLVMFuzzerTestOneInput once, so the corpora run in every
 * normal test run, under the sanitizers too.  Prints "N passed, 0 failed"
 * (a crash fails the test by itself).
 */
#ifndef EMB_FUZZ_HTTP_REPLAY_H
#define EMB_FUZZ_HTTP_REPLAY_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef EMB_LIBFUZZER
static int
fuzz_replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		if (f != NULL)
			fclose(f);
		fprintf(stderr, "cannot read %s\n", path);
		return -1;
	}
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	(void)LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	int done = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *e;
		if (stat(argv[i], &st) < 0)
			return 1;
		if (!S_ISDIR(st.st_mode)) {
			if (fuzz_replay_file(argv[i]) < 0)
				return 1;
			done++;
			continue;
		}
		if ((d = opendir(argv[i])) == NULL)
			return 1;
		while ((e = readdir(d)) != NULL) {
			char p[4096];
			if (e->d_name[0] == '.')
				continue;
			(void)snprintf(
			    p, sizeof(p), "%s/%s", argv[i], e->d_name);
			if (fuzz_replay_file(p) < 0) {
				closedir(d);
				return 1;
			}
			done++;
		}
		closedir(d);
	}
	printf("%d passed, 0 failed\n", done);
	return done > 0 ? 0 : 1;
}
#endif

#endif
