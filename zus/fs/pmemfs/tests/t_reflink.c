// SPDX-License-Identifier: BSD-3-Clause
/*
 * t_reflink.c - shared blocks: random writes, clones (between files and
 * within one), dedupes, punches, zero ranges, truncates and
 * collapse/insert on three files against a model of their bytes; fsck
 * (refcounts, shared flags, bitmaps) clean at every remount, every block
 * back when the files are gone; a filesystem made without reflink refuses.
 */
#include "tlib.h"

#define MB		(1024 * 1024)
#define MIN(a, b)	((a) < (b) ? (a) : (b))
#define MAXF		(MB)
#define NF		3

struct mf {
	unsigned char d[MAXF];
	uint64_t size;
};

static void check_files(struct pmfs_sb *sb, struct mf *m, unsigned char *rb,
			int step)
{
	for (int i = 0; i < NF; i++) {
		char name[16];
		struct pmfs_ii *f;
		struct pmfs_attr a;

		snprintf(name, sizeof(name), "f%d", i);
		REQUIRE(!t_walk(sb, name, &f));
		pmfs_getattr(f, &a);
		CHECK_EQ(a.size, m[i].size);
		CHECK_EQ(pmfs_read(f, rb, MAXF + 4096, 0), (ssize_t)m[i].size);
		if (memcmp(rb, m[i].d, m[i].size)) {
			fprintf(stderr, "    step %d: f%d differs\n", step, i);
			t_failed++;
		}
		pmfs_iput(f);
	}
}

static void m_setsize(struct mf *m, uint64_t size)
{
	if (size < m->size)
		memset(m->d + size, 0, m->size - size);
	m->size = size;
}

void t_reflink(void)
{
	static struct mf m[NF];
	unsigned char *buf = malloc(MAXF), *rb = malloc(MAXF + 4096);
	struct pmfs_statfs start, s;
	struct pmfs_ii *f[NF];
	struct pmfs_sb *sb;
	struct img im;
	int same, step;

	REQUIRE(buf && rb);
	memset(m, 0, sizeof(m));
	REQUIRE(!img_new(&im, "reflink", 64 * MB, 0));
	REQUIRE((sb = t_mount(&im)));
	pmfs_statfs(sb, &start);
	for (int i = 0; i < NF; i++) {
		char name[16];

		snprintf(name, sizeof(name), "f%d", i);
		CHECK_EQ(t_mk(sb, name, S_IFREG | 0644, NULL, 0), 0);
		REQUIRE(!t_walk(sb, name, &f[i]));
	}
	t_srand(11);
	for (step = 0; step < 6000 && !t_failed; step++) {
		int a = (int)(t_rand() % NF), b = (int)(t_rand() % NF);
		int op = (int)(t_rand() % 9);
		uint64_t off = t_rand() % MAXF, len = 1 + t_rand() % (MAXF / 4);
		uint64_t soff, doff, nb, sblocks;

		switch (op) {
		case 0: case 1:	/* write */
			len = MIN(len, MAXF - off);
			for (uint64_t k = 0; k < len; k++)
				buf[k] = (unsigned char)t_rand();
			CHECK_EQ(pmfs_write(f[a], buf, len, off), (ssize_t)len);
			memcpy(m[a].d + off, buf, len);
			if (off + len > m[a].size)
				m[a].size = off + len;
			break;
		case 2: case 3: case 4:	/* clone, dedupe */
			sblocks = m[a].size / 4096;
			if (!sblocks)
				break;
			soff = t_rand() % sblocks;
			nb = 1 + t_rand() % (sblocks - soff);
			doff = t_rand() % (MAXF / 4096 - nb + 1);
			soff *= 4096;
			doff *= 4096;
			len = nb * 4096;
			if (a == b && soff < doff + len && doff < soff + len)
				break;
			if (op == 4) {
				bool eq;

				if (doff + len > m[b].size)
					break;
				if (t_rand() & 1) {
					CHECK_EQ(pmfs_write(f[b], m[a].d + soff,
							    len, doff),
						 (ssize_t)len);
					memcpy(m[b].d + doff, m[a].d + soff,
					       len);
				}
				eq = !memcmp(m[a].d + soff, m[b].d + doff, len);
				CHECK_EQ(pmfs_remap(f[a], soff, f[b], doff,
						    len, true, &same), 0);
				CHECK_EQ(same, eq);
				break;
			}
			/* now and then up to src's unaligned EOF */
			if (soff + len == sblocks * 4096 &&
			    m[a].size % 4096 && (t_rand() & 1) &&
			    doff + len >= m[b].size)
				len += m[a].size % 4096;
			if (doff + len > MAXF)
				break;
			CHECK_EQ(pmfs_remap(f[a], soff, f[b], doff, len,
					    false, &same), 0);
			memmove(m[b].d + doff, m[a].d + soff, len);
			if (doff + len > m[b].size)
				m[b].size = doff + len;
			break;
		case 5:	/* punch */
			len = MIN(len, MAXF - off);
			CHECK_EQ(pmfs_fallocate(f[a], PMFS_FALLOC_PUNCH_HOLE |
						PMFS_FALLOC_KEEP_SIZE, off, len),
				 0);
			if (off < m[a].size)
				memset(m[a].d + off, 0,
				       MIN(len, m[a].size - off));
			break;
		case 6:	/* zero range */
			len = MIN(len, MAXF - off);
			CHECK_EQ(pmfs_fallocate(f[a], PMFS_FALLOC_ZERO_RANGE,
						off, len), 0);
			if (off < m[a].size)
				memset(m[a].d + off, 0,
				       MIN(len, m[a].size - off));
			if (off + len > m[a].size)
				m[a].size = off + len;
			break;
		case 7:	/* truncate */
			off = t_rand() % (MAXF + 1);
			{
				char name[16];

				snprintf(name, sizeof(name), "f%d", a);
				CHECK_EQ(t_truncate(sb, name, off), 0);
			}
			m_setsize(&m[a], off);
			break;
		case 8:	/* collapse a block-aligned range */
			off &= ~4095ULL;
			len = (len + 4095) & ~4095ULL;
			if (off + len >= m[a].size)
				break;
			CHECK_EQ(pmfs_fallocate(f[a],
						PMFS_FALLOC_COLLAPSE_RANGE,
						off, len), 0);
			memmove(m[a].d + off, m[a].d + off + len,
				m[a].size - off - len);
			m_setsize(&m[a], m[a].size - len);
			break;
		}
		if (step % 500 == 499) {
			check_files(sb, m, rb, step);
			for (int i = 0; i < NF; i++)
				pmfs_iput(f[i]);
			pmfs_unmount(sb);
			CHECK_EQ(t_fsck(&im, false, true), 0);
			REQUIRE((sb = t_mount(&im)));
			for (int i = 0; i < NF; i++) {
				char name[16];

				snprintf(name, sizeof(name), "f%d", i);
				REQUIRE(!t_walk(sb, name, &f[i]));
			}
		}
	}
	check_files(sb, m, rb, step);
	for (int i = 0; i < NF; i++) {
		char name[16];

		snprintf(name, sizeof(name), "f%d", i);
		pmfs_iput(f[i]);
		CHECK_EQ(t_unlink(sb, name), 0);
	}
	pmfs_statfs(sb, &s);
	CHECK_EQ(s.bfree, start.bfree);

	/* get_blocks tells which answers hold a shared block (the kernel
	 * caches those read-only); a write's blocks are never shared
	 */
	{
		struct pmfs_ii *g, *h;
		uint64_t offs[4], off2[4];
		uint32_t nr;
		unsigned rf;

		CHECK_EQ(t_mk(sb, "g", S_IFREG | 0644, NULL, 0), 0);
		CHECK_EQ(t_mk(sb, "h", S_IFREG | 0644, NULL, 0), 0);
		REQUIRE(!t_walk(sb, "g", &g));
		REQUIRE(!t_walk(sb, "h", &h));
		CHECK_EQ(pmfs_write(g, buf, 4 * 4096, 0), 4 * 4096);
		CHECK_EQ(pmfs_get_blocks(g, 0, 4 * 4096, 0, offs, 4, &nr, &rf),
			 0);
		CHECK(nr == 4 && offs[0] && offs[3] && !rf);
		CHECK_EQ(pmfs_remap(g, 0, h, 0, 2 * 4096, false, &same), 0);
		CHECK_EQ(pmfs_get_blocks(g, 0, 4 * 4096, 0, off2, 4, &nr, &rf),
			 0);
		CHECK(nr == 4 && !memcmp(offs, off2, sizeof(offs)));
		CHECK(rf == PMFS_GB_SHARED);
		CHECK_EQ(pmfs_get_blocks(g, 2 * 4096, 2 * 4096, 0, off2, 4, &nr,
					 &rf), 0);
		CHECK(nr == 2 && !rf);
		CHECK_EQ(pmfs_get_blocks(h, 4096, 1, 0, off2, 4, &nr, &rf), 0);
		CHECK(nr == 1 && off2[0] == offs[1] && rf == PMFS_GB_SHARED);
		/* copy on write: a new block, not shared */
		CHECK_EQ(pmfs_get_blocks(g, 4096, 10, PMFS_GB_WRITE, off2, 4,
					 &nr, &rf), 0);
		CHECK(nr == 1 && off2[0] != offs[1] && rf == PMFS_GB_NEW);
		CHECK_EQ(pmfs_get_blocks(g, 4096, 1, 0, off2, 4, &nr, &rf), 0);
		CHECK(nr == 1 && !rf);
		pmfs_iput(g);
		pmfs_iput(h);
		CHECK_EQ(t_unlink(sb, "g"), 0);
		CHECK_EQ(t_unlink(sb, "h"), 0);
	}
	pmfs_unmount(sb);
	CHECK_EQ(t_fsck(&im, false, true), 0);
	img_remove(&im);

	/* without INCOMPAT_REFLINK */
	{
		struct pmfs_mkfs_opts o = { .no_reflink = true };
		char err[256];
		struct pmfs_ii *g;

		REQUIRE(!img_new(&im, "noreflink", 16 * MB, 0));
		CHECK_EQ(pmfs_format(im.base, im.len, im.is_pmem, &o, err,
				     sizeof(err)), 0);
		REQUIRE((sb = t_mount(&im)));
		CHECK_EQ(t_mk(sb, "g", S_IFREG | 0644, NULL, 0), 0);
		REQUIRE(!t_walk(sb, "g", &g));
		CHECK_EQ(pmfs_write(g, "x", 1, 0), 1);
		CHECK_EQ(pmfs_remap(g, 0, g, 4096, 4096, false, &same),
			 -EOPNOTSUPP);
		pmfs_iput(g);
		pmfs_unmount(sb);
		CHECK_EQ(t_fsck(&im, false, true), 0);
		img_remove(&im);
	}
	free(buf);
	free(rb);
}
