/*
 * Port security descriptors on Linux: the users and groups admitted to
 * connect, and the access mask they get.  A client is admitted when its uid
 * (from SO_PEERCRED) is listed, or its primary gid is, and the mask
 * includes FLT_PORT_CONNECT.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "port/port.h"

#define PORT_SD_MAX_ENTRIES 1024

static NTSTATUS port_sd_alloc(struct port_sd **out, ACCESS_MASK access, const uid_t *uids,
			      ULONG uid_count, const gid_t *gids, ULONG gid_count)
{
	struct port_sd *sd;

	sd = calloc(1, sizeof(*sd) + uid_count * sizeof(uid_t) + gid_count * sizeof(gid_t));
	if (!sd)
		return STATUS_INSUFFICIENT_RESOURCES;
	sd->magic = PORT_MAGIC_SD;
	sd->access = access;
	sd->uid_count = uid_count;
	sd->gid_count = gid_count;
	sd->uids = (uid_t *)(sd + 1);
	sd->gids = (gid_t *)(sd->uids + uid_count);
	if (uid_count)
		memcpy(sd->uids, uids, uid_count * sizeof(uid_t));
	if (gid_count)
		memcpy(sd->gids, gids, gid_count * sizeof(gid_t));
	*out = sd;
	return STATUS_SUCCESS;
}

NTSTATUS altitude_port_build_security_descriptor(void **security_descriptor,
						 const uid_t *uids, ULONG uid_count,
						 const gid_t *gids, ULONG gid_count)
{
	struct port_sd *sd;
	NTSTATUS status;

	if (!security_descriptor || (!uids && uid_count) || (!gids && gid_count) ||
	    uid_count > PORT_SD_MAX_ENTRIES || gid_count > PORT_SD_MAX_ENTRIES)
		return STATUS_INVALID_PARAMETER;
	status = port_sd_alloc(&sd, FLT_PORT_ALL_ACCESS, uids, uid_count, gids, gid_count);
	if (NT_SUCCESS(status))
		*security_descriptor = sd;
	return status;
}

NTSTATUS FLTAPI FltBuildDefaultSecurityDescriptor(PSECURITY_DESCRIPTOR *SecurityDescriptor,
						  ACCESS_MASK DesiredAccess)
{
	uid_t uids[2] = { 0, geteuid() };
	struct port_sd *sd;
	NTSTATUS status;

	if (!SecurityDescriptor)
		return STATUS_INVALID_PARAMETER;
	status = port_sd_alloc(&sd, DesiredAccess, uids, uids[1] == 0 ? 1 : 2, NULL, 0);
	if (NT_SUCCESS(status))
		*SecurityDescriptor = sd;
	return status;
}

VOID FLTAPI FltFreeSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor)
{
	struct port_sd *sd = SecurityDescriptor;

	if (!sd || sd->magic != PORT_MAGIC_SD)
		return;
	sd->magic = 0;
	free(sd);
}

NTSTATUS port_sd_copy(PSECURITY_DESCRIPTOR in, struct port_sd *out)
{
	const struct port_sd *sd = in;
	struct port_sd *copy;
	NTSTATUS status;

	if (!sd) {
		PSECURITY_DESCRIPTOR def;

		status = FltBuildDefaultSecurityDescriptor(&def, FLT_PORT_ALL_ACCESS);
		if (!NT_SUCCESS(status))
			return status;
		status = port_sd_copy(def, out);
		FltFreeSecurityDescriptor(def);
		return status;
	}
	if (sd->magic != PORT_MAGIC_SD)
		return STATUS_INVALID_PARAMETER;
	status = port_sd_alloc(&copy, sd->access, sd->uids, sd->uid_count, sd->gids,
			       sd->gid_count);
	if (!NT_SUCCESS(status))
		return status;
	*out = *copy;
	/* `out` keeps pointing into the copy's allocation, freed by port_sd_release. */
	out->magic = PORT_MAGIC_SD;
	return STATUS_SUCCESS;
}

void port_sd_release(struct port_sd *sd)
{
	if (sd->uids)
		free((struct port_sd *)sd->uids - 1);
	memset(sd, 0, sizeof(*sd));
}

BOOLEAN port_sd_admits(const struct port_sd *sd, uid_t uid, gid_t gid)
{
	if (!(sd->access & FLT_PORT_CONNECT))
		return FALSE;
	for (ULONG i = 0; i < sd->uid_count; i++)
		if (sd->uids[i] == uid)
			return TRUE;
	for (ULONG i = 0; i < sd->gid_count; i++)
		if (sd->gids[i] == gid)
			return TRUE;
	return FALSE;
}
