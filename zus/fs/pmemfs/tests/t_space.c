// SPDX-License-Identifier: BSD-3-Clause
/*
 * t_space.c - fallocate (every mode), SEEK_DATA/SEEK_HOLE and FIEMAP
 * against a model of the file: its bytes, its size and which blocks are
 * allocated; then fsck and the free count back where it started.
 */
#include "tlib.h"

#define MB		(1024 * 1024)
#define MAXM		(4 * MB)		/* model bytes */
#define MBLK		(MAXM / 4096)

struct model {
	unsigned char *d;
	bool *alloc;
	uint64_t size;
};

static void m_alloc(struct model *m, uint64_t off, uint64_t end)
{
	for (uint64_t b = off / 4096; b < (end + 4095) / 4096 && b < MBLK; b++)
		m->alloc[b] = true;
}

static void m_trunc(struct model *m, uint64_t size)
{
	if (size < m->size)
		memset(m->d + size, 0, m->size - size);
	for (uint64_t b = (size + 4095) / 4096; b < MBLK; b++)
		m->alloc[b] = false;
	m->size = size;
}

static void check_file(struct pmfs_sb *sb, struct pmfs_ii *f,
		       struct model *m, unsigned char *rb, int step)
{
	struct pmfs_extent ext[8];
	struct pmfs_attr a;
	uint64_t b, pos, nalloc = 0;
	uint32_t n;
	int bad = 0;

	(void)sb;
	pmfs_getattr(f, &a);
	CHECK_EQ(a.size, m->size);
	CHECK_EQ(pmfs_read(f, rb, MAXM + 4096, 0), (ssize_t)m->size);
	if (memcmp(rb, m->d, m->size)) {
		for (uint64_t i = 0; i < m->size; i++)
			if (rb[i] != m->d[i]) {
				fprintf(stderr, "    step %d: byte %llu is %u, "
					"expected %u\n", step,
					(unsigned long long)i, rb[i], m->d[i]);
				break;
			}
		t_failed++;
	}
	for (b = 0; b < MBLK; b++)
		nalloc += m->alloc[b];
	/* data blocks plus map nodes: at least the data, at most 3 more */
	CHECK(a.blocks / 8 >= nalloc && a.blocks / 8 <= nalloc + 3);
	/* SEEK_DATA / SEEK_HOLE at every block start below the size */
	for (b = 0; b * 4096 < m->size && bad < 3; b++) {
		uint64_t want = b, hole = b;
		int64_t r;

		while (want < MBLK && !m->alloc[want])
			want++;
		while (hole < MBLK && m->alloc[hole])
			hole++;
		r = pmfs_seek(f, b * 4096, 1);
		if (want * 4096 >= m->size) {
			if (r != -ENXIO)
				bad++;
		} else if (r != (int64_t)(want * 4096)) {
			bad++;
		}
		r = pmfs_seek(f, b * 4096, 0);
		pos = hole * 4096 < m->size ? hole * 4096 : m->size;
		if (r != (int64_t)pos)
			bad++;
	}
	if (bad)
		fprintf(stderr, "    step %d: seek disagrees\n", step);
	CHECK_EQ(bad, 0);
	CHECK_EQ(pmfs_seek(f, m->size, 1), -ENXIO);
	CHECK_EQ(pmfs_seek(f, m->size, 0), -ENXIO);
	/* FIEMAP: the extents cover exactly the allocated blocks */
	pos = 0;
	b = 0;
	nalloc = 0;
	do {
		CHECK_EQ(pmfs_fiemap(f, pos, UINT64_MAX - pos, ext, 8, &n), 0);
		for (uint32_t i = 0; i < n; i++) {
			uint64_t s = ext[i].logical / 4096;
			uint64_t e = s + ext[i].length / 4096;

			CHECK(s >= b);
			for (uint64_t k = b; k < s && k < MBLK; k++)
				if (m->alloc[k]) {
					fprintf(stderr, "    step %d: block %llu "
						"allocated, not in FIEMAP "
						"(extent %llu+%llu)\n", step,
						(unsigned long long)k,
						(unsigned long long)s,
						(unsigned long long)(e - s));
					t_failed++;
					return;
				}
			for (uint64_t k = s; k < e && k < MBLK; k++)
				CHECK(m->alloc[k]);
			{
				bool more = false;

				for (uint64_t k = e; k < MBLK; k++)
					more |= m->alloc[k];
				CHECK_EQ(!!(ext[i].flags & PMFS_EXTENT_LAST),
					 !more);
			}
			b = e;
			pos = e * 4096;
		}
	} while (n == 8);
	for (uint64_t k = b; k < MBLK; k++)
		if (m->alloc[k]) {
			fprintf(stderr, "    step %d: block %llu allocated, "
				"after the last FIEMAP extent\n", step,
				(unsigned long long)k);
			t_failed++;
			return;
		}
}

void t_space(void)
{
	struct pmfs_statfs s0, s1, start;
	struct pmfs_sb *sb;
	struct pmfs_ii *f;
	struct model m = { 0 };
	struct img im;
	unsigned char *buf = malloc(MAXM), *rb = malloc(MAXM + 4096);
	int step;

	m.d = calloc(1, MAXM);
	m.alloc = calloc(MBLK, sizeof(bool));
	REQUIRE(buf && rb && m.d && m.alloc);
	REQUIRE(!img_new(&im, "space", 64 * MB, 0));
	REQUIRE((sb = t_mount(&im)));
	pmfs_statfs(sb, &start);
	CHECK_EQ(t_mk(sb, "f", S_IFREG | 0644, NULL, 0), 0);
	REQUIRE(!t_walk(sb, "f", &f));
	t_srand(5);

	/* argument checks */
	CHECK_EQ(pmfs_fallocate(f, PMFS_FALLOC_PUNCH_HOLE, 0, 4096),
		 -EOPNOTSUPP);
	CHECK_EQ(pmfs_fallocate(f, 0, 0, 0), -EINVAL);
	CHECK_EQ(pmfs_fallocate(f, 0x40, 0, 4096), -EOPNOTSUPP);
	CHECK_EQ(pmfs_fallocate(f, PMFS_FALLOC_COLLAPSE_RANGE, 0, 4096),
		 -EINVAL);	/* reaches EOF */
	CHECK_EQ(pmfs_fallocate(f, PMFS_FALLOC_INSERT_RANGE, 0, 4096),
		 -EINVAL);	/* at EOF */

	for (step = 0; step < 3000 && !t_failed; step++) {
		uint64_t r = t_rand(), off, len, end;
		int op = (int)(r % 9);

		off = t_rand() % (MAXM / 2);
		len = 1 + t_rand() % (MAXM / 8);
		if (t_rand() % 3 == 0) {	/* block aligned */
			off &= ~4095ULL;
			len = (len + 4095) & ~4095ULL;
		}
		end = off + len;
		switch (op) {
		case 0:	/* write */
			for (uint64_t i = 0; i < len; i++)
				buf[i] = (unsigned char)(t_rand() | 1);
			CHECK_EQ(pmfs_write(f, buf, len, off), (ssize_t)len);
			memcpy(m.d + off, buf, len);
			m_alloc(&m, off, end);
			if (end > m.size)
				m.size = end;
			break;
		case 1:	/* truncate */
			end = t_rand() % (MAXM / 2);
			CHECK_EQ(t_truncate(sb, "f", end), 0);
			m_trunc(&m, end);
			break;
		case 2:	/* allocate, extending */
		case 3:	/* KEEP_SIZE */
			CHECK_EQ(pmfs_fallocate(f, op == 3 ?
					PMFS_FALLOC_KEEP_SIZE : 0, off, len), 0);
			m_alloc(&m, off, end);
			if (op == 2 && end > m.size)
				m.size = end;
			break;
		case 4:	/* punch */
			CHECK_EQ(pmfs_fallocate(f, PMFS_FALLOC_PUNCH_HOLE |
					PMFS_FALLOC_KEEP_SIZE, off, len), 0);
			memset(m.d + off, 0, len);
			for (uint64_t b = (off + 4095) / 4096; b < end / 4096; b++)
				m.alloc[b] = false;
			break;
		case 5:	/* zero range */
		case 6:
			CHECK_EQ(pmfs_fallocate(f, PMFS_FALLOC_ZERO_RANGE |
					(op == 6 ? PMFS_FALLOC_KEEP_SIZE : 0),
					off, len), 0);
			memset(m.d + off, 0, len);
			m_alloc(&m, off, end);
			if (op == 5 && end > m.size)
				m.size = end;
			break;
		case 7: {	/* collapse */
			uint64_t nb;

			off &= ~4095ULL;
			len = (len + 4095) & ~4095ULL;
			end = off + len;
			if (end >= m.size) {
				CHECK_EQ(pmfs_fallocate(f,
					PMFS_FALLOC_COLLAPSE_RANGE, off, len),
					-EINVAL);
				break;
			}
			CHECK_EQ(pmfs_fallocate(f, PMFS_FALLOC_COLLAPSE_RANGE,
						off, len), 0);
			nb = len / 4096;
			memmove(m.d + off, m.d + end, MAXM - end);
			memset(m.d + MAXM - len, 0, len);
			memmove(m.alloc + off / 4096, m.alloc + end / 4096,
				(MBLK - end / 4096) * sizeof(bool));
			memset(m.alloc + MBLK - nb, 0, nb * sizeof(bool));
			m_trunc(&m, m.size - len);
			break;
		}
		case 8: {	/* insert */
			uint64_t nb;

			off &= ~4095ULL;
			len = (len + 4095) & ~4095ULL;
			if (off >= m.size) {
				CHECK_EQ(pmfs_fallocate(f,
					PMFS_FALLOC_INSERT_RANGE, off, len),
					-EINVAL);
				break;
			}
			if (m.size + len > MAXM - 4096)
				break;
			/* nothing allocated that would leave the model */
			{
				bool far = false;

				for (uint64_t b = MBLK - len / 4096 - 1;
				     b < MBLK; b++)
					far |= m.alloc[b];
				if (far)
					break;
			}
			CHECK_EQ(pmfs_fallocate(f, PMFS_FALLOC_INSERT_RANGE,
						off, len), 0);
			nb = len / 4096;
			memmove(m.d + off + len, m.d + off, MAXM - off - len);
			memset(m.d + off, 0, len);
			memmove(m.alloc + off / 4096 + nb, m.alloc + off / 4096,
				(MBLK - off / 4096 - nb) * sizeof(bool));
			memset(m.alloc + off / 4096, 0, nb * sizeof(bool));
			m.size += len;
			break;
		}
		}
		if (t_failed)
			fprintf(stderr, "    step %d op %d off %llu len %llu\n",
				step, op, (unsigned long long)off,
				(unsigned long long)len);
		if (step % 10 == 0 || t_failed)
			check_file(sb, f, &m, rb, step);
	}
	check_file(sb, f, &m, rb, step);

	/* ENOSPC: refused before anything changes */
	pmfs_statfs(sb, &s1);
	CHECK_EQ(pmfs_fallocate(f, PMFS_FALLOC_KEEP_SIZE, 8ULL * MAXM,
				(s1.bfree + 10) * 4096ULL), -ENOSPC);
	pmfs_statfs(sb, &s0);
	CHECK_EQ(s0.bfree, s1.bfree);
	check_file(sb, f, &m, rb, step);

	/* copy_range: f (the model) into g at an odd offset over data, and
	 * within g; holes stay holes
	 */
	{
		struct pmfs_ii *g;
		struct pmfs_attr a;
		uint64_t n = m.size;

		CHECK_EQ(t_mk(sb, "g", S_IFREG | 0644, NULL, 0), 0);
		REQUIRE(!t_walk(sb, "g", &g));
		memset(buf, 0x5a, MAXM / 2);
		CHECK_EQ(pmfs_write(g, buf, MAXM / 2, 0), MAXM / 2);
		CHECK_EQ(pmfs_copy_range(f, 0, g, 777, n + 10000), (ssize_t)n);
		pmfs_getattr(g, &a);
		CHECK_EQ(a.size, 777 + n > MAXM / 2 ? 777 + n : MAXM / 2);
		CHECK_EQ(pmfs_read(g, rb, MAXM + 4096, 0), (ssize_t)a.size);
		CHECK(!memcmp(rb, buf, 777));
		CHECK(!memcmp(rb + 777, m.d, n));
		CHECK_EQ(pmfs_copy_range(f, n, g, 0, 10), 0);
		CHECK_EQ(pmfs_copy_range(g, 0, g, 1000, 2000), -EINVAL);
		CHECK_EQ(pmfs_copy_range(g, 777, g, a.size + 8192, n), (ssize_t)n);
		CHECK_EQ(pmfs_read(g, rb, n, a.size + 8192), (ssize_t)n);
		CHECK(!memcmp(rb, m.d, n));
		/* a fully sparse source makes a sparse destination */
		CHECK_EQ(t_truncate(sb, "g", 0), 0);
		CHECK_EQ(t_truncate(sb, "f", 0), 0);
		CHECK_EQ(t_truncate(sb, "f", 1 << 20), 0);
		CHECK_EQ(pmfs_copy_range(f, 0, g, 0, 1 << 20), 1 << 20);
		pmfs_getattr(g, &a);
		CHECK_EQ(a.size, 1 << 20);
		CHECK_EQ(a.blocks, 0);
		pmfs_iput(g);
		CHECK_EQ(t_unlink(sb, "g"), 0);
	}

	pmfs_iput(f);
	CHECK_EQ(t_unlink(sb, "f"), 0);
	pmfs_statfs(sb, &s1);
	pmfs_unmount(sb);
	CHECK_EQ(t_fsck(&im, false, true), 0);
	REQUIRE((sb = t_mount(&im)));
	pmfs_statfs(sb, &s0);
	pmfs_unmount(sb);
	CHECK_EQ(s0.bfree, s1.bfree);
	CHECK_EQ(s1.bfree, start.bfree);
	img_remove(&im);
	free(buf);
	free(rb);
	free(m.d);
	free(m.alloc);
}

/* ~~~~ crash points inside the space operations ~~~~ */

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* fallocate in every mode, on a file big enough for several
 * transactions per operation, then copy_range and a long FICLONERANGE;
 * returns 0 or -errno
 */
static int space_script(struct pmfs_sb *sb)
{
	static char buf[1 << 20];
	struct pmfs_ii *f, *g;
	int r;

	memset(buf, 0x6b, sizeof(buf));
	r = t_mk(sb, "f", S_IFREG | 0644, NULL, 0);
	if (!r)
		r = t_walk(sb, "f", &f);
	if (r)
		return r;
	if (pmfs_write(f, buf, sizeof(buf), 0) != sizeof(buf))
		r = -EIO;
	if (!r)
		r = pmfs_fallocate(f, 0, 1 << 20, 6 << 20);
	if (!r)
		r = pmfs_fallocate(f, PMFS_FALLOC_KEEP_SIZE, 7 << 20, 1 << 20);
	if (!r)
		r = pmfs_fallocate(f, PMFS_FALLOC_PUNCH_HOLE |
				   PMFS_FALLOC_KEEP_SIZE, 100, 5 << 20);
	if (!r)
		r = pmfs_fallocate(f, PMFS_FALLOC_ZERO_RANGE, 3 << 20, 6 << 20);
	if (!r)
		r = pmfs_write(f, buf, sizeof(buf), 2 << 20) == sizeof(buf) ?
		    0 : -EIO;
	if (!r)
		r = pmfs_fallocate(f, PMFS_FALLOC_COLLAPSE_RANGE, 1 << 20,
				   2 << 20);
	if (!r)
		r = pmfs_fallocate(f, PMFS_FALLOC_INSERT_RANGE, 4096, 3 << 20);
	if (!r)
		r = t_mk(sb, "g", S_IFREG | 0644, NULL, 0);
	if (!r && !(r = t_walk(sb, "g", &g))) {
		ssize_t n = pmfs_copy_range(f, 0, g, 777, 8 << 20);
		int same;

		r = n < 0 ? (int)n : 0;
		/* a long clone (many transactions) over g's own blocks */
		if (!r)
			r = pmfs_remap(f, 0, g, 2 << 20, 7 << 20, false, &same);
		pmfs_iput(g);
	}
	pmfs_iput(f);
	return r;
}

void t_space_crash(void)
{
	struct pmfs_statfs s0, s1;
	struct pmfs_sb *sb;
	struct img pristine, w;
	unsigned long p0, points;
	long step;
	int tested = 0;

	REQUIRE(!img_new(&pristine, "spcrash0", 64 * MB, 0));
	REQUIRE((sb = t_mount(&pristine)));
	pmfs_statfs(sb, &s0);
	pmfs_unmount(sb);
	/* dry run on a copy: how many crash points the script passes */
	img_path(&w, "spcrash");
	REQUIRE(!img_copy(pristine.path, w.path) && !img_map(&w));
	REQUIRE((sb = t_mount(&w)));
	p0 = pmfs_crash_points;
	CHECK_EQ(space_script(sb), 0);
	points = pmfs_crash_points - p0;
	pmfs_unmount(sb);
	img_unmap(&w);
	CHECK(points > 20);
	step = points > 150 ? (long)(points / 150) : 1;
	for (long cd = 1; cd <= (long)points && !t_failed; cd += step) {
		pid_t pid;
		int status;

		REQUIRE(!img_copy(pristine.path, w.path));
		pid = fork();
		if (pid == 0) {
			if (img_map(&w) || !(sb = t_mount(&w)))
				_exit(2);
			pmfs_crash_countdown = cd;
			space_script(sb);
			pmfs_crash_countdown = 0;
			pmfs_unmount(sb);
			_exit(0);
		}
		waitpid(pid, &status, 0);
		REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) != 2);
		/* recovery at mount; fsck clean; every block comes back */
		REQUIRE(!img_map(&w));
		sb = t_mount(&w);
		if (!sb) {
			fprintf(stderr, "    crash point %ld: no mount\n", cd);
			t_failed++;
			img_unmap(&w);
			break;
		}
		pmfs_unmount(sb);
		if (t_fsck(&w, false, false)) {
			fprintf(stderr, "    crash point %ld of %lu:\n", cd, points);
			t_fsck(&w, false, true);
			t_failed++;
		}
		REQUIRE((sb = t_mount(&w)));
		t_unlink(sb, "f");
		t_unlink(sb, "g");
		pmfs_statfs(sb, &s1);
		pmfs_unmount(sb);
		if (s1.bfree != s0.bfree) {
			fprintf(stderr, "    crash point %ld: %lld blocks leaked\n",
				cd, (long long)s0.bfree - (long long)s1.bfree);
			t_failed++;
		}
		img_unmap(&w);
		tested++;
	}
	fprintf(stderr, "    %lu crash points in the script, %d crashed runs "
		"verified\n", points, tested);
	img_remove(&w);
	img_remove(&pristine);
}
