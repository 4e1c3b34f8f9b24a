// SPDX-License-Identifier: BSD-3-Clause
/*
 * fsck.pmemfs - check and repair a pmemfs filesystem.
 *
 * fsck.pmemfs [-n|-y] [-f] [-q] DEVICE
 * Exit codes as fsck(8): 0 no errors, 1 errors corrected, 4 errors left
 * uncorrected, 8 operational error, 16 usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <getopt.h>
#include <stdbool.h>
#include "pmfs.h"
#include "devio.h"
#include <libpmem.h>

static const char *prog = "fsck.pmemfs";

struct out {
	bool tty, bar_shown, quiet;
	int last_pct;
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: %s [-n|-y] [-f] [-q] DEVICE\n"
		"  -n  check only, change nothing (default)\n"
		"  -y  repair everything that can be repaired (-p, -a: same)\n"
		"  -f  check even if the filesystem is marked clean\n"
		"  -q  print problems and the summary only\n"
		"Exit: 0 clean, 1 errors corrected, 4 errors left uncorrected,\n"
		"      8 operational error, 16 usage error\n", prog);
}

static void clear_bar(struct out *o)
{
	if (o->bar_shown) {
		printf("\r%60s\r", "");
		o->bar_shown = false;
	}
}

static void report(void *ctx, const char *msg)
{
	struct out *o = ctx;

	clear_bar(o);
	printf("%s\n", msg);
	fflush(stdout);
}

static void progress(void *ctx, uint64_t done, uint64_t total)
{
	struct out *o = ctx;
	int pct = total ? (int)(done * 100 / total) : 100;
	int w = 40, fill = pct * w / 100;

	if (!o->tty || o->quiet || pct == o->last_pct)
		return;
	o->last_pct = pct;
	printf("\r[%.*s%*s] %3d%%", fill,
	       "########################################", w - fill, "", pct);
	fflush(stdout);
	o->bar_shown = true;
	if (pct >= 100)
		clear_bar(o);
}

static uint64_t count_bits(const uint64_t *m, uint64_t from, uint64_t to)
{
	uint64_t n = 0;

	for (uint64_t b = from; b < to; b++)
		n += (m[b / 64] >> (b % 64)) & 1;
	return n;
}

int main(int argc, char **argv)
{
	bool repair = false, force = false, readonly = false;
	struct out o = { .tty = isatty(1), .last_pct = -1 };
	struct pmfs_check_result res;
	struct pmfs_dev d;
	char err[256];
	const char *dev;
	unsigned flags = 0;
	int c, r;

	while ((c = getopt(argc, argv, "nyapfqhV")) != -1) {
		switch (c) {
		case 'n':
			readonly = true;
			break;
		case 'y': case 'a': case 'p':
			repair = true;
			break;
		case 'f':
			force = true;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("%s (on-media format %d.%d)\n", prog,
			       PMFS_VERSION_MAJOR, PMFS_VERSION_MINOR);
			return 0;
		default:
			usage(stderr);
			return 16;
		}
	}
	if (optind != argc - 1 || (repair && readonly)) {
		if (repair && readonly)
			fprintf(stderr, "%s: -n and -y exclude each other\n",
				prog);
		usage(stderr);
		return 16;
	}
	dev = argv[optind];
	r = pmfs_dev_open(dev, repair ? 0 : PMFS_DEV_RDONLY | PMFS_DEV_PRIVATE,
			  0, &d, err, sizeof(err));
	if (r) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 8;
	}
	if (!pmfs_probe(d.base, d.size) &&
	    !pmfs_probe((char *)d.base + 2 * PMFS_BLOCK_SIZE,
			d.size > 2 * PMFS_BLOCK_SIZE ?
			d.size - 2 * PMFS_BLOCK_SIZE : 0)) {
		fprintf(stderr, "%s: %s: not a pmemfs filesystem\n", prog, dev);
		pmfs_dev_close(&d);
		return 8;
	}
	if (!force && !repair) {
		/* clean and nothing to recover: the quick answer */
		const struct pmfs_super *ps = d.base;
		const struct pmfs_sb_dyn *dyn = (const void *)((char *)d.base +
						PMFS_DYN_BLOCK * PMFS_BLOCK_SIZE);

		if (ps->magic == PMFS_SB_MAGIC &&
		    ps->csum == pmfs_crc32c(0, ps, offsetof(struct pmfs_super,
								 csum)) &&
		    dyn->state == PMFS_STATE_CLEAN && !dyn->orphan_head &&
		    ps->size <= d.size && ps->ibitmap_off + (uint64_t)
		    ps->ibitmap_blocks * PMFS_BLOCK_SIZE <= ps->size &&
		    ps->bbitmap_off + (uint64_t)ps->bbitmap_blocks *
		    PMFS_BLOCK_SIZE <= ps->size) {
			const uint64_t *ib = (const void *)((char *)d.base +
					     ps->ibitmap_off);
			const uint64_t *bb = (const void *)((char *)d.base +
					     ps->bbitmap_off);

			printf("%s: clean, %llu/%llu inodes, %llu/%llu blocks\n",
			       dev, (unsigned long long)count_bits(ib, 2,
							ps->ninodes) + 1,
			       (unsigned long long)ps->ninodes - 1,
			       (unsigned long long)count_bits(bb,
					ps->data_off / PMFS_BLOCK_SIZE,
					ps->nblocks),
			       (unsigned long long)(ps->nblocks -
					ps->data_off / PMFS_BLOCK_SIZE));
			pmfs_dev_close(&d);
			return 0;
		}
	}
	if (repair)
		flags |= PMFS_CHECK_REPAIR;
	else if (d.kind == PMFS_DEV_PRIVCOPY)
		flags |= PMFS_CHECK_PRIVATE;
	r = pmfs_check(d.base, d.size, d.is_pmem, flags, report, progress, &o,
		       &res);
	clear_bar(&o);
	if (repair && !d.is_pmem && d.kind == PMFS_DEV_FILE)
		pmem_msync(d.base, d.size);
	if (r) {
		fprintf(stderr, "%s: %s: %s\n", prog, dev,
			r == -EUCLEAN ? "no usable superblock" : strerror(-r));
		pmfs_dev_close(&d);
		return r == -EUCLEAN ? 4 : 8;
	}
	{
		const struct pmfs_super *ps = d.base;

		printf("%s: %u problem(s)%s%u fixed, %llu/%llu inodes, "
		       "%llu/%llu blocks\n", dev, res.errors,
		       res.errors ? ", " : ", ", res.fixed,
		       (unsigned long long)res.inodes_used,
		       (unsigned long long)ps->ninodes - 1,
		       (unsigned long long)res.blocks_used,
		       (unsigned long long)(ps->nblocks -
					    ps->data_off / PMFS_BLOCK_SIZE));
	}
	pmfs_dev_close(&d);
	if (!res.errors)
		return res.journal_replayed && repair ? 1 : 0;
	return res.fixed >= res.errors ? 1 : 4;
}
