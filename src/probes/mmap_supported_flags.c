/* one-of: MMAP_SYNC MAP_SYNC support of a file_operations table */
#include <linux/fs.h>
#include <linux/mman.h>

const struct file_operations probe_mmap_supported_flags = {
	.mmap_supported_flags = MAP_SYNC,
};
