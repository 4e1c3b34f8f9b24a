// SPDX-License-Identifier: BSD-3-Clause
/*
 * mkfs.pmemfs - create a pmemfs filesystem.
 *
 * mkfs.pmemfs [-f] [-q] [-R] [-s SIZE] [-i INODES] [-L LABEL] DEVICE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <ctype.h>
#include "pmfs.h"
#include "devio.h"

static const char *prog = "mkfs.pmemfs";

static void usage(FILE *f)
{
	fprintf(f, "Usage: %s [-f] [-q] [-R] [-s SIZE] [-i INODES] [-L LABEL] DEVICE\n"
		"  -f         overwrite an existing filesystem\n"
		"  -R         no reflink (no block refcount table)\n"
		"  -s SIZE    bytes to use (K, M, G, T suffixes); creates or\n"
		"             extends DEVICE if it is a regular file\n"
		"  -i INODES  number of inodes (default: one per 16 KiB)\n"
		"  -L LABEL   volume label (up to 63 bytes)\n"
		"  -q         quiet\n", prog);
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	errno = 0;
	if (!isdigit((unsigned char)*s))
		return -1;
	v = strtoull(s, &end, 0);
	if (errno)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	}
	if (*end == 'i' || *end == 'B')
		end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
	if (*end || (shift && v > (~0ULL >> shift)))
		return -1;
	*out = v << shift;
	return 0;
}

static const char *existing_fs(const struct pmfs_dev *d, char *buf, size_t len)
{
	const char *b = d->base;
	uint16_t m16;

	if (pmfs_probe(d->base, d->size)) {
		const struct pmfs_super *ps = d->base;

		snprintf(buf, len, "a pmemfs filesystem%s%.*s%s",
			 ps->label[0] ? " labelled '" : "",
			 PMFS_LABEL_LEN, ps->label, ps->label[0] ? "'" : "");
		return buf;
	}
	if (d->size >= 1082) {
		memcpy(&m16, b + 1080, 2);
		if (m16 == 0xEF53)
			return "an ext2/3/4 filesystem";
	}
	if (d->size >= 4 && !memcmp(b, "XFSB", 4))
		return "an XFS filesystem";
	if (d->size >= 65608 && !memcmp(b + 65600, "_BHRfS_M", 8))
		return "a btrfs filesystem";
	return NULL;
}

int main(int argc, char **argv)
{
	struct pmfs_mkfs_opts o = { 0 };
	bool force = false, quiet = false;
	char err[256], what[128];
	struct pmfs_dev d;
	const char *dev, *other;
	uint64_t size = 0;
	int c, r;

	while ((c = getopt(argc, argv, "fqRs:i:L:hV")) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'R':
			o.no_reflink = true;
			break;
		case 's':
			if (parse_size(optarg, &size) || !size) {
				fprintf(stderr, "%s: invalid size '%s'\n", prog,
					optarg);
				return 1;
			}
			break;
		case 'i':
			if (parse_size(optarg, &o.ninodes) || !o.ninodes) {
				fprintf(stderr, "%s: invalid inode count '%s'\n",
					prog, optarg);
				return 1;
			}
			break;
		case 'L':
			if (strlen(optarg) >= PMFS_LABEL_LEN) {
				fprintf(stderr, "%s: label longer than %d bytes\n",
					prog, PMFS_LABEL_LEN - 1);
				return 1;
			}
			o.label = optarg;
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
			return 1;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 1;
	}
	dev = argv[optind];
	r = pmfs_dev_open(dev, 0, size, &d, err, sizeof(err));
	if (r) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 1;
	}
	other = existing_fs(&d, what, sizeof(what));
	if (other && !force) {
		fprintf(stderr, "%s: %s contains %s: use -f to overwrite it\n",
			prog, dev, other);
		pmfs_dev_close(&d);
		return 1;
	}
	o.size = size;
	r = pmfs_format(d.base, d.size, d.is_pmem, &o, err, sizeof(err));
	if (r) {
		fprintf(stderr, "%s: %s: %s\n", prog, dev, err);
		pmfs_dev_close(&d);
		return 1;
	}
	if (!quiet) {
		const struct pmfs_super *ps = d.base;
		const uint8_t *u = ps->uuid;

		printf("%s: %s: %llu MiB, %llu inodes, %u journal slots, "
		       "uuid %02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		       "%02x%02x%02x%02x%02x%02x%s%s%s\n", prog, dev,
		       (unsigned long long)(ps->size >> 20),
		       (unsigned long long)(ps->ninodes - 2), ps->journal_slots,
		       u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8],
		       u[9], u[10], u[11], u[12], u[13], u[14], u[15],
		       ps->label[0] ? ", label '" : "", ps->label,
		       ps->label[0] ? "'" : "");
	}
	pmfs_dev_close(&d);
	return 0;
}
