/*
 * path.c: paths made absolute and normal, the working directory (the
 * task's own), walking a path's components in one filesystem.
 */
#include "vfs_int.h"
#include "fmt.h"
#include "klibc.h"
#include "task.h"

/* append the components of `p` to out (absolute, normal, length *len) */
static int
join(char *out, size_t cap, size_t *len, const char *p)
{
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		size_t n = 0;
		while (p[n] && p[n] != '/')
			n++;
		if (n > FS_NAME_MAX)
			return E_NAMETOOLONG;
		if (n == 1 && p[0] == '.') {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (*len > 1 && out[*len - 1] != '/')
				(*len)--;
			if (*len > 1)
				(*len)--; /* the '/' before it, unless it is the root */
			out[*len] = '\0';
		} else {
			size_t need = *len + (*len > 1) + n;
			if (need + 1 > cap)
				return E_NAMETOOLONG;
			if (*len > 1)
				out[(*len)++] = '/';
			memcpy(out + *len, p, n);
			*len += n;
			out[*len] = '\0';
		}
		p += n;
	}
	return E_OK;
}

int
vfs_resolve(const char *path, char *out, size_t cap)
{
	if (!path || !*path || cap < 2)
		return E_INVAL;
	if (strnlen(path, VFS_PATH_MAX) >= VFS_PATH_MAX)
		return E_NAMETOOLONG;
	size_t len = 1;
	out[0] = '/';
	out[1] = '\0';
	if (path[0] != '/') {
		char cwd[VFS_PATH_MAX];
		int err = task_get_cwd(cwd, sizeof(cwd));
		if (!err)
			err = join(out, cap, &len, cwd);
		if (err)
			return err;
	}
	return join(out, cap, &len, path);
}

int
vfs_getcwd(char *out, size_t cap)
{
	return task_get_cwd(out, cap);
}

int
vfs_chdir(const char *path)
{
	char abs[VFS_PATH_MAX];
	int err = vfs_resolve(path, abs, sizeof(abs));
	struct fs_stat st;
	if (!err)
		err = vfs_stat(abs, &st);
	if (!err && st.kind != FS_DIR)
		err = E_NOTDIR;
	return err ? err : task_set_cwd(abs);
}

/* the next component of *p into name; false at the end */
static bool
component(const char **p, char *name)
{
	const char *s = *p;
	while (*s == '/')
		s++;
	if (!*s)
		return false;
	size_t n = 0;
	while (s[n] && s[n] != '/')
		n++;
	memcpy(name, s, n); /* n <= FS_NAME_MAX: vfs_resolve checked */
	name[n] = '\0';
	*p = s + n;
	return true;
}

int
vfs_walk(struct call *c, const struct fs_node *root, const char *rest, struct fs_node *out, struct fs_stat *st)
{
	char name[FS_NAME_MAX + 1];
	struct fs_node n = *root;
	int err = c->ops->stat(c->mnt, &n, st);
	while (!err && component(&rest, name)) {
		if (st->kind != FS_DIR)
			return E_NOTDIR;
		struct fs_node next;
		err = c->ops->lookup(c->mnt, &n, name, &next, st);
		n = next;
	}
	if (!err)
		*out = n;
	return err;
}

int
vfs_walk_parent(struct call *c, const struct fs_node *root, const char *rest, struct fs_node *dir, char *name)
{
	size_t n = strlen(rest);
	if (!n)
		return E_BUSY; /* the mount's root itself */
	const char *slash = NULL;
	for (const char *s = rest; *s; s++)
		if (*s == '/')
			slash = s;
	char head[VFS_PATH_MAX];
	size_t hl = slash ? (size_t)(slash - rest) : 0;
	memcpy(head, rest, hl);
	head[hl] = '\0';
	strlcpy(name, slash ? slash + 1 : rest, FS_NAME_MAX + 1);
	struct fs_stat st;
	int err = vfs_walk(c, root, head, dir, &st);
	if (!err && st.kind != FS_DIR)
		err = E_NOTDIR;
	return err;
}

int
vfs_target(const char *from, const char *to, char *out, size_t cap)
{
	struct fs_stat st;
	if (vfs_stat(to, &st) || st.kind != FS_DIR)
		return strlcpy(out, to, cap) >= cap ? E_NAMETOOLONG : E_OK;
	char abs[VFS_PATH_MAX];
	int err = vfs_resolve(from, abs, sizeof(abs));
	if (err)
		return err;
	const char *base = abs;
	for (const char *s = abs; *s; s++)
		if (*s == '/' && s[1])
			base = s + 1;
	if (snprintf(out, cap, "%s/%s", to, base) >= (int)cap)
		return E_NAMETOOLONG;
	return E_OK;
}
