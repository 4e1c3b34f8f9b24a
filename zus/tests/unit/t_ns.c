// SPDX-License-Identifier: BSD-3-Clause
/*
 * t_ns.c - libzus's namespace and data dispatch (ns.c) against the fake
 * zuf.ko with the nsfs test plugin: handles, reply sizes, the inode table
 * and eviction, readdir records, symlinks and I/O through the window,
 * bad requests.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zus/zus_server.h>

#include "fake_zuf.h"
#include "unit.h"

static char root[64];
static int *live;		/* nsfs_live of the plugin */
static char *ni_xattrs;		/* nsfs_ni_xattrs of the plugin */

static struct zus_server *server(void)
{
	struct zus_server_opts o = { .prog = "zusd", .zuf_root = root };
	struct zus_server *s = zus_server_new(&o);
	const char *d = getenv("ZUS_TEST_PLUGIN_DIR");
	char p[PATH_MAX];
	void *h;

	zus_set_log_level(ZUS_LOG_ERR);
	if (zus_server_load_plugin(s, "nsfs", d ? d : "."))
		abort();
	snprintf(p, sizeof(p), "%s/nsfs.so", d ? d : ".");
	h = dlopen(p, RTLD_NOW | RTLD_NOLOAD);
	live = h ? dlsym(h, "nsfs_live") : NULL;
	ni_xattrs = h ? dlsym(h, "nsfs_ni_xattrs") : NULL;
	if (!live || !ni_xattrs)
		abort();
	dlclose(h);
	return s;
}

static int mount_op(__u32 op, struct zufs_ioc_mount *zim)
{
	zim->hdr.operation = op;
	zim->hdr.in_len = sizeof(*zim);
	zim->hdr.out_max = sizeof(*zim);
	zim->hdr.out_start = sizeof(zim->hdr);
	return fk_mount_call(zim);
}

/* One ZT operation of a struct of `size` bytes, replies from out_start. */
static int op(void *req, __u32 operation, size_t size, size_t out_start,
	      void *buf, size_t len)
{
	struct zufs_ioc_hdr *h = req;
	int err;

	h->operation = operation;
	h->in_len = (__u32)size;
	h->out_max = (__u32)size;
	h->out_start = (__u32)out_start;
	err = fk_dispatch(fk_cpu(0), 0, h, buf, len, 0);
	if (!err && h->out_len != size - out_start) {
		fprintf(stderr, "    op 0x%x: out_len %u, expected %zu\n",
			operation, h->out_len, size - out_start);
		return -EPROTO;
	}
	return err;
}

static void name(struct zufs_str *s, const char *n)
{
	s->len = (__u32)strlen(n);
	strcpy(s->name, n);
}

static int lookup(__u64 dir, const char *n, __u64 *ii, struct zufs_attr *a)
{
	struct zufs_ioc_lookup zl = { .dir_ii = dir };
	int err;

	name(&zl.name, n);
	err = op(&zl, ZUFS_OP_LOOKUP, sizeof(zl),
		 offsetof(struct zufs_ioc_lookup, zus_ii), NULL, 0);
	if (!err) {
		*ii = zl.zus_ii;
		if (a)
			*a = zl.attr;
	}
	return err;
}

static int new_inode(__u64 dir, const char *n, __u32 mode, const char *sym,
		     __u32 flags, __u64 *ii, struct zufs_attr *a)
{
	struct zufs_ioc_new_inode zni = { .dir_ii = dir, .flags = flags };
	char page[4096];
	int err;

	if (n)
		name(&zni.name, n);
	zni.attr.mode = mode;
	zni.attr.ctime.sec = 1000;
	zni.attr.ctime.nsec = 5;
	if (sym) {
		zni.symlink_len = (__u32)strlen(sym);
		memcpy(page, sym, zni.symlink_len);
	}
	err = op(&zni, ZUFS_OP_NEW_INODE, sizeof(zni),
		 offsetof(struct zufs_ioc_new_inode, attr), sym ? page : NULL,
		 sym ? sizeof(page) : 0);
	if (!err) {
		*ii = zni.zus_ii;
		if (a)
			*a = zni.attr;
		CHECK_EQ(zni.dir_attr.ino, dir & 0xffffffffffffULL);
	}
	return err;
}

static int evict(__u64 ii, __u32 flags)
{
	struct zufs_ioc_evict_inode ze = { .zus_ii = ii, .flags = flags };

	return op(&ze, ZUFS_OP_EVICT_INODE, sizeof(ze), sizeof(ze), NULL, 0);
}

static int unlink_(__u64 dir, __u64 ii, const char *n, __u32 *nlink)
{
	struct zufs_ioc_unlink zu = { .dir_ii = dir, .zus_ii = ii };
	int err;

	name(&zu.name, n);
	err = op(&zu, ZUFS_OP_UNLINK, sizeof(zu),
		 offsetof(struct zufs_ioc_unlink, attr), NULL, 0);
	if (!err)
		*nlink = zu.attr.nlink;
	return err;
}

static int link_(__u64 dir, __u64 ii, const char *n, __u32 *nlink)
{
	struct zufs_ioc_link zl = { .dir_ii = dir, .zus_ii = ii };
	int err;

	name(&zl.name, n);
	err = op(&zl, ZUFS_OP_LINK, sizeof(zl),
		 offsetof(struct zufs_ioc_link, attr), NULL, 0);
	if (!err)
		*nlink = zl.attr.nlink;
	return err;
}

static int io(__u32 operation, __u64 ii, __u64 off, void *buf, size_t len,
	      __u64 *done, struct zufs_attr *a)
{
	struct zufs_ioc_io zio = { .zus_ii = ii };
	int err;

	zio.hdr.offset = off;
	zio.hdr.len = len;
	zio.now.sec = 2000;
	err = op(&zio, operation, sizeof(zio),
		 offsetof(struct zufs_ioc_io, done), len ? buf : NULL, len);
	if (!err) {
		*done = zio.done;
		*a = zio.attr;
	}
	return err;
}

/* All entries of dir, reading pages of `len` bytes; names joined by ','. */
static int readdir_all(__u64 dir, size_t len, char *out, size_t size,
		       unsigned int *calls)
{
	struct zufs_ioc_readdir zr;
	char page[4096];
	__u64 pos = 2, last = 0;
	int err;

	*out = 0;
	*calls = 0;
	do {
		size_t off = 0;

		memset(&zr, 0, sizeof(zr));
		zr.dir_ii = dir;
		zr.pos = pos;
		zr.hdr.len = len;
		err = op(&zr, ZUFS_OP_READDIR, sizeof(zr),
			 offsetof(struct zufs_ioc_readdir, pos), page,
			 sizeof(page));
		if (err)
			return err;
		(*calls)++;
		CHECK(zr.more == 0 || zr.nents > 0);
		for (__u32 i = 0; i < zr.nents; i++) {
			struct zufs_dirent *de = (void *)(page + off);

			CHECK(de->reclen % 8 == 0 && off + de->reclen <= len);
			CHECK(de->pos >= 2 && de->pos > last && de->ino);
			CHECK(de->reclen >= sizeof(*de) + de->name_len);
			last = de->pos;
			char n[ZUFS_NAME_MAX + 1];

			memcpy(n, de->name, de->name_len);
			n[de->name_len] = 0;
			if (*out)
				strncat(out, ",", size - strlen(out) - 1);
			strncat(out, n, size - strlen(out) - 1);
			off += de->reclen;
		}
		pos = zr.pos;
	} while (zr.more);
	return 0;
}

static void t_ops(__u64 sbi, __u64 r)
{
	struct zufs_attr a;
	__u64 f, f2, s, d, t, done;
	char buf[8192], names[1024];
	unsigned int calls;
	__u32 nlink;

	(void)sbi;
	CHECK_EQ(r & 0xffffffffffffULL, 1);
	CHECK(r >> 48);
	CHECK_EQ(lookup(r, "f", &f, NULL), -ENOENT);
	CHECK_EQ(*live, 0);
	/* create, then the same handle from lookup */
	CHECK_EQ(new_inode(r, "f", S_IFREG | 0644, NULL, 0, &f, &a), 0);
	CHECK_EQ(a.nlink, 1);
	CHECK_EQ(a.ctime.sec, 1000);	/* the kernel's time */
	CHECK_EQ(a.ino, f & 0xffffffffffffULL);
	CHECK_EQ(f >> 48, r >> 48);
	CHECK_EQ(*live, 1);
	CHECK_EQ(lookup(r, "f", &f2, &a), 0);
	CHECK_EQ(f2, f);
	CHECK_EQ(*live, 1);		/* one table entry per inode */
	CHECK_EQ(new_inode(r, "f", S_IFREG | 0644, NULL, 0, &t, NULL),
		 -EEXIST);
	/* symlinks through the window */
	CHECK_EQ(new_inode(r, "s", S_IFLNK | 0777, "the/target", 0, &s, &a), 0);
	CHECK_EQ(a.size, 10);
	{
		struct zufs_ioc_get_symlink zg = { .zus_ii = s };
		char page[4096];

		zg.hdr.len = sizeof(page);
		CHECK_EQ(op(&zg, ZUFS_OP_GET_SYMLINK, sizeof(zg),
			    offsetof(struct zufs_ioc_get_symlink, len), page,
			    sizeof(page)), 0);
		CHECK_EQ(zg.len, 10);
		CHECK(!memcmp(page, "the/target", 10));
		CHECK_EQ(op(&zg, ZUFS_OP_GET_SYMLINK, sizeof(zg),
			    offsetof(struct zufs_ioc_get_symlink, len), NULL,
			    0), -EINVAL);	/* no window */
	}
	{	/* a symlink without its target in the window */
		struct zufs_ioc_new_inode zni = { .dir_ii = r };

		name(&zni.name, "s2");
		zni.attr.mode = S_IFLNK | 0777;
		zni.symlink_len = 5;
		CHECK_EQ(op(&zni, ZUFS_OP_NEW_INODE, sizeof(zni),
			    offsetof(struct zufs_ioc_new_inode, attr), NULL, 0),
			 -EINVAL);
	}
	CHECK_EQ(new_inode(r, "d", S_IFDIR | 0755, NULL, 0, &d, &a), 0);
	CHECK_EQ(a.nlink, 2);
	/* hard links */
	CHECK_EQ(link_(d, f, "g", &nlink), 0);
	CHECK_EQ(nlink, 2);
	/* readdir: all at once, and in pages of one record or a few */
	CHECK_EQ(readdir_all(r, 4096, names, sizeof(names), &calls), 0);
	CHECK_STR(names, "f,s,d");
	CHECK_EQ(calls, 1);
	for (int i = 0; i < 12; i++) {
		char n[16];

		snprintf(n, sizeof(n), "e%02d", i);
		CHECK_EQ(new_inode(d, n, S_IFREG | 0600, NULL, 0, &t, NULL), 0);
		CHECK_EQ(evict(t, 0), 0);
	}
	CHECK_EQ(readdir_all(d, 300, names, sizeof(names), &calls), 0);
	CHECK_STR(names, "g,e00,e01,e02,e03,e04,e05,e06,e07,e08,e09,e10,e11");
	CHECK_EQ(calls, 2);
	{
		struct zufs_ioc_readdir zr = { .dir_ii = r, .pos = 2 };
		char page[4096];

		zr.hdr.len = 100;	/* not even one long name fits */
		CHECK_EQ(op(&zr, ZUFS_OP_READDIR, sizeof(zr),
			    offsetof(struct zufs_ioc_readdir, pos), page,
			    sizeof(page)), -EINVAL);
	}
	/* data through the window */
	memcpy(buf, "hello world", 11);	/* (the fake copies the window back) */
	CHECK_EQ(io(ZUFS_OP_WRITE, f, 3, buf, 11, &done, &a), 0);
	CHECK_EQ(done, 11);
	CHECK_EQ(a.size, 14);
	CHECK_EQ(a.mtime.sec, 2000);
	memset(buf, 'x', sizeof(buf));
	CHECK_EQ(io(ZUFS_OP_READ, f, 0, buf, 100, &done, &a), 0);
	CHECK_EQ(done, 14);
	CHECK(!memcmp(buf, "\0\0\0hello world", 14));
	CHECK_EQ(io(ZUFS_OP_READ, f, 20, buf, 100, &done, &a), 0);
	CHECK_EQ(done, 0);
	CHECK_EQ(io(ZUFS_OP_READ, f, 0, buf, 0, &done, &a), 0);
	CHECK_EQ(io(ZUFS_OP_READ, d, 0, buf, 10, &done, &a), 0);
	CHECK_EQ(done, 0);
	{
		struct zufs_ioc_setattr zs = { .zus_ii = f,
					       .mask = ZUFS_ATTR_SIZE };

		zs.attr.size = 5;
		CHECK_EQ(op(&zs, ZUFS_OP_SETATTR, sizeof(zs),
			    offsetof(struct zufs_ioc_setattr, attr), NULL, 0),
			 0);
		CHECK_EQ(zs.attr.size, 5);
		zs.mask = 1U << 20;
		CHECK_EQ(op(&zs, ZUFS_OP_SETATTR, sizeof(zs),
			    offsetof(struct zufs_ioc_setattr, attr), NULL, 0),
			 -EINVAL);
	}
	{	/* rename */
		struct zufs_ioc_rename zr = { .old_dir_ii = d, .new_dir_ii = r,
					      .old_ii = f };

		name(&zr.old_name, "g");
		name(&zr.new_name, "g2");
		CHECK_EQ(op(&zr, ZUFS_OP_RENAME, sizeof(zr),
			    offsetof(struct zufs_ioc_rename, old_dir_attr),
			    NULL, 0), 0);
		CHECK_EQ(zr.old_attr.nlink, 2);
		CHECK_EQ(zr.old_dir_attr.ino, 4);	/* d */
		CHECK_EQ(zr.new_attr.ino, 0);	/* no target */
		zr.flags = 1U << 5;
		CHECK_EQ(op(&zr, ZUFS_OP_RENAME, sizeof(zr),
			    offsetof(struct zufs_ioc_rename, old_dir_attr),
			    NULL, 0), -EINVAL);
	}
	/* unlinked but held: an eviction without DELETE is of an earlier
	 * instance and keeps it; DELETE drops it
	 */
	CHECK_EQ(unlink_(r, f, "g2", &nlink), 0);
	CHECK_EQ(nlink, 1);
	CHECK_EQ(unlink_(r, f, "f", &nlink), 0);
	CHECK_EQ(nlink, 0);
	CHECK_EQ(*live, 3);		/* f, s and d are in the table */
	CHECK_EQ(evict(f, 0), 0);
	CHECK_EQ(*live, 3);
	CHECK_EQ(evict(f, ZUFS_EVICT_DELETE), 0);
	CHECK_EQ(*live, 2);
	CHECK_EQ(evict(f, ZUFS_EVICT_DELETE), 0);	/* not held: fine */
	CHECK_EQ(evict(r, 0), 0);			/* the root stays */
	/* an unheld inode comes back through iget */
	CHECK_EQ(evict(s, 0), 0);
	CHECK_EQ(*live, 1);
	CHECK_EQ(lookup(r, "s", &t, &a), 0);
	CHECK_EQ(t, s);
	CHECK_EQ(*live, 2);
	/* tmpfile: no name, nlink 0 until linked */
	CHECK_EQ(new_inode(r, NULL, S_IFREG | 0600, NULL, ZUFS_NI_TMPFILE, &t,
			   &a), 0);
	CHECK_EQ(a.nlink, 0);
	CHECK_EQ(link_(r, t, "named", &nlink), 0);
	CHECK_EQ(nlink, 1);
	CHECK_EQ(new_inode(r, NULL, S_IFDIR | 0700, NULL, ZUFS_NI_TMPFILE, &t,
			   &a), -EINVAL);
	/* bad requests */
	CHECK_EQ(lookup(r + (1ULL << 48), "s", &t, NULL), -EINVAL);
	CHECK_EQ(lookup(r & 0xffffffffffffULL, "s", &t, NULL), -EINVAL);
	CHECK_EQ(lookup(r, "a/b", &t, NULL), -EINVAL);
	CHECK_EQ(lookup(s, "x", &t, NULL), -ENOENT);	/* nsfs: no entries */
	{
		struct zufs_ioc_lookup zl = { .dir_ii = r };

		name(&zl.name, "s");
		zl.name.len = 0;
		CHECK_EQ(op(&zl, ZUFS_OP_LOOKUP, sizeof(zl),
			    offsetof(struct zufs_ioc_lookup, zus_ii), NULL, 0),
			 -EINVAL);
		name(&zl.name, "s");
		CHECK_EQ(op(&zl, ZUFS_OP_LOOKUP, sizeof(zl) - 8,
			    offsetof(struct zufs_ioc_lookup, zus_ii), NULL, 0),
			 -EINVAL);
	}
	{
		struct zufs_ioc_hdr h = { 0 };

		CHECK_EQ(op(&h, 0x03ff, sizeof(h), sizeof(h), NULL, 0),
			 -EOPNOTSUPP);
	}
}

/* A record of ZUFS_NI_XATTRS at buf + *pos; returns the record. */
static struct zufs_ni_xattr *ni_rec(char *buf, size_t *pos, const char *n,
				    const char *v)
{
	struct zufs_ni_xattr *rec = (void *)(buf + *pos);

	rec->name_len = (__u8)strlen(n);
	rec->value_len = (__u32)strlen(v);
	memcpy(rec + 1, n, rec->name_len + 1);
	memcpy((char *)(rec + 1) + rec->name_len + 1, v, rec->value_len);
	*pos += zufs_ni_xattr_size(rec->name_len, rec->value_len);
	return rec;
}

/*
 * NEW_INODE with ZUFS_NI_XATTRS: hdr.offset/len over the window page,
 * `sym` (if any) at 0. Breaks the request as `bad` says; checks the
 * plugin got exactly the records, or on -EINVAL that nothing was made.
 */
enum { NX_OK, NX_ODD_OFF, NX_OFF_IN_SYM, NX_USER, NX_DUP, NX_NO_NUL,
       NX_NUL_IN, NX_TOO_LONG, NX_SHORT, NX_MANY, NX_ZERO_NAME, NX_BIG,
       NX_NO_LEN, NX_COUNT };
static int ni_xattr_case(__u64 dir, const char *n, const char *sym, int bad)
{
	struct zufs_ioc_new_inode zni = { .dir_ii = dir,
					  .flags = ZUFS_NI_XATTRS };
	static char page[8192];
	struct zufs_ni_xattr *rec;
	size_t pos, start;
	__u64 ii;
	unsigned int i;
	int err;

	memset(page, 0, sizeof(page));
	name(&zni.name, n);
	zni.attr.mode = sym ? S_IFLNK | 0777 : S_IFREG | 0644;
	if (sym) {
		zni.symlink_len = (__u32)strlen(sym);
		memcpy(page, sym, zni.symlink_len);
	}
	start = pos = (zni.symlink_len + 7) & ~7U;
	rec = ni_rec(page, &pos, "system.posix_acl_access", "AAAA");
	ni_rec(page, &pos, "security.selinux", "ctx");
	switch (bad) {
	case NX_ODD_OFF:	/* offset not a multiple of 8 */
		memmove(page + start + 4, page + start, pos - start);
		start += 4;
		pos += 4;
		break;
	case NX_OFF_IN_SYM:	/* records over the symlink target */
		start = 0;
		break;
	case NX_USER:		/* only system.posix_acl_* and security. */
		ni_rec(page, &pos, "user.x", "v");
		break;
	case NX_DUP:
		ni_rec(page, &pos, "security.selinux", "other");
		break;
	case NX_NO_NUL:
		((char *)(rec + 1))[rec->name_len] = 'x';
		break;
	case NX_NUL_IN:
		((char *)(rec + 1))[3] = 0;
		break;
	case NX_TOO_LONG:	/* the last record runs past hdr.len */
		pos -= 8;
		break;
	case NX_SHORT:		/* trailing bytes, less than a record */
		pos += 4;
		break;
	case NX_MANY:
		for (i = 0; i < ZUFS_NI_XATTRS_MAX - 1; i++) {
			char x[32];

			snprintf(x, sizeof(x), "security.l%u", i);
			ni_rec(page, &pos, x, "v");
		}
		break;
	case NX_ZERO_NAME:
		rec->name_len = 0;
		break;
	case NX_BIG:
		rec->value_len = ZUFS_XATTR_SIZE_MAX + 1;
		break;
	case NX_NO_LEN:
		pos = start;
		break;
	}
	zni.hdr.offset = start;
	zni.hdr.len = pos - start;
	zni.attr.ctime.sec = 1000;
	strcpy(ni_xattrs, "untouched");
	err = op(&zni, ZUFS_OP_NEW_INODE, sizeof(zni),
		 offsetof(struct zufs_ioc_new_inode, attr), page, sizeof(page));
	if (bad == NX_OK) {
		CHECK_EQ(err, 0);
		CHECK_STR(ni_xattrs, "system.posix_acl_access=4:AAAA;"
			  "security.selinux=3:ctx;");
		CHECK_EQ(lookup(dir, n, &ii, NULL), 0);
	} else {
		CHECK_EQ(err, -EINVAL);
		CHECK_STR(ni_xattrs, "untouched");
		CHECK_EQ(lookup(dir, n, &ii, NULL), -ENOENT);
	}
	return err;
}

/* The first xattrs in NEW_INODE (ABI 1.5): passed on, or refused whole. */
static void t_ni_xattrs(__u64 r)
{
	int bad;

	ni_xattr_case(r, "x-ok", NULL, NX_OK);
	ni_xattr_case(r, "x-sym", "a/long/enough/target", NX_OK);
	for (bad = NX_ODD_OFF; bad < NX_COUNT; bad++) {
		char n[16];

		snprintf(n, sizeof(n), "x-bad%d", bad);
		ni_xattr_case(r, n, bad == NX_OFF_IN_SYM ? "target" : NULL,
			      bad);
	}
	/* a create without the flag gives the plugin none */
	{
		__u64 t;

		CHECK_EQ(new_inode(r, "x-none", S_IFREG | 0600, NULL, 0, &t,
				   NULL), 0);
		CHECK_STR(ni_xattrs, "");
	}
}

static void t_dispatch(void)
{
	struct zufs_ioc_mount *zim = calloc(1, sizeof(*zim));
	struct zus_server *s;
	__u64 sbi, r;

	fk_reset(NULL);
	s = server();
	CHECK_EQ(zus_server_start(s), 0);
	zim->zmi.zus_zfi = fk_registered_zfi(0);
	CHECK_EQ(mount_op(ZUFS_M_MOUNT, zim), 0);
	CHECK_EQ(zim->zmi.s_max_links, 1000);
	sbi = zim->zmi.zus_sbi;
	r = zim->zmi.zus_ii;
	t_ops(sbi, r);
	t_ni_xattrs(r);
	/* umount drops what the kernel did not evict */
	CHECK(*live > 0);
	memset(zim, 0, sizeof(*zim));
	zim->zmi.zus_sbi = sbi;
	CHECK_EQ(mount_op(ZUFS_M_UMOUNT, zim), 0);
	CHECK_EQ(*live, 0);
	/* and its handles are unknown now */
	{
		__u64 t;

		CHECK_EQ(lookup(r, "s", &t, NULL), -EINVAL);
	}
	/* two mounts: two handle spaces */
	{
		__u64 r1, r2, t1, t2;

		memset(zim, 0, sizeof(*zim));
		zim->zmi.zus_zfi = fk_registered_zfi(0);
		CHECK_EQ(mount_op(ZUFS_M_MOUNT, zim), 0);
		r1 = zim->zmi.zus_ii;
		memset(zim, 0, sizeof(*zim));
		zim->zmi.zus_zfi = fk_registered_zfi(0);
		CHECK_EQ(mount_op(ZUFS_M_MOUNT, zim), 0);
		r2 = zim->zmi.zus_ii;
		CHECK(r1 != r2);
		CHECK_EQ(new_inode(r1, "x", S_IFREG | 0600, NULL, 0, &t1, NULL),
			 0);
		CHECK_EQ(lookup(r2, "x", &t2, NULL), -ENOENT);
		CHECK_EQ(new_inode(r2, "x", S_IFREG | 0600, NULL, 0, &t2, NULL),
			 0);
		CHECK(t1 != t2);
		CHECK_EQ(*live, 2);
		/* left mounted: released at shutdown */
	}
	CHECK_EQ(zus_server_stop(s), 0);
	zus_server_free(s);	/* (unloads nsfs; LeakSanitizer checks) */
	free(zim);
}

/* A kernel without ZUFS_CAP_NAMESPACE and ZUFS_CAP_RW sends none. */
static void t_no_caps(void)
{
	struct fk_config cfg = {
		.kernel_caps = ZUFS_CAPS_ALL &
			       ~(ZUFS_CAP_NAMESPACE | ZUFS_CAP_RW),
	};
	struct zufs_ioc_mount *zim = calloc(1, sizeof(*zim));
	struct zus_server *s;
	__u64 t;

	fk_reset(&cfg);
	s = server();
	CHECK_EQ(zus_server_start(s), 0);
	zim->zmi.zus_zfi = fk_registered_zfi(0);
	CHECK_EQ(mount_op(ZUFS_M_MOUNT, zim), 0);
	CHECK_EQ(lookup(zim->zmi.zus_ii, "x", &t, NULL), -EOPNOTSUPP);
	CHECK_EQ(zus_server_stop(s), 0);
	zus_server_free(s);
	free(zim);
}

void t_ns(void)
{
	strcpy(root, "/tmp/zus-unit-ns-XXXXXX");
	if (!mkdtemp(root))
		abort();
	t_dispatch();
	t_no_caps();
	fk_disarm();
	rmdir(root);
}
