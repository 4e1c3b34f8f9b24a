// SPDX-License-Identifier: BSD-3-Clause
/* t_script.c - deterministic operation scripts. */
#include "t_script.h"

static void fill(char *buf, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)((i * 31 + seed * 17) ^ (i >> 9));
}

int op_exec(struct pmfs_sb *sb, const struct op *op)
{
	static char buf[1 << 20];
	int r;

	switch (op->type) {
	case OP_CREATE:
		return t_mk(sb, op->a, S_IFREG | 0644, NULL, 0);
	case OP_MKDIR:
		return t_mk(sb, op->a, S_IFDIR | 0755, NULL, 0);
	case OP_SYMLINK:
		return t_mk(sb, op->a, S_IFLNK | 0777, op->b, 0);
	case OP_UNLINK:
		return t_unlink(sb, op->a);
	case OP_RMDIR:
		return t_rmdir(sb, op->a);
	case OP_RENAME:
		return t_rename(sb, op->a, op->b, op->flags);
	case OP_LINK:
		return t_link(sb, op->a, op->b);
	case OP_WRITE:
		fill(buf, op->len, op->seed);
		return t_write(sb, op->a, buf, op->len, op->off);
	case OP_TRUNC:
		return t_truncate(sb, op->a, op->off);
	case OP_FRAG:
		/* two files written block by block, interleaved: fragmented
		 * maps whose truncation takes several transactions
		 */
		r = t_mk(sb, op->a, S_IFREG | 0644, NULL, 0);
		if (!r)
			r = t_mk(sb, op->b, S_IFREG | 0644, NULL, 0);
		fill(buf, 4096, op->seed);
		for (uint64_t i = 0; i < op->len && !r; i++) {
			r = t_write(sb, op->a, buf, 4096, i * 4096);
			if (!r)
				r = t_write(sb, op->b, buf, 4096, i * 4096);
		}
		return r;
	case OP_XCREATE: {
		/* with first xattrs (ACLs, a label); flags 1: a directory */
		static char acl[1500];
		const struct pmfs_xattr_in x[] = {
			{ "system.posix_acl_access", acl, sizeof(acl) },
			{ "security.selinux", "system_u:object_r:t:s0", 22 },
			{ "system.posix_acl_default", acl, sizeof(acl) },
		};

		fill(acl, sizeof(acl), op->seed);
		return t_mkx(sb, op->a, op->flags ? S_IFDIR | 0750 :
			     S_IFREG | 0640, x, op->flags ? 3 : 2);
	}
	case OP_TMPFILE: {
		struct pmfs_new n = { .mode = S_IFREG | 0600 };
		struct pmfs_ii *root, *t;

		r = pmfs_iget(sb, PMFS_ROOT_INO, &root);
		if (r)
			return r;
		r = pmfs_tmpfile(root, &n, &t);
		if (!r) {
			fill(buf, 10000, op->seed);
			if (pmfs_write(t, buf, 10000, 0) != 10000)
				r = -EIO;
			if (!r && op->a[0]) {
				struct pmfs_ii *dir;
				const char *name;
				size_t len;

				r = t_parent(sb, op->a, &dir, &name, &len);
				if (!r) {
					r = pmfs_link(t, dir, name, len);
					pmfs_iput(dir);
				}
			}
			pmfs_iput(t);
		}
		pmfs_iput(root);
		return r;
	}
	}
	return -EINVAL;
}

static void rname(char *out, size_t len, bool dir_ok)
{
	static const char *dirs[] = { "", "d0/", "d1/", "d0/e0/" };
	int d = (int)(t_rand() % (dir_ok ? 4 : 3));

	snprintf(out, len, "%sn%d", dirs[d], (int)(t_rand() % 6));
}

void script_gen(struct op *ops, int n, uint64_t seed, bool heavy)
{
	int i = 0;

	t_srand(seed);
	memset(ops, 0, sizeof(*ops) * (size_t)n);
	if (n > 3) {
		ops[i].type = OP_MKDIR;
		strcpy(ops[i++].a, "d0");
		ops[i].type = OP_MKDIR;
		strcpy(ops[i++].a, "d1");
		ops[i].type = OP_MKDIR;
		strcpy(ops[i++].a, "d0/e0");
	}
	for (; i < n; i++) {
		struct op *o = &ops[i];
		int t = (int)(t_rand() % 100);

		o->seed = (uint32_t)t_rand();
		rname(o->a, sizeof(o->a), true);
		if (t < 20) {
			o->type = OP_CREATE;
		} else if (t < 27) {
			o->type = OP_MKDIR;
		} else if (t < 37) {
			o->type = OP_UNLINK;
		} else if (t < 42) {
			o->type = OP_RMDIR;
		} else if (t < 57) {
			static const uint32_t fl[] = { 0, 0, PMFS_RENAME_NOREPLACE,
				PMFS_RENAME_EXCHANGE, PMFS_RENAME_WHITEOUT };

			o->type = OP_RENAME;
			rname(o->b, sizeof(o->b), true);
			o->flags = fl[t_rand() % 5];
		} else if (t < 63) {
			o->type = OP_LINK;
			rname(o->b, sizeof(o->b), true);
		} else if (t < 80) {
			o->type = OP_WRITE;
			o->off = t_rand() % (heavy ? 300000 : 20000);
			o->len = 1 + t_rand() % (heavy ? 70000 : 9000);
		} else if (t < 88) {
			o->type = OP_TRUNC;
			o->off = t_rand() % 50000;
		} else if (t < 93) {
			o->type = OP_SYMLINK;
			if (t_rand() % 2)
				strcpy(o->b, "a/short/target");
			else
				memset(o->b, 'L', 60), o->b[60] = 0;
		} else if (t < 97) {
			o->type = OP_TMPFILE;
			if (t_rand() % 2)
				o->a[0] = 0;	/* never linked */
		} else {
			o->type = OP_TRUNC;
			o->off = 0;
		}
	}
}
