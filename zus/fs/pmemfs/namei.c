// SPDX-License-Identifier: BSD-3-Clause
/*
 * namei.c - namespace operations. Each is one transaction.
 *
 * Locking: inode rwlocks are taken in ascending inode number; an entry
 * looked up before the locks are held is looked up again after, and the
 * operation retries if it changed. Renames are serialized by the
 * superblock's rename lock (as the VFS does for cross-directory renames),
 * which keeps the ".." chains stable for the loop check.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <dirent.h>
#include "pmfs_int.h"

static bool is_dot(const char *name, size_t len)
{
	return len == 1 && name[0] == '.';
}

static bool is_dotdot(const char *name, size_t len)
{
	return len == 2 && name[0] == '.' && name[1] == '.';
}

static int check_name(const char *name, size_t len)
{
	if (!len)
		return -ENOENT;
	if (len > PMFS_NAME_MAX)
		return -ENAMETOOLONG;
	if (memchr(name, '/', len) || memchr(name, '\0', len))
		return -EINVAL;
	return 0;
}

static bool dir_dead(const struct pmfs_ii *dir)
{
	return !dir->pi->nlink;
}

static void touch_dir(struct pmfs_inode *dir)
{
	pmfs_now(&dir->mtime);
	dir->ctime = dir->mtime;
	dir->version++;
}

int pmfs_lookup(struct pmfs_ii *dir, const char *name, size_t len,
		uint64_t *ino)
{
	struct pmfs_dfound f;
	int err;

	if (!S_ISDIR(dir->pi->mode))
		return -ENOTDIR;
	if (len > PMFS_NAME_MAX)
		return -ENAMETOOLONG;
	if (!len)
		return -ENOENT;
	pthread_rwlock_rdlock(&dir->lock);
	if (dir_dead(dir)) {
		err = -ENOENT;
	} else if (is_dot(name, len)) {
		*ino = dir->ino;
		err = 0;
	} else if (is_dotdot(name, len)) {
		*ino = dir->pi->parent;
		err = 0;
	} else {
		err = pmfs_dir_find(dir->sb, dir->pi, name, len, &f);
		if (!err)
			*ino = f.de->ino;
	}
	pthread_rwlock_unlock(&dir->lock);
	return err;
}

static int check_new(const struct pmfs_new *n)
{
	switch (n->mode & S_IFMT) {
	case S_IFREG: case S_IFDIR: case S_IFCHR: case S_IFBLK:
	case S_IFIFO: case S_IFSOCK:
		return 0;
	case S_IFLNK:
		if (!n->symname)
			return -EINVAL;
		if (!n->symname[0])
			return -ENOENT;
		if (strlen(n->symname) > PMFS_SYMLINK_MAX)
			return -ENAMETOOLONG;
		return 0;
	}
	return -EINVAL;
}

static int create_common(struct pmfs_ii *dir, const char *name, size_t len,
			 const struct pmfs_new *n, bool tmpfile,
			 struct pmfs_ii **iip)
{
	struct pmfs_sb *sb = dir->sb;
	struct pmfs_inode *dpi = dir->pi, *pi;
	struct pmfs_dfound f;
	struct pmfs_tx tx;
	uint64_t ino = 0;
	int err;

	if (!S_ISDIR(dpi->mode))
		return -ENOTDIR;
	err = check_new(n);
	if (err)
		return err;
	if (!tmpfile) {
		err = check_name(name, len);
		if (err)
			return err;
		if (is_dot(name, len) || is_dotdot(name, len))
			return -EEXIST;
	}
	if (sb->rdonly)
		return -EROFS;
	pthread_rwlock_wrlock(&dir->lock);
	if (dir_dead(dir)) {
		err = -ENOENT;
		goto out;
	}
	if (!tmpfile) {
		err = pmfs_dir_find(sb, dpi, name, len, &f);
		if (!err)
			err = -EEXIST;
		if (err != -ENOENT)
			goto out;
	}
	if (S_ISDIR(n->mode) && dpi->nlink >= PMFS_LINK_MAX) {
		err = -EMLINK;
		goto out;
	}
	err = pmfs_tx_begin(sb, &tx);
	if (err)
		goto out;
	err = pmfs_inode_alloc(&tx, n->mode, n->uid, n->gid, n->rdev, &ino);
	if (err)
		goto end;
	pi = pmfs_pi(sb, ino);
	if (S_ISDIR(n->mode))
		pi->parent = dir->ino;	/* tmpfile dirs: set again by link */
	if (S_ISLNK(n->mode)) {
		err = pmfs_symlink_init(&tx, pi, n->symname);
		if (err)
			goto end;
	}
	err = pmfs_xattr_init(&tx, pi, ino, n->xattrs, n->nr_xattrs);
	if (err)
		goto end;
	if (tmpfile) {
		pi->nlink = 0;
		err = pmfs_orphan_add(&tx, ino);
	} else {
		err = pmfs_dir_add(&tx, dpi, dir->ino, name, len, ino,
				   pmfs_mode_to_dt(n->mode));
		if (!err) {
			if (S_ISDIR(n->mode))
				dpi->nlink++;
			touch_dir(dpi);
		}
	}
end:
	err = pmfs_tx_end(&tx, err);
out:
	pthread_rwlock_unlock(&dir->lock);
	if (!err && iip) {
		*iip = pmfs_ii_new(sb, ino);
		if (!*iip)
			return -ENOMEM;
		(*iip)->linkable = tmpfile;
	}
	return err;
}

int pmfs_create(struct pmfs_ii *dir, const char *name, size_t len,
		const struct pmfs_new *n, struct pmfs_ii **iip)
{
	return create_common(dir, name, len, n, false, iip);
}

int pmfs_tmpfile(struct pmfs_ii *dir, const struct pmfs_new *n,
		 struct pmfs_ii **iip)
{
	if (!iip || !S_ISREG(n->mode))
		return -EINVAL;
	return create_common(dir, NULL, 0, n, true, iip);
}

int pmfs_new_inode(struct pmfs_ii *dir, const struct pmfs_new *n,
		   struct pmfs_ii **iip)
{
	if (!iip)
		return -EINVAL;
	return create_common(dir, NULL, 0, n, true, iip);
}

int pmfs_link(struct pmfs_ii *ii, struct pmfs_ii *dir, const char *name,
	      size_t len)
{
	struct pmfs_sb *sb = dir->sb;
	struct pmfs_inode *pi = ii->pi;
	struct pmfs_dfound f;
	struct pmfs_tx tx;
	bool was_tmp;
	int err;

	if (!S_ISDIR(dir->pi->mode))
		return -ENOTDIR;
	err = check_name(name, len);
	if (err)
		return err;
	if (is_dot(name, len) || is_dotdot(name, len))
		return -EEXIST;
	if (sb->rdonly)
		return -EROFS;
	pmfs_lock2(dir, ii);
	was_tmp = !pi->nlink;
	if (dir_dead(dir) || (!pi->nlink && !ii->linkable)) {
		err = -ENOENT;
		goto out;
	}
	if (pi->nlink >= PMFS_LINK_MAX) {
		err = -EMLINK;
		goto out;
	}
	err = pmfs_dir_find(sb, dir->pi, name, len, &f);
	if (!err)
		err = -EEXIST;
	if (err != -ENOENT)
		goto out;
	if (S_ISDIR(pi->mode) && !was_tmp) {
		err = -EPERM;
		goto out;
	}
	if (S_ISDIR(pi->mode) && dir->pi->nlink >= PMFS_LINK_MAX) {
		err = -EMLINK;
		goto out;
	}
	err = pmfs_tx_begin(sb, &tx);
	if (err)
		goto out;
	err = pmfs_dir_add(&tx, dir->pi, dir->ino, name, len, ii->ino,
			   pmfs_mode_to_dt(pi->mode));
	if (!err)
		err = pmfs_tx_add_inode(&tx, pi);
	if (!err && was_tmp)
		err = pmfs_orphan_del(&tx, ii->ino);
	if (!err) {
		if (S_ISDIR(pi->mode)) {
			/* a new directory made by pmfs_new_inode */
			pi->nlink = 2;
			pi->parent = dir->ino;
			dir->pi->nlink++;
		} else {
			pi->nlink++;
		}
		pmfs_now(&pi->ctime);
		pi->version++;
		touch_dir(dir->pi);
	}
	err = pmfs_tx_end(&tx, err);
	if (!err && was_tmp)
		ii->linkable = false;
out:
	pmfs_unlock2(dir, ii);
	return err;
}

/* Look name up and return the child with dir and child write-locked. */
static int lock_child(struct pmfs_ii *dir, const char *name, size_t len,
		      struct pmfs_ii **childp, struct pmfs_dfound *f)
{
	struct pmfs_sb *sb = dir->sb;

	for (;;) {
		struct pmfs_ii *child;
		uint64_t ino;
		int err;

		pthread_rwlock_rdlock(&dir->lock);
		err = dir_dead(dir) ? -ENOENT :
		      pmfs_dir_find(sb, dir->pi, name, len, f);
		ino = err ? 0 : f->de->ino;
		pthread_rwlock_unlock(&dir->lock);
		if (err)
			return err;
		err = pmfs_iget(sb, ino, &child);
		if (err == -ESTALE)
			continue;	/* went away meanwhile */
		if (err)
			return err;
		pmfs_lock2(dir, child);
		err = dir_dead(dir) ? -ENOENT :
		      pmfs_dir_find(sb, dir->pi, name, len, f);
		if (!err && f->de->ino == ino) {
			*childp = child;
			return 0;
		}
		pmfs_unlock2(dir, child);
		pmfs_iput(child);
		if (err)
			return err;
	}
}

static int remove_common(struct pmfs_ii *dir, const char *name, size_t len,
			 bool rmdir)
{
	struct pmfs_sb *sb = dir->sb;
	struct pmfs_ii *child;
	struct pmfs_inode *cpi;
	struct pmfs_dfound f;
	struct pmfs_tx tx;
	int err;

	if (!S_ISDIR(dir->pi->mode))
		return -ENOTDIR;
	err = check_name(name, len);
	if (err)
		return err;
	if (is_dot(name, len))
		return rmdir ? -EINVAL : -EISDIR;
	if (is_dotdot(name, len))
		return rmdir ? -ENOTEMPTY : -EISDIR;
	if (sb->rdonly)
		return -EROFS;
	err = lock_child(dir, name, len, &child, &f);
	if (err)
		return err;
	cpi = child->pi;
	if (rmdir && !S_ISDIR(cpi->mode))
		err = -ENOTDIR;
	else if (!rmdir && S_ISDIR(cpi->mode))
		err = -EISDIR;
	else if (rmdir && cpi->dir_count)
		err = -ENOTEMPTY;
	if (err)
		goto out;
	err = pmfs_tx_begin(sb, &tx);
	if (err)
		goto out;
	err = pmfs_dir_del(&tx, dir->pi, &f);
	if (!err)
		err = pmfs_tx_add_inode(&tx, cpi);
	if (!err) {
		if (rmdir) {
			cpi->nlink = 0;
			dir->pi->nlink--;
		} else {
			cpi->nlink--;
		}
		pmfs_now(&cpi->ctime);
		cpi->version++;
		touch_dir(dir->pi);
		if (!cpi->nlink)
			err = pmfs_orphan_add(&tx, child->ino);
	}
	err = pmfs_tx_end(&tx, err);
out:
	pmfs_unlock2(dir, child);
	pmfs_iput(child);	/* the last reference releases it */
	return err;
}

int pmfs_unlink(struct pmfs_ii *dir, const char *name, size_t len)
{
	return remove_common(dir, name, len, false);
}

int pmfs_rmdir(struct pmfs_ii *dir, const char *name, size_t len)
{
	return remove_common(dir, name, len, true);
}

/* ~~~~ rename ~~~~ */

/* Is ino the directory d or one of its ancestors? (rename lock held) */
static bool is_ancestor(struct pmfs_sb *sb, uint64_t ino, uint64_t d)
{
	for (uint64_t steps = 0; steps < sb->ninodes; steps++) {
		if (d == ino)
			return true;
		if (d == PMFS_ROOT_INO || !pmfs_ino_ok(sb, d))
			return false;
		d = pmfs_pi(sb, d)->parent;
	}
	return true;	/* a loop: refuse */
}

struct rn {
	struct pmfs_ii *odir, *ndir, *src, *tgt;
	struct pmfs_dfound fo, fn;
	bool has_tgt;
};

static int rn_lookup(struct pmfs_sb *sb, struct rn *r, const char *oname,
		     size_t olen, const char *nname, size_t nlen)
{
	int err;

	err = dir_dead(r->odir) ? -ENOENT :
	      pmfs_dir_find(sb, r->odir->pi, oname, olen, &r->fo);
	if (err)
		return err;
	err = dir_dead(r->ndir) ? -ENOENT :
	      pmfs_dir_find(sb, r->ndir->pi, nname, nlen, &r->fn);
	if (err && err != -ENOENT)
		return err;
	r->has_tgt = !err;
	return 0;
}

static int rn_lock(struct pmfs_sb *sb, struct rn *r, const char *oname,
		   size_t olen, const char *nname, size_t nlen)
{
	for (;;) {
		uint64_t sino, tino;
		int err;

		pmfs_lock2(r->odir, r->ndir);
		err = rn_lookup(sb, r, oname, olen, nname, nlen);
		sino = err ? 0 : r->fo.de->ino;
		tino = err || !r->has_tgt ? 0 : r->fn.de->ino;
		pmfs_unlock2(r->odir, r->ndir);
		if (err)
			return err;
		err = pmfs_iget(sb, sino, &r->src);
		if (!err && tino) {
			err = pmfs_iget(sb, tino, &r->tgt);
			if (err)
				pmfs_iput(r->src);
		}
		if (err == -ESTALE)
			continue;
		if (err)
			return err;
		struct pmfs_ii *v[4] = { r->odir, r->ndir, r->src, r->tgt };

		pmfs_lock_many(v, 4);
		err = rn_lookup(sb, r, oname, olen, nname, nlen);
		if (!err && r->fo.de->ino == sino &&
		    (r->has_tgt ? r->fn.de->ino == tino : !tino))
			return 0;
		pmfs_unlock_many(v, 4);
		pmfs_iput(r->src);
		pmfs_iput(r->tgt);
		r->src = r->tgt = NULL;
		if (err)
			return err;
	}
}

static int rn_checks(struct pmfs_sb *sb, struct rn *r, uint32_t flags)
{
	bool sdir = S_ISDIR(r->src->pi->mode);
	bool tdir = r->tgt && S_ISDIR(r->tgt->pi->mode);
	bool cross = r->odir != r->ndir;

	if ((flags & PMFS_RENAME_EXCHANGE) && !r->tgt)
		return -ENOENT;
	if ((flags & PMFS_RENAME_NOREPLACE) && r->tgt)
		return -EEXIST;
	if (!(flags & PMFS_RENAME_EXCHANGE) && r->tgt) {
		if (sdir && !tdir)
			return -ENOTDIR;
		if (!sdir && tdir)
			return -EISDIR;
		if (tdir && r->tgt->pi->dir_count)
			return -ENOTEMPTY;
	}
	if (cross && sdir && is_ancestor(sb, r->src->ino, r->ndir->ino))
		return -EINVAL;
	if (cross && tdir && (flags & PMFS_RENAME_EXCHANGE) &&
	    is_ancestor(sb, r->tgt->ino, r->odir->ino))
		return -EINVAL;
	if (cross && sdir && !tdir && r->ndir->pi->nlink >= PMFS_LINK_MAX)
		return -EMLINK;
	if (cross && tdir && !sdir && (flags & PMFS_RENAME_EXCHANGE) &&
	    r->odir->pi->nlink >= PMFS_LINK_MAX)
		return -EMLINK;
	return 0;
}

static int rn_exchange(struct pmfs_tx *tx, struct rn *r)
{
	struct pmfs_inode *s = r->src->pi, *t = r->tgt->pi;
	struct pmfs_inode *od = r->odir->pi, *nd = r->ndir->pi;
	bool sdir = S_ISDIR(s->mode), tdir = S_ISDIR(t->mode);
	int err;

	err = pmfs_dir_set(tx, r->fn.de, r->src->ino, pmfs_mode_to_dt(s->mode));
	if (!err)
		err = pmfs_dir_set(tx, r->fo.de, r->tgt->ino,
				   pmfs_mode_to_dt(t->mode));
	if (err)
		return err;
	if (r->odir != r->ndir) {
		if (sdir)
			s->parent = r->ndir->ino;
		if (tdir)
			t->parent = r->odir->ino;
		if (sdir && !tdir) {
			od->nlink--;
			nd->nlink++;
		} else if (tdir && !sdir) {
			nd->nlink--;
			od->nlink++;
		}
	}
	pmfs_now(&s->ctime);
	t->ctime = s->ctime;
	return 0;
}

static int rn_move(struct pmfs_tx *tx, struct rn *r, uint32_t flags,
		   const char *nname, size_t nlen)
{
	struct pmfs_sb *sb = tx->sb;
	struct pmfs_inode *s = r->src->pi;
	struct pmfs_inode *od = r->odir->pi, *nd = r->ndir->pi;
	bool sdir = S_ISDIR(s->mode);
	bool tdir = r->tgt && S_ISDIR(r->tgt->pi->mode);
	unsigned dt = pmfs_mode_to_dt(s->mode);
	int err;

	/* the old entry first: adding may split leaves under our feet */
	if (flags & PMFS_RENAME_WHITEOUT) {
		uint64_t wino;

		err = pmfs_inode_alloc(tx, S_IFCHR, s->uid, s->gid, 0, &wino);
		if (!err)
			err = pmfs_dir_set(tx, r->fo.de, wino, DT_CHR);
	} else {
		err = pmfs_dir_del(tx, od, &r->fo);
	}
	if (err)
		return err;
	if (r->tgt) {
		struct pmfs_inode *t = r->tgt->pi;

		err = pmfs_tx_add_inode(tx, t);
		if (!err)
			err = pmfs_dir_set(tx, r->fn.de, r->src->ino, dt);
		if (err)
			return err;
		if (tdir) {
			t->nlink = 0;
			nd->nlink--;
		} else {
			t->nlink--;
		}
		pmfs_now(&t->ctime);
		if (!t->nlink)
			err = pmfs_orphan_add(tx, r->tgt->ino);
	} else {
		err = pmfs_dir_add(tx, nd, r->ndir->ino, nname, nlen,
				   r->src->ino, dt);
	}
	if (err)
		return err;
	if (sdir && r->odir != r->ndir) {
		s->parent = r->ndir->ino;
		od->nlink--;
		nd->nlink++;
	}
	pmfs_now(&s->ctime);
	(void)sb;
	return 0;
}

int pmfs_rename(struct pmfs_ii *odir, const char *oname, size_t olen,
		struct pmfs_ii *ndir, const char *nname, size_t nlen,
		uint32_t flags)
{
	struct pmfs_sb *sb = odir->sb;
	struct rn r = { .odir = odir, .ndir = ndir };
	struct pmfs_tx tx;
	int err;

	if (flags & ~(PMFS_RENAME_NOREPLACE | PMFS_RENAME_EXCHANGE |
		      PMFS_RENAME_WHITEOUT))
		return -EINVAL;
	if ((flags & PMFS_RENAME_EXCHANGE) &&
	    (flags & (PMFS_RENAME_NOREPLACE | PMFS_RENAME_WHITEOUT)))
		return -EINVAL;
	if (!S_ISDIR(odir->pi->mode) || !S_ISDIR(ndir->pi->mode))
		return -ENOTDIR;
	err = check_name(oname, olen);
	if (!err)
		err = check_name(nname, nlen);
	if (err)
		return err;
	if (is_dot(oname, olen) || is_dotdot(oname, olen) ||
	    is_dot(nname, nlen) || is_dotdot(nname, nlen))
		return -EINVAL;
	if (sb->rdonly)
		return -EROFS;
	pthread_mutex_lock(&sb->rename_lock);
	err = rn_lock(sb, &r, oname, olen, nname, nlen);
	if (err)
		goto out_unlock_rename;
	if (r.tgt && (flags & PMFS_RENAME_NOREPLACE)) {
		err = -EEXIST;
		goto out;
	}
	if (r.tgt && r.tgt == r.src) {
		err = 0;	/* hard links to one inode: nothing to do */
		goto out;
	}
	err = rn_checks(sb, &r, flags);
	if (err)
		goto out;
	err = pmfs_tx_begin(sb, &tx);
	if (err)
		goto out;
	err = pmfs_tx_add_inode(&tx, odir->pi);
	if (!err)
		err = pmfs_tx_add_inode(&tx, ndir->pi);
	if (!err)
		err = pmfs_tx_add_inode(&tx, r.src->pi);
	if (!err && r.tgt)
		err = pmfs_tx_add_inode(&tx, r.tgt->pi);
	if (!err)
		err = (flags & PMFS_RENAME_EXCHANGE) ? rn_exchange(&tx, &r) :
		      rn_move(&tx, &r, flags, nname, nlen);
	if (!err) {
		touch_dir(odir->pi);
		if (ndir != odir)
			touch_dir(ndir->pi);
	}
	err = pmfs_tx_end(&tx, err);
out:
	{
		struct pmfs_ii *v[4] = { r.odir, r.ndir, r.src, r.tgt };

		pmfs_unlock_many(v, 4);
	}
	pmfs_iput(r.src);
	pmfs_iput(r.tgt);
out_unlock_rename:
	pthread_mutex_unlock(&sb->rename_lock);
	return err;
}
