/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Standalone driver for a libFuzzer-style target, for the bounded 'fuzz'
 * suite and for compilers without libFuzzer.
 *
 * usage: <harness> [-runs=N] [-seed=S] CORPUS_DIR...
 *
 * Replays every regular file of the corpus directories (sorted by name),
 * then runs N (default 200000) seeded mutations of corpus entries. The seed
 * is fixed unless given and is printed, so a failure replays exactly. Each
 * input is handed over in a buffer of exactly its size, so an out-of-bounds
 * read lands outside the allocation (visible under ASan or valgrind). If the
 * target aborts, the input is printed in hex on stderr.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_MAX     4096
#define DEFAULT_RUNS  200000
#define DEFAULT_SEED  0x7e7e7e7e2a2a2a2aull
#define MAX_MUTATIONS 8

struct entry {
	char *name;
	uint8_t *data;
	size_t len;
};

static struct entry *corpus;
static size_t corpus_len, corpus_cap;

/* The input being run, for the abort handler. */
static const uint8_t *cur_data;
static size_t cur_len;

static void on_abort(int sig)
{
	static const char hex[] = "0123456789abcdef";
	static const char head[] = "standalone: failing input (hex):\n";
	char line[2 * 32 + 1];
	size_t i, k = 0;

	(void)sig;
	/* write(2) only: async-signal-safe. */
	if (write(STDERR_FILENO, head, sizeof(head) - 1) < 0)
		_exit(134);
	for (i = 0; i < cur_len; i++) {
		line[k++] = hex[cur_data[i] >> 4];
		line[k++] = hex[cur_data[i] & 0xf];
		if (k == 64 || i + 1 == cur_len) {
			line[k++] = '\n';
			if (write(STDERR_FILENO, line, k) < 0)
				break;
			k = 0;
		}
	}
	signal(SIGABRT, SIG_DFL);
	abort();
}

/* Run one input from an exactly-sized heap copy. */
static void run(const uint8_t *data, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (copy == NULL) {
		perror("malloc");
		exit(2);
	}
	memcpy(copy, data, len);
	cur_data = copy;
	cur_len = len;
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
}

static void add_entry(const char *path, const char *name)
{
	uint8_t buf[INPUT_MAX];
	FILE *f = fopen(path, "rb");
	size_t len;

	if (f == NULL) {
		fprintf(stderr, "standalone: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (corpus_len == corpus_cap) {
		corpus_cap = corpus_cap ? 2 * corpus_cap : 64;
		corpus = realloc(corpus, corpus_cap * sizeof(*corpus));
	}
	if (corpus == NULL || (corpus[corpus_len].data = malloc(len ? len : 1)) == NULL ||
	    (corpus[corpus_len].name = strdup(name)) == NULL) {
		perror("standalone");
		exit(2);
	}
	memcpy(corpus[corpus_len].data, buf, len);
	corpus[corpus_len].len = len;
	corpus_len++;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static void load_dir(const char *dir)
{
	char path[4096];
	struct dirent *de;
	DIR *d = opendir(dir);
	size_t first = corpus_len;

	if (d == NULL) {
		fprintf(stderr, "standalone: %s: %s\n", dir, strerror(errno));
		exit(2);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		add_entry(path, de->d_name);
	}
	closedir(d);
	/* readdir order is the file system's: sort so a seed means one run. */
	qsort(corpus + first, corpus_len - first, sizeof(*corpus), by_name);
}

static uint64_t rng;

/* xorshift64 (Marsaglia 2003). */
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t below(size_t n)
{
	return n ? (size_t)(next() % n) : 0;
}

/* Values that sit on parser boundaries: lengths, limits, ethertypes, ports. */
/* clang-format off */
static const uint8_t interesting8[] = {
	0, 1, 3, 4, 5, 0x0f, 0x20, 0x3f, 0x45, 0x7f, 0x80, 0xff, 19, 20, 24, 26, 28, 52,
};
static const uint16_t interesting16[] = {
	0, 1, 8, 20, 42, 0x0800, 0x0806, 0x86dd, 0x1fff, 0x2000, 0x4000, 0x7fff, 0x8000,
	3784, 49151, 49152, 0xffff,
};
/* clang-format on */

/* Apply 1..MAX_MUTATIONS random edits to buf[0..*len), capacity INPUT_MAX. */
static void mutate(uint8_t *buf, size_t *len)
{
	size_t n = 1 + below(MAX_MUTATIONS), i, pos, k;

	for (i = 0; i < n; i++) {
		pos = below(*len);
		switch (next() % 9) {
		case 0: /* flip a bit */
			if (*len)
				buf[pos] ^= (uint8_t)(1u << (next() & 7));
			break;
		case 1: /* random byte */
			if (*len)
				buf[pos] = (uint8_t)next();
			break;
		case 2: /* boundary byte */
			if (*len)
				buf[pos] = interesting8[below(sizeof(interesting8))];
			break;
		case 3: /* boundary big-endian word */
			if (*len >= 2) {
				uint16_t v = interesting16[below(sizeof(interesting16) / 2)];

				pos = below(*len - 1);
				buf[pos] = (uint8_t)(v >> 8);
				buf[pos + 1] = (uint8_t)v;
			}
			break;
		case 4: /* insert a byte */
			if (*len < INPUT_MAX) {
				memmove(buf + pos + 1, buf + pos, *len - pos);
				buf[pos] = (uint8_t)next();
				(*len)++;
			}
			break;
		case 5: /* delete a byte */
			if (*len) {
				memmove(buf + pos, buf + pos + 1, *len - pos - 1);
				(*len)--;
			}
			break;
		case 6: /* truncate */
			*len = below(*len + 1);
			break;
		case 7: /* copy a chunk within the input */
			if (*len >= 2) {
				size_t src = below(*len);

				k = 1 + below(*len - (src > pos ? src : pos));
				memmove(buf + pos, buf + src, k);
			}
			break;
		default: { /* splice: our head, another entry's tail */
			const struct entry *o = &corpus[below(corpus_len)];
			size_t from = below(o->len + 1);

			k = o->len - from;
			if (pos + k > INPUT_MAX)
				k = INPUT_MAX - pos;
			memcpy(buf + pos, o->data + from, k);
			*len = pos + k;
			break;
		}
		}
	}
}

int main(int argc, char **argv)
{
	uint64_t runs = DEFAULT_RUNS, seed = DEFAULT_SEED, i;
	uint8_t buf[INPUT_MAX];
	size_t len;
	int a;

	for (a = 1; a < argc; a++) {
		if (strncmp(argv[a], "-runs=", 6) == 0)
			runs = strtoull(argv[a] + 6, NULL, 0);
		else if (strncmp(argv[a], "-seed=", 6) == 0)
			seed = strtoull(argv[a] + 6, NULL, 0);
		else
			load_dir(argv[a]);
	}
	if (corpus_len == 0) {
		fprintf(stderr, "usage: %s [-runs=N] [-seed=S] CORPUS_DIR... (no inputs found)\n",
			argv[0]);
		return 2;
	}
	signal(SIGABRT, on_abort);
	/* xorshift has one fixed point, 0. */
	rng = seed ? seed : DEFAULT_SEED;
	printf("seed 0x%016" PRIx64 ", %zu corpus files, %" PRIu64 " mutations\n", rng, corpus_len,
	       runs);
	fflush(stdout);

	for (i = 0; i < corpus_len; i++)
		run(corpus[i].data, corpus[i].len);
	for (i = 0; i < runs; i++) {
		const struct entry *e = &corpus[below(corpus_len)];

		len = e->len;
		memcpy(buf, e->data, len);
		mutate(buf, &len);
		run(buf, len);
	}
	printf("ok: %zu replays, %" PRIu64 " mutations\n", corpus_len, runs);
	for (i = 0; i < corpus_len; i++) {
		free(corpus[i].data);
		free(corpus[i].name);
	}
	free(corpus);
	return 0;
}
