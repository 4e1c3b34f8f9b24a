/* SPDX-License-Identifier: BSD-3-Clause */
/* t_script.h - deterministic operation scripts (crash and model tests). */
#ifndef PMFS_TSCRIPT_H
#define PMFS_TSCRIPT_H
#include "tlib.h"

enum { OP_CREATE, OP_MKDIR, OP_UNLINK, OP_RMDIR, OP_RENAME, OP_LINK,
       OP_WRITE, OP_TRUNC, OP_SYMLINK, OP_FRAG, OP_TMPFILE, OP_XCREATE,
       OP_NOPS };

struct op {
	int type;
	char a[64], b[64];
	uint32_t flags;
	uint64_t off, len;
	uint32_t seed;
};

/* composite operations that are not atomic as a whole */
static inline bool op_atomic(const struct op *op)
{
	return op->type != OP_FRAG;
}

int op_exec(struct pmfs_sb *sb, const struct op *op);
void script_gen(struct op *ops, int n, uint64_t seed, bool heavy);
#endif
