/*
 * The client side of the handshake: CONNECT, then CONNECT_DONE with the
 * shared region's memfd, which is mapped only if it is what the host
 * promises (a regular file of PORT_SHM_SIZE bytes).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "port/user/client.h"

NTSTATUS um_port_errno_status(int err)
{
	switch (err) {
	case ENOENT:
	case ECONNREFUSED:
	case ENOTDIR:
		return STATUS_OBJECT_NAME_NOT_FOUND;
	case EACCES:
	case EPERM:
		return STATUS_ACCESS_DENIED;
	case ENOMEM:
	case ENOBUFS:
	case EMFILE:
	case ENFILE:
		return STATUS_INSUFFICIENT_RESOURCES;
	default:
		return STATUS_PORT_DISCONNECTED;
	}
}

/* Maps the reply region the host passed; NULL if it is not usable. */
static struct port_shm_slot *um_port_map_region(struct msghdr *msg)
{
	struct cmsghdr *cm = CMSG_FIRSTHDR(msg);
	struct stat st;
	void *map = MAP_FAILED;
	int fd;

	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return NULL;
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == PORT_SHM_SIZE)
		map = mmap(NULL, PORT_SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return map == MAP_FAILED ? NULL : map;
}

NTSTATUS um_port_handshake(int fd, DWORD options, const void *context, WORD size,
				  struct port_shm_slot **shm)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct port_wire_header h;
	uint8_t answer[sizeof(h) + 1];
	struct iovec iov = { .iov_base = answer, .iov_len = sizeof(answer) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			      .msg_controllen = sizeof(control.buf) };
	ssize_t n;
	int err;

	port_wire_header_init(&h, PORT_WIRE_CONNECT, 0);
	h.value = options;
	err = port_wire_send(fd, &h, context, size, 0);
	if (err)
		return um_port_errno_status(err);
	do {
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return um_port_errno_status(errno);
	*shm = um_port_map_region(&msg);
	if (!port_wire_parse(answer, (size_t)n, FALSE, &h) || h.type != PORT_WIRE_CONNECT_DONE)
		return STATUS_PORT_DISCONNECTED;
	return (NTSTATUS)h.status;
}
