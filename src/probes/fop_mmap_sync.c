/* one-of: MMAP_SYNC MAP_SYNC support of a file_operations table */
#include <linux/fs.h>

const struct file_operations probe_fop_mmap_sync = {
	.fop_flags = FOP_MMAP_SYNC,
};
