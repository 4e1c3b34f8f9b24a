/* required: inode_operations.tmpfile taking a struct file (Linux 6.1+) */
#include <linux/fs.h>
#include <linux/dcache.h>

void probe_tmpfile_file(struct file *file, struct inode *inode);
void probe_tmpfile_file(struct file *file, struct inode *inode)
{
	d_tmpfile(file, inode);
	finish_open_simple(file, 0);
}
