/* FUSE extended-attribute operations, passed to the lower file system. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>

#include "fs/fuse/internal.h"

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
			size_t size, int flags)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	int err = fs_lower_setxattr(fs_request_lower(r), &r->cred, ino, name, value, size, flags);
	fs_request_reply_err(r, err);
}

/* Size 0 asks for the size; otherwise the value, ERANGE if it is larger. */
static void reply_value(struct fs_request *r, int err, const void *buf, size_t size, size_t len)
{
	if (err)
		fs_request_reply_err(r, err);
	else if (size == 0)
		fs_request_reply_xattr(r, len);
	else
		fs_request_reply_buf(r, buf, len);
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	char *buf = size ? malloc(size) : NULL;
	if (size && !buf) {
		fs_request_reply_err(r, ENOMEM);
		return;
	}
	size_t len = 0;
	int err = fs_lower_getxattr(fs_request_lower(r), &r->cred, ino, name, buf, size, &len);
	reply_value(r, err, buf, size, len);
	free(buf);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	char *buf = size ? malloc(size) : NULL;
	if (size && !buf) {
		fs_request_reply_err(r, ENOMEM);
		return;
	}
	size_t len = 0;
	int err = fs_lower_listxattr(fs_request_lower(r), &r->cred, ino, buf, size, &len);
	reply_value(r, err, buf, size, len);
	free(buf);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct fs_request *r = fs_request_begin(req);
	if (r)
		fs_request_reply_err(r,
				     fs_lower_removexattr(fs_request_lower(r), &r->cred, ino, name));
}

void fs_fuse_xattr_ops(struct fuse_lowlevel_ops *ops)
{
	ops->setxattr = op_setxattr;
	ops->getxattr = op_getxattr;
	ops->listxattr = op_listxattr;
	ops->removexattr = op_removexattr;
}
