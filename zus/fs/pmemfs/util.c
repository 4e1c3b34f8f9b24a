// SPDX-License-Identifier: BSD-3-Clause
/*
 * util.c - checksums, name hash, time, crash points.
 */
#include <stdlib.h>
#include <unistd.h>
#include <time.h>
#include <sys/stat.h>
#include <dirent.h>
#include "pmfs_int.h"

/* ~~~~ crc32c (Castagnoli), table driven, SSE4.2 when the CPU has it ~~~~ */
static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;
static int crc_hw;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78U : c >> 1;
		crc_table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^
				crc_table[0][crc_table[t - 1][i] & 0xff];
#if defined(__x86_64__)
	__builtin_cpu_init();
	crc_hw = __builtin_cpu_supports("sse4.2");
#endif
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t crc_hw_update(uint32_t crc, const unsigned char *p, size_t len)
{
	uint64_t c = crc;

	while (len && ((uintptr_t)p & 7)) {
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
		len--;
	}
	while (len >= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
	return (uint32_t)c;
}
#endif

static uint32_t crc_sw_update(uint32_t crc, const unsigned char *p, size_t len)
{
	while (len >= 8) {
		uint32_t lo, hi;

		memcpy(&lo, p, 4);
		memcpy(&hi, p + 4, 4);
		lo ^= crc;
		crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
		      crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
		      crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
		      crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
	return crc;
}

/* Standard crc32c: pmfs_crc32c(0, "123456789", 9) == 0xe3069283. */
uint32_t pmfs_crc32c(uint32_t crc, const void *buf, size_t len)
{
	pthread_once(&crc_once, crc_init);
	crc = ~crc;
#if defined(__x86_64__)
	if (crc_hw)
		return ~crc_hw_update(crc, buf, len);
#endif
	return ~crc_sw_update(crc, buf, len);
}

uint32_t pmfs_inode_csum(const struct pmfs_inode *pi)
{
	return pmfs_crc32c(0, pi, PMFS_INODE_CSUM_LEN);
}

bool pmfs_inode_csum_ok(const struct pmfs_inode *pi)
{
	return pi->csum == pmfs_inode_csum(pi);
}

uint32_t pmfs_super_csum(const struct pmfs_super *ps)
{
	return pmfs_crc32c(0, ps, offsetof(struct pmfs_super, csum));
}

/* ~~~~ SipHash-2-4 (Aumasson, Bernstein), keyed per filesystem ~~~~ */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do { \
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
} while (0)

uint64_t pmfs_siphash(const uint64_t key[2], const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t v0 = 0x736f6d6570736575ULL ^ key[0];
	uint64_t v1 = 0x646f72616e646f6dULL ^ key[1];
	uint64_t v2 = 0x6c7967656e657261ULL ^ key[0];
	uint64_t v3 = 0x7465646279746573ULL ^ key[1];
	uint64_t b = (uint64_t)len << 56, m;
	size_t left = len & 7;
	const unsigned char *end = p + len - left;

	for (; p != end; p += 8) {
		memcpy(&m, p, 8);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t i = 0; i < left; i++)
		b |= (uint64_t)p[i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static __thread const struct pmfs_time *now_override;

void pmfs_set_now(const struct pmfs_time *t)
{
	now_override = t;
}

void pmfs_now(struct pmfs_time *t)
{
	struct timespec ts;

	if (now_override) {
		t->sec = now_override->sec;
		t->nsec = now_override->nsec;
		t->reserved = 0;
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	t->sec = ts.tv_sec;
	t->nsec = (uint32_t)ts.tv_nsec;
	t->reserved = 0;
}

unsigned pmfs_mode_to_dt(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return DT_REG;
	case S_IFDIR: return DT_DIR;
	case S_IFLNK: return DT_LNK;
	case S_IFCHR: return DT_CHR;
	case S_IFBLK: return DT_BLK;
	case S_IFIFO: return DT_FIFO;
	case S_IFSOCK: return DT_SOCK;
	}
	return DT_UNKNOWN;
}

/* ~~~~ Crash points (tests) ~~~~ */
long pmfs_crash_countdown;
unsigned long pmfs_crash_points;

static void default_crash(const char *where)
{
	(void)where;
	_exit(99);
}

void (*pmfs_crash_fn)(const char *where) = default_crash;

void pmfs_crash_point(const char *where)
{
	__atomic_add_fetch(&pmfs_crash_points, 1, __ATOMIC_RELAXED);
	if (pmfs_crash_countdown > 0 &&
	    __atomic_sub_fetch(&pmfs_crash_countdown, 1, __ATOMIC_RELAXED) == 0)
		pmfs_crash_fn(where);
}
