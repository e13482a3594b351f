/*
 * Owners, groups and modes as security descriptors, for IRP_MJ_SET_SECURITY.
 *
 * Unix identities are the SIDs Samba and Windows' NFS client give them:
 * S-1-22-1-<uid> for a user, S-1-22-2-<gid> for a group, and "others" is
 * Everyone (S-1-1-0).  A mode is a DACL of access-allowed ACEs for the
 * owner, the group and Everyone, in that order, with FILE_GENERIC_READ,
 * FILE_GENERIC_WRITE and FILE_GENERIC_EXECUTE for r, w and x (a class
 * without any right has no ACE).  The setuid, setgid and sticky bits have
 * no ACE: the glue's own request keeps them (the lower file system applies
 * the program's mode), a filter-issued DACL leaves them as they are.
 *
 * Reading a descriptor back (filter-issued I/O, or one a filter changed):
 * the owner and group must be such SIDs (else STATUS_INVALID_OWNER); the
 * DACL's access-allowed ACEs for the owner, the group and Everyone give the
 * permission bits (FILE_READ_DATA or GENERIC_READ/ALL for r, FILE_WRITE_DATA
 * or GENERIC_WRITE/ALL for w, FILE_EXECUTE or GENERIC_EXECUTE/ALL for x);
 * other ACEs have no mode bit to land in and are ignored.  Descriptors are
 * self-relative; a malformed one is STATUS_INVALID_PARAMETER, and SACLs (no
 * audit ACLs on Linux) STATUS_NOT_SUPPORTED.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "fs/fuse/internal.h"

#define UNIX_AUTHORITY 22
#define UNIX_USER 1
#define UNIX_GROUP 2
#define SD_LIMIT 65536u
#define PERMS (S_IRWXU | S_IRWXG | S_IRWXO)

static NTSTATUS done(PFLT_CALLBACK_DATA d, NTSTATUS s)
{
	d->IoStatus.Status = s;
	d->IoStatus.Information = 0;
	return s;
}

static ULONG sid_size(UCHAR subs)
{
	return FIELD_OFFSET(SID, SubAuthority) + subs * (ULONG)sizeof(ULONG);
}

/* Writes S-<authority>-<sub...> at p; returns its size. */
static ULONG put_sid(PUCHAR p, UCHAR authority, UCHAR subs, ULONG a, ULONG b)
{
	PISID sid = (PISID)p;

	memset(sid, 0, sid_size(subs));
	sid->Revision = SID_REVISION;
	sid->SubAuthorityCount = subs;
	sid->IdentifierAuthority.Value[5] = authority;
	sid->SubAuthority[0] = a;
	if (subs > 1)
		sid->SubAuthority[1] = b;
	return sid_size(subs);
}

static ACCESS_MASK rights_of(mode_t bits)
{
	ACCESS_MASK m = 0;

	if (bits & 4)
		m |= FILE_GENERIC_READ;
	if (bits & 2)
		m |= FILE_GENERIC_WRITE;
	if (bits & 1)
		m |= FILE_GENERIC_EXECUTE;
	return m;
}

static ULONG put_ace(PUCHAR p, mode_t bits, UCHAR authority, UCHAR subs, ULONG a, ULONG b)
{
	PACCESS_ALLOWED_ACE ace = (PACCESS_ALLOWED_ACE)p;
	ULONG size = FIELD_OFFSET(ACCESS_ALLOWED_ACE, SidStart) + put_sid((PUCHAR)&ace->SidStart, authority, subs, a, b);

	ace->Header.AceType = ACCESS_ALLOWED_ACE_TYPE;
	ace->Header.AceFlags = 0;
	ace->Header.AceSize = (USHORT)size;
	ace->Mask = rights_of(bits);
	return size;
}

static ULONG put_dacl(PUCHAR p, uid_t uid, gid_t gid, mode_t mode)
{
	PACL acl = (PACL)p;
	ULONG at = sizeof(ACL);

	memset(acl, 0, sizeof(*acl));
	acl->AclRevision = ACL_REVISION;
	if (mode & S_IRWXU) {
		at += put_ace(p + at, (mode >> 6) & 7, UNIX_AUTHORITY, 2, UNIX_USER, uid);
		acl->AceCount++;
	}
	if (mode & S_IRWXG) {
		at += put_ace(p + at, (mode >> 3) & 7, UNIX_AUTHORITY, 2, UNIX_GROUP, gid);
		acl->AceCount++;
	}
	if (mode & S_IRWXO) {
		at += put_ace(p + at, mode & 7, 1, 1, 0, 0);
		acl->AceCount++;
	}
	acl->AclSize = (USHORT)at;
	return at;
}

ULONG fs_glue_sd_build(void *buf, ULONG info, uid_t uid, gid_t gid, mode_t mode)
{
	PISECURITY_DESCRIPTOR_RELATIVE sd = buf;
	PUCHAR p = buf;
	ULONG at = sizeof(*sd);

	memset(sd, 0, sizeof(*sd));
	sd->Revision = SECURITY_DESCRIPTOR_REVISION;
	sd->Control = SE_SELF_RELATIVE;
	if (info & OWNER_SECURITY_INFORMATION) {
		sd->Owner = at;
		at += put_sid(p + at, UNIX_AUTHORITY, 2, UNIX_USER, uid);
	}
	if (info & GROUP_SECURITY_INFORMATION) {
		sd->Group = at;
		at += put_sid(p + at, UNIX_AUTHORITY, 2, UNIX_GROUP, gid);
	}
	if (info & DACL_SECURITY_INFORMATION) {
		sd->Control |= SE_DACL_PRESENT;
		sd->Dacl = at;
		at += put_dacl(p + at, uid, gid, mode);
	}
	return at;
}

/* A SID at offset `at` of the descriptor, with room for its sub-authorities. */
static const SID *sid_at(const UCHAR *base, ULONG at, ULONG room)
{
	const SID *sid = (const SID *)(base + at);

	if (room < sid_size(0) || sid->Revision != SID_REVISION || sid->SubAuthorityCount > SID_MAX_SUB_AUTHORITIES ||
	    room < sid_size(sid->SubAuthorityCount))
		return NULL;
	return sid;
}

/* The uid/gid of an S-1-22-<kind>-<id> SID. */
static bool unix_id(const SID *sid, ULONG kind, ULONG *id)
{
	static const UCHAR unix_authority[6] = { 0, 0, 0, 0, 0, UNIX_AUTHORITY };

	if (sid->SubAuthorityCount != 2 || memcmp(sid->IdentifierAuthority.Value, unix_authority, 6) != 0 ||
	    sid->SubAuthority[0] != kind)
		return false;
	*id = sid->SubAuthority[1];
	return true;
}

static bool is_everyone(const SID *sid)
{
	static const UCHAR world[6] = { 0, 0, 0, 0, 0, 1 };

	return sid->SubAuthorityCount == 1 && memcmp(sid->IdentifierAuthority.Value, world, 6) == 0 &&
	       sid->SubAuthority[0] == 0;
}

static mode_t bits_of(ACCESS_MASK m)
{
	mode_t bits = 0;

	if (m & (FILE_READ_DATA | GENERIC_READ | GENERIC_ALL))
		bits |= 4;
	if (m & (FILE_WRITE_DATA | GENERIC_WRITE | GENERIC_ALL))
		bits |= 2;
	if (m & (FILE_EXECUTE | GENERIC_EXECUTE | GENERIC_ALL))
		bits |= 1;
	return bits;
}

/* The permission bits of a DACL, for the file's owner and group. */
static NTSTATUS mode_of_dacl(const UCHAR *base, ULONG at, uid_t uid, gid_t gid, mode_t *perms)
{
	const ACL *acl = (const ACL *)(base + at);
	ULONG id, off = sizeof(ACL);

	if (acl->AclSize < sizeof(ACL) || acl->AclSize > SD_LIMIT - at)
		return STATUS_INVALID_PARAMETER;
	*perms = 0;
	for (USHORT i = 0; i < acl->AceCount; i++) {
		const ACE_HEADER *hdr = (const ACE_HEADER *)(base + at + off);
		if (acl->AclSize - off < sizeof(ACE_HEADER) || hdr->AceSize < sizeof(ACE_HEADER) ||
		    hdr->AceSize > acl->AclSize - off)
			return STATUS_INVALID_PARAMETER;
		const ACCESS_ALLOWED_ACE *ace = (const ACCESS_ALLOWED_ACE *)hdr;
		ULONG fixed = FIELD_OFFSET(ACCESS_ALLOWED_ACE, SidStart);
		const SID *sid = hdr->AceSize > fixed ? sid_at((const UCHAR *)ace, fixed, hdr->AceSize - fixed) : NULL;
		if (hdr->AceType == ACCESS_ALLOWED_ACE_TYPE && !(hdr->AceFlags & INHERIT_ONLY_ACE) && sid) {
			mode_t bits = bits_of(ace->Mask);
			if (unix_id(sid, UNIX_USER, &id) && id == uid)
				*perms |= bits << 6;
			else if (unix_id(sid, UNIX_GROUP, &id) && id == gid)
				*perms |= bits << 3;
			else if (is_everyone(sid))
				*perms |= bits;
		}
		off += hdr->AceSize;
	}
	return STATUS_SUCCESS;
}

NTSTATUS fs_glue_sd_parse(const void *buf, ULONG info, const struct stat *now, struct fs_setattr *set)
{
	const SECURITY_DESCRIPTOR_RELATIVE *sd = buf;
	const UCHAR *base = buf;
	const SID *sid;
	ULONG id;
	mode_t perms;

	if (sd->Revision != SECURITY_DESCRIPTOR_REVISION || !(sd->Control & SE_SELF_RELATIVE))
		return STATUS_INVALID_PARAMETER;
	*set = (struct fs_setattr){ .uid = now->st_uid, .gid = now->st_gid, .mode = now->st_mode };
	if (info & OWNER_SECURITY_INFORMATION) {
		sid = sd->Owner && sd->Owner < SD_LIMIT ? sid_at(base, sd->Owner, SD_LIMIT - sd->Owner) : NULL;
		if (!sid)
			return STATUS_INVALID_PARAMETER;
		if (!unix_id(sid, UNIX_USER, &id))
			return STATUS_INVALID_OWNER;
		set->uid = id;
		set->valid |= FS_SET_UID;
	}
	if (info & GROUP_SECURITY_INFORMATION) {
		sid = sd->Group && sd->Group < SD_LIMIT ? sid_at(base, sd->Group, SD_LIMIT - sd->Group) : NULL;
		if (!sid)
			return STATUS_INVALID_PARAMETER;
		if (!unix_id(sid, UNIX_GROUP, &id))
			return STATUS_INVALID_OWNER;
		set->gid = id;
		set->valid |= FS_SET_GID;
	}
	if (info & DACL_SECURITY_INFORMATION) {
		/* No DACL (or a NULL one) grants everyone everything. */
		NTSTATUS s = STATUS_SUCCESS;
		if (!(sd->Control & SE_DACL_PRESENT) || !sd->Dacl)
			perms = PERMS;
		else if (sd->Dacl >= SD_LIMIT)
			return STATUS_INVALID_PARAMETER;
		else
			s = mode_of_dacl(base, sd->Dacl, set->uid, set->gid, &perms);
		if (!NT_SUCCESS(s))
			return s;
		set->mode = (now->st_mode & ~(mode_t)PERMS & 07777) | perms;
		set->valid |= FS_SET_MODE;
	}
	return STATUS_SUCCESS;
}

NTSTATUS fs_glue_lower_security(struct fs_volume *vol, const struct fs_cred *c, PFLT_CALLBACK_DATA d,
				struct fs_handle *h)
{
	struct fs_request *r = fs_glue_request_of(d);
	struct fs_set_security *t = r ? r->buf : NULL;
	ULONG info = d->Iopb->Parameters.SetSecurity.SecurityInformation;
	const void *sd = d->Iopb->Parameters.SetSecurity.SecurityDescriptor;
	struct fs_setattr set;
	struct stat st;

	if (!h)
		return done(d, STATUS_INVALID_HANDLE);
	if (info & ~(ULONG)(OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION))
		return done(d, STATUS_NOT_SUPPORTED);
	if (!sd)
		return done(d, STATUS_INVALID_PARAMETER);
	/* The glue's own chmod/chown as the filters left it: the program's call. */
	if (t && sd == t->sd && info == t->info && memcmp(t->sd, t->sent, t->len) == 0)
		return fs_glue_status(d, &r->args, fs_lower_setattr(vol->lower, c, h->ino, t->fh, &t->set, &st), 0);
	int err = fs_lower_getattr(vol->lower, c, h->ino, &st);
	if (err)
		return fs_glue_status(d, r ? &r->args : NULL, err, 0);
	NTSTATUS s = fs_glue_sd_parse(sd, info, &st, &set);
	if (!NT_SUCCESS(s))
		return done(d, s);
	err = fs_lower_setattr(vol->lower, c, h->ino, t ? t->fh : FS_NO_FH, &set, &st);
	return fs_glue_status(d, r ? &r->args : NULL, err, 0);
}
