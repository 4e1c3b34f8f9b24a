/* ACL inode operations of 6.2+: get_inode_acl, set_acl on a dentry */
#include <linux/fs.h>
#include <linux/posix_acl.h>

static struct posix_acl *probe_get(struct inode *inode, int type, bool rcu)
{
	return NULL;
}

static int probe_set(struct mnt_idmap *idmap, struct dentry *dentry,
		     struct posix_acl *acl, int type)
{
	return posix_acl_chmod(idmap, dentry, 0644);
}

const struct inode_operations probe_get_inode_acl_iops = {
	.get_inode_acl	= probe_get,
	.set_acl	= probe_set,
};
